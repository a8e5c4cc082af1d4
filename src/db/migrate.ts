import type { MikroORM } from '@mikro-orm/postgresql';
import { runMigrations } from 'graphile-worker';
import { quietLogger } from './quiet-logger.ts';

/** Brings the database up to date: Switchyard's tables, then graphile-worker's schema. */
export async function migrate(orm: MikroORM, databaseUrl: string): Promise<void> {
  await orm.migrator.up();
  await runMigrations({ connectionString: databaseUrl, logger: quietLogger });
}
