import { MikroORM, defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { migrations } from './migrations/index.ts';

/** Options shared by the service and the migration generator; `entities` is the domains' list. */
export function ormOptions(databaseUrl: string, entities: NonNullable<Options['entities']>, poolSize = 10) {
  return defineConfig({
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: poolSize },
    ensureDatabase: false,
    migrations: {
      tableName: 'switchyard_migrations',
      silent: true,
      path: 'src/db/migrations',
      snapshot: false,
      // Each migration in a transaction of its own, recorded in it: a migration that builds an
      // index concurrently must run outside every transaction, and one around them all would
      // hold the locks of every earlier migration while it waits.
      transactional: true,
      allOrNothing: false,
      migrationsList: migrations,
    },
  });
}

/** Connects the ORM with `entities` (see `domains/entities.ts`); the caller owns `close()`. */
export async function connectOrm(databaseUrl: string, entities: NonNullable<Options['entities']>, poolSize?: number): Promise<MikroORM> {
  return MikroORM.init(ormOptions(databaseUrl, entities, poolSize));
}
