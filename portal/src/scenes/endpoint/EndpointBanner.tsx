import { useState } from 'react';
import { ReplayAllFailedDocument, ResumeEndpointDocument, type EndpointSummaryFragment } from '../../api/generated.ts';
import { skippedNote } from '../deliveries/skipped-note.ts';
import { usePortal } from '../../portal-context.tsx';
import { Button } from '../../components/Button.tsx';
import { Time } from '../../components/Time.tsx';
import { isFailing } from '../endpoints/endpoint-facts.ts';
import { connectsThroughOAuth, providerName, startConsent } from '../../destinations/oauth-consent.ts';

type Action = 'resume' | 'replay' | 'both' | 'reconnect';

/** A reason as the server words it ("the receiver answered HTTP 503") as a sentence of its own. */
const sentence = (reason: string) => `${reason.charAt(0).toUpperCase()}${reason.slice(1)}${/[.!?]$/.test(reason) ? '' : '.'}`;

/**
 * At the top of a failing, paused or disabled endpoint: what is wrong and since when, with the
 * way out: resume it (what waited goes out then) and replay what failed meanwhile.
 */
export function EndpointBanner({ endpoint, onChanged }: { endpoint: EndpointSummaryFragment; onChanged(): void }) {
  const { api, can, announce } = usePortal();
  const [busy, setBusy] = useState<Action | null>(null);
  const stopped = endpoint.status !== 'ACTIVE';
  if (!stopped && !isFailing(endpoint)) return null;
  // Its provider refused its tokens, or it was never connected: a new consent, not a resume, mends it.
  const reconnects = endpoint.status === 'NEEDS_REAUTH' && connectsThroughOAuth(endpoint);

  const reconnect = async () => {
    setBusy('reconnect');
    try {
      const problem = await startConsent(api, endpoint.id);
      if (problem) announce(problem);
    } catch (error) {
      announce((error as Error).message);
    } finally {
      setBusy(null);
    }
  };

  // Replayed first, then resumed: resuming clears the failing-since time the replay filters on,
  // and replayed deliveries of a stopped endpoint wait with the rest until it resumes.
  const act = async (what: Action) => {
    setBusy(what);
    try {
      const said: string[] = [];
      if (what !== 'resume') {
        // Died since it started failing, whenever they were made: the delivery whose failure began it too.
        const filter = { connectionId: endpoint.id, status: 'DEAD' as const, ...(endpoint.failingSince ? { updatedSince: endpoint.failingSince } : {}) };
        const { replayDeliveries } = await api.request(ReplayAllFailedDocument, { filter });
        said.push(replayDeliveries.__typename === 'ReplayDeliveriesPayload'
          ? `Replaying ${replayDeliveries.count} failed deliveries${skippedNote(replayDeliveries.skipped)}`
          : replayDeliveries.message);
      }
      if (what !== 'replay') {
        await api.request(ResumeEndpointDocument, { id: endpoint.id });
        said.push('Endpoint resumed: the deliveries that waited are on their way');
      }
      announce(said.join('. '));
      onChanged();
    } catch (error) {
      announce((error as Error).message);
    } finally {
      setBusy(null);
    }
  };

  const headline =
    endpoint.status === 'DISABLED'
      ? 'This endpoint is disabled'
      : endpoint.status === 'PAUSED'
        ? 'This endpoint is paused'
        : endpoint.status === 'NEEDS_REAUTH'
          ? 'This endpoint needs reconnecting'
          : 'This endpoint is failing';
  const reason = stopped ? endpoint.statusReason : endpoint.lastFailureReason;
  return (
    <div className={`banner ${endpoint.status === 'DISABLED' ? 'banner-bad' : 'banner-warn'}`} role="alert">
      <p>
        <strong>{headline}.</strong> {reason && <span>{sentence(reason)}</span>}{' '}
        {endpoint.failingSince && (
          <span>
            Failing since <Time iso={endpoint.failingSince} />, {endpoint.consecutiveFailures} failed attempts in a row.
          </span>
        )}
        {stopped &&
          (reconnects
            ? ` Its deliveries wait and go out once it is reconnected to ${providerName(endpoint.kind)}.`
            : endpoint.status === 'NEEDS_REAUTH'
              ? ' Its deliveries wait and go out once it has new credentials: give them in "Edit endpoint".'
              : ' Its deliveries wait and go out once it is resumed.')}
      </p>
      <div className="actions actions-start">
        {reconnects && can('MANAGE_ENDPOINTS') && (
          <Button variant="primary" busy={busy === 'reconnect'} onClick={() => void reconnect()}>
            Reconnect
          </Button>
        )}
        {stopped && !reconnects && can('MANAGE_ENDPOINTS') && (
          <Button variant="primary" busy={busy === 'resume'} onClick={() => void act('resume')}>
            Resume
          </Button>
        )}
        {stopped && !reconnects && can('MANAGE_ENDPOINTS') && can('REPLAY') && (
          <Button busy={busy === 'both'} onClick={() => void act('both')}>
            Resume and replay what failed
          </Button>
        )}
        {!stopped && can('REPLAY') && (
          <Button busy={busy === 'replay'} onClick={() => void act('replay')}>
            {endpoint.failingSince ? 'Replay what failed since then' : 'Replay failed deliveries'}
          </Button>
        )}
      </div>
    </div>
  );
}
