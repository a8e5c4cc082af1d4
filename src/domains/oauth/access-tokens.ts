import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.ts';
import type { VendorClient } from '../destinations/http/vendor-client.ts';
import { logger } from '../../observability/logger.ts';
import { tokenRefreshes } from '../../observability/metrics.ts';
import { lockGrant, readGrant, refuseGrant, storeRefreshed, type StoredGrant } from './oauth-grants.ts';
import type { OAuthProvider } from './oauth-providers.ts';
import { callTokenEndpoint } from './token-endpoint.ts';

/** An access token to call the provider with, and which of the grant's tokens it is. */
export interface AccessToken {
  accessToken: string;
  instanceUrl: string | null;
  generation: number;
}

/**
 * What asking for a token came to: a token; `needs-reauth` (no grant, or the provider refused
 * to refresh it: the connection waits for a new consent); `unavailable` (the token endpoint did
 * not answer usefully: the delivery retries).
 */
export type TokenResult =
  | ({ kind: 'token' } & AccessToken)
  | { kind: 'needs-reauth'; reason: string }
  | { kind: 'unavailable'; reason: string; retryAfterSeconds?: number };

/** The access tokens of one connection, as a destination kind's action asks for them. */
export interface AccessTokens {
  /** A token that is not about to expire, refreshed first if it is. */
  current(): Promise<TokenResult>;
  /** A token other than `rejected`, which the provider refused (a 401): refreshed unless another caller already did. */
  afterRejection(rejected: AccessToken): Promise<TokenResult>;
}

const log = logger.child({ component: 'oauth' });

/** Refreshes in flight in this process, by connection: its callers share one instead of queueing on the row lock. */
const inFlight = new Map<string, Promise<TokenResult>>();

function tokenOf(grant: StoredGrant): TokenResult {
  return { kind: 'token', accessToken: grant.accessToken, instanceUrl: grant.instanceUrl, generation: grant.generation };
}

/**
 * Whether `grant` can be used as it is: not the generation refused, and not within `refreshAheadMs`
 * of its expiry, nor within half its lifetime for tokens that live shorter than that (else every
 * caller would refresh a token just granted).
 */
function usable(grant: StoredGrant, refreshAheadMs: number, rejectedGeneration?: number): boolean {
  if (rejectedGeneration !== undefined && grant.generation <= rejectedGeneration) return false;
  if (grant.expiresAt === null) return true;
  const ahead = Math.min(refreshAheadMs, (grant.expiresAt.getTime() - grant.issuedAt.getTime()) / 2);
  return grant.expiresAt.getTime() - ahead > Date.now();
}

/**
 * The refresh itself, under the grant's row lock: re-read after the lock (another process may
 * have refreshed while this one waited: then its token is used and no call is made), call the
 * token endpoint, and store what it granted (a rotated refresh token with it) in the same
 * transaction. A refusal marks the grant, so later callers do not ask again.
 */
async function refreshLocked(em: EntityManager, http: VendorClient, provider: OAuthProvider, connectionId: string, refreshAheadMs: number, rejectedGeneration?: number): Promise<TokenResult> {
  return em.fork().transactional(async (tx) => {
    const grant = await lockGrant(tx, connectionId);
    if (!grant) return { kind: 'needs-reauth', reason: `the connection has no ${provider.label} authorization yet; authorize it` };
    if (grant.refusal) return { kind: 'needs-reauth', reason: grant.refusal };
    if (usable(grant, refreshAheadMs, rejectedGeneration)) return tokenOf(grant);
    if (!grant.refreshToken) {
      const reason = `${provider.label}'s access token expired and the grant has no refresh token; authorize the connection again`;
      await refuseGrant(tx, connectionId, reason);
      return { kind: 'needs-reauth', reason };
    }
    const outcome = await callTokenEndpoint(provider, http, { grant_type: 'refresh_token', refresh_token: grant.refreshToken });
    tokenRefreshes.inc({ destination_kind: provider.kind, outcome: outcome.kind === 'granted' ? 'succeeded' : outcome.kind === 'refused' ? 'refused' : 'failed' });
    if (outcome.kind !== 'granted') log.warn({ connectionId, provider: provider.kind, outcome: outcome.kind, reason: outcome.reason }, 'an OAuth token refresh did not succeed');
    if (outcome.kind === 'granted') return tokenOf(await storeRefreshed(tx, connectionId, grant, outcome.grant));
    if (outcome.kind === 'refused') {
      await refuseGrant(tx, connectionId, outcome.reason);
      return { kind: 'needs-reauth', reason: outcome.reason };
    }
    return outcome;
  });
}

/**
 * The access tokens of one OAuth connection, kept fresh across every process: a token within
 * `SWITCHYARD_OAUTH_REFRESH_AHEAD_SECONDS` of its expiry is refreshed before use, and a token the
 * provider refused is refreshed once. However many deliveries in however many processes need a
 * refresh at once, one token call is made: callers in one process share one refresh, and
 * processes take turns on the grant's row lock, each re-checking after it.
 */
export function accessTokens(em: EntityManager, config: Config, http: VendorClient, provider: OAuthProvider, connectionId: string): AccessTokens {
  const refreshAheadMs = config.oauthRefreshAheadSeconds * 1000;
  const refresh = (rejectedGeneration?: number): Promise<TokenResult> => {
    const key = `${connectionId}:${rejectedGeneration ?? ''}`;
    let shared = inFlight.get(key);
    if (!shared) {
      shared = refreshLocked(em, http, provider, connectionId, refreshAheadMs, rejectedGeneration).finally(() => inFlight.delete(key));
      inFlight.set(key, shared);
    }
    return shared;
  };
  return {
    async current() {
      const grant = await readGrant(em.fork(), connectionId);
      if (!grant) return { kind: 'needs-reauth', reason: `the connection has no ${provider.label} authorization yet; authorize it` };
      if (grant.refusal) return { kind: 'needs-reauth', reason: grant.refusal };
      return usable(grant, refreshAheadMs) ? tokenOf(grant) : refresh();
    },
    async afterRejection(rejected) {
      const grant = await readGrant(em.fork(), connectionId);
      if (grant && !grant.refusal && usable(grant, refreshAheadMs, rejected.generation)) return tokenOf(grant);
      return refresh(rejected.generation);
    },
  };
}
