import pg from 'pg';
import { migrations } from './migrations/index.ts';

/**
 * A pool of two connections for health checks and the metrics read at scrape time, apart from the
 * pools that serve requests and jobs: a busy process still answers `/readyz` on time, and a
 * check cannot take a connection a request waits for.
 */
export function opsPool(databaseUrl: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 2,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 60_000,
    // A check or a scrape that runs long is cut off rather than left to pile up.
    statement_timeout: 5000,
    application_name: 'switchyard-ops',
  });
  // A lost idle connection is found again by the next check; it must not end the process.
  pool.on('error', () => {});
  return pool;
}

/** Postgres answers a query. */
export async function checkPostgres(pool: pg.Pool): Promise<string | null> {
  await pool.query('select 1');
  return null;
}

/** Every migration this version knows has been applied. */
export async function checkMigrations(pool: pg.Pool): Promise<string | null> {
  const { rows } = await pool.query<{ name: string }>('select name from switchyard_migrations');
  const applied = new Set(rows.map((row) => row.name));
  const missing = migrations.filter((migration) => !applied.has(migration.name)).map((migration) => migration.name);
  return missing.length ? `${missing.length} migration(s) not applied: ${missing.join(', ')}` : null;
}
