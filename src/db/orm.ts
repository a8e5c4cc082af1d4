import { MikroORM, defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities.ts';
import { migrations } from './migrations/index.ts';

/** Options shared by the service and the migration generator. */
export function ormOptions(databaseUrl: string, poolSize = 10) {
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
      transactional: true,
      allOrNothing: true,
      migrationsList: migrations,
    },
  });
}

/** Connects the ORM; the caller owns `close()`. */
export async function connectOrm(databaseUrl: string, poolSize?: number): Promise<MikroORM> {
  return MikroORM.init(ormOptions(databaseUrl, poolSize));
}
