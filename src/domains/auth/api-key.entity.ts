import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../db/ids.ts';
import { Workspace } from '../workspaces/workspace.entity.ts';

/**
 * ADMIN manages workspaces; SECRET has full access to one workspace; PUBLISHABLE may only emit.
 */
export const API_KEY_KINDS = ['ADMIN', 'SECRET', 'PUBLISHABLE'] as const;
export type ApiKeyKind = (typeof API_KEY_KINDS)[number];

/** A key stored as its SHA-256 hash; only `prefix` (the first characters) stays readable. */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    workspace: p.manyToOne(Workspace).nullable().deleteRule('cascade'),
    kind: p.enum(API_KEY_KINDS).nativeEnumName('api_key_kind'),
    name: p.string().length(100),
    prefix: p.string().length(32),
    hash: p.string().length(64).unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
    revokedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['workspace', 'createdAt'] }],
});

export type ApiKey = InferEntity<typeof ApiKey>;
