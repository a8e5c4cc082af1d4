import pg from 'pg';
import { logger } from '../observability/logger.ts';

const log = logger.child({ component: 'worker' });

/**
 * A pg pool for graphile-worker, with the error handlers it asks for (it warns on every start
 * without them): an error on an idle connection, or on one in use that its query does not
 * report, is logged instead of ending the process; graphile-worker retries what failed.
 */
export function workerPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  const report = (error: Error) => log.warn({ err: error }, 'a database connection of the worker failed');
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  return pool;
}
