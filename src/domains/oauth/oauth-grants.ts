import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../db/ids.ts';
import { openSecret, sealSecret, secretBinding } from '../secrets/secret-store.ts';
import type { TokenGrant } from './oauth-providers.ts';

/**
 * A connection's OAuth grant as stored in `oauth_grants`, one row per connection. The tokens are
 * sealed, each bound to its column and connection; only this module opens them.
 */
export interface StoredGrant {
  accessToken: string;
  refreshToken: string | null;
  /** Null when the provider did not say (the token is refreshed when it is refused instead). */
  expiresAt: Date | null;
  /** When the access token was stored, which with `expiresAt` tells its lifetime. */
  issuedAt: Date;
  instanceUrl: string | null;
  /** Counts the grant's tokens: 1 for the first, one more for each refresh or new consent. */
  generation: number;
  /** Why the provider refused to refresh it; null while it is usable. */
  refusal: string | null;
}

interface GrantRow {
  sealed_access_token: string;
  sealed_refresh_token: string | null;
  expires_at: Date | null;
  updated_at: Date;
  instance_url: string | null;
  generation: number;
  refusal: string | null;
}

const accessBinding = (connectionId: string) => secretBinding('oauth_grants', 'sealed_access_token', connectionId);
const refreshBinding = (connectionId: string) => secretBinding('oauth_grants', 'sealed_refresh_token', connectionId);

function opened(connectionId: string, row: GrantRow): StoredGrant {
  return {
    accessToken: openSecret(row.sealed_access_token, accessBinding(connectionId)),
    refreshToken: row.sealed_refresh_token ? openSecret(row.sealed_refresh_token, refreshBinding(connectionId)) : null,
    expiresAt: row.expires_at ? new Date(row.expires_at) : null,
    issuedAt: new Date(row.updated_at),
    instanceUrl: row.instance_url,
    generation: Number(row.generation),
    refusal: row.refusal,
  };
}

const COLUMNS = 'sealed_access_token, sealed_refresh_token, expires_at, updated_at, instance_url, generation, refusal';

/** The grant of `connectionId`, opened; null when it has none. */
export async function readGrant(em: EntityManager, connectionId: string): Promise<StoredGrant | null> {
  const [row] = await em.execute<GrantRow[]>(`select ${COLUMNS} from oauth_grants where connection_id = ?`, [connectionId]);
  return row ? opened(connectionId, row) : null;
}

/**
 * The grant of `connectionId`, locked until the caller's transaction ends: the one place every
 * refresh of the connection passes through, in whichever process, so only one runs at a time and
 * each re-reads what the one before it stored.
 */
export async function lockGrant(tx: EntityManager, connectionId: string): Promise<StoredGrant | null> {
  const [row] = await tx.execute<GrantRow[]>(`select ${COLUMNS} from oauth_grants where connection_id = ? for update`, [connectionId]);
  return row ? opened(connectionId, row) : null;
}

/** When a token granted now for `expiresInSeconds` lapses; null when the provider did not say. */
function expiryOf(grant: TokenGrant): Date | null {
  return grant.expiresInSeconds === undefined ? null : new Date(Date.now() + grant.expiresInSeconds * 1000);
}

/**
 * Stores a new consent's (or `setConnectionCredentials`') grant for the connection, replacing any
 * before it and clearing a refusal; the generation moves on, so a token refused earlier is known
 * to be replaced.
 */
export async function storeGrant(em: EntityManager, connection: { workspaceId: string; connectionId: string }, grant: TokenGrant): Promise<void> {
  const { workspaceId, connectionId } = connection;
  await em.execute(
    `insert into oauth_grants (id, workspace_id, connection_id, sealed_access_token, sealed_refresh_token, expires_at, instance_url, scope)
     values (?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (connection_id) do update set sealed_access_token = excluded.sealed_access_token,
       sealed_refresh_token = excluded.sealed_refresh_token, expires_at = excluded.expires_at, instance_url = excluded.instance_url,
       scope = excluded.scope, generation = oauth_grants.generation + 1, refused_at = null, refusal = null, updated_at = now()`,
    [
      newId(), workspaceId, connectionId,
      sealSecret(grant.accessToken, accessBinding(connectionId)),
      grant.refreshToken ? sealSecret(grant.refreshToken, refreshBinding(connectionId)) : null,
      expiryOf(grant), grant.instanceUrl ?? null, grant.scope ?? null,
    ],
  );
}

/**
 * Stores a refresh's tokens over the locked grant, in the refresh's transaction: a refresh token
 * the provider rotated replaces the old one in the same commit as the access token, so the one
 * that now works is never lost. Returns the grant as stored.
 */
export async function storeRefreshed(tx: EntityManager, connectionId: string, previous: StoredGrant, grant: TokenGrant): Promise<StoredGrant> {
  const refreshToken = grant.refreshToken ?? previous.refreshToken;
  const expiresAt = expiryOf(grant);
  const instanceUrl = grant.instanceUrl ?? previous.instanceUrl;
  await tx.execute(
    `update oauth_grants set sealed_access_token = ?, sealed_refresh_token = ?, expires_at = ?, instance_url = ?,
       generation = generation + 1, updated_at = now() where connection_id = ?`,
    [
      sealSecret(grant.accessToken, accessBinding(connectionId)),
      refreshToken ? sealSecret(refreshToken, refreshBinding(connectionId)) : null,
      expiresAt, instanceUrl, connectionId,
    ],
  );
  return { accessToken: grant.accessToken, refreshToken, expiresAt, issuedAt: new Date(), instanceUrl, generation: previous.generation + 1, refusal: null };
}

/** Marks the locked grant refused with the provider's reason: nobody asks again until a new consent. */
export async function refuseGrant(tx: EntityManager, connectionId: string, reason: string): Promise<void> {
  await tx.execute(`update oauth_grants set refused_at = now(), refusal = ?, updated_at = now() where connection_id = ?`, [reason, connectionId]);
}

/** Whether `connectionId` has a grant the provider has not refused; nothing sealed is opened. */
export async function hasLiveGrant(em: EntityManager, connectionId: string): Promise<boolean> {
  const rows = await em.execute<{ live: boolean }[]>(`select true as live from oauth_grants where connection_id = ? and refusal is null`, [connectionId]);
  return rows.length > 0;
}
