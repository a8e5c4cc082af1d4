import { jsonBody, type VendorExchange } from '../http/vendor-client.ts';
import { transportFailure, type Classification } from '../report.ts';

/**
 * How Mailchimp's answers are classified, in one place. Errors come as
 * `application/problem+json` `{ type, title, status, detail, instance }`, with `errors` of
 * `{ field, message }` when a field is at fault (https://mailchimp.com/developer/marketing/docs/errors/).
 */

interface Problem {
  title?: unknown;
  detail?: unknown;
  errors?: unknown;
}

/** The problem document of an answer, when it has one. */
function problemOf(exchange: VendorExchange): { title: string; message: string } | undefined {
  const problem = jsonBody(exchange) as Problem | undefined;
  if (!problem || typeof problem !== 'object' || typeof problem.title !== 'string') return undefined;
  const fields = Array.isArray(problem.errors)
    ? problem.errors
        .map((entry: { field?: unknown; message?: unknown }) => [entry?.field, entry?.message].filter((part) => typeof part === 'string' && part).join(': '))
        .filter(Boolean)
    : [];
  const detail = typeof problem.detail === 'string' ? problem.detail : '';
  return { title: problem.title, message: [`${problem.title}${detail ? `: ${detail}` : ''}`, ...fields].join('; ') };
}

/**
 * One Marketing API answer. 2xx succeeds. 400 (`Invalid Resource`, `Member In Compliance State`,
 * `Forgotten Email Not Subscribed` ...) is rejected with the detail. 401, and 403 with a problem
 * document (a bad key, a wrong data center, a disabled account), need new credentials. A 403
 * without one is Mailchimp's throttling at high volume, and 429 its limit of 10 simultaneous
 * connections (sent without `Retry-After`): both are retried with the schedule's backoff. 404
 * means the audience does not exist, which no member can fix: rejected, and the connection is
 * disabled. 5xx is retried.
 */
export function classifyMailchimpAnswer(exchange: VendorExchange, listId: string): Classification {
  const failure = transportFailure(exchange);
  if (failure) return failure;
  const status = exchange.statusCode!;
  if (status >= 200 && status < 300) return { verdict: { kind: 'success' } };
  const problem = problemOf(exchange);
  const vendorCode = problem?.title;
  const error = `Mailchimp answered ${problem?.message ?? `HTTP ${status}`}`;
  if (status === 429 || (status === 403 && !problem)) {
    return {
      verdict: { kind: 'retry' },
      ...(vendorCode && { vendorCode }),
      errorClass: 'RATE_LIMITED',
      error: `${error}; Mailchimp allows 10 simultaneous connections per API key, retrying with backoff`,
    };
  }
  if (status === 401 || status === 403) {
    return { verdict: { kind: 'wait' }, connection: { kind: 'needs-reauth', reason: error }, ...(vendorCode && { vendorCode }), errorClass: 'AUTH', error };
  }
  if (status === 404) {
    const reason = `${error} (the audience ${listId} does not exist, or this API key cannot see it)`;
    return { verdict: { kind: 'rejected' }, connection: { kind: 'disable', reason }, ...(vendorCode && { vendorCode }), errorClass: 'REJECTED', error: reason };
  }
  if (status >= 400 && status < 500) return { verdict: { kind: 'rejected' }, ...(vendorCode && { vendorCode }), errorClass: 'REJECTED', error };
  return { verdict: { kind: 'retry' }, ...(vendorCode && { vendorCode }), errorClass: 'HTTP', error };
}
