import pg from 'pg';

/**
 * A pg pool for graphile-worker, with the error handlers it asks for (it warns on every start
 * without them): an error on an idle connection, or on one in use that its query does not
 * report, is logged instead of ending the process; graphile-worker retries what failed.
 */
export function workerPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  const log = (error: Error) => console.error('[worker] a database connection failed:', error.message);
  pool.on('error', log);
  pool.on('connect', (client) => client.on('error', log));
  return pool;
}
