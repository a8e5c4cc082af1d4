import { parseRetryAfter } from '../deliveries/http/retry-after.ts';
import { jsonBody, type VendorClient } from '../destinations/http/vendor-client.ts';
import type { OAuthProvider, TokenGrant } from './oauth-providers.ts';

/** Deadline of one token call. (Default: 10 s: a refresh holds its credential's lock meanwhile.) */
export const TOKEN_CALL_TIMEOUT_MS = 10_000;

/**
 * What a token call came to:
 * - `granted`: new tokens;
 * - `refused`: the provider refused the code or the refresh token for good (HubSpot
 *   `BAD_REFRESH_TOKEN`, `invalid_grant`; Salesforce `invalid_grant`; Slack
 *   `invalid_refresh_token`), or the app's own credentials: only a new consent (or a fixed
 *   configuration) helps;
 * - `unavailable`: no usable answer (a timeout, a 5xx, a 429, a redirect): try again later.
 */
export type TokenOutcome =
  | { kind: 'granted'; grant: TokenGrant }
  | { kind: 'refused'; reason: string }
  | { kind: 'unavailable'; reason: string; retryAfterSeconds?: number };

/** Longest token taken from a provider; HubSpot asks to allow 300 characters, Salesforce's run near 120, Slack's near 80. */
export const MAX_TOKEN_LENGTH = 4096;

/** A token as a provider issues it: printable ASCII without spaces, at most `MAX_TOKEN_LENGTH` characters. */
export const TOKEN_SHAPE = /^[\x21-\x7e]+$/;

/** Why a granted answer's tokens cannot be what a provider issued, or undefined when they can. */
function tokensProblem(provider: OAuthProvider, grant: TokenGrant): string | undefined {
  for (const [name, token] of [['access', grant.accessToken], ['refresh', grant.refreshToken]] as const) {
    if (token !== undefined && (token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token))) {
      return `${provider.label} answered an ${name} token that is not one (over ${MAX_TOKEN_LENGTH} characters, or not printable ASCII); it was not stored`;
    }
  }
  return undefined;
}

/** Slack answers these `ok: false` errors for trouble on its side; every other one is a refusal. */
const SLACK_TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

/** The provider's error code and message from a refusal's body, whatever its dialect. */
function refusalOf(provider: OAuthProvider, status: number, body: unknown): string {
  const answer = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code = [answer.error, answer.status, answer.errorCode].find((value) => typeof value === 'string' && value !== 'error') as string | undefined;
  const detail = [answer.error_description, answer.message].find((value) => typeof value === 'string') as string | undefined;
  return `${provider.label} refused the grant (HTTP ${status}${code ? ` ${code}` : ''}${detail ? `: ${detail.slice(0, 300)}` : ''})`;
}

/**
 * One call of `provider`'s token endpoint with `parameters` (a code or a refresh token), the
 * app's credentials in the form body as HubSpot, Salesforce and Slack all accept them, within
 * `timeoutMs` (Default: `TOKEN_CALL_TIMEOUT_MS`). Never throws; the answer is classified (see `TokenOutcome`).
 */
export async function callTokenEndpoint(provider: OAuthProvider, http: VendorClient, parameters: Record<string, string>, timeoutMs = TOKEN_CALL_TIMEOUT_MS): Promise<TokenOutcome> {
  if (!provider.clientId || !provider.clientSecret) {
    return { kind: 'refused', reason: `${provider.label} OAuth is not configured: set ${provider.variables.clientId} and ${provider.variables.clientSecret}` };
  }
  const form = new URLSearchParams({ ...parameters, client_id: provider.clientId, client_secret: provider.clientSecret });
  const exchange = await http.send(
    {
      method: 'POST',
      url: provider.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      base: provider.tokenBase,
    },
    timeoutMs,
  );
  const status = exchange.statusCode;
  if (status === undefined) return { kind: 'unavailable', reason: `${provider.label}'s token endpoint did not answer: ${exchange.error ?? 'no answer'}` };
  const body = jsonBody(exchange);
  if (status === 429 || status >= 500) {
    return { kind: 'unavailable', reason: `${provider.label}'s token endpoint answered HTTP ${status}`, retryAfterSeconds: parseRetryAfter(exchange.headers?.['retry-after']) };
  }
  if (status >= 300 && status < 400) {
    // The endpoint's address, not an answer about the grant: a new consent would meet it again.
    const location = exchange.headers?.location;
    const to = location ? ` to ${location.slice(0, 200)}` : '';
    return { kind: 'unavailable', reason: `${provider.label}'s token endpoint answered HTTP ${status}${to}; token endpoints' redirects are not followed` };
  }
  if (status >= 200 && status < 300) {
    const answer = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const grant = provider.grantOf(answer);
    if (grant) {
      const problem = tokensProblem(provider, grant) ?? provider.grantProblem(grant);
      return problem ? { kind: 'refused', reason: problem } : { kind: 'granted', grant };
    }
    if (typeof answer.error === 'string' && SLACK_TRANSIENT.has(answer.error)) return { kind: 'unavailable', reason: `${provider.label} answered ${answer.error}` };
    if (typeof answer.error === 'string') return { kind: 'refused', reason: refusalOf(provider, status, answer) };
    return { kind: 'unavailable', reason: `${provider.label}'s token endpoint answered HTTP ${status} without tokens` };
  }
  return { kind: 'refused', reason: refusalOf(provider, status, body) };
}
