import { parseRetryAfter } from '../../deliveries/http/retry-after.ts';
import { jsonBody, type VendorExchange } from '../http/vendor-client.ts';
import { transportFailure, type Classification } from '../report.ts';

/**
 * How Slack's answers are classified, in one place. Slack's Node SDK treats every `ok: false` as
 * final and never retries a 429 from an incoming webhook; here a 429 waits for its `Retry-After`
 * and Slack's transient errors are retried.
 */

/** Web API errors that mean the token is no good: the connection needs new credentials. */
const REAUTH = new Set([
  'invalid_auth', 'not_authed', 'token_revoked', 'account_inactive', 'token_expired',
  'missing_scope', 'no_permission', 'team_access_not_granted', 'org_login_required', 'not_allowed_token_type',
]);

/** Web API errors Slack documents as transient. */
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'team_added_to_org']);

/** What the codes people meet most mean, for the attempt's message. */
const MEANING: Record<string, string> = {
  invalid_payload: 'the message is not valid JSON Slack understands',
  no_text: 'the message has no text',
  invalid_blocks: 'a block is not valid Block Kit',
  action_prohibited: 'the workspace restricts posting through this webhook',
  channel_not_found: 'the channel does not exist, or the app cannot see it',
  no_service: 'the webhook was disabled or removed',
  no_team: 'the workspace no longer exists',
  channel_is_archived: 'the channel is archived',
  is_archived: 'the channel is archived',
  not_in_channel: 'the app is not a member of the channel; invite it',
  msg_too_long: 'the message is too long',
  invalid_auth: 'the token is not valid',
  not_authed: 'no token was accepted',
  token_revoked: 'the token was revoked',
  account_inactive: 'the app or its workspace was deactivated',
  invalid_token: 'the webhook URL\'s token is not valid',
  missing_scope: 'the token lacks a scope the call needs',
};

function described(code: string, detail?: string): string {
  const meaning = MEANING[code];
  return `Slack answered ${code}${meaning ? ` (${meaning})` : ''}${detail ? `: ${detail}` : ''}`;
}

function rateLimited(exchange: VendorExchange): Classification {
  return {
    verdict: { kind: 'retry', retryAfterSeconds: parseRetryAfter(exchange.headers?.['retry-after']) },
    vendorCode: 'rate_limited',
    errorClass: 'RATE_LIMITED',
    error: `Slack is rate limiting this ${exchange.url.includes('/chat.postMessage') ? 'token' : 'webhook'}; retrying after its Retry-After`,
  };
}

/**
 * An incoming webhook's answer: 2xx (`ok`) succeeds; 400s are rejected; 403 `action_prohibited`,
 * 404 `channel_not_found`/`no_service` and 410 `channel_is_archived` are rejected and disable the
 * connection, since every later message would fail the same way; 403 `invalid_token` needs a new
 * webhook URL; 429 waits for `Retry-After`; 5xx and everything else are retried.
 */
export function classifyWebhookAnswer(exchange: VendorExchange): Classification {
  const failure = transportFailure(exchange);
  if (failure) return failure;
  const status = exchange.statusCode!;
  const code = (exchange.body ?? '').trim().slice(0, 100) || `HTTP ${status}`;
  if (status >= 200 && status < 300) return { verdict: { kind: 'success' } };
  if (status === 429) return rateLimited(exchange);
  if (status === 403 && code === 'invalid_token') {
    return { verdict: { kind: 'wait' }, connection: { kind: 'needs-reauth', reason: described(code) }, vendorCode: code, errorClass: 'AUTH', error: described(code) };
  }
  if (status === 403 || status === 404 || status === 410) {
    const error = described(code);
    return { verdict: { kind: 'rejected' }, connection: { kind: 'disable', reason: error }, vendorCode: code, errorClass: 'REJECTED', error };
  }
  if (status >= 400 && status < 500) return { verdict: { kind: 'rejected' }, vendorCode: code, errorClass: 'REJECTED', error: described(code) };
  return { verdict: { kind: 'retry', retryAfterSeconds: status === 503 ? parseRetryAfter(exchange.headers?.['retry-after']) : undefined }, vendorCode: code, errorClass: 'HTTP', error: described(code) };
}

interface WebApiAnswer {
  ok?: unknown;
  error?: unknown;
  response_metadata?: { messages?: unknown };
}

/**
 * Whether Slack refused an OAuth install's access token in a way a refresh can mend: rotated
 * tokens answer `token_expired` once their 12 hours are up (HTTP 200, as every Web API error).
 */
export function refusesToken(exchange: VendorExchange): boolean {
  const code = (jsonBody(exchange) as WebApiAnswer | undefined)?.error;
  return code === 'token_expired' || code === 'invalid_auth';
}

/**
 * A `chat.postMessage` answer. Slack answers errors as HTTP 200 with `{ ok: false, error }`:
 * bad credentials need re-auth, documented transient errors are retried, every other error is
 * rejected with its code. HTTP 429 (`ratelimited`) waits for `Retry-After`; 5xx is retried.
 */
export function classifyWebApiAnswer(exchange: VendorExchange): Classification {
  const failure = transportFailure(exchange);
  if (failure) return failure;
  const status = exchange.statusCode!;
  if (status === 429) return rateLimited(exchange);
  const answer = jsonBody(exchange) as WebApiAnswer | undefined;
  if (answer?.ok === true && status === 200) return { verdict: { kind: 'success' } };
  const code = typeof answer?.error === 'string' ? answer.error : undefined;
  if (!code) {
    const error = `Slack answered HTTP ${status} without a Web API answer`;
    return { verdict: status >= 400 && status < 500 ? { kind: 'rejected' } : { kind: 'retry' }, errorClass: status >= 400 && status < 500 ? 'REJECTED' : 'HTTP', error };
  }
  const messages = Array.isArray(answer?.response_metadata?.messages) ? answer.response_metadata.messages.filter((m) => typeof m === 'string').join('; ') : '';
  const error = described(code, messages || undefined);
  if (REAUTH.has(code)) {
    return { verdict: { kind: 'wait' }, connection: { kind: 'needs-reauth', reason: error }, vendorCode: code, errorClass: 'AUTH', error };
  }
  if (TRANSIENT.has(code) || status >= 500) return { verdict: { kind: 'retry' }, vendorCode: code, errorClass: 'HTTP', error };
  return { verdict: { kind: 'rejected' }, vendorCode: code, errorClass: 'REJECTED', error };
}
