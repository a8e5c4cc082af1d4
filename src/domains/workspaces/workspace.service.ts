import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { Workspace } from './workspace.entity.ts';
import { createApiKey } from '../auth/api-key.service.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { eventSequenceName } from '../events/event-sequence.ts';

const createWorkspaceInput = z.object({
  name: z.string().trim().min(1).max(100),
  environment: z
    .string()
    .trim()
    .min(1)
    .max(50)
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lowercase letters, digits and dashes, e.g. "production"')
    .default('production'),
});

export interface CreatedWorkspace {
  workspace: Workspace;
  secretKey: string;
  publishableKey: string;
}

/**
 * Creates a workspace with its event sequence, one secret key and one publishable key; the keys'
 * plaintexts are returned this once.
 */
export async function createWorkspace(em: EntityManager, input: unknown): Promise<CreatedWorkspace> {
  const { name, environment } = parseInput(createWorkspaceInput, input);
  if (await em.count(Workspace, { name, environment })) {
    throw new ConflictError(['input', 'name'], `a workspace "${name}" with environment "${environment}" already exists`);
  }
  return em.transactional(async (tx) => {
    const workspace = tx.create(Workspace, { name, environment });
    await tx.flush();
    // A sequence per workspace hands out event sequence numbers without serialising emits.
    await tx.execute(`create sequence "${eventSequenceName(workspace.id)}" as bigint`);
    const secret = await createApiKey(tx, { workspaceId: workspace.id, kind: 'SECRET', name: 'default secret key' });
    const publishable = await createApiKey(tx, { workspaceId: workspace.id, kind: 'PUBLISHABLE', name: 'default publishable key' });
    return { workspace, secretKey: secret.plaintext, publishableKey: publishable.plaintext };
  });
}

export async function getWorkspace(em: EntityManager, id: string): Promise<Workspace> {
  const workspace = await em.findOne(Workspace, { id });
  if (!workspace) throw new NotFoundError('Workspace', id);
  return workspace;
}
