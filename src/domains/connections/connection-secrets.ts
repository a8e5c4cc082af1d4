import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { Connection } from './connection.entity.ts';
import { ConnectionSecret } from './connection-secret.entity.ts';
import { generateSecret, secretHint } from '../signing/standard-webhooks.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { destinationKind } from '../destinations/destination-kinds.ts';
import { parseInput } from '../validation.ts';
import { openSecret, sealSecret, secretBinding } from '../secrets/secret-store.ts';

/** Longest overlap of an old and a new secret during a rotation. */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 3600;

/** Where a connection's signing secrets are sealed: bound to the connection, so one cannot sign for another. */
export function signingSecretBinding(connectionId: string): string {
  return secretBinding('connection_secrets', 'secret', connectionId);
}

/**
 * Adds a signing secret to `connection` (whose id must be set), the one given (already
 * validated) or a fresh one, and returns its plaintext. It is stored sealed. Flushing is the caller's.
 */
export function addSigningSecret(em: EntityManager, connection: Connection, chosen?: string | null): string {
  const secret = chosen ?? generateSecret();
  em.create(ConnectionSecret, { workspace: connection.workspace, connection, secret: sealSecret(secret, signingSecretBinding(connection.id)), hint: secretHint(secret) });
  return secret;
}

/**
 * The connection's current signing secret (its newest live one) in plaintext, for a caller
 * allowed to reveal it; null when it has none. The only reader of a secret outside the engine.
 */
export async function revealSigningSecret(
  em: EntityManager,
  workspaceId: string,
  connectionId: string,
  now: Date = new Date(),
): Promise<{ signingSecret: string; createdAt: Date } | null> {
  if (!(await em.count(Connection, { id: connectionId, workspace: workspaceId }))) throw new NotFoundError('Connection', connectionId);
  const current = await em.findOne(
    ConnectionSecret,
    { connection: connectionId, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] },
    { orderBy: { createdAt: 'desc', id: 'desc' }, disableIdentityMap: true },
  );
  return current ? { signingSecret: openSecret(current.secret, signingSecretBinding(connectionId)), createdAt: current.createdAt } : null;
}

/** The masked hint of each connection's newest live secret, in one query. */
export async function signingSecretHints(
  em: EntityManager,
  connectionIds: readonly string[],
  now: Date = new Date(),
): Promise<Map<string, string>> {
  const rows = await em.find(
    ConnectionSecret,
    { connection: { $in: [...connectionIds] }, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] },
    { orderBy: { createdAt: 'asc', id: 'asc' }, fields: ['hint', 'connection'], disableIdentityMap: true },
  );
  // Ascending order, so the newest secret of each connection is written last and wins.
  return new Map(rows.map((row) => [row.connection.id, row.hint]));
}

const rotateInput = z.object({
  expireCurrentInSeconds: z
    .number()
    .int('must be a whole number of seconds')
    .min(0, 'must be 0 (expire now) or more')
    .max(MAX_SECRET_OVERLAP_SECONDS, `must be at most ${MAX_SECRET_OVERLAP_SECONDS} (7 days)`)
    .nullish()
    .transform((seconds) => seconds ?? 24 * 3600),
});

/**
 * Gives a connection a new signing secret. Live older secrets expire `expireCurrentInSeconds`
 * from now (default 86400; 0 stops them at once) and sign alongside the new one until then, so
 * receivers can switch without dropping requests. Secrets already expired are deleted.
 */
export async function rotateConnectionSecret(
  em: EntityManager,
  workspaceId: string,
  connectionId: string,
  input: unknown,
): Promise<{ connection: Connection; signingSecret: string }> {
  const { expireCurrentInSeconds } = parseInput(rotateInput, input);
  return em.transactional(async (tx) => {
    // Locking the connection serialises concurrent rotations, so none leaves a secret that never expires.
    const connection = await tx.findOne(
      Connection,
      { id: connectionId, workspace: workspaceId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    if (!connection) throw new NotFoundError('Connection', connectionId);
    if (!destinationKind(connection.kind)?.signsRequests) {
      throw new ConflictError(['input', 'connectionId'], `${connection.kind} connections do not sign their requests, so they have no signing secret`);
    }
    const now = new Date();
    const expiresAt = new Date(now.getTime() + expireCurrentInSeconds * 1000);
    await tx.nativeDelete(ConnectionSecret, { connection: connectionId, expiresAt: { $lte: now } });
    await tx.nativeUpdate(
      ConnectionSecret,
      { connection: connectionId, $or: [{ expiresAt: null }, { expiresAt: { $gt: expiresAt } }] },
      { expiresAt },
    );
    const signingSecret = addSigningSecret(tx, connection);
    // Bumps updatedAt, so the rotation shows on the connection.
    connection.updatedAt = now;
    return { connection, signingSecret };
  });
}
