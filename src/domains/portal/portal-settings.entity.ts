import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Workspace } from '../workspaces/workspace.entity.ts';

/** How a workspace's portal looks and which origins may frame it; absent means the defaults. */
export const PortalSettings = defineEntity({
  name: 'PortalSettings',
  tableName: 'portal_settings',
  properties: {
    workspace: p.oneToOne(Workspace).primary().owner().deleteRule('cascade'),
    allowedOrigins: p.array<string>().columnType('text[]'),
    displayName: p.string().length(100).nullable(),
    brandColor: p.string().length(7).nullable(),
    logoUrl: p.text().nullable(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type PortalSettings = InferEntity<typeof PortalSettings>;
