import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { newId } from '../../db/ids.ts';
import { Workspace } from '../workspaces/workspace.entity.ts';
import type { PortalCapability } from './capabilities.ts';

/**
 * A short-lived, scoped, revocable token that opens the portal for one workspace's customer.
 * Stored as the SHA-256 of its token, like an API key; the token is shown once, in its URL.
 */
export const PortalSession = defineEntity({
  name: 'PortalSession',
  tableName: 'portal_sessions',
  properties: {
    id: p.uuid().primary().onCreate(() => newId()),
    workspace: p.manyToOne(Workspace).deleteRule('cascade'),
    tokenHash: p.string().length(64).unique(),
    capabilities: p.array<PortalCapability>().columnType('text[]'),
    returnUrl: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['workspace'] }],
});

export type PortalSession = InferEntity<typeof PortalSession>;
