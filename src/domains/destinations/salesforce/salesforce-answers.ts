import { jsonBody, type VendorExchange } from '../http/vendor-client.ts';
import { transportFailure, type Classification } from '../report.ts';

/**
 * How Salesforce's answers are classified, in one place. REST API errors come as an array of
 * `{ message, errorCode, fields }` (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm).
 */

/**
 * How long an org whose API requests are spent waits before one delivery tries again: the limit
 * rolls over 24 hours, so no answer says when requests are back. (15 minutes)
 */
export const REQUEST_LIMIT_PROBE_SECONDS = 900;

/** Errors Salesforce documents as transient: another transaction holds the row, or the server is busy. */
const TRANSIENT = new Set(['UNABLE_TO_LOCK_ROW', 'SERVER_UNAVAILABLE', 'REQUEST_RUNNING_TOO_LONG', 'QUERY_TIMEOUT']);

/** The first error of an answer, and one line for people that names every error and field. */
function errorsOf(exchange: VendorExchange): { code?: string; text: string } {
  const body = jsonBody(exchange);
  const errors = (Array.isArray(body) ? body : []) as { message?: unknown; errorCode?: unknown; fields?: unknown }[];
  const parts = errors.slice(0, 5).map((error) => {
    const fields = Array.isArray(error.fields) && error.fields.length > 0 ? ` [${error.fields.join(', ')}]` : '';
    return `${typeof error.errorCode === 'string' ? error.errorCode : 'ERROR'}: ${typeof error.message === 'string' ? error.message.slice(0, 300) : ''}${fields}`;
  });
  const code = typeof errors[0]?.errorCode === 'string' ? errors[0].errorCode : undefined;
  return { code, text: `Salesforce answered HTTP ${exchange.statusCode}${parts.length > 0 ? ` ${parts.join('; ')}` : ''}` };
}

/** Whether an answer refuses the session (401 `INVALID_SESSION_ID`): the token is refreshed once and the call made again. */
export function refusesSession(exchange: VendorExchange): boolean {
  return exchange.statusCode === 401;
}

/**
 * One upsert's answer. 2xx succeeds (201 created, 200 or 204 updated). 300 means several records
 * have the external id: rejected, naming them. 401 still refused after a refresh needs a new
 * authorization. 403 `REQUEST_LIMIT_EXCEEDED` is the org's API limit: the connection waits, probing
 * every 15 minutes, without spending one of the schedule's attempts. `UNABLE_TO_LOCK_ROW` and 5xx are retried; every other
 * 4xx is rejected with the message.
 */
export function classifySalesforceAnswer(exchange: VendorExchange): Classification {
  const failure = transportFailure(exchange);
  if (failure) return failure;
  const status = exchange.statusCode!;
  if (status >= 200 && status < 300) return { verdict: { kind: 'success' } };
  if (status === 300) {
    const matches = jsonBody(exchange);
    const listed = Array.isArray(matches) ? matches.slice(0, 5).join(', ') : 'several records';
    return { verdict: { kind: 'rejected' }, vendorCode: 'MULTIPLE_CHOICES', errorClass: 'REJECTED', error: `Salesforce found several records with this external id: ${listed}` };
  }
  const { code, text } = errorsOf(exchange);
  const vendorCode = code ? { vendorCode: code } : {};
  if (status === 401) return { verdict: { kind: 'wait' }, connection: { kind: 'needs-reauth', reason: text }, ...vendorCode, errorClass: 'AUTH', error: text };
  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    const quota = { reason: "the Salesforce org's API request limit is spent", seconds: REQUEST_LIMIT_PROBE_SECONDS, daily: true };
    return { verdict: { kind: 'throttle', quota }, ...vendorCode, errorClass: 'RATE_LIMITED', error: `${text}; the connection waits` };
  }
  if ((code && TRANSIENT.has(code)) || status >= 500) return { verdict: { kind: 'retry' }, ...vendorCode, errorClass: 'HTTP', error: text };
  return { verdict: { kind: 'rejected' }, ...vendorCode, errorClass: 'REJECTED', error: text };
}
