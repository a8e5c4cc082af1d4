import type { AccessToken, AccessTokens } from '../../oauth/access-tokens.ts';
import type { AttemptReport } from '../destination-kind.ts';
import type { VendorCall, VendorClient, VendorExchange } from './vendor-client.ts';

/** What a call made with a connection's token came to: the vendor's answer, or why no call could be made. */
export type AuthorizedExchange = { exchange: VendorExchange; token: AccessToken | null } | { report: AttemptReport };

/** The report of an attempt that made no request because no usable token could be had. */
function tokenProblem(shown: Pick<VendorCall, 'method' | 'url'>, result: Exclude<Awaited<ReturnType<AccessTokens['current']>>, { kind: 'token' }>): AttemptReport {
  const startedAt = new Date();
  const base = { method: shown.method, url: shown.url, startedAt, durationMs: 0, errorClass: 'AUTH' as const, error: result.reason };
  return result.kind === 'needs-reauth'
    ? { ...base, verdict: { kind: 'wait' }, connection: { kind: 'needs-reauth', reason: result.reason } }
    : { ...base, verdict: { kind: 'retry', retryAfterSeconds: result.retryAfterSeconds } };
}

/**
 * One vendor call with a bearer token: `fixedToken` when the connection has one of its own (a
 * private app token), else the connection's OAuth access token, refreshed first when it is about
 * to expire. When the vendor refuses an OAuth token (`refused`: a 401), the token is refreshed
 * once (unless another caller already did) and the call made again, before the attempt counts as
 * failed. `call` builds the request for a token; `timeoutMs` says what is left of the deadline.
 */
export async function sendAuthorized(options: {
  http: VendorClient;
  fixedToken?: string;
  tokens?: AccessTokens;
  call: (token: AccessToken) => VendorCall;
  /** The request as an attempt shows it when no token could be had to make it. */
  shown: Pick<VendorCall, 'method' | 'url'>;
  refused: (exchange: VendorExchange) => boolean;
  timeoutMs: () => number;
}): Promise<AuthorizedExchange> {
  const { http, fixedToken, tokens, call, shown, refused, timeoutMs } = options;
  if (fixedToken !== undefined) return { exchange: await http.send(call({ accessToken: fixedToken, instanceUrl: null, generation: 0 }), timeoutMs()), token: null };
  if (!tokens) return { report: tokenProblem(shown, { kind: 'needs-reauth', reason: 'the connection has no token of its own and no OAuth authorization; authorize it' }) };
  const first = await tokens.current();
  if (first.kind !== 'token') return { report: tokenProblem(shown, first) };
  const exchange = await http.send(call(first), timeoutMs());
  if (!refused(exchange)) return { exchange, token: first };
  const renewed = await tokens.afterRejection(first);
  if (renewed.kind !== 'token') return { report: tokenProblem(shown, renewed) };
  return { exchange: await http.send(call(renewed), timeoutMs()), token: renewed };
}
