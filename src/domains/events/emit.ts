import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../db/ids.ts';
import { preparedStatement, runPrepared } from '../../db/prepared-statement.ts';
import { ValidationError, type Issue } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { connectionPumpJob } from '../deliveries/delivery-jobs.ts';
import { initialState } from '../deliveries/state/delivery-states.ts';
import { emitEventInput, emitEventsInput, type EmitEventInput } from './emit-input.ts';
import { eventSequenceName } from './event-sequence.ts';
import { persistEvents, type DeliveryRow, type EmitCheck, type Persisted } from './persist-events.ts';
import { mayRead } from '../expressions/rule-expressions.ts';
import { routeEvent, type Route, type RoutedEvent } from './routes.ts';
import { routingSnapshot, type RoutingSnapshot } from './routing-snapshot.ts';
import { checkPayload } from './check-payload.ts';
import { isUnknownType, uncatalogedTypeIssues } from './event-catalog.ts';
import { toRecord, type EventRecord, type EventRow } from './event-record.ts';
import type { Config } from '../../config.ts';
import { logger } from '../../observability/logger.ts';
import { eventsAccepted, eventsRefused, workspaceLabel } from '../../observability/metrics.ts';
import { encodeId } from '../public-ids.ts';

const log = logger.child({ component: 'events' });

export interface EmitResult {
  event: EventRecord;
  /** True when the idempotency key was seen before: `event` is the original, nothing new was sent. */
  duplicate: boolean;
  /** True when the workspace's catalog lists event types and not this one (a typo, most often). */
  unknownType: boolean;
}

export interface EmitContext {
  em: EntityManager;
  config: Config;
  workspaceId: string;
  /** The workspace's routing version read with the caller's key (see routing-snapshot.ts). */
  routingVersion: number;
  /** The caller's key, which the write checks (still there, not revoked). */
  keyId: string;
  /**
   * Looks the caller's key up again: its principal's routing version, or null once the key is
   * gone or revoked. For when the write found the routing stale, and before a validation error
   * answers a key that was not looked up for this request (`keyLookedUp` false).
   */
  lookUpKey(): Promise<{ routingVersion: number } | null>;
  keyLookedUp: boolean;
}

/** The caller's key is gone or revoked: the emit was refused, and nothing of it written. */
export class KeyRefusedError extends Error {
  constructor() {
    super('the key is unknown or revoked');
    this.name = 'KeyRefusedError';
  }
}

/** Writes that find the routing stale before one goes through: a rule changing that often is an attack, not a race. */
const ROUTING_RETRIES = 3;

/** Accepts one event: validates it, routes it and writes it with its deliveries and jobs. */
export async function emitEvent(context: EmitContext, input: unknown): Promise<EmitResult> {
  const event = refusedIfInvalid(context, 1, () => parseInput(emitEventInput, input));
  const [result] = await emitValidated(context, [event], ['input']);
  return result!;
}

/** Accepts up to 1000 events at once, all or nothing; results come back in input order. */
export async function emitEvents(context: EmitContext, input: unknown): Promise<EmitResult[]> {
  const batch = (input as { events?: unknown } | null)?.events;
  const { events } = refusedIfInvalid(context, Array.isArray(batch) ? batch.length : 1, () => parseInput(emitEventsInput, input));
  return emitValidated(context, events, ['input', 'events']);
}

/** Runs `parse`, counting `count` refused events when the input is invalid. */
function refusedIfInvalid<T>(context: EmitContext, count: number, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ValidationError) eventsRefused.inc({ reason: 'invalid_input', workspace: workspaceLabel(context.workspaceId) }, count);
    throw error;
  }
}

async function emitValidated(context: EmitContext, events: EmitEventInput[], path: string[]): Promise<EmitResult[]> {
  const { em, workspaceId } = context;
  let routingVersion = context.routingVersion;
  let keyLookedUp = context.keyLookedUp;
  for (let tries = 1; ; tries++) {
    const routing = routingSnapshot(em, workspaceId, routingVersion);
    const catalog = await routing.catalog();
    const issues: Issue[] = [];
    let tooLarge = false;
    let unknownType = false;
    for (const [index, event] of events.entries()) {
      const eventPath = events.length === 1 && path.length === 1 ? path : [...path, String(index)];
      const uncataloged = uncatalogedTypeIssues(catalog, event.type, eventPath);
      const problems = await checkPayload(routing, context.config, event.type, event.payload, eventPath);
      issues.push(...uncataloged, ...problems.issues);
      tooLarge ||= problems.tooLarge;
      unknownType ||= uncataloged.length > 0;
    }
    if (issues.length > 0) {
      // What an event type's schema (or the catalog) says is the workspace's: a key not looked up yet is, first.
      if (!keyLookedUp) {
        const fresh = await context.lookUpKey();
        if (!fresh) throw new KeyRefusedError();
        keyLookedUp = true;
        // The checks read the routing remembered with the key: they run again on the current one.
        if (fresh.routingVersion !== routingVersion) {
          routingVersion = fresh.routingVersion;
          continue;
        }
      }
      const reason = tooLarge ? 'payload_too_large' : unknownType ? 'unknown_type' : 'schema_mismatch';
      eventsRefused.inc({ reason, workspace: workspaceLabel(workspaceId) }, events.length);
      throw new ValidationError(issues);
    }

    const now = new Date().toISOString();
    const rows: EventRow[] = events.map((event) => ({
      id: newId(),
      workspace_id: workspaceId,
      type: event.type,
      resource: event.resource ?? null,
      resource_id: event.resourceId ?? null,
      payload: event.payload,
      idempotency_key: event.idempotencyKey ?? null,
      sequence: null,
      created_at: now,
      operational: false,
    }));
    const { written, refused } = await writeEvents(em, context.config, rows, { routing, check: { keyId: context.keyId, routingVersion: routing.version } });
    if (refused === 'key') {
      // Looking it up again also makes this process forget the key it remembered.
      await context.lookUpKey();
      throw new KeyRefusedError();
    }
    if (refused === 'routing') {
      const fresh = await context.lookUpKey();
      if (!fresh) throw new KeyRefusedError();
      if (tries >= ROUTING_RETRIES) throw new Error(`the routing of workspace ${workspaceId} changed under ${tries} writes in a row`);
      routingVersion = fresh.routingVersion;
      continue;
    }
    // A shared write returns other emits' events too: count this call's own.
    eventsAccepted.inc({ workspace: workspaceLabel(workspaceId) }, rows.filter((row) => written.has(row.id)).length);
    return Promise.all(
      rows.map(async (row) => {
        const sequence = written.get(row.id);
        const unknownType = isUnknownType(catalog, row.type);
        return sequence === undefined
          ? { event: await findByIdempotencyKey(em, workspaceId, row.idempotency_key!), duplicate: true, unknownType }
          : { event: toRecord({ ...row, sequence }), duplicate: false, unknownType };
      }),
    );
  }
}

/**
 * Routes and writes already-valid event rows of one workspace: what the write did (see
 * `persistEvents`), the sequence of each event written by id among it (a duplicate is not). Rows without a sequence are numbered by the write
 * itself, saving a round trip, unless a condition on their routes may read it.
 */
export async function writeEvents(
  em: EntityManager,
  config: Config,
  rows: EventRow[],
  options: { routing?: RoutingSnapshot; excludeConnectionId?: string; check?: EmitCheck } = {},
): Promise<Persisted> {
  const routing = options.routing ?? routingSnapshot(em, rows[0]!.workspace_id, null);
  const routes = new Map<string, Route[]>();
  for (const row of rows) if (!routes.has(row.type)) routes.set(row.type, await routing.routesFor(row.type));
  const unnumbered = rows.filter((row) => row.sequence === null);
  if (unnumbered.some((row) => routes.get(row.type)!.some((route) => route.condition && mayRead(route.condition, 'sequence')))) {
    const keys = new Set<string>();
    // Later rows repeating a key are duplicates of the first: they get no number.
    const firsts = unnumbered.filter((row) => row.idempotency_key === null || (!keys.has(row.idempotency_key) && !!keys.add(row.idempotency_key)));
    const sequences = await nextSequences(em, rows[0]!.workspace_id, firsts.map((row) => row.idempotency_key));
    firsts.forEach((row, index) => (row.sequence = sequences.get(index + 1) ?? null));
  }
  const deliveries: DeliveryRow[] = [];
  for (const row of rows) {
    const routed = await routeEvent(routes.get(row.type)!, toRecord(row), {
      timeoutMs: config.expressionTimeoutMs,
      excludeConnectionId: options.excludeConnectionId,
    });
    deliveries.push(...routed.map((target) => deliveryRow(row, target)));
  }
  const persisted = await persistEvents(em, rows, deliveries, options.check);
  if (log.isLevelEnabled('debug')) logAccepted(rows, deliveries, persisted.written);
  return persisted;
}

/** One debug line per event written: ids, type and fan-out, never the payload. */
function logAccepted(rows: EventRow[], deliveries: DeliveryRow[], written: Map<string, number>) {
  const fanOut = new Map<string, number>();
  for (const delivery of deliveries) fanOut.set(delivery.event_id, (fanOut.get(delivery.event_id) ?? 0) + 1);
  for (const row of rows) {
    const sequence = written.get(row.id);
    if (sequence === undefined) continue;
    log.debug({
      event: encodeId('Event', row.id),
      workspace: encodeId('Workspace', row.workspace_id),
      type: row.type,
      sequence,
      deliveries: fanOut.get(row.id) ?? 0,
      ...(row.operational && { operational: true }),
    }, 'event accepted');
  }
}

function deliveryRow(event: EventRow, routed: RoutedEvent): DeliveryRow {
  const id = newId();
  const base = {
    id,
    workspace_id: event.workspace_id,
    event_id: event.id,
    connection_id: routed.route.connection.id,
    rule_id: routed.route.ruleId,
    event_type: event.type,
    created_at: event.created_at,
  };
  const state = initialState({ connectionActive: routed.route.connection.status === 'ACTIVE', conditionError: routed.conditionError });
  const waitsForPump = state.status === 'PENDING' && !state.parked;
  return {
    ...base,
    status: state.status,
    parked_at: state.parked ? event.created_at : null,
    last_error: state.lastError,
    job: waitsForPump ? connectionPumpJob(routed.route.connection.id) : null,
  };
}

/**
 * Numbers the events given by their idempotency keys, in order, skipping keys the workspace has
 * already stored (those events are duplicates and must not use up a number). A Postgres sequence
 * never blocks concurrent emits.
 */
const NEXT_SEQUENCES = preparedStatement('switchyard_next_sequences', `select k.ord, nextval(?::regclass) as sequence
     from json_array_elements_text(?::json) with ordinality as k(key, ord)
     where k.key is null or not exists (select 1 from events e where e.workspace_id = ?::uuid and e.idempotency_key = k.key)
     order by k.ord`);

/** Sequence numbers by 1-based position in `keys`, for the keys not stored yet. */
async function nextSequences(em: EntityManager, workspaceId: string, keys: (string | null)[]): Promise<Map<number, number>> {
  const rows = await runPrepared<{ ord: string; sequence: string }>(em, NEXT_SEQUENCES, [eventSequenceName(workspaceId), JSON.stringify(keys), workspaceId]);
  return new Map(rows.map((row) => [Number(row.ord), Number(row.sequence)]));
}

async function findByIdempotencyKey(em: EntityManager, workspaceId: string, key: string): Promise<EventRecord> {
  const [row] = await em.execute<EventRow[]>(
    'select * from events where workspace_id = ? and idempotency_key = ?',
    [workspaceId, key],
  );
  return toRecord(row!);
}
