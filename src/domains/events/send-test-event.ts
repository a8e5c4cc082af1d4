import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { newId } from '../../db/ids.ts';
import { getConnection } from '../connections/connection.service.ts';
import { Delivery } from '../deliveries/delivery.entity.ts';
import { queuePumpNow } from '../deliveries/delivery-jobs.ts';
import { initialState } from '../deliveries/state/delivery-states.ts';
import { EventType } from '../event-types/event-type.entity.ts';
import { examplePayload } from '../event-types/example-payload.ts';
import { ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { checkPayload } from './check-payload.ts';
import { emitEventInput } from './emit-input.ts';
import { uncatalogedTypeIssues } from './event-catalog.ts';
import { toRecord, type EventRecord, type EventRow } from './event-record.ts';
import { persistEvents } from './persist-events.ts';
import { routingSnapshot } from './routing-snapshot.ts';

const sendTestEventInput = z.object({
  connectionId: z.string(),
  type: emitEventInput.shape.type,
  payload: z.unknown().optional(),
});

export interface TestSend {
  event: EventRecord;
  delivery: Delivery;
}

/**
 * Sends a test event to one connection, the way Svix's "send example" and Stripe's "send test
 * webhook" do: a real event and a real delivery (signed, retried, logged, replayable, streamed),
 * marked `test` on both and with `"test": true` in the default body, so the receiver can tell.
 * It bypasses the rules (no other connection gets it, no transform shapes it) and takes no
 * number from the workspace's sequence (it has 0), so real receivers see no gap. Without a
 * payload it sends the event type's example payload (`examplePayload`), or `{}`; a payload
 * given is checked like an emitted one, and so is the type in a strict catalog. A paused
 * connection's test waits, like any delivery.
 * `input.connectionId` is the storage id.
 */
export async function sendTestEvent(
  em: EntityManager,
  config: Config,
  context: { workspaceId: string; routingVersion: number },
  input: unknown,
): Promise<TestSend> {
  const { workspaceId } = context;
  const data = parseInput(sendTestEventInput, input);
  const connection = await getConnection(em, workspaceId, data.connectionId);
  const eventType = data.payload === undefined ? await em.findOne(EventType, { workspace: workspaceId, name: data.type }) : null;
  const payload = data.payload !== undefined ? data.payload : eventType ? await examplePayload(em, eventType) : {};
  const routing = routingSnapshot(em, workspaceId, context.routingVersion);
  const issues = [
    ...uncatalogedTypeIssues(await routing.catalog(), data.type, ['input']),
    ...(await checkPayload(routing, config, data.type, payload, ['input'])).issues,
  ];
  if (issues.length > 0) throw new ValidationError(issues);

  const now = new Date().toISOString();
  const event: EventRow = {
    id: newId(),
    workspace_id: workspaceId,
    type: data.type,
    resource: null,
    resource_id: null,
    payload,
    idempotency_key: null,
    sequence: 0,
    created_at: now,
    operational: false,
    test: true,
  };
  const state = initialState({ connectionActive: connection.status === 'ACTIVE' });
  const deliveryId = newId();
  await em.transactional(async (tx) => {
    await persistEvents(tx, [event], [{
      id: deliveryId,
      workspace_id: workspaceId,
      event_id: event.id,
      connection_id: connection.id,
      rule_id: null,
      event_type: data.type,
      status: state.status,
      parked_at: state.parked ? now : null,
      last_error: state.lastError,
      created_at: now,
      test: true,
      job: null,
    }]);
    if (!state.parked) await queuePumpNow(tx, connection.id);
  });
  const delivery = await em.findOneOrFail(Delivery, { id: deliveryId, workspace: workspaceId });
  return { event: toRecord(event), delivery };
}

