import { GraphQLError } from 'graphql';
import { builder } from './builder.ts';
import { expectedErrors } from './errors.ts';
import { decodeId, encodeId } from '../domains/public-ids.ts';
import { readScopes, workspaceOf } from './scope.ts';
import { WorkspaceRef } from './workspaces.ts';
import { PortalSession } from '../domains/portal/portal-session.entity.ts';
import { createPortalSession, revokePortalSessions, type CreatedPortalSession } from '../domains/portal/portal-session.service.ts';
import { getPortalSettings, updatePortalSettings, type PortalLook } from '../domains/portal/portal-settings.service.ts';
import type { Context } from '../server/context.ts';

const PortalCapabilityRef = builder.enumType('PortalCapability', {
  description: 'What a portal session may do. Every session may VIEW; a read-only session is [VIEW].',
  values: {
    VIEW: { description: 'See endpoints, the event catalog, deliveries and their attempts, live.' },
    MANAGE_ENDPOINTS: { description: 'Add, edit, pause, resume and delete endpoints.' },
    VIEW_SECRETS: { description: 'Reveal an endpoint\'s current signing secret.' },
    MANAGE_SECRETS: { description: 'Rotate signing secrets.' },
    REPLAY: { description: 'Replay deliveries, one or every failed one of a filter.' },
    SEND_TEST: { description: 'Send test events.' },
  } as const,
});

const PortalSettingsRef = builder.objectRef<PortalLook>('PortalSettings').implement({
  description: 'How the workspace\'s portal looks and where it may be embedded.',
  fields: (t) => ({
    allowedOrigins: t.exposeStringList('allowedOrigins', {
      description: "Origins whose pages may frame the portal (its Content-Security-Policy frame-ancestors); empty: only the portal's own origin.",
    }),
    displayName: t.exposeString('displayName', { nullable: true, description: 'Name shown at the top of the portal.' }),
    brandColor: t.exposeString('brandColor', { nullable: true, description: 'Accent colour of buttons and links, "#rrggbb".' }),
    logoUrl: t.exposeString('logoUrl', { nullable: true, description: 'An https image shown beside the name.' }),
  }),
});

builder.objectField(WorkspaceRef, 'portalSettings', (t) =>
  t.field({
    type: PortalSettingsRef,
    description: 'Its portal\'s look and frame policy (secret key or portal session).',
    authScopes: readScopes,
    resolve: (workspace, _args, context) => getPortalSettings(context.em, workspace.id),
  }),
);

const PortalSessionRef = builder.objectRef<PortalSession>('PortalSession').implement({
  description: 'A portal session as it sees itself.',
  fields: (t) => ({
    id: t.id({ resolve: (session) => encodeId('PortalSession', session.id) }),
    capabilities: t.field({ type: [PortalCapabilityRef], resolve: (session) => session.capabilities }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    returnUrl: t.exposeString('returnUrl', { nullable: true, description: 'Where the product asked the portal to send people back to.' }),
  }),
});

builder.queryField('portalSession', (t) =>
  t.field({
    type: PortalSessionRef,
    description: 'The portal session that asks (portal token only): its capabilities and when it expires.',
    authScopes: { portal: 'VIEW' },
    resolve: async (_root, _args, context) => context.em.findOneOrFail(PortalSession, { id: context.principal!.keyId }),
  }),
);

const CreatePortalSessionInput = builder.inputType('CreatePortalSessionInput', {
  fields: (t) => ({
    capabilities: t.field({
      type: [PortalCapabilityRef],
      description: 'What the session may do; VIEW is always included. (Default: every capability)',
    }),
    expiresInSeconds: t.int({ description: 'Life of the session, 300 (5 minutes) to 604800 (7 days). (Default: 3600)' }),
    returnUrl: t.string({ description: 'An http(s) URL of your product the portal links back to.' }),
  }),
});

const CreatePortalSessionPayload = builder.objectRef<CreatedPortalSession>('CreatePortalSessionPayload').implement({
  description: 'A new portal session. Open `url` (in an iframe of an allowed origin, or a new tab); the token is shown this once.',
  fields: (t) => ({
    url: t.exposeString('url', {
      description: 'Opens the portal: SWITCHYARD_PUBLIC_URL/portal/s/<sessionId>#<token>. The token is in the fragment, so no server logs it.',
    }),
    token: t.exposeString('token', { description: 'The portal token (`sy_ps_...`); it authenticates on /graphql like a key.' }),
    sessionId: t.id({ resolve: (created) => encodeId('PortalSession', created.session.id) }),
    expiresAt: t.field({ type: 'DateTime', resolve: (created) => created.session.expiresAt }),
    capabilities: t.field({ type: [PortalCapabilityRef], resolve: (created) => created.session.capabilities }),
  }),
});

const RevokePortalSessionsInput = builder.inputType('RevokePortalSessionsInput', {
  fields: (t) => ({
    sessionIds: t.idList({ description: 'The sessions to revoke. (Default: every portal session of the workspace)' }),
  }),
});

const RevokePortalSessionsPayload = builder.objectRef<{ revokedSessionIds: string[] }>('RevokePortalSessionsPayload').implement({
  description: 'The sessions revoked now; their open streams are closed.',
  fields: (t) => ({ revokedSessionIds: t.exposeIDList('revokedSessionIds', { description: 'Sessions that were active and are revoked now.' }) }),
});

const UpdatePortalSettingsInput = builder.inputType('UpdatePortalSettingsInput', {
  description: 'Fields left out stay as they are; null clears one.',
  fields: (t) => ({
    allowedOrigins: t.stringList({
      description: 'Up to 20 origins ("https://app.example.com", "https://*.example.com") allowed to frame the portal; null or []: none.',
    }),
    displayName: t.string({ description: 'Shown at the top of the portal, 1 to 100 characters.' }),
    brandColor: t.string({ description: 'Accent colour, "#rrggbb".' }),
    logoUrl: t.string({ description: 'An https image URL, at most 2048 characters.' }),
  }),
});

const UpdatePortalSettingsPayload = builder.objectRef<{ portalSettings: PortalLook }>('UpdatePortalSettingsPayload').implement({
  fields: (t) => ({ portalSettings: t.field({ type: PortalSettingsRef, resolve: (payload) => payload.portalSettings }) }),
});

/** Where portal links point: SWITCHYARD_PUBLIC_URL, or this API's own URL. */
export function publicUrl(context: Context): string {
  const url = context.config.publicUrl ?? context.services.apiUrl;
  if (!url) throw new GraphQLError('This process does not serve the portal', { extensions: { code: 'UNAVAILABLE' } });
  return url;
}

/** Decodes session ids; one that is malformed or of another workspace revokes nothing. */
function sessionIds(ids: readonly (string | number)[] | null | undefined): string[] | null {
  if (!ids) return null;
  return ids.flatMap((id) => {
    try {
      return [decodeId('PortalSession', String(id))];
    } catch {
      return [];
    }
  });
}

builder.mutationFields((t) => ({
  createPortalSession: t.field({
    type: CreatePortalSessionPayload,
    description: "Opens the portal for this workspace's customer: a short-lived, scoped, revocable token and its URL (secret key).",
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: CreatePortalSessionInput, required: true }) },
    resolve: (_root, { input }, context) =>
      createPortalSession(context.em, workspaceOf(context), input, { publicUrl: publicUrl(context) }),
  }),
  revokePortalSessions: t.field({
    type: RevokePortalSessionsPayload,
    description: 'Revokes the given portal sessions, or every one of the workspace when none is given (secret key).',
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: RevokePortalSessionsInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const ids = sessionIds(input.sessionIds);
      // Ids given but none of them decodable: nothing to revoke, not everything.
      if (ids && ids.length === 0 && input.sessionIds?.length) return { revokedSessionIds: [] };
      const revoked = await revokePortalSessions(context.em, workspaceOf(context), ids);
      return { revokedSessionIds: revoked.map((id) => encodeId('PortalSession', id)) };
    },
  }),
  updatePortalSettings: t.field({
    type: UpdatePortalSettingsPayload,
    description: "Changes the portal's look and the origins that may embed it (secret key).",
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: UpdatePortalSettingsInput, required: true }) },
    resolve: async (_root, { input }, context) => ({
      portalSettings: await updatePortalSettings(context.em, workspaceOf(context), input),
    }),
  }),
}));
