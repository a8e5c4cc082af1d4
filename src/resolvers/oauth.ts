import { builder } from './builder.ts';
import { ConnectionRef } from './connections.ts';
import { expectedErrors } from './errors.ts';
import { decodeId } from '../domains/public-ids.ts';
import { changeScopes, workspaceOf } from './scope.ts';
import type { Connection } from '../domains/connections/connection.entity.ts';
import { authorizeConnection, callbackUrl } from '../domains/oauth/authorize-connection.ts';
import { setConnectionCredentials } from '../domains/oauth/set-connection-credentials.ts';
import { getPortalSettings } from '../domains/portal/portal-settings.service.ts';
import { publicUrl } from './portal.ts';

const AuthorizeConnectionInput = builder.inputType('AuthorizeConnectionInput', {
  fields: (t) => ({
    connectionId: t.id({ required: true, description: 'A HUBSPOT, SALESFORCE or SLACK connection.' }),
    returnUrl: t.string({
      required: true,
      description:
        'Where the person is sent after consenting (or declining), with `outcome` (authorized, denied or failed), ' +
        '`connectionId` and, on failure, `error` added to its query. An absolute http or https URL; from a portal session, ' +
        "one under the portal's own URL or on an origin of the workspace's allowedOrigins.",
    }),
  }),
});

const AuthorizeConnectionPayload = builder.objectRef<{ authorizationUrl: string; expiresAt: Date }>('AuthorizeConnectionPayload').implement({
  description: "A consent to open in the person's browser.",
  fields: (t) => ({
    authorizationUrl: t.exposeString('authorizationUrl', {
      description: "The provider's consent page, with a single-use state bound to the connection (and a PKCE challenge where the provider takes one).",
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the consent must be completed by (10 minutes on).' }),
  }),
});

const SetConnectionCredentialsInput = builder.inputType('SetConnectionCredentialsInput', {
  description: "Tokens from the product's own OAuth flow.",
  fields: (t) => ({
    connectionId: t.id({ required: true, description: 'A HUBSPOT, SALESFORCE or SLACK connection.' }),
    accessToken: t.string({ required: true, description: 'The access token; stored encrypted and never returned.' }),
    refreshToken: t.string({ description: 'The refresh token, with which Switchyard keeps the access token fresh. (Default: none: new tokens are needed when it expires)' }),
    expiresInSeconds: t.int({ description: 'How long the access token lives from now. (Default: until the provider refuses it)' }),
    instanceUrl: t.string({ description: "A Salesforce grant's instance_url, required for SALESFORCE: an official Salesforce domain or the login URL's host." }),
  }),
});

const SetConnectionCredentialsPayload = builder.objectRef<{ connection: Connection }>('SetConnectionCredentialsPayload').implement({
  fields: (t) => ({
    connection: t.field({ type: ConnectionRef, description: 'The connection as it is now: ACTIVE unless paused or disabled.', resolve: (payload) => payload.connection }),
  }),
});

builder.mutationFields((t) => ({
  authorizeConnection: t.field({
    type: AuthorizeConnectionPayload,
    description:
      "Starts the OAuth consent of a HUBSPOT, SALESFORCE or SLACK connection: open `authorizationUrl` in the person's browser; the provider sends " +
      'them to /oauth/callback, which stores the tokens, makes the connection ACTIVE and sends what waited, then on to `returnUrl`.',
    authScopes: changeScopes('MANAGE_ENDPOINTS'),
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: AuthorizeConnectionInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const workspaceId = workspaceOf(context);
      const portalReturns = context.principal?.kind === 'PORTAL'
        ? { portalUrl: `${publicUrl(context).replace(/\/+$/, '')}/portal/`, allowedOrigins: (await getPortalSettings(context.em, workspaceId)).allowedOrigins }
        : undefined;
      return authorizeConnection(context.em, context.config, workspaceId, decodeId('Connection', String(input.connectionId)), input, callbackUrl(context.config, context.services.apiUrl ?? ''), portalReturns);
    },
  }),
  setConnectionCredentials: t.field({
    type: SetConnectionCredentialsPayload,
    description: "Gives an OAuth connection tokens from the product's own OAuth flow; they are refreshed like a consent's, and a NEEDS_REAUTH connection is released.",
    authScopes: { secret: true },
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: SetConnectionCredentialsInput, required: true }) },
    resolve: async (_root, { input: { connectionId, ...tokens } }, context) => ({
      connection: await setConnectionCredentials(context.em, context.config, workspaceOf(context), decodeId('Connection', String(connectionId)), tokens),
    }),
  }),
}));
