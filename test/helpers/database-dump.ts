import pg from 'pg';

/** A client or a pool. */
type Queryable = pg.Client | pg.Pool;

/** Every table Switchyard and graphile-worker keep, by schema and name. */
async function baseTables(db: Queryable): Promise<{ schema: string; name: string }[]> {
  const { rows } = await db.query<{ schema: string; name: string }>(
    `select table_schema as schema, table_name as name from information_schema.tables
     where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
  );
  return rows;
}

/**
 * Every row of every table Switchyard and graphile-worker keep, as text: what a data dump holds,
 * with the tables it read, so a test can tell the dump covered what it means to check.
 */
export async function dumpAllRows(databaseUrl: string): Promise<{ dump: string; tables: string[] }> {
  const db = new pg.Client(databaseUrl);
  await db.connect();
  try {
    const tables = await baseTables(db);
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

/** How many rows of each table (`schema.table`) hold `marker` anywhere in their text; tables without any are left out. */
export async function rowsHolding(db: Queryable, marker: string): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const table of await baseTables(db)) {
    const { rows: [row] } = await db.query<{ count: number }>(
      `select count(*)::int as count from "${table.schema}"."${table.name}" t where t::text like '%' || $1 || '%'`,
      [marker],
    );
    if (row!.count > 0) found[`${table.schema}.${table.name}`] = row!.count;
  }
  return found;
}
