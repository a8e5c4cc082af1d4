import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { Connection, CONNECTION_KINDS, type ConnectionConfig } from './connection.entity.ts';
import { createInput, refuseIf, refuseOwnerOnlyFields, settingsOf, shapeIssues, updateInput, type ConnectionOptions } from './connection-input.ts';
import { applyPolicy, policyIssues } from './connection-policy.ts';
import { addSigningSecret } from './connection-secrets.ts';
import { parseSettings, SETTINGS_FIELDS, storedSettings, storeSettings } from './connection-settings.ts';
import { newId } from '../../db/ids.ts';
import { destinationKind } from '../destinations/destination-kinds.ts';
import { ConflictError, NotFoundError, ValidationError, type Issue } from '../errors.ts';
import { hasLiveGrant } from '../oauth/oauth-grants.ts';
import { isUniqueViolation } from '../validation.ts';
import { unparkDeliveries } from '../deliveries/state/unpark.ts';
import { parkWaiting } from '../deliveries/state/park-waiting.ts';
import { queuePumpNow } from '../deliveries/delivery-jobs.ts';
import { routeEventTypes } from '../rules/connection-event-types.ts';
import { operationalRouteIssues, refuseOperationalRoutes } from '../rules/operational-routes.ts';

export type { ConnectionOptions } from './connection-input.ts';

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

/** Why a connection waits from the start: it authenticates through OAuth and has no grant yet. */
export const NOT_AUTHORIZED_YET = 'waiting for its first authorization: authorizeConnection, or setConnectionCredentials with your own tokens';

/**
 * Creates a connection of any deliverable kind: its settings are checked by its kind (every
 * problem named by field), its credentials stored apart and never returned, and the vendor's
 * limits taken as its policy where it sets none. A WEBHOOK connection gets its first signing
 * secret (the `signingSecret` given, or a generated one), whose plaintext is returned this once;
 * other kinds sign nothing and get none. A connection that authenticates through OAuth (a HUBSPOT
 * one without a private app token, SALESFORCE, SLACK without a bot token or webhook) starts
 * `NEEDS_REAUTH` until it is authorized; what is routed to it meanwhile waits. With `eventTypes`, a rule routing those patterns to it
 * is created in the same transaction; patterns reaching `switchyard.*` events need `owner: OPERATOR` (the default is CUSTOMER).
 */
export async function createConnection(
  em: EntityManager,
  workspaceId: string,
  input: unknown,
  context: ConnectionOptions,
): Promise<{ connection: Connection; signingSecret: string | null }> {
  refuseOwnerOnlyFields(input, context);
  const { data, issues } = shapeIssues(createInput, input);
  const named = z.object({ kind: z.enum(CONNECTION_KINDS) }).safeParse(input);
  const kind = named.success ? destinationKind(named.data.kind) : undefined;
  if (!kind) return refuseIf(issues) as never;
  const parsed = parseSettings(kind, settingsOf(input), context, undefined);
  const unsigned: Issue[] = data?.signingSecret && !kind.signsRequests
    ? [{ path: ['input', 'signingSecret'], message: `${kind.kind} connections do not sign their requests, so they take no signing secret` }]
    : [];
  const misrouted = data ? operationalRouteIssues(data.eventTypes, data.owner ?? 'CUSTOMER', ['input', 'eventTypes']) : [];
  refuseIf([...issues, ...parsed.issues, ...unsigned, ...misrouted, ...(data ? policyIssues(data, kind.policy) : [])]);
  if (!data || !parsed.settings) throw new ValidationError(issues);
  const settings = parsed.settings;
  if (await em.count(Connection, { workspace: workspaceId, name: data.name })) throw nameTaken(data.name);
  return saving(data.name, () =>
    em.transactional(async (tx) => {
      // The id is made here, not at flush: the sealed credentials are bound to it.
      const connection = tx.create(Connection, {
        id: newId(),
        workspace: workspaceId,
        name: data.name,
        kind: data.kind,
        owner: data.owner ?? 'CUSTOMER',
        description: data.description ?? '',
        config: settings.config as ConnectionConfig,
        ...(kind.oauth?.needsAuthorization(settings) && { status: 'NEEDS_REAUTH', statusReason: NOT_AUTHORIZED_YET }),
      });
      applyPolicy(connection, data, kind.policy, true);
      await storeSettings(tx, connection, settings, kind.credentialHints(settings.credentials));
      const signingSecret = kind.signsRequests ? addSigningSecret(tx, connection, data.signingSecret) : null;
      if (data.eventTypes) await routeEventTypes(tx, workspaceId, connection, data.eventTypes);
      return { connection, signingSecret };
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
 * Changes the fields present in `input`; the kind stays. Settings left out keep theirs (a
 * webhook's headers, a bot's channel), and masked values sent back keep the stored ones. New
 * credentials for a connection that needs them (`NEEDS_REAUTH`) make it ACTIVE and send the
 * deliveries that waited, in the same transaction; giving up its own token for OAuth (HubSpot's
 * `accessToken: null`, Slack's `botToken: null`) makes it wait for a consent unless it has one. `eventTypes` changes the patterns of the
 * connection's one rule (made if it has none). Switching `ordered` queues the connection's
 * pump now, in the same transaction: a run waiting for an ordered head's retry would otherwise
 * hold the backlog that may now go in parallel. A change of `owner` or `eventTypes` that would leave
 * a CUSTOMER connection receiving `switchyard.*` events is refused (see operational-routes.ts).
 */
export async function updateConnection(
  em: EntityManager,
  workspaceId: string,
  id: string,
  input: unknown,
  context: ConnectionOptions,
): Promise<Connection> {
  refuseOwnerOnlyFields(input, context);
  const connection = await getConnection(em, workspaceId, id);
  const kind = destinationKind(connection.kind);
  if (!kind) throw new ConflictError(['input', 'id'], `${connection.kind} connections cannot be changed yet`);
  const { data, issues } = shapeIssues(updateInput, input);
  const fields = settingsOf(input);
  const given = SETTINGS_FIELDS.some((field) => fields[field] != null);
  const previous = given ? await storedSettings(em, connection) : undefined;
  const parsed = given ? parseSettings(kind, fields, context, previous) : { issues: [] };
  refuseIf([...issues, ...parsed.issues, ...(data ? policyIssues(data, kind.policy) : [])]);
  if (!data) return connection;
  if (data.name && data.name !== connection.name) {
    if (await em.count(Connection, { workspace: workspaceId, name: data.name })) throw nameTaken(data.name);
    connection.name = data.name;
  }
  if (data.description != null) connection.description = data.description;
  if (data.owner) connection.owner = data.owner;
  const wasOrdered = connection.ordered;
  applyPolicy(connection, data, kind.policy);
  return saving(connection.name, () =>
    em.transactional(async (tx) => {
      const settings = 'settings' in parsed ? parsed.settings : undefined;
      if (data.eventTypes) await routeEventTypes(tx, workspaceId, connection, data.eventTypes);
      if (settings) {
        const renewed = await storeSettings(tx, connection, settings, kind.credentialHints(settings.credentials));
        const waits = kind.oauth?.needsAuthorization(settings) ?? false;
        if (waits && connection.status === 'ACTIVE' && !kind.oauth!.needsAuthorization(previous!) && !(await hasLiveGrant(tx, connection.id))) {
          // Its own token given up for OAuth, with no consent yet: it waits for one, as a new connection does.
          connection.status = 'NEEDS_REAUTH';
          connection.statusReason = NOT_AUTHORIZED_YET;
        } else if (renewed && !waits && connection.status === 'NEEDS_REAUTH') {
          markActive(connection);
          await tx.flush();
          await unparkDeliveries(tx, connection.id);
        }
      }
      await tx.flush();
      if (data.owner || data.eventTypes) await refuseOperationalRoutes(tx, workspaceId, connection.id, ['input', data.owner ? 'owner' : 'eventTypes']);
      if (connection.ordered !== wasOrdered) await queuePumpNow(tx, connection.id);
      return connection;
    }),
  );
}

/**
 * Active, with its health afresh. A wait for the vendor's quota ends too: the operator asks for
 * deliveries now, and if the quota is still spent the first answer says so and the wait starts again.
 */
function markActive(connection: Connection): void {
  connection.status = 'ACTIVE';
  connection.statusReason = null;
  connection.consecutiveFailures = 0;
  connection.failingSince = null;
  connection.throttledUntil = null;
  connection.throttleReason = null;
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

/**
 * Stops deliveries to the connection until it is resumed: its waiting deliveries are parked in
 * the same transaction, so streams show them waiting at once, not when its pump next runs.
 */
export async function pauseConnection(em: EntityManager, workspaceId: string, id: string): Promise<Connection> {
  return em.transactional(async (tx) => {
    const connection = await getConnection(tx, workspaceId, id);
    connection.status = 'PAUSED';
    connection.statusReason = 'paused through the API';
    await tx.flush();
    await parkWaiting(tx, connection.id);
    return connection;
  });
}

/**
 * Makes a PAUSED, DISABLED or NEEDS_REAUTH connection ACTIVE again and starts its health afresh: no
 * consecutive failures, not failing since anything (the last failure reason stays as history).
 * A wait for the vendor's quota ends early, an ACTIVE connection's too. The deliveries that
 * waited are queued again in the same transaction.
 */
export async function resumeConnection(em: EntityManager, workspaceId: string, id: string): Promise<Connection> {
  return em.transactional(async (tx) => {
    const connection = await getConnection(tx, workspaceId, id);
    markActive(connection);
    await tx.flush();
    await unparkDeliveries(tx, connection.id);
    return connection;
  });
}
