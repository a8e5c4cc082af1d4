// Writes a migration for the difference between the entities and a scratch database.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { connectOrm } from '../src/db/orm.ts';
import { entities } from '../src/domains/entities.ts';

const db = await startEmbeddedPostgres({
  dataDir: mkdtempSync(join(tmpdir(), 'switchyard-migration-')),
  port: 54399,
  ephemeral: true,
});
const orm = await connectOrm(db.url, entities);
try {
  await orm.migrator.up();
  const result = await orm.migrator.create(undefined, false, false, process.argv[2]);
  console.log(result.fileName ? `wrote ${result.fileName}` : 'entities and migrations agree');
} finally {
  await orm.close();
  await db.stop();
}
