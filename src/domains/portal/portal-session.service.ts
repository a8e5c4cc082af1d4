import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { hashKey } from '../auth/keys.ts';
import { announceRevocations } from '../auth/revocations.ts';
import { encodeId } from '../public-ids.ts';
import { parseInput } from '../validation.ts';
import { normaliseCapabilities, PORTAL_CAPABILITIES } from './capabilities.ts';
import { PortalSession } from './portal-session.entity.ts';

/** Every portal token starts with this, so `authenticate` knows where to look it up. */
export const PORTAL_TOKEN_PREFIX = 'sy_ps_';

/** Shortest and longest life of a portal session, and its default. (Default: 3600 s, 1 hour) */
export const PORTAL_SESSION_SECONDS = { min: 300, max: 7 * 24 * 3600, default: 3600 } as const;

/** The path the portal is served under; a session's URL adds `/s/<session id>#<token>`. */
export const PORTAL_PATH = '/portal';

const createInput = z.object({
  capabilities: z.array(z.enum(PORTAL_CAPABILITIES)).max(PORTAL_CAPABILITIES.length * 2, 'lists too many capabilities').nullish(),
  expiresInSeconds: z
    .number()
    .int('must be a whole number of seconds')
    .min(PORTAL_SESSION_SECONDS.min, `must be at least ${PORTAL_SESSION_SECONDS.min} (5 minutes)`)
    .max(PORTAL_SESSION_SECONDS.max, `must be at most ${PORTAL_SESSION_SECONDS.max} (7 days)`)
    .nullish(),
  returnUrl: z
    .string()
    .max(2048, 'must be at most 2048 characters')
    .refine((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol), 'must be an absolute http or https URL')
    .nullish(),
});

export interface CreatedPortalSession {
  session: PortalSession;
  /** The token, shown this once; only its hash is stored. */
  token: string;
  /** Opens the portal: the session's public id in the path, the token in the fragment. */
  url: string;
}

/**
 * Creates a portal session for one workspace: `capabilities` (default all; `VIEW` always),
 * expiring in `expiresInSeconds` (default 1 hour, 5 minutes to 7 days). The token travels in the
 * URL's fragment, so it is in no server log and no `Referer`.
 */
export async function createPortalSession(
  em: EntityManager,
  workspaceId: string,
  input: unknown,
  options: { publicUrl: string },
): Promise<CreatedPortalSession> {
  const data = parseInput(createInput, input);
  const token = PORTAL_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const seconds = data.expiresInSeconds ?? PORTAL_SESSION_SECONDS.default;
  const session = em.create(PortalSession, {
    workspace: workspaceId,
    tokenHash: hashKey(token),
    capabilities: normaliseCapabilities(data.capabilities),
    returnUrl: data.returnUrl ?? null,
    expiresAt: new Date(Date.now() + seconds * 1000),
  });
  await em.flush();
  const base = options.publicUrl.replace(/\/+$/, '');
  return { session, token, url: `${base}${PORTAL_PATH}/s/${encodeId('PortalSession', session.id)}#${token}` };
}

/**
 * Revokes the workspace's portal sessions with these ids, or every one of them when `sessionIds`
 * is empty or absent. Returns the ids revoked now (sessions already revoked or of another
 * workspace are left alone), so their open streams can be closed.
 */
export async function revokePortalSessions(em: EntityManager, workspaceId: string, sessionIds: readonly string[] | null | undefined): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(
    `update portal_sessions set revoked_at = now()
     where workspace_id = ? and revoked_at is null and (? or id in (select json_array_elements_text(?::json)::uuid))
     returning id`,
    [workspaceId, !sessionIds?.length, JSON.stringify(sessionIds ?? [])],
  );
  // Every API process closes the sessions' open streams (the revocation broadcast).
  await announceRevocations(em, rows.map((row) => ({ kind: 'PORTAL_SESSION' as const, id: row.id })));
  return rows.map((row) => row.id);
}

/** Where a session stands, for the page that opens it. */
export type PortalSessionState = 'ACTIVE' | 'EXPIRED' | 'REVOKED';

/** The session with this storage id and its state, or null when there is none. */
export async function findPortalSession(em: EntityManager, id: string): Promise<{ session: PortalSession; state: PortalSessionState } | null> {
  const session = await em.findOne(PortalSession, { id });
  if (!session) return null;
  const state = session.revokedAt ? 'REVOKED' : session.expiresAt <= new Date() ? 'EXPIRED' : 'ACTIVE';
  return { session, state };
}
