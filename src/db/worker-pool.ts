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
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  return pool;
}
