import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from './principal.ts';

/**
 * "A principal was revoked": one small broadcast every API process hears, so that whatever it
 * holds for that principal (open graphql-ws sockets and SSE streams, cached principals, portal
 * sessions) is dropped at once, in every process, not at the next request.
 *
 * The revoking transaction announces it with `announceRevocation`; Postgres delivers the NOTIFY
 * on commit, and only then. Each API process LISTENs on `REVOCATION_CHANNEL` (see
 * `src/server/revocation-listener.ts`) and hands every revocation to its handlers. A process that
 * misses one while reconnecting still refuses the principal on its next request: authentication
 * reads the key every time; the broadcast is what ends what is already open.
 *
 * Kinds:
 * - `API_KEY`: one key (`id` is the key's id);
 * - `WORKSPACE`: every key of a workspace (`id` is the workspace's id), for when a workspace is
 *   deleted or suspended;
 * - `PORTAL_SESSION`: one portal session (`id` is the session's id).
 * Further kinds are added here, with how `revokes` matches them.
 */
export const REVOCATION_CHANNEL = 'switchyard_revocations';

export const REVOCATION_KINDS = ['API_KEY', 'WORKSPACE', 'PORTAL_SESSION'] as const;
export type RevocationKind = (typeof REVOCATION_KINDS)[number];

export interface Revocation {
  kind: RevocationKind;
  /** Storage id of the key or workspace. */
  id: string;
}

/**
 * Announces `revocations` to every API process once the caller's transaction commits (at once
 * outside a transaction), in one round trip. Call it in the same transaction that revokes.
 */
export async function announceRevocations(em: EntityManager, revocations: readonly Revocation[]): Promise<void> {
  if (revocations.length === 0) return;
  await em.execute('select pg_notify(?, payload) from json_array_elements_text(?::json) as payload', [
    REVOCATION_CHANNEL,
    JSON.stringify(revocations.map((revocation) => JSON.stringify(revocation))),
  ]);
}

/** `announceRevocations` for one. */
export function announceRevocation(em: EntityManager, revocation: Revocation): Promise<void> {
  return announceRevocations(em, [revocation]);
}

/** Whether `revocation` takes away what `principal` may do. */
export function revokes(revocation: Revocation, principal: Principal): boolean {
  switch (revocation.kind) {
    case 'API_KEY':
      return principal.kind !== 'PORTAL' && principal.keyId === revocation.id;
    case 'PORTAL_SESSION':
      return principal.kind === 'PORTAL' && principal.keyId === revocation.id;
    case 'WORKSPACE':
      return principal.workspaceId === revocation.id;
  }
}

/** A notification's payload as a revocation, or null when it is not one. */
export function parseRevocation(payload: string): Revocation | null {
  try {
    const value = JSON.parse(payload) as Partial<Revocation>;
    if (!REVOCATION_KINDS.includes(value.kind as RevocationKind) || typeof value.id !== 'string') return null;
    return { kind: value.kind!, id: value.id };
  } catch {
    return null;
  }
}

/** An API process's end of the revocation broadcast (the server's `startRevocationListener`). */
export interface RevocationListener {
  /** Calls `handler` with every revocation from now on; returns the function that stops it. */
  onRevoked(handler: (revocation: Revocation) => void): () => void;
  /** Resolves once the listener is connected and listening. */
  ready(): Promise<void>;
  /** Whether the listener is connected and listening right now. */
  isListening(): boolean;
  close(): Promise<void>;
}
