import { startNotificationListener } from '../db/notification-listener.ts';
import { DELIVERY_CHANNEL, type DeliveryPubSub } from '../domains/deliveries/delivery-notifications.ts';
import { isUuid } from '../domains/public-ids.ts';

export interface DeliveryPubSubOptions {
  /** Delay before the first reconnect; it doubles with each failure. (Default: 100) */
  minBackoffMs?: number;
  /** Longest delay between reconnects. (Default: 10000) */
  maxBackoffMs?: number;
  /** How often the listener checks its connection with a query, in ms. (Default: 30000) */
  heartbeatMs?: number;
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

interface Listener {
  wake: (registeredAgain: boolean) => void;
  registered: boolean;
}

/**
 * The delivery pub/sub of an API process: wake-ups for its streams.
 *
 * The worker may run in another process, so changes travel through Postgres: the engine calls
 * `pg_notify` inside the transaction that makes a change, and one dedicated connection per API
 * process (notification-listener.ts) LISTENs on the channel and wakes the listeners of the
 * notification's workspace, which read what changed from the change log. A notification lost
 * while the listener reconnects costs nothing: once it listens again, it wakes every listener,
 * and they read on from where they were.
 *
 * Writers announce a workspace's changes only while a listener has registered it
 * (`delivery_listeners`, see `listenedTo`): the first listener of a workspace in this process
 * registers it, on the listening connection, and counts once that is done; the last one to stop
 * unregisters it. Connects the listener (failing if the first connection fails).
 */
export async function startDeliveryPubSub(databaseUrl: string, options: DeliveryPubSubOptions = {}): Promise<DeliveryPubSub> {
  const log = options.log ?? (() => {});
  const byWorkspace = new Map<string, Set<Listener>>();
  let closed = false;
  /** The workspaces this listener has registered, or is registering, by workspace id. */
  const registered = new Map<string, Promise<void>>();
  const forget = (error: Error) => log(`Delivery listener could not update its workspaces (${error.message}); it will on reconnecting`);

  const wakeAll = (listeners: Iterable<Listener>, registeredAgain: boolean) => {
    for (const listener of [...listeners]) {
      try {
        listener.wake(registeredAgain);
      } catch (error) {
        log(`A delivery stream failed to wake (${(error as Error).message})`);
      }
    }
  };
  let sessions = 0;

  const listener = await startNotificationListener(databaseUrl, {
    ...options,
    channels: [DELIVERY_CHANNEL],
    applicationName: LISTENER_APPLICATION_NAME,
    name: 'Delivery listener',
    onNotification: (_channel, payload) => {
      const workspaceId = workspaceOf(payload);
      if (workspaceId) wakeAll(byWorkspace.get(workspaceId) ?? [], false);
    },
    onListening: async (session) => {
      // A listener that went away (this one before it reconnected, a crashed process) leaves rows behind.
      await session.query(FORGET_GONE_LISTENERS);
      if (registered.size > 0) await session.query(REGISTER, [[...registered.keys()]]);
      // Changes may have committed while nobody listened: every stream reads on from where it was.
      if (sessions++ > 0) for (const listeners of byWorkspace.values()) wakeAll(listeners, true);
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
    listen(workspaceId, wake) {
      if (closed) throw new Error('The delivery pub/sub is closed');
      let listeners = byWorkspace.get(workspaceId);
      if (!listeners) byWorkspace.set(workspaceId, (listeners = new Set()));
      const set = listeners;
      // Its own object, so the same `wake` listening twice stops twice.
      const entry: Listener = { wake, registered: false };
      set.add(entry);
      const done = register(workspaceId).then(() => {
        entry.registered = true;
      });
      return {
        registered: done,
        stop() {
          set.delete(entry);
          if (set.size === 0 && byWorkspace.get(workspaceId) === set) {
            byWorkspace.delete(workspaceId);
            unregister(workspaceId);
          }
        },
      };
    },
    listenerCount(workspaceId) {
      return [...(byWorkspace.get(workspaceId) ?? [])].filter((entry) => entry.registered).length;
    },
    isListening: () => listener.isListening(),
    ready() {
      if (closed) return Promise.reject(new Error('The delivery pub/sub is closed'));
      return listener.ready();
    },
    async close() {
      if (closed) return;
      closed = true;
      byWorkspace.clear();
      registered.clear();
      await listener.close();
    },
  };
}

/** The workspace a notification is about; null for anything else on the channel. */
function workspaceOf(payload: string): string | null {
  try {
    const { workspaceId } = JSON.parse(payload) as { workspaceId?: unknown };
    return typeof workspaceId === 'string' && isUuid(workspaceId) ? workspaceId : null;
  } catch {
    return null;
  }
}
