import type { EntityManager } from '@mikro-orm/postgresql';
import { findPortalSession, type PortalSessionState } from './portal-session.service.ts';
import { frameAncestors, getPortalSettings } from './portal-settings.service.ts';

/** What the portal page knows before any script runs: which session, and where it stands. */
export interface PortalBootstrap {
  /** The session's public id from the path; null on the bare `/portal` page. */
  sessionId: string | null;
  /** UNKNOWN: no such session (or no session in the URL). */
  state: PortalSessionState | 'UNKNOWN';
}

/**
 * How the page of session `sessionId` (a storage id, null when the URL had none or a malformed
 * one) is framed and opened: the session's workspace's `frame-ancestors`, `'self'` when the
 * session is unknown. The workspace's look travels with the token, not in the page.
 */
export async function portalFrame(
  em: EntityManager,
  sessionId: string | null,
  publicId: string | null,
): Promise<{ frameAncestors: string; bootstrap: PortalBootstrap }> {
  const found = sessionId ? await findPortalSession(em, sessionId) : null;
  if (!found) return { frameAncestors: "'self'", bootstrap: { sessionId: publicId, state: 'UNKNOWN' } };
  const settings = await getPortalSettings(em, found.session.workspace.id);
  return { frameAncestors: frameAncestors(settings), bootstrap: { sessionId: publicId, state: found.state } };
}
