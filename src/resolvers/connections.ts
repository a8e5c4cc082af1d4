import { builder } from './builder.ts';
import { loadBatched } from './batched.ts';
import { encodeId, decodeId } from '../domains/public-ids.ts';
import { paginate } from './pagination.ts';
import { readScopes, workspaceOf } from './scope.ts';
import { NotFoundError } from '../domains/errors.ts';
import { Connection, type WebhookConfig } from '../domains/connections/connection.entity.ts';
import { signingSecretHints } from '../domains/connections/connection-secrets.ts';
import { getConnection } from '../domains/connections/connection.service.ts';
import { DEFAULT_RETRY_SCHEDULE_SECONDS, effectiveRetrySchedule } from '../domains/deliveries/engine/retry-schedule.ts';
import { eventTypesOf } from '../domains/rules/connection-event-types.ts';

export const ConnectionKindRef = builder.enumType('ConnectionKind', {
  description: 'What a connection delivers to.',
  values: {
    WEBHOOK: { description: 'An HTTP endpoint that receives signed Standard Webhooks requests.' },
    SLACK: { description: 'A Slack channel, through an incoming webhook, or chat.postMessage with a bot token of its own or of an OAuth install.' },
    HUBSPOT: { description: 'A HubSpot account: contacts upserted by email, or custom events sent; with a private app token or OAuth.' },
    SALESFORCE: { description: 'A Salesforce org: records upserted by external id, through OAuth.' },
    MAILCHIMP: { description: 'A Mailchimp audience, whose members are added or updated by email.' },
  } as const,
});

export const ConnectionStatusRef = builder.enumType('ConnectionStatus', {
  description: 'Whether a connection receives deliveries.',
  values: {
    ACTIVE: { description: 'Receives deliveries.' },
    PAUSED: { description: 'Paused through the API; resume it to deliver again.' },
    DISABLED: { description: 'Disabled by Switchyard after failing too long, or after answering 410 Gone; see `statusReason`.' },
    NEEDS_REAUTH: {
      description:
        'Waiting for credentials (see `statusReason`): the vendor refused them, or an OAuth connection was never authorized. Its deliveries wait ' +
        'until updateConnection gives new ones, or authorizeConnection or setConnectionCredentials authorizes it.',
    },
  } as const,
});

export const ConnectionOwnerRef = builder.enumType('ConnectionOwner', {
  description: 'Who a connection belongs to, and so who sees it.',
  values: {
    CUSTOMER: { description: "An endpoint of the product's customer: listed and managed in the portal too." },
    OPERATOR: {
      description:
        "The workspace's own, e.g. its alerting: the only connections that rules may route switchyard.* operational events to. " +
        'Portal sessions never see it, nor its deliveries, attempts or secrets.',
    },
  } as const,
});

const WebhookConfigRef = builder.objectRef<WebhookConfig>('WebhookConfig').implement({
  description: 'Where and how a WEBHOOK connection sends its requests.',
  fields: (t) => ({
    url: t.exposeString('url', { description: 'The endpoint, http or https.' }),
    headers: t.field({
      type: 'JSON',
      description:
        'Custom headers sent with every request, names lowercase. Values of credential-like headers (authorization, ' +
        'tokens, keys, cookies ...) are masked; sending a masked value back keeps the stored one.',
      // Stored masked: the real values are sealed, and read only to send.
      resolve: (config) => config.headers,
    }),
  }),
});

export const ConnectionRef = builder.objectRef<Connection>('Connection').implement({
  description:
    'A destination with its delivery policy and health. Its signing secret is shown when created or rotated, and to ' +
    'revealConnectionSecret. A publishable key sees only its id, name, kind and status (through an emitted event\'s deliveries).',
  // Publishable keys reach connections through emitEvent's payload; their settings stay private.
  authScopes: readScopes,
  fields: (t) => ({
    id: t.id({ skipTypeScopes: true, resolve: (connection) => encodeId('Connection', connection.id) }),
    name: t.exposeString('name', { skipTypeScopes: true, description: 'Unique in the workspace, 1 to 100 characters.' }),
    description: t.exposeString('description', { description: 'What it is for, for people; "" when none.' }),
    owner: t.field({ type: ConnectionOwnerRef, description: 'Whose it is: a customer\'s endpoint, or the workspace\'s own (operational alerts).', resolve: (connection) => connection.owner }),
    kind: t.field({ type: ConnectionKindRef, skipTypeScopes: true, description: 'What it delivers to; fixed when created.', resolve: (connection) => connection.kind }),
    status: t.field({ type: ConnectionStatusRef, skipTypeScopes: true, description: 'Whether it receives deliveries now.', resolve: (connection) => connection.status }),
    statusReason: t.exposeString('statusReason', { nullable: true, description: 'Why the status is what it is, when not ACTIVE.' }),
    webhook: t.field({
      type: WebhookConfigRef,
      nullable: true,
      description: 'Settings of a WEBHOOK connection; null for other kinds.',
      resolve: (connection) => (connection.kind === 'WEBHOOK' ? (connection.config as WebhookConfig) : null),
    }),
    retryScheduleSeconds: t.floatList({
      description:
        'Delay before each attempt in seconds (the first from the emit, each next one from the previous failure), ' +
        `with +/-20 % jitter; its length is the number of attempts. The default is ${DEFAULT_RETRY_SCHEDULE_SECONDS.join(', ')}.`,
      resolve: (connection) => [...effectiveRetrySchedule(connection.retryScheduleSeconds)],
    }),
    // MikroORM types double columns as string | number; Number() settles the type.
    timeoutSeconds: t.float({ description: 'Time limit of one request.', resolve: (connection) => Number(connection.timeoutSeconds) }),
    rateLimitPerSecond: t.float({
      nullable: true,
      description: 'Most requests per second; null for no limit.',
      resolve: (connection) => (connection.rateLimitPerSecond == null ? null : Number(connection.rateLimitPerSecond)),
    }),
    maxConcurrency: t.exposeInt('maxConcurrency', { nullable: true, description: 'Most requests in flight at once; null for the server default.' }),
    ordered: t.exposeBoolean('ordered', { description: 'Whether deliveries are made one at a time in emit order.' }),
    consecutiveFailures: t.exposeInt('consecutiveFailures', { description: 'Failed attempts since the last success.' }),
    failingSince: t.expose('failingSince', { type: 'DateTime', nullable: true, description: 'First failure after the last success.' }),
    lastFailureReason: t.exposeString('lastFailureReason', { nullable: true, description: 'What went wrong the last time an attempt failed.' }),
    throttledUntil: t.expose('throttledUntil', {
      type: 'DateTime',
      nullable: true,
      description:
        "While the vendor's quota for the account is spent (HubSpot's 429s, Salesforce's REQUEST_LIMIT_EXCEEDED), nothing is sent " +
        'before this time; after it, one delivery at a time tries until a success ends the wait. Null when the connection waits for ' +
        'no quota. resumeConnection ends a wait early.',
    }),
    throttleReason: t.exposeString('throttleReason', { nullable: true, description: "Which vendor quota the connection waits for; null with `throttledUntil`." }),
    signingSecretHint: t.string({
      nullable: true,
      description: 'The masked current signing secret, e.g. "whsec_…Xk9="; null for kinds that do not sign (all but WEBHOOK).',
      resolve: async (connection, _args, context) => (await loadBatched(context.em, signingSecretHints, connection.id)) ?? null,
    }),
    eventTypes: t.stringList({
      description: 'The event-type patterns its enabled rules route to it, sorted; empty when no rule delivers to it.',
      resolve: async (connection, _args, context) => (await loadBatched(context.em, eventTypesOf, connection.id)) ?? [],
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  connections: t.connection({
    type: ConnectionRef,
    description: "The workspace's connections, newest first.",
    authScopes: readScopes,
    args: { status: t.arg({ type: ConnectionStatusRef, description: 'Only connections in this status.' }) },
    resolve: (_root, args, context) =>
      paginate(args, ({ id, order, limit }) =>
        context.em.find(
          Connection,
          { workspace: workspaceOf(context), ...(args.status ? { status: args.status } : {}), ...(id ? { id } : {}) },
          { orderBy: { id: order }, limit },
        ),
      ),
  }),
  connection: t.field({
    type: ConnectionRef,
    description: 'One connection of the workspace.',
    authScopes: readScopes,
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true, description: 'The connection id, e.g. "conn_0193...".' }) },
    resolve: (_root, args, context) =>
      getConnection(context.em, workspaceOf(context), decodeId('Connection', String(args.id))),
  }),
}));
