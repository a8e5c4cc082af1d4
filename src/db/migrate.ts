import type { MikroORM } from '@mikro-orm/postgresql';
import { runMigrations } from 'graphile-worker';
import { withSessionLock } from './advisory-locks.ts';
import { quietLogger } from './quiet-logger.ts';
import { workerPool } from './worker-pool.ts';

/**
 * Brings the database up to date: Switchyard's tables, then graphile-worker's schema. Processes
 * that start together take turns: the first migrates, the others then find nothing to do.
 */
export async function migrate(orm: MikroORM, databaseUrl: string): Promise<void> {
  await withSessionLock(databaseUrl, 'migrations', async () => {
    await orm.migrator.up();
    // A pool of our own, ended before returning: graphile-worker would end its own without waiting.
    const pgPool = workerPool(databaseUrl, 2);
    try {
      await runMigrations({ pgPool, logger: quietLogger });
    } finally {
      await pgPool.end();
    }
  });
}
