import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../db/ids.ts';
import { writeEvents } from './emit.ts';
import type { Config } from '../../config.ts';

/** Events Switchyard emits into a workspace about its own deliveries and connections. */
export type OperationalEventType =
  | 'switchyard.delivery.exhausted'
  | 'switchyard.connection.failing'
  | 'switchyard.connection.disabled'
  | 'switchyard.connection.needs_reauth'
  | 'switchyard.connection.throttled'
  | 'switchyard.resource.erased';

/** What an operational event is about: a connection (never delivered to it), or a resource of the product. */
export type OperationalSubject = { connectionId: string } | { resource: string; resourceId: string };

/**
 * Emits an operational event into the same workspace, in the caller's transaction, so a rule can
 * route it (to Slack, say) like any other event. It is never delivered to the connection it is
 * about: an alert must not feed the failure it reports.
 */
export async function emitOperationalEvent(
  em: EntityManager,
  config: Config,
  workspaceId: string,
  type: OperationalEventType,
  subject: OperationalSubject,
  payload: Record<string, unknown>,
): Promise<void> {
  const about = 'connectionId' in subject
    ? { resource: 'connection', resource_id: subject.connectionId }
    : { resource: subject.resource, resource_id: subject.resourceId };
  await writeEvents(
    em,
    config,
    [{
      id: newId(),
      workspace_id: workspaceId,
      type,
      ...about,
      payload,
      idempotency_key: null,
      sequence: null,
      created_at: new Date().toISOString(),
      operational: true,
    }],
    'connectionId' in subject ? { excludeConnectionId: subject.connectionId } : {},
  );
}
