import { parseRetryAfter } from '../../deliveries/http/retry-after.ts';
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

/** Seconds until the next midnight UTC, when a daily limit is reset (HubSpot resets at the account's midnight; see README). */
export function secondsUntilDailyReset(now = new Date()): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
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
 * after at least 2 s. 429 `TEN_SECONDLY_ROLLING` (and `SECONDLY`) after the window, `DAILY` at the
 * daily reset, both without spending one of the schedule's attempts. 5xx is retried.
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
    const daily = body.policyName === 'DAILY';
    const retryAfterSeconds = daily ? secondsUntilDailyReset() : Math.max(parseRetryAfter(exchange.headers?.['retry-after']) ?? TEN_SECONDS, 1);
    return {
      verdict: { kind: 'retry', retryAfterSeconds, throttled: true },
      ...code,
      errorClass: 'RATE_LIMITED',
      error: `${text}; ${daily ? 'the daily limit is spent, waiting for its reset' : 'waiting out the rate window'}`,
    };
  }
  if (status === 401 || status === 403) return { verdict: { kind: 'wait' }, connection: { kind: 'needs-reauth', reason: text }, ...code, errorClass: 'AUTH', error: text };
  if (status === 423) return { verdict: { kind: 'retry', retryAfterSeconds: Math.max(parseRetryAfter(exchange.headers?.['retry-after']) ?? 0, LOCKED_SECONDS) }, ...code, errorClass: 'HTTP', error: text };
  if (status >= 400 && status < 500) return { verdict: { kind: 'rejected' }, ...code, errorClass: 'REJECTED', error: text };
  return { verdict: { kind: 'retry' }, ...code, errorClass: 'HTTP', error: text };
}
