import pg from 'pg';

/**
 * Every row of every table Switchyard and graphile-worker keep, as text: what a data dump holds,
 * with the tables it read, so a test can tell the dump covered what it means to check.
 */
export async function dumpAllRows(databaseUrl: string): Promise<{ dump: string; tables: string[] }> {
  const db = new pg.Client(databaseUrl);
  await db.connect();
  try {
    const { rows: tables } = await db.query<{ schema: string; name: string }>(
      `select table_schema as schema, table_name as name from information_schema.tables
       where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
    );
    let dump = '';
    for (const table of tables) {
      const { rows } = await db.query<{ row: string }>(`select t::text as row from "${table.schema}"."${table.name}" t`);
      dump += rows.map((row) => row.row).join('\n');
    }
    return { dump, tables: tables.map((table) => table.name) };
  } finally {
    await db.end();
  }
}
