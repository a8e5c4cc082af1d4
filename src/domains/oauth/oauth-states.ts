import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../db/ids.ts';
import { hashKey } from '../auth/keys.ts';
import { openSecret, sealSecret, secretBinding } from '../secrets/secret-store.ts';

/** How long a consent may take, from `authorizeConnection` to the provider's redirect back. (10 minutes) */
export const STATE_LIFETIME_SECONDS = 600;

/** A pending consent, as the callback finds it by its `state`. */
export interface PendingConsent {
  workspaceId: string;
  connectionId: string;
  returnUrl: string;
  /** The PKCE code verifier; null for a provider without PKCE. */
  codeVerifier: string | null;
}

const verifierBinding = (stateId: string) => secretBinding('oauth_states', 'sealed_verifier', stateId);

/**
 * A new consent for `connection`: an unguessable `state` (256 random bits) stored only as its
 * SHA-256, bound to the connection and the return URL, living `STATE_LIFETIME_SECONDS`; with
 * `pkce`, a code verifier (sealed) and its S256 challenge. The connection's expired consents are
 * dropped on the way.
 */
export async function createConsent(
  em: EntityManager,
  connection: { workspaceId: string; connectionId: string },
  returnUrl: string,
  pkce: boolean,
): Promise<{ state: string; codeChallenge: string | null; expiresAt: Date }> {
  const state = randomBytes(32).toString('base64url');
  const verifier = pkce ? randomBytes(32).toString('base64url') : null;
  const id = newId();
  const expiresAt = new Date(Date.now() + STATE_LIFETIME_SECONDS * 1000);
  await em.execute(`delete from oauth_states where connection_id = ? and expires_at < now()`, [connection.connectionId]);
  await em.execute(
    `insert into oauth_states (id, workspace_id, connection_id, state_hash, sealed_verifier, return_url, expires_at) values (?, ?, ?, ?, ?, ?, ?)`,
    [id, connection.workspaceId, connection.connectionId, hashKey(state), verifier ? sealSecret(verifier, verifierBinding(id)) : null, returnUrl, expiresAt],
  );
  return { state, codeChallenge: verifier ? createHash('sha256').update(verifier).digest('base64url') : null, expiresAt };
}

/**
 * Takes the consent `state` names, once: the row is deleted in the same statement that finds it,
 * so two callbacks with one `state` cannot both pass, and one that expired is refused (and
 * dropped). Null for a state that is unknown, used or expired; which of these is not said, as
 * it would only help someone guessing.
 */
export async function takeConsent(em: EntityManager, state: string): Promise<PendingConsent | null> {
  if (state.length === 0 || state.length > 200) return null;
  const [row] = await em.execute<{ id: string; workspace_id: string; connection_id: string; return_url: string; sealed_verifier: string | null; live: boolean }[]>(
    `delete from oauth_states where state_hash = ?
     returning id, workspace_id, connection_id, return_url, sealed_verifier, expires_at > now() as live`,
    [hashKey(state)],
  );
  if (!row || !row.live) return null;
  return {
    workspaceId: row.workspace_id,
    connectionId: row.connection_id,
    returnUrl: row.return_url,
    codeVerifier: row.sealed_verifier ? openSecret(row.sealed_verifier, verifierBinding(row.id)) : null,
  };
}
