import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';

/**
 * A statement of a hot path (every emit, every attempt), run as a named prepared statement:
 * Postgres parses and plans it once per connection instead of on every call, and values travel
 * as parameters rather than as literals formatted into its text. Inside a transaction it runs
 * on the transaction's connection the ordinary way. Placeholders are `?`, as everywhere else;
 * the text must hold no other question mark.
 */
export interface PreparedStatement {
  name: string;
  /** With `?` placeholders, for the entity manager. */
  text: string;
  /** With `$1`, `$2` ... placeholders, for the driver. */
  native: string;
}

export function preparedStatement(name: string, text: string): PreparedStatement {
  let placeholder = 0;
  return { name, text, native: text.replace(/\?/g, () => `$${++placeholder}`) };
}

/** Runs `statement` with the entity manager (in its transaction, if any) or on the connection pool. */
export async function runPrepared<T extends object>(db: EntityManager | PostgreSqlConnection, statement: PreparedStatement, values: unknown[]): Promise<T[]> {
  if ('isInTransaction' in db && db.isInTransaction()) return db.execute<T[]>(statement.text, values);
  const pool = await ('getConnection' in db ? db.getConnection() : db).getNativeClient();
  const result = await pool.query<T>({ name: statement.name, text: statement.native, values });
  return result.rows;
}
