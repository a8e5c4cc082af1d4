import { parseRetryAfter } from '../../deliveries/http/retry-after.ts';
import type { QuotaWait } from '../destination-kind.ts';
import { jsonBody, type VendorExchange } from '../http/vendor-client.ts';
import { transportFailure, type Classification } from '../report.ts';

/**
 * How HubSpot's answers are classified, in one place. Errors come as `{ status: "error",
 * message, correlationId, category }` (https://developers.hubspot.com/docs/api-reference/error-handling),
 * 429s with `policyName`.
 */

export interface HubSpotError {
  message?: unknown;
  category?: unknown;
  correlationId?: unknown;
  policyName?: unknown;
  context?: { objectWriteTraceId?: unknown };
}

/** HubSpot's ten-second rolling window, waited out when a 429 says nothing of its own. */
const TEN_SECONDS = 10;
/** A 423 (a record locked by another write) is retried no sooner than this. */
const LOCKED_SECONDS = 2;

/**
 * How long a 429 asks the connection to wait. A rolling window (`TEN_SECONDLY_ROLLING`,
 * `SECONDLY`) is waited out: `Retry-After`, else the window's length
 * (`X-HubSpot-RateLimit-Interval-Milliseconds`), else ten seconds. The `DAILY` limit resets at
 * midnight in the account's time zone, which the API does not say, so the connection probes it
 * (no `seconds`: see `QuotaWait`).
 */
function quotaWaitOf(exchange: VendorExchange, policyName: string | undefined): QuotaWait {
  const policy = policyName ?? 'rate';
  if (policyName === 'DAILY') return { reason: "HubSpot's DAILY limit of API requests is spent", daily: true };
  const retryAfter = parseRetryAfter(exchange.headers?.['retry-after']);
  const intervalMs = Number(exchange.headers?.['x-hubspot-ratelimit-interval-milliseconds']);
  const seconds = retryAfter ?? (Number.isFinite(intervalMs) && intervalMs > 0 ? intervalMs / 1000 : TEN_SECONDS);
  return { reason: `HubSpot's ${policy} limit is spent`, seconds: Math.max(seconds, 1), daily: false };
}

/** The error in an answer's body, and one line for people. */
export function hubspotErrorOf(exchange: VendorExchange): { body: HubSpotError; text: string } {
  const body = (jsonBody(exchange) ?? {}) as HubSpotError;
  const category = typeof body.category === 'string' ? body.category : undefined;
  const message = typeof body.message === 'string' ? body.message.slice(0, 500) : undefined;
  const correlation = typeof body.correlationId === 'string' ? ` (correlationId ${body.correlationId})` : '';
  return { body, text: `HubSpot answered HTTP ${exchange.statusCode}${category ? ` ${category}` : ''}${message ? `: ${message}` : ''}${correlation}` };
}

/** Whether an answer refuses the token itself (a 401): an OAuth token is refreshed once and the call made again. */
export function refusesToken(exchange: VendorExchange): boolean {
  return exchange.statusCode === 401;
}

/**
 * One answer of HubSpot's API. 2xx succeeds (204 for an event). 400 `VALIDATION_ERROR` and other
 * 4xx are rejected with the message. 401 (a token still refused after a refresh, or a private
 * app token that is revoked) and 403 (missing scopes) need a new authorization. 423 is retried
 * after at least 2 s. A 429 makes the whole connection wait (see `quotaWaitOf`) without spending
 * one of the schedule's attempts. 5xx is retried.
 */
export function classifyHubSpotAnswer(exchange: VendorExchange): Classification {
  const failure = transportFailure(exchange);
  if (failure) return failure;
  const status = exchange.statusCode!;
  if (status >= 200 && status < 300) return { verdict: { kind: 'success' } };
  const { body, text } = hubspotErrorOf(exchange);
  const vendorCode = typeof body.policyName === 'string' ? body.policyName : typeof body.category === 'string' ? body.category : undefined;
  const code = vendorCode ? { vendorCode } : {};
  if (status === 429) {
    const quota = quotaWaitOf(exchange, typeof body.policyName === 'string' ? body.policyName : undefined);
    return { verdict: { kind: 'throttle', quota }, ...code, errorClass: 'RATE_LIMITED', error: `${text}; the connection waits` };
  }
  if (status === 401 || status === 403) return { verdict: { kind: 'wait' }, connection: { kind: 'needs-reauth', reason: text }, ...code, errorClass: 'AUTH', error: text };
  if (status === 423) return { verdict: { kind: 'retry', retryAfterSeconds: Math.max(parseRetryAfter(exchange.headers?.['retry-after']) ?? 0, LOCKED_SECONDS) }, ...code, errorClass: 'HTTP', error: text };
  if (status >= 400 && status < 500) return { verdict: { kind: 'rejected' }, ...code, errorClass: 'REJECTED', error: text };
  return { verdict: { kind: 'retry' }, ...code, errorClass: 'HTTP', error: text };
}
