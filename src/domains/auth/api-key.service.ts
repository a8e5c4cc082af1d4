import type { EntityManager } from '@mikro-orm/postgresql';
import { transactionLockSql } from '../../db/advisory-locks.ts';
import { preparedStatement, runPrepared } from '../../db/prepared-statement.ts';
import { ApiKey, type ApiKeyKind } from './api-key.entity.ts';
import { generateKey, hashKey } from './keys.ts';
import type { Principal } from './principal.ts';
import { principalCache } from './principal-cache.ts';
import { announceRevocation, type Revocation } from './revocations.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { PortalCapability } from '../portal/capabilities.ts';
import { PORTAL_TOKEN_PREFIX } from '../portal/portal-session.service.ts';
import { textProblem } from '../validation.ts';

const BEARER = /^Bearer\s+(\S+)$/i;

// One round trip on every request: the key, and the workspace's routing version with it.
const FIND_KEY = preparedStatement('switchyard_find_key', `
  select k.id, k.kind, k.workspace_id, w.routing_version
  from api_keys k left join workspaces w on w.id = k.workspace_id
  where k.hash = ? and k.revoked_at is null`);

// A portal token counts only while its session is neither revoked nor expired.
const FIND_PORTAL_SESSION = preparedStatement('switchyard_find_portal_session', `
  select s.id, s.workspace_id, s.capabilities, s.expires_at, w.routing_version
  from portal_sessions s join workspaces w on w.id = s.workspace_id
  where s.token_hash = ? and s.revoked_at is null and s.expires_at > now()`);

const tokenOf = (authorization: string | undefined | null) => authorization?.match(BEARER)?.[1] ?? null;

/** The hash an API key is stored and remembered under; null for no key, or a portal session's token. */
const keyHashOf = (authorization: string | undefined | null) => {
  const token = tokenOf(authorization);
  return token && !token.startsWith(PORTAL_TOKEN_PREFIX) ? hashKey(token) : null;
};

/**
 * Resolves an `Authorization` header to a principal: an API key, or a portal session's token;
 * null when absent, unknown, revoked or (a portal session) expired. Remembers what it finds of an
 * API key for `rememberedPrincipal`.
 */
export async function authenticate(em: EntityManager, authorization: string | undefined | null): Promise<Principal | null> {
  const token = tokenOf(authorization);
  if (!token) return null;
  if (token.startsWith(PORTAL_TOKEN_PREFIX)) return authenticatePortalSession(em, token);
  const hash = hashKey(token);
  const [key] = await runPrepared<{ id: string; kind: ApiKeyKind; workspace_id: string | null; routing_version: number | null }>(
    em,
    FIND_KEY,
    [hash],
  );
  if (!key) {
    principalCache.forget(hash);
    return null;
  }
  const principal = { keyId: key.id, kind: key.kind, workspaceId: key.workspace_id, routingVersion: key.routing_version ?? 0 };
  principalCache.remember(hash, principal);
  return principal;
}

/**
 * The principal this process last found for the header's key, without a lookup; null when it
 * has found none. Only for an emit, whose write checks the key itself (see `principalCache`).
 */
export function rememberedPrincipal(authorization: string | undefined | null): Principal | null {
  const hash = keyHashOf(authorization);
  return (hash && principalCache.get(hash)) || null;
}

/** Forgets the remembered principals a revocation from any process takes away (the revocation broadcast). */
export function forgetRevokedPrincipals(revocation: Revocation): void {
  principalCache.forgetRevoked(revocation);
}

async function authenticatePortalSession(em: EntityManager, token: string): Promise<Principal | null> {
  const [session] = await runPrepared<{ id: string; workspace_id: string; capabilities: PortalCapability[]; expires_at: Date; routing_version: number }>(
    em,
    FIND_PORTAL_SESSION,
    [hashKey(token)],
  );
  if (!session) return null;
  return {
    keyId: session.id,
    kind: 'PORTAL',
    workspaceId: session.workspace_id,
    routingVersion: session.routing_version,
    portal: { capabilities: session.capabilities, expiresAt: new Date(session.expires_at) },
  };
}

/** Creates a key; the plaintext is returned this once and only its hash is stored. */
export async function createApiKey(
  em: EntityManager,
  input: { workspaceId: string | null; kind: ApiKeyKind; name: string },
): Promise<{ apiKey: ApiKey; plaintext: string }> {
  const name = input.name.trim();
  if (!name || name.length > 100) {
    throw ValidationError.field(['input', 'name'], 'must be 1 to 100 characters');
  }
  const problem = textProblem(name);
  if (problem) throw ValidationError.field(['input', 'name'], problem);
  const generated = generateKey(input.kind);
  const apiKey = em.create(ApiKey, {
    workspace: input.workspaceId,
    kind: input.kind,
    name,
    prefix: generated.prefix,
    hash: generated.hash,
  });
  await em.flush();
  return { apiKey, plaintext: generated.plaintext };
}

/**
 * Revokes a key of the workspace: requests with it are refused from the commit on, and every API
 * process closes the streams it has open (the revocation broadcast, revocations.ts).
 */
export async function revokeApiKey(em: EntityManager, workspaceId: string, keyId: string): Promise<ApiKey> {
  return em.transactional(async (tx) => {
    const apiKey = await tx.findOne(ApiKey, { id: keyId, workspace: workspaceId });
    if (!apiKey) throw new NotFoundError('ApiKey', keyId);
    apiKey.revokedAt ??= new Date();
    await tx.flush();
    await announceRevocation(tx, { kind: 'API_KEY', id: apiKey.id });
    // Emits elsewhere find the key revoked in their write; this process need not even try.
    principalCache.forget(apiKey.hash);
    return apiKey;
  });
}

/**
 * Makes sure an admin key exists. A configured key is registered by its hash; otherwise the
 * first start creates one and returns its plaintext so it can be printed once. Processes that
 * start together on a fresh database take turns on an advisory lock, so one of them creates the
 * key and prints it, and the others find it.
 */
export async function ensureAdminKey(em: EntityManager, configured: string | undefined): Promise<string | null> {
  return em.transactional(async (tx) => {
    await tx.execute(transactionLockSql('adminKey'));
    if (configured) {
      const hash = hashKey(configured);
      if (!(await tx.findOne(ApiKey, { hash }))) {
        tx.create(ApiKey, { workspace: null, kind: 'ADMIN', name: 'SWITCHYARD_ADMIN_KEY', prefix: 'sy_admin', hash });
        await tx.flush();
      }
      return null;
    }
    if (await tx.count(ApiKey, { kind: 'ADMIN', revokedAt: null })) return null;
    const { plaintext } = await createApiKey(tx, { workspaceId: null, kind: 'ADMIN', name: 'generated at first start' });
    return plaintext;
  });
}
