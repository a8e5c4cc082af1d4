import pg from 'pg';

/**
 * One dedicated Postgres session that LISTENs on some channels for as long as the process runs,
 * and hands each notification to `onNotification`. The session is not taken from the ORM pool:
 * a LISTEN belongs to one session for its whole life. A lost connection is noticed (an error,
 * an end, or a heartbeat query that does not come back) and reopened with jittered exponential
 * backoff. Notifications sent while it reconnects are lost; callers that must not miss anything
 * re-read state after `ready()`.
 */
export interface NotificationListener {
  /** Resolves once the session is connected and listening (again, after a lost connection). */
  ready(): Promise<void>;
  /** Whether the session is connected and listening right now (for readiness checks). */
  isListening(): boolean;
  /** Ends the session (after `onClosing`); nothing is handed on afterwards. */
  close(): Promise<void>;
  /**
   * Runs a statement on the listening session itself (for state tied to its backend, such as
   * rows keyed by `pg_backend_pid()`); null while it is not listening, when `onListening`
   * catches up on the next connection instead.
   */
  query(sql: string, values?: unknown[]): Promise<void> | null;
}

/** The listening session, as the hooks below see it. */
export interface ListenerSession {
  query(sql: string, values?: unknown[]): Promise<unknown>;
}

export interface NotificationListenerOptions {
  /** The channels to LISTEN on; names of plain lowercase letters, digits and underscores. */
  channels: readonly string[];
  /** Called with each notification's channel and payload. */
  onNotification: (channel: string, payload: string) => void;
  /** `application_name` of the session, so operators (and tests) can find it. */
  applicationName: string;
  /** Delay before the first reconnect; it doubles with each failure. (Default: 100) */
  minBackoffMs?: number;
  /** Longest delay between reconnects. (Default: 10000) */
  maxBackoffMs?: number;
  /** How often the session is checked with a query, in ms. (Default: 30000) */
  heartbeatMs?: number;
  /** Where connection losses and reconnects are reported, prefixed with `name`. (Default: nowhere) */
  log?: (line: string) => void;
  /** How the log lines call this listener, e.g. "Delivery listener". (Default: "Listener") */
  name?: string;
  /** Runs on each new session once it listens, before `ready()` resolves; a failure counts as a lost connection. (Default: nothing) */
  onListening?: (session: ListenerSession) => Promise<void>;
  /** Runs on the session before `close()` ends it; its failure is ignored. (Default: nothing) */
  onClosing?: (session: ListenerSession) => Promise<void>;
}

/** Connects the session (failing if the first connection fails) and starts listening. */
export async function startNotificationListener(databaseUrl: string, options: NotificationListenerOptions): Promise<NotificationListener> {
  const { channels, onNotification, applicationName, minBackoffMs = 100, maxBackoffMs = 10_000, heartbeatMs = 30_000 } = options;
  const log = options.log ?? (() => {});
  const name = options.name ?? 'Listener';
  for (const channel of channels) if (!/^[a-z0-9_]+$/.test(channel)) throw new Error(`Not a channel name: ${channel}`);
  const listened = new Set(channels);
  let client: pg.Client | null = null;
  let listening = false;
  let closed = false;
  let failures = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  const readyWaiters: (() => void)[] = [];

  const scheduleReconnect = () => {
    if (closed) return;
    // Full jitter, so API processes that lost Postgres together do not reconnect in lockstep.
    const delay = Math.random() * Math.min(maxBackoffMs, minBackoffMs * 2 ** failures++);
    reconnectTimer = setTimeout(() => void open().catch(() => {}), delay);
  };

  const open = async (): Promise<void> => {
    const connection = new pg.Client({ connectionString: databaseUrl, application_name: applicationName, keepAlive: true });
    client = connection;
    const lost = (error?: Error) => {
      if (client !== connection) return;
      client = null;
      listening = false;
      connection.removeAllListeners('notification');
      void connection.end().catch(() => {});
      if (!closed) log(`${name} lost its connection${error ? ` (${error.message})` : ''}; reconnecting`);
      scheduleReconnect();
    };
    connection.on('error', lost);
    connection.on('end', () => lost());
    connection.on('notification', (message) => {
      if (listened.has(message.channel) && message.payload) onNotification(message.channel, message.payload);
    });
    try {
      await connection.connect();
      await connection.query(channels.map((channel) => `LISTEN ${channel}`).join('; '));
      await options.onListening?.(connection);
    } catch (error) {
      lost(error as Error);
      throw error;
    }
    if (client !== connection) return;
    if (failures > 0) log(`${name} reconnected`);
    failures = 0;
    listening = true;
    for (const resolve of readyWaiters.splice(0)) resolve();
  };

  // A half-open TCP connection can look alive for a long time; a query that does not come back
  // within one interval counts as a lost connection.
  let awaitingHeartbeat: pg.Client | null = null;
  const heartbeat = setInterval(() => {
    const connection = client;
    if (!connection || !listening) return;
    if (awaitingHeartbeat === connection) {
      connection.emit('error', new Error('heartbeat timed out'));
      return;
    }
    awaitingHeartbeat = connection;
    const settle = () => {
      if (awaitingHeartbeat === connection) awaitingHeartbeat = null;
    };
    connection.query('select 1').then(settle, settle);
  }, heartbeatMs);
  heartbeat.unref();

  const close = async () => {
    if (closed) return;
    closed = true;
    clearTimeout(reconnectTimer);
    clearInterval(heartbeat);
    const connection = client;
    client = null;
    listening = false;
    if (connection && options.onClosing) await options.onClosing(connection).catch(() => {});
    await connection?.end().catch(() => {});
  };

  try {
    await open();
  } catch (error) {
    await close();
    throw error;
  }

  return {
    isListening: () => listening,
    ready() {
      if (closed) return Promise.reject(new Error(`${name} is closed`));
      if (listening) return Promise.resolve();
      return new Promise<void>((resolve) => readyWaiters.push(resolve));
    },
    close,
    query(sql, values) {
      if (!client || !listening) return null;
      return client.query(sql, values).then(() => {});
    },
  };
}
