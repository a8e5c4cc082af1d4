import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../db/ids.ts';
import { Workspace } from '../workspaces/workspace.entity.ts';
import { Connection } from './connection.entity.ts';

/**
 * What a connection authenticates to its vendor with (a bot token, an API key, a webhook URL
 * that embeds a secret): one row per connection, replaced whole when new credentials are set.
 * `secret` is never returned; `hints` holds the masked forms clients see.
 */
export const ConnectionCredentials = defineEntity({
  name: 'ConnectionCredentials',
  tableName: 'connection_credentials',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    workspace: p.manyToOne(Workspace).deleteRule('cascade'),
    connection: p.manyToOne(Connection).deleteRule('cascade').unique(),
    secret: p.text(),
    hints: p.json<Record<string, string>>(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type ConnectionCredentials = InferEntity<typeof ConnectionCredentials>;
