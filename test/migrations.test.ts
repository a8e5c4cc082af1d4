import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/db/migrate.ts';
import { Migration20261228010000_retention_indexes } from '../src/db/migrations/Migration20261228010000_retention_indexes.ts';
import { connectOrm } from '../src/db/orm.ts';
import { entities } from '../src/domains/entities.ts';
import { createTestDatabase } from './helpers/database.ts';

const databaseUrl = await createTestDatabase();
const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
afterAll(() => db.end());

const RETENTION_INDEXES = ['events_workspace_id_created_at_id_index', 'events_workspace_id_resource_index'];
const MIGRATION = 'Migration20261228010000_retention_indexes';

/** The events indexes by name, with whether each is valid (usable by queries) and ready (kept up to date). */
async function eventIndexes(): Promise<Record<string, { valid: boolean; ready: boolean }>> {
  const { rows } = await db.query<{ name: string; valid: boolean; ready: boolean }>(
    `select c.relname as name, i.indisvalid as valid, i.indisready as ready
     from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = 'events'::regclass`,
  );
  return Object.fromEntries(rows.map(({ name, ...state }) => [name, state]));
}

/** Runs Switchyard's migrations on the test database, as a start does. */
async function migrateAgain(): Promise<void> {
  const orm = await connectOrm(databaseUrl, entities, 2);
  try {
    await migrate(orm, databaseUrl);
  } finally {
    await orm.close();
  }
}

async function forgetRetentionIndexes(): Promise<void> {
  for (const name of RETENTION_INDEXES) await db.query(`drop index if exists "${name}"`);
  await db.query('delete from switchyard_migrations where name = $1', [MIGRATION]);
}

describe('the events indexes retention reads by', () => {
  it('exist and are valid, built outside the migration transaction, and replace the index they cover', async () => {
    const indexes = await eventIndexes();
    for (const name of RETENTION_INDEXES) expect([name, indexes[name]]).toEqual([name, { valid: true, ready: true }]);
    expect(indexes).not.toHaveProperty('events_workspace_id_created_at_index');
    expect(new Migration20261228010000_retention_indexes({} as never, {} as never).isTransactional()).toBe(false);
  });

  it("serve the retention task's cursor as one range of the index", async () => {
    const client = await db.connect();
    try {
      // The table is nearly empty here: ask whether the index can serve the query, not whether it is cheapest.
      await client.query('set enable_seqscan = off');
      const { rows: [plan] } = await client.query(
        `explain (format json) select e.id from events e
         where e.workspace_id = '00000000-0000-4000-8000-000000000002' and e.created_at < now()
           and (e.created_at, e.id) > (now() - interval '1 day', '00000000-0000-4000-8000-000000000003'::uuid)
         order by e.created_at, e.id limit 1000`,
      );
      const text = JSON.stringify(plan);
      expect(text).toContain('events_workspace_id_created_at_id_index');
      // The cursor is an index condition, not a filter over every row before it.
      expect(text).toMatch(/"Index Cond":"[^"]*ROW\(created_at, id\) >/);
      expect(text).not.toContain('"Sort"');
    } finally {
      client.release();
    }
  });

  it('are built without a lock that stops emits, and rebuilt when a failed build left one invalid', async () => {
    await forgetRetentionIndexes();
    await db.query(`insert into workspaces (id, name, environment, created_at) values ('00000000-0000-4000-8000-000000000001', 'locks', 'test', now())`);
    const insertEvent = (client: pg.Pool | pg.PoolClient) => client.query(
      `insert into events (id, workspace_id, type, payload, sequence, created_at, operational)
       values (gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'order.completed', '{}', 1, now(), false)`);
    // A writer whose transaction stays open: a concurrent build waits for it to end, a plain
    // build would too, and every insert after would queue behind the plain build's lock.
    const writer = await db.connect();
    try {
      await writer.query('begin');
      await insertEvent(writer);
      const migrating = migrateAgain();
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Behind a plain build's lock this insert would wait for the writer, and time out.
      const emitter = await db.connect();
      try {
        await emitter.query('set statement_timeout = 3000');
        await insertEvent(emitter);
      } finally {
        emitter.release();
      }
      await writer.query('commit');
      await migrating;
    } finally {
      writer.release();
    }
    const rebuilt = await eventIndexes();
    for (const name of RETENTION_INDEXES) expect([name, rebuilt[name]]).toEqual([name, { valid: true, ready: true }]);

    // As an interrupted `create index concurrently` leaves it: present, invalid.
    await db.query(`update pg_index set indisvalid = false where indexrelid = 'events_workspace_id_resource_index'::regclass`);
    await db.query('delete from switchyard_migrations where name = $1', [MIGRATION]);
    expect((await eventIndexes()).events_workspace_id_resource_index).toEqual({ valid: false, ready: true });
    await migrateAgain();
    expect((await eventIndexes()).events_workspace_id_resource_index).toEqual({ valid: true, ready: true });
  });
});
