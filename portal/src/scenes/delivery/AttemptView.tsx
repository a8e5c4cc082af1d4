import type { AttemptDetailFragment } from '../../api/generated.ts';
import { dateTime, prettyJson } from '../../format.ts';

const ERROR_CLASSES: Record<string, string> = {
  TIMEOUT: 'Timed out',
  DNS: 'Host not found',
  CONNECT: 'Could not connect',
  TLS: 'TLS failed',
  HTTP: 'Error response',
  REFUSED_TARGET: 'Address refused',
  EXPRESSION: 'Transform failed',
  NETWORK: 'Network error',
};

/** One attempt: when, what came back and how fast, why it failed, and the exact request. */
export function AttemptView({ attempt, open }: { attempt: AttemptDetailFragment; open: boolean }) {
  const outcome = attempt.statusCode != null ? `HTTP ${attempt.statusCode}` : attempt.errorClass ? ERROR_CLASSES[attempt.errorClass] : attempt.status;
  const headers = attempt.requestHeaders as Record<string, string> | null;
  return (
    <details className={`attempt attempt-${attempt.status === 'SUCCEEDED' ? 'good' : 'bad'}`} open={open}>
      <summary>
        <span className="attempt-number">
          Attempt {attempt.attempt}
          {attempt.replay > 0 && ` (replay ${attempt.replay})`}
        </span>
        <span className="attempt-outcome">{outcome}</span>
        <span className="muted">{attempt.durationMs} ms</span>
        <time dateTime={attempt.startedAt} className="muted">
          {dateTime(attempt.startedAt)}
        </time>
      </summary>
      <div className="attempt-body stack">
        <dl className="facts">
          <div>
            <dt>URL</dt>
            <dd className="mono">{attempt.url}</dd>
          </div>
          {attempt.errorClass && (
            <div>
              <dt>Error</dt>
              <dd>
                {ERROR_CLASSES[attempt.errorClass]} ({attempt.errorClass}){attempt.error && `: ${attempt.error}`}
              </dd>
            </div>
          )}
        </dl>
        <h3>Response</h3>
        <pre className="code" tabIndex={0} aria-label="Response body">
          {attempt.responseExcerpt ? prettyJson(attempt.responseExcerpt) : '(empty)'}
        </pre>
        <h3>Request headers</h3>
        {headers ? (
          <pre className="code" tabIndex={0} aria-label="Request headers">
            {Object.entries(headers)
              .map(([name, value]) => `${name}: ${value}`)
              .join('\n')}
          </pre>
        ) : (
          <p className="muted">No request was sent.</p>
        )}
        <h3>Request body</h3>
        {attempt.requestBody != null ? (
          <pre className="code" tabIndex={0} aria-label="Request body">
            {prettyJson(attempt.requestBody)}
          </pre>
        ) : (
          <p className="muted">No request was sent.</p>
        )}
      </div>
    </details>
  );
}
