import pg from 'pg';
import { logger } from '../observability/logger.ts';

const log = logger.child({ component: 'worker' });

/**
 * A pg pool for graphile-worker, with the error handlers it asks for (it warns on every start
 * without them): an error on an idle connection, or on one in use that its query does not
 * report, is logged instead of ending the process; graphile-worker retries what failed.
 * `settings` are its sessions' Postgres settings, e.g. `{ synchronous_commit: 'off' }`.
 */
export function workerPool(connectionString: string, max: number, settings: Record<string, string> = {}): pg.Pool {
  const options = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`).join(' ');
  const pool = new pg.Pool({ connectionString, max, ...(options ? { options } : {}) });
  const report = (error: Error) => log.warn({ err: error }, 'a database connection of the worker failed');
  const open = new Set<Promise<void>>();
  openConnections.set(pool, open);
  pool.on('error', report);
  pool.on('connect', (client) => {
    client.on('error', report);
    const closed = new Promise<void>((resolve) => client.once('end', () => resolve()));
    open.add(closed);
    void closed.then(() => open.delete(closed));
  });
  return pool;
}

/** Each worker pool's connections, as promises that settle once their sockets are closed. */
const openConnections = new WeakMap<pg.Pool, Set<Promise<void>>>();

/**
 * Ends a pool of `workerPool` once its connections are closed. `pool.end()` resolves as soon as
 * it has asked them to close: a Postgres stopped right after would end them itself, and each
 * would report that as a failure.
 */
export async function endWorkerPool(pool: pg.Pool): Promise<void> {
  await pool.end();
  await Promise.all(openConnections.get(pool) ?? []);
}
