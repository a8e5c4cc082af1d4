import { builder } from './builder.ts';
import { ConnectionKindRef, ConnectionOwnerRef, ConnectionRef } from './connections.ts';
import { HubSpotConfigInput, MailchimpConfigInput, SalesforceConfigInput, SlackConfigInput } from './destination-settings.ts';
import { expectedErrors } from './errors.ts';
import { decodeId, encodeId } from '../domains/public-ids.ts';
import { changeScopes, workspaceOf } from './scope.ts';
import { DEFAULT_TIMEOUT_SECONDS, type Connection } from '../domains/connections/connection.entity.ts';
import { DEFAULT_RETRY_SCHEDULE_SECONDS } from '../domains/deliveries/engine/retry-schedule.ts';
import { revealSigningSecret, rotateConnectionSecret } from '../domains/connections/connection-secrets.ts';
import { NotFoundError } from '../domains/errors.ts';
import {
  createConnection,
  deleteConnection,
  pauseConnection,
  resumeConnection,
  updateConnection,
} from '../domains/connections/connection.service.ts';
import { vendorUrls } from '../domains/destinations/vendor-urls.ts';
import type { Context } from '../server/context.ts';

const WebhookConfigInput = builder.inputType('WebhookConfigInput', {
  description: 'Settings of a WEBHOOK connection.',
  fields: (t) => ({
    url: t.string({
      required: true,
      description:
        'http or https URL, at most 2048 characters, without credentials. Private, loopback and link-local hosts are ' +
        'refused unless the server sets SWITCHYARD_ALLOW_PRIVATE_TARGETS=true.',
    }),
    headers: t.field({
      type: 'JSON',
      description:
        'Custom headers as an object of names to string values, at most 20. Host, framing, hop-by-hop and webhook-* ' +
        'headers are refused. On update, left out keeps the current headers and null removes them all.',
    }),
  }),
});

const CreateConnectionInput = builder.inputType('CreateConnectionInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Unique in the workspace, 1 to 100 characters.' }),
    description: t.string({ description: 'What it is for, for people; at most 500 characters. (Default: "")' }),
    kind: t.field({ type: ConnectionKindRef, required: true, description: 'WEBHOOK, SLACK, HUBSPOT, SALESFORCE or MAILCHIMP; fixed once created.' }),
    owner: t.field({
      type: ConnectionOwnerRef,
      description:
        'OPERATOR for the workspace\'s own connections (alerts), which alone may receive switchyard.* events and which portal ' +
        'sessions never see; secret key only. (Default: CUSTOMER)',
    }),
    webhook: t.field({ type: WebhookConfigInput, description: 'Required for a WEBHOOK connection.' }),
    slack: t.field({ type: SlackConfigInput, description: 'Required for a SLACK connection.' }),
    mailchimp: t.field({ type: MailchimpConfigInput, description: 'Required for a MAILCHIMP connection.' }),
    hubspot: t.field({ type: HubSpotConfigInput, description: 'Required for a HUBSPOT connection (`{}` for OAuth contact upserts).' }),
    salesforce: t.field({ type: SalesforceConfigInput, description: 'Required for a SALESFORCE connection.' }),
    signingSecret: t.string({
      description:
        'For a WEBHOOK connection, a signing secret of your own choosing: "whsec_" then the standard base64 of 24 to 64 random bytes. ' +
        '(Default: a generated one, returned this once)',
    }),
    eventTypes: t.stringList({
      description:
        'Event-type patterns to deliver to it: a rule without condition or transform, named after the connection, is ' +
        'created with it in one transaction. (Default: none; create rules for it yourself)',
    }),
    retryScheduleSeconds: t.floatList({
      description:
        'Delay before each attempt in seconds, 1 to 20 entries of 0 to 604800: the first from the emit, each next one ' +
        `from the previous failure. (Default: ${DEFAULT_RETRY_SCHEDULE_SECONDS.join(', ')})`,
    }),
    timeoutSeconds: t.float({ description: `Time limit of one request, 1 to 60 seconds. (Default: ${DEFAULT_TIMEOUT_SECONDS})` }),
    rateLimitPerSecond: t.float({
      description: 'Most requests per second, more than 0 and at most 10000, or the vendor\'s limit. (Default: no limit; 1 for SLACK, 10 for HUBSPOT)',
    }),
    maxConcurrency: t.int({
      description: 'Most requests in flight at once, 1 to 1000, or the vendor\'s limit. (Default: the server default; 10 for MAILCHIMP)',
    }),
    ordered: t.boolean({ description: 'Deliver one at a time, in emit order. (Default: false)' }),
  }),
});

const UpdateConnectionInput = builder.inputType('UpdateConnectionInput', {
  description: 'Fields left out stay as they are; null on a policy field restores its default.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The connection to change.' }),
    name: t.string({ description: 'Unique in the workspace, 1 to 100 characters.' }),
    description: t.string({ description: 'What it is for, at most 500 characters.' }),
    owner: t.field({
      type: ConnectionOwnerRef,
      description: 'As on create; CUSTOMER is refused while a rule routes switchyard.* events to it. Secret key only.',
    }),
    webhook: t.field({ type: WebhookConfigInput, description: 'New settings; `headers` left out keeps the current ones.' }),
    eventTypes: t.stringList({
      description: 'The patterns routed to it: changes its one rule, or creates one when it has none. Refused when several rules deliver to it.',
    }),
    slack: t.field({ type: SlackConfigInput, description: 'New settings of a SLACK connection; new credentials release a NEEDS_REAUTH connection.' }),
    mailchimp: t.field({ type: MailchimpConfigInput, description: 'New settings of a MAILCHIMP connection; a new key releases a NEEDS_REAUTH connection.' }),
    hubspot: t.field({ type: HubSpotConfigInput, description: 'New settings of a HUBSPOT connection; a new private app token releases a NEEDS_REAUTH connection.' }),
    salesforce: t.field({ type: SalesforceConfigInput, description: 'New settings of a SALESFORCE connection.' }),
    retryScheduleSeconds: t.floatList({ description: 'As on create; null restores the default schedule.' }),
    timeoutSeconds: t.float({ description: `As on create; null restores ${DEFAULT_TIMEOUT_SECONDS}.` }),
    rateLimitPerSecond: t.float({ description: 'As on create; null restores the default (no limit, or the vendor\'s).' }),
    maxConcurrency: t.int({ description: 'As on create; null restores the default (the server\'s, or the vendor\'s).' }),
    ordered: t.boolean({ description: 'As on create; null restores false.' }),
  }),
});

function connectionIdInput(name: string, description: string) {
  return builder.inputType(name, {
    fields: (t) => ({ id: t.id({ required: true, description }) }),
  });
}

const RotateConnectionSecretInput = builder.inputType('RotateConnectionSecretInput', {
  fields: (t) => ({
    connectionId: t.id({ required: true, description: 'The connection whose secret to rotate.' }),
    expireCurrentInSeconds: t.int({
      description:
        'How long the current secret keeps signing next to the new one, 0 (stop now) to 604800 (7 days). (Default: 86400)',
    }),
  }),
});

const ConnectionPayload = (name: string) =>
  builder.objectRef<{ connection: Connection }>(name).implement({
    fields: (t) => ({
      connection: t.field({ type: ConnectionRef, description: 'The connection as it is now.', resolve: (payload) => payload.connection }),
    }),
  });

const CreateConnectionPayload = builder.objectRef<{ connection: Connection; signingSecret: string | null }>('CreateConnectionPayload').implement({
  fields: (t) => ({
    connection: t.field({ type: ConnectionRef, description: 'The connection as it is now.', resolve: (payload) => payload.connection }),
    signingSecret: t.exposeString('signingSecret', {
      nullable: true,
      description:
        'The signing secret (`whsec_...`) of a WEBHOOK connection, shown this once: receivers verify requests with it. ' +
        'Null for kinds whose requests are not signed (all but WEBHOOK).',
    }),
  }),
});

const RotateConnectionSecretPayload = builder.objectRef<{ connection: Connection; signingSecret: string }>('RotateConnectionSecretPayload').implement({
  fields: (t) => ({
    connection: t.field({ type: ConnectionRef, description: 'The connection as it is now.', resolve: (payload) => payload.connection }),
    signingSecret: t.exposeString('signingSecret', {
      description: 'The new signing secret (`whsec_...`), shown this once: receivers verify requests with it.',
    }),
  }),
});

const RevealConnectionSecretInput = builder.inputType('RevealConnectionSecretInput', {
  fields: (t) => ({ connectionId: t.id({ required: true, description: 'The connection whose current secret to show.' }) }),
});

const RevealConnectionSecretPayload = builder
  .objectRef<{ signingSecret: string; createdAt: Date }>('RevealConnectionSecretPayload')
  .implement({
    description: 'The current signing secret in plaintext.',
    fields: (t) => ({
      signingSecret: t.exposeString('signingSecret', { description: 'The newest live secret (`whsec_...`): the one to verify with.' }),
      createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created or rotated in.' }),
    }),
  });

const DeleteConnectionPayload = builder.objectRef<{ deletedId: string }>('DeleteConnectionPayload').implement({
  fields: (t) => ({ deletedId: t.exposeID('deletedId', { description: 'Id of the deleted connection.' }) }),
});

const targets = (context: Context) => ({
  allowPrivateTargets: context.config.allowPrivateTargets,
  vendors: vendorUrls(context.config),
  fromPortal: context.principal?.kind === 'PORTAL',
});
const connectionId = (id: string | number) => decodeId('Connection', String(id));

builder.mutationFields((t) => ({
  createConnection: t.field({
    type: CreateConnectionPayload,
    description: 'Creates a connection; a WEBHOOK connection\'s signing secret is returned this once.',
    authScopes: changeScopes('MANAGE_ENDPOINTS'),
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: CreateConnectionInput, required: true }) },
    resolve: (_root, { input }, context) => createConnection(context.em, workspaceOf(context), input, targets(context)),
  }),
  updateConnection: t.field({
    type: ConnectionPayload('UpdateConnectionPayload'),
    description: 'Changes the fields given; the kind and the signing secret stay.',
    authScopes: changeScopes('MANAGE_ENDPOINTS'),
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: UpdateConnectionInput, required: true }) },
    resolve: async (_root, { input: { id, ...changes } }, context) => ({
      connection: await updateConnection(context.em, workspaceOf(context), connectionId(id), changes, targets(context)),
    }),
  }),
  deleteConnection: t.field({
    type: DeleteConnectionPayload,
    description: 'Deletes a connection with its rules, secrets and delivery history.',
    authScopes: changeScopes('MANAGE_ENDPOINTS'),
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: connectionIdInput('DeleteConnectionInput', 'The connection to delete.'), required: true }) },
    resolve: async (_root, { input }, context) => {
      const id = await deleteConnection(context.em, workspaceOf(context), connectionId(input.id));
      return { deletedId: encodeId('Connection', id) };
    },
  }),
  revealConnectionSecret: t.field({
    type: RevealConnectionSecretPayload,
    description:
      'Shows the current signing secret, for a portal session granted VIEW_SECRETS (or a secret key). A mutation, so ' +
      'reading a secret is always a deliberate act, never part of a list.',
    authScopes: changeScopes('VIEW_SECRETS'),
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: RevealConnectionSecretInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const id = connectionId(input.connectionId);
      const revealed = await revealSigningSecret(context.em, workspaceOf(context), id);
      if (!revealed) throw new NotFoundError('ConnectionSecret', id);
      return revealed;
    },
  }),
  rotateConnectionSecret: t.field({
    type: RotateConnectionSecretPayload,
    description: 'Issues a new signing secret, returned this once; the current one keeps signing until it expires.',
    authScopes: changeScopes('MANAGE_SECRETS'),
    errors: { types: expectedErrors },
    args: { input: t.arg({ type: RotateConnectionSecretInput, required: true }) },
    resolve: (_root, { input: { connectionId: id, ...options } }, context) =>
      rotateConnectionSecret(context.em, workspaceOf(context), connectionId(id), options),
  }),
}));

/** pauseConnection and resumeConnection: one id in, the connection in its new status out. */
function statusChange(
  field: 'pauseConnection' | 'resumeConnection',
  description: string,
  change: (context: Context, id: string) => Promise<Connection>,
) {
  const prefix = field === 'pauseConnection' ? 'Pause' : 'Resume';
  builder.mutationField(field, (t) =>
    t.field({
      type: ConnectionPayload(`${prefix}ConnectionPayload`),
      description,
      authScopes: changeScopes('MANAGE_ENDPOINTS'),
      errors: { types: expectedErrors },
      args: { input: t.arg({ type: connectionIdInput(`${prefix}ConnectionInput`, `The connection to ${prefix.toLowerCase()}.`), required: true }) },
      resolve: async (_root, { input }, context) => ({
        connection: await change(context, connectionId(input.id)),
      }),
    }),
  );
}

statusChange('pauseConnection', 'Stops deliveries to the connection until it is resumed; they wait, none is lost.', (context, id) =>
  pauseConnection(context.em, workspaceOf(context), id),
);
statusChange(
  'resumeConnection',
  'Makes a PAUSED or DISABLED connection ACTIVE again, resets its failure count and sends the deliveries that waited. ' +
    "On an ACTIVE connection that waits for its vendor's quota (`throttledUntil`), ends the wait now.",
  (context, id) => resumeConnection(context.em, workspaceOf(context), id),
);
