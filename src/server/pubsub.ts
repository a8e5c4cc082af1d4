import { startNotificationListener } from '../db/notification-listener.ts';
import { DELIVERY_CHANNEL, type DeliveryNotification, type DeliveryPubSub } from '../domains/deliveries/delivery-notifications.ts';
import { pushIterator, type Sink } from './push-iterator.ts';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../domains/deliveries/delivery.entity.ts';

export interface DeliveryPubSubOptions {
  /** Delay before the first reconnect; it doubles with each failure. (Default: 100) */
  minBackoffMs?: number;
  /** Longest delay between reconnects. (Default: 10000) */
  maxBackoffMs?: number;
  /** How often the listener checks its connection with a query, in ms. (Default: 30000) */
  heartbeatMs?: number;
  /** Notifications a subscriber may leave unread before it is ended with an error. (Default: 1000) */
  maxQueued?: number;
  /** Where connection losses and reconnects are reported. (Default: nowhere) */
  log?: (line: string) => void;
}

/** Registers workspaces (a uuid array) under the listening connection's backend. */
const REGISTER = `insert into delivery_listeners (workspace_id, listener_pid)
  select w, pg_backend_pid() from unnest($1::uuid[]) as w on conflict do nothing`;
const UNREGISTER = 'delete from delivery_listeners where workspace_id = $1 and listener_pid = pg_backend_pid()';
const UNREGISTER_ALL = 'delete from delivery_listeners where listener_pid = pg_backend_pid()';
const FORGET_GONE_LISTENERS = 'delete from delivery_listeners where listener_pid not in (select pid from pg_stat_activity)';

/** `application_name` of the listener's session, so operators (and tests) can find it. */
export const LISTENER_APPLICATION_NAME = 'switchyard-delivery-listener';

type Subscriber = Sink<DeliveryNotification>;

/**
 * The delivery pub/sub of an API process.
 *
 * The worker may run in another process, so changes travel through Postgres: the engine calls
 * `pg_notify` inside the transaction that makes a change, and one dedicated connection per API
 * process (notification-listener.ts) LISTENs on the channel and fans each notification out to
 * the subscribers of its workspace. Notifications sent while the listener is reconnecting are
 * lost; a subscriber that must not miss anything re-reads the deliveries it cares about after
 * subscribing.
 *
 * Writers announce a workspace's changes only while a listener has registered it
 * (`delivery_listeners`, see `listenedTo`): the first subscription of a workspace in this process
 * registers it, on the listening connection, and counts once that is done (a change committed
 * before then was not announced); the last one to end unregisters it. Connects the listener
 * (failing if the first connection fails).
 */
export async function startDeliveryPubSub(databaseUrl: string, options: DeliveryPubSubOptions = {}): Promise<DeliveryPubSub> {
  const { maxQueued = 1000, ...listenerOptions } = options;
  const log = options.log ?? (() => {});
  /** Each workspace's subscriptions: all of them, and those whose workspace writers know of (registered). */
  const byWorkspace = new Map<string, { registered: Set<Subscriber>; all: Set<Subscriber> }>();
  let closed = false;
  /** The workspaces this listener has registered, or is registering, by workspace id. */
  const registered = new Map<string, Promise<void>>();
  const forget = (error: Error) => log(`Delivery listener could not update its workspaces (${error.message}); it will on reconnecting`);

  const dispatch = (_channel: string, payload: string) => {
    const notification = parseNotification(payload);
    if (!notification) return;
    for (const subscriber of byWorkspace.get(notification.workspaceId)?.all ?? []) subscriber.push(notification);
  };

  const listener = await startNotificationListener(databaseUrl, {
    ...listenerOptions,
    channels: [DELIVERY_CHANNEL],
    onNotification: dispatch,
    applicationName: LISTENER_APPLICATION_NAME,
    name: 'Delivery listener',
    onListening: async (session) => {
      // A listener that went away (this one before it reconnected, a crashed process) leaves rows behind.
      await session.query(FORGET_GONE_LISTENERS);
      if (registered.size > 0) await session.query(REGISTER, [[...registered.keys()]]);
    },
    onClosing: async (session) => {
      await session.query(UNREGISTER_ALL);
    },
  });

  const register = (workspaceId: string): Promise<void> => {
    let done = registered.get(workspaceId);
    if (!done) {
      // Without a session now, the next one registers it as it starts listening.
      done = listener.query(REGISTER, [[workspaceId]])?.catch(forget) ?? Promise.resolve();
      registered.set(workspaceId, done);
    }
    return done;
  };
  const unregister = (workspaceId: string) => {
    registered.delete(workspaceId);
    listener.query(UNREGISTER, [workspaceId])?.catch(forget);
  };

  return {
    subscribe(workspaceId) {
      if (closed) throw new Error('The delivery pub/sub is closed');
      let members = byWorkspace.get(workspaceId);
      if (!members) byWorkspace.set(workspaceId, (members = { registered: new Set(), all: new Set() }));
      const workspace = members;
      const iterator = pushIterator<DeliveryNotification>(maxQueued, () => {
        workspace.registered.delete(iterator.subscriber);
        workspace.all.delete(iterator.subscriber);
        if (workspace.all.size === 0 && byWorkspace.get(workspaceId) === workspace) {
          byWorkspace.delete(workspaceId);
          unregister(workspaceId);
        }
      });
      workspace.all.add(iterator.subscriber);
      // It hears what arrives at once; writers announce the workspace's changes once it is
      // registered (a round trip later), from when it counts in `subscriberCount`.
      void register(workspaceId).then(() => {
        if (workspace.all.has(iterator.subscriber)) workspace.registered.add(iterator.subscriber);
      });
      return iterator.iterable;
    },
    subscriberCount(workspaceId) {
      return byWorkspace.get(workspaceId)?.registered.size ?? 0;
    },
    isListening: () => listener.isListening(),
    ready() {
      if (closed) return Promise.reject(new Error('The delivery pub/sub is closed'));
      return listener.ready();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const { all } of byWorkspace.values()) for (const subscriber of all) subscriber.end();
      byWorkspace.clear();
      registered.clear();
      await listener.close();
    },
  };
}

function parseNotification(payload: string): DeliveryNotification | null {
  try {
    const value = JSON.parse(payload) as Partial<DeliveryNotification>;
    if (typeof value.workspaceId !== 'string' || typeof value.deliveryId !== 'string') return null;
    if (!DELIVERY_STATUSES.includes(value.status as DeliveryStatus)) return null;
    return {
      workspaceId: value.workspaceId,
      deliveryId: value.deliveryId,
      status: value.status!,
      ...(typeof value.attemptId === 'string' ? { attemptId: value.attemptId } : {}),
    };
  } catch {
    return null;
  }
}
