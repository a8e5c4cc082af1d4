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
 * Connects the listener (failing if the first connection fails).
 */
export async function startDeliveryPubSub(databaseUrl: string, options: DeliveryPubSubOptions = {}): Promise<DeliveryPubSub> {
  const { maxQueued = 1000, ...listenerOptions } = options;
  const byWorkspace = new Map<string, Set<Subscriber>>();
  let closed = false;

  const dispatch = (_channel: string, payload: string) => {
    const notification = parseNotification(payload);
    if (!notification) return;
    for (const subscriber of byWorkspace.get(notification.workspaceId) ?? []) subscriber.push(notification);
  };

  const listener = await startNotificationListener(databaseUrl, {
    ...listenerOptions,
    channels: [DELIVERY_CHANNEL],
    onNotification: dispatch,
    applicationName: LISTENER_APPLICATION_NAME,
    name: 'Delivery listener',
  });

  return {
    subscribe(workspaceId) {
      if (closed) throw new Error('The delivery pub/sub is closed');
      let subscribers = byWorkspace.get(workspaceId);
      if (!subscribers) byWorkspace.set(workspaceId, (subscribers = new Set()));
      const set = subscribers;
      const iterator = pushIterator<DeliveryNotification>(maxQueued, () => {
        set.delete(iterator.subscriber);
        if (set.size === 0 && byWorkspace.get(workspaceId) === set) byWorkspace.delete(workspaceId);
      });
      set.add(iterator.subscriber);
      return iterator.iterable;
    },
    subscriberCount(workspaceId) {
      return byWorkspace.get(workspaceId)?.size ?? 0;
    },
    isListening: () => listener.isListening(),
    ready() {
      if (closed) return Promise.reject(new Error('The delivery pub/sub is closed'));
      return listener.ready();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const subscribers of byWorkspace.values()) for (const subscriber of subscribers) subscriber.end();
      byWorkspace.clear();
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
