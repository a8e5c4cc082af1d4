import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { Connection, CONNECTION_KINDS, DEFAULT_TIMEOUT_SECONDS, type ConnectionKind } from './connection.entity.ts';
import { addSigningSecret } from './connection-secrets.ts';
import { storeWebhookConfig, webhookConfigSchema, webhookHeaders } from './webhook-config.ts';
import { newId } from '../../db/ids.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { isUniqueViolation, parseInput } from '../validation.ts';
import { unparkDeliveries } from '../deliveries/state/unpark.ts';
import { queuePumpNow } from '../deliveries/delivery-jobs.ts';
import { eventTypePatterns } from '../rules/rule.service.ts';
import { routeEventTypes } from '../rules/connection-event-types.ts';
import { signingSecretProblem } from '../signing/standard-webhooks.ts';

/** Kinds the delivery engine can deliver today; the others are in the enum so clients are ready. */
export const DELIVERABLE_KINDS: readonly ConnectionKind[] = ['WEBHOOK'];

const WEEK = 7 * 24 * 3600;

const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const description = z.string().trim().max(500, 'must be at most 500 characters').nullish();

const signingSecret = z
  .string()
  .superRefine((secret, context) => {
    const problem = signingSecretProblem(secret);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })
  .nullish();

/** Delivery policy fields; `null` means "back to the default". */
const policy = {
  retryScheduleSeconds: z
    .array(z.number().min(0, 'must be 0 or more').max(WEEK, `must be at most ${WEEK} (7 days)`))
    .min(1, 'must have at least one attempt')
    .max(20, 'must have at most 20 attempts')
    .nullish(),
  timeoutSeconds: z.number().min(1, 'must be at least 1').max(60, 'must be at most 60').nullish(),
  rateLimitPerSecond: z.number().gt(0, 'must be more than 0').max(10_000, 'must be at most 10000').nullish(),
  maxConcurrency: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').nullish(),
  ordered: z.boolean().nullish(),
};

type Policy = { [K in keyof typeof policy]?: z.infer<(typeof policy)[K]> };

/** Delivery policy a workspace's own engineers set; a customer in the portal may not change it. */
const OWNER_ONLY_POLICY = ['retryScheduleSeconds', 'timeoutSeconds', 'maxConcurrency', 'ordered'] as const;

export interface ConnectionOptions {
  /** `config.allowPrivateTargets` */
  allowPrivateTargets: boolean;
  /** The change comes from a portal session: the owner-only policy fields are refused. (Default: false) */
  fromPortal?: boolean;
}

function refuseOwnerOnlyPolicy(input: unknown, options: ConnectionOptions): void {
  if (!options.fromPortal || typeof input !== 'object' || input === null) return;
  const given = OWNER_ONLY_POLICY.filter((field) => (input as Record<string, unknown>)[field] !== undefined);
  if (given.length) {
    throw new ValidationError(
      given.map((field) => ({ path: ['input', field], message: 'is set by the workspace owner and cannot be changed from the portal' })),
    );
  }
}

function createInput(options: ConnectionOptions) {
  return z
    .object({
      name,
      description,
      kind: z.enum(CONNECTION_KINDS),
      webhook: webhookConfigSchema(options).nullish(),
      signingSecret,
      eventTypes: eventTypePatterns.nullish(),
      ...policy,
    })
    .superRefine((input, context) => {
      if (!DELIVERABLE_KINDS.includes(input.kind)) {
        context.addIssue({
          code: 'custom',
          path: ['kind'],
          message: `${input.kind} connections are not available yet; only ${DELIVERABLE_KINDS.join(', ')} can be delivered for now`,
        });
      } else if (input.kind === 'WEBHOOK' && !input.webhook) {
        context.addIssue({ code: 'custom', path: ['webhook'], message: 'is required for a WEBHOOK connection' });
      }
    });
}

/** Writes the policy fields that are present; `null` restores the default. */
function applyPolicy(connection: Connection, input: Policy): void {
  if (input.retryScheduleSeconds !== undefined) connection.retryScheduleSeconds = input.retryScheduleSeconds;
  if (input.timeoutSeconds !== undefined) connection.timeoutSeconds = input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (input.rateLimitPerSecond !== undefined) connection.rateLimitPerSecond = input.rateLimitPerSecond;
  if (input.maxConcurrency !== undefined) connection.maxConcurrency = input.maxConcurrency;
  if (input.ordered !== undefined) connection.ordered = input.ordered ?? false;
}

async function saving<T>(connectionName: string, save: () => Promise<T>): Promise<T> {
  try {
    return await save();
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(connectionName);
    throw error;
  }
}

function nameTaken(connectionName: string): ConflictError {
  return new ConflictError(['input', 'name'], `a connection named "${connectionName}" already exists in this workspace`);
}

/**
 * Creates a connection with its first signing secret (the `signingSecret` given, or a generated
 * one), whose plaintext is returned this once; afterwards only `signingSecretHint` shows. With
 * `eventTypes`, a rule routing those patterns to it is created in the same transaction.
 */
export async function createConnection(
  em: EntityManager,
  workspaceId: string,
  input: unknown,
  options: ConnectionOptions,
): Promise<{ connection: Connection; signingSecret: string }> {
  refuseOwnerOnlyPolicy(input, options);
  const data = parseInput(createInput(options), input);
  if (await em.count(Connection, { workspace: workspaceId, name: data.name })) throw nameTaken(data.name);
  return saving(data.name, () =>
    em.transactional(async (tx) => {
      // The id is made here, not at flush: the sealed secrets are bound to it.
      const connection = tx.create(Connection, {
        id: newId(),
        workspace: workspaceId,
        name: data.name,
        kind: data.kind,
        description: data.description ?? '',
        config: { url: '', headers: {} },
      });
      storeWebhookConfig(connection, data.webhook!);
      applyPolicy(connection, data);
      const secret = addSigningSecret(tx, connection, data.signingSecret);
      if (data.eventTypes) await routeEventTypes(tx, workspaceId, connection, data.eventTypes);
      return { connection, signingSecret: secret };
    }),
  );
}

/** The connection `id` of the workspace; another workspace's id is as missing as an unknown one. */
export async function getConnection(em: EntityManager, workspaceId: string, id: string): Promise<Connection> {
  const connection = await em.findOne(Connection, { id, workspace: workspaceId });
  if (!connection) throw new NotFoundError('Connection', id);
  return connection;
}

/**
 * Changes the fields present in `input`; the kind stays. `webhook.headers`, when left out, keeps
 * the stored headers, and a masked header value sent back keeps its stored value. `eventTypes`
 * changes the patterns of the connection's one rule (made if it has none). Switching
 * `ordered` queues the connection's pump now, in the same transaction: a run waiting for an
 * ordered head's retry would otherwise hold the backlog that may now go in parallel.
 */
export async function updateConnection(
  em: EntityManager,
  workspaceId: string,
  id: string,
  input: unknown,
  options: ConnectionOptions,
): Promise<Connection> {
  refuseOwnerOnlyPolicy(input, options);
  const connection = await getConnection(em, workspaceId, id);
  const schema = z.object({
    name: name.nullish(),
    description,
    webhook: webhookConfigSchema(options, webhookHeaders(connection)).nullish(),
    eventTypes: eventTypePatterns.nullish(),
    ...policy,
  });
  const data = parseInput(schema, input);
  if (data.name && data.name !== connection.name) {
    if (await em.count(Connection, { workspace: workspaceId, name: data.name })) throw nameTaken(data.name);
    connection.name = data.name;
  }
  if (data.description != null) connection.description = data.description;
  if (data.webhook) storeWebhookConfig(connection, data.webhook);
  const wasOrdered = connection.ordered;
  applyPolicy(connection, data);
  if (data.eventTypes) await routeEventTypes(em, workspaceId, connection, data.eventTypes);
  await saving(connection.name, () =>
    em.transactional(async (tx) => {
      await tx.flush();
      if (connection.ordered !== wasOrdered) await queuePumpNow(tx, connection.id);
    }),
  );
  return connection;
}

/**
 * Deletes a connection with its secrets, its rules and its delivery history (the foreign keys
 * cascade). Returns the id.
 */
export async function deleteConnection(em: EntityManager, workspaceId: string, id: string): Promise<string> {
  const deleted = await em.nativeDelete(Connection, { id, workspace: workspaceId });
  if (!deleted) throw new NotFoundError('Connection', id);
  return id;
}

/** Stops deliveries to the connection until it is resumed. */
export async function pauseConnection(em: EntityManager, workspaceId: string, id: string): Promise<Connection> {
  const connection = await getConnection(em, workspaceId, id);
  connection.status = 'PAUSED';
  connection.statusReason = 'paused through the API';
  await em.flush();
  return connection;
}

/**
 * Makes a PAUSED or DISABLED connection ACTIVE again and starts its health afresh: no
 * consecutive failures, not failing since anything (the last failure reason stays as history).
 * The deliveries that waited are queued again in the same transaction.
 */
export async function resumeConnection(em: EntityManager, workspaceId: string, id: string): Promise<Connection> {
  return em.transactional(async (tx) => {
    const connection = await getConnection(tx, workspaceId, id);
    connection.status = 'ACTIVE';
    connection.statusReason = null;
    connection.consecutiveFailures = 0;
    connection.failingSince = null;
    await tx.flush();
    await unparkDeliveries(tx, connection.id);
    return connection;
  });
}
