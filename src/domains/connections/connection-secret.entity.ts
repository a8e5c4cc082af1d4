import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../db/ids.ts';
import { Connection } from './connection.entity.ts';
import { Workspace } from '../workspaces/workspace.entity.ts';

/**
 * A signing secret of a connection. Several are live during a rotation: the old one keeps
 * signing until `expiresAt`. Stored sealed, never returned after creation; `hint` is the masked form.
 */
export const ConnectionSecret = defineEntity({
  name: 'ConnectionSecret',
  tableName: 'connection_secrets',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    workspace: p.manyToOne(Workspace).deleteRule('cascade'),
    connection: p.manyToOne(Connection).deleteRule('cascade'),
    /** Sealed by the secret store, bound to the connection (see `signingSecretBinding`). */
    secret: p.text(),
    hint: p.string().length(40),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['connection', 'createdAt'] }],
});

export type ConnectionSecret = InferEntity<typeof ConnectionSecret>;
