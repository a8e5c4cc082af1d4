import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { connectOrm } from '../../src/db/orm.ts';
import { entities } from '../../src/domains/entities.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ensurePortalBuilt } from '../../src/server/portal/build.ts';

export const TEMPLATE_DATABASE = 'switchyard_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of the test cluster's `postgres` database, for creating test databases. */
    postgresAdminUrl: string;
  }
}

/**
 * One real Postgres for the whole run, with a migrated template database; each test file clones
 * the template into a database of its own (see `database.ts`).
 */
export default async function setup(project: TestProject) {
  // Once, before any test file starts a server: the pages they load are this build.
  await ensurePortalBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
  const db = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    database: TEMPLATE_DATABASE,
    ephemeral: true,
  });
  const orm = await connectOrm(db.url, entities, 2);
  await migrate(orm, db.url);
  await orm.close();
  project.provide('postgresAdminUrl', db.urlFor('postgres'));
  return async () => {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}

/** A port nothing listens on right now: the kernel's pick, released for the caller. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
