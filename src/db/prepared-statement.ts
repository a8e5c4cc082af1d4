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

/** A pg pool or client of its own (not the ORM's), for statements that want its session settings. */
export interface Queryable {
  query<T>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }>;
}

/** Where a statement runs: the entity manager (in its transaction, if any), its pool, or a pool of its own. */
export type Db = EntityManager | PostgreSqlConnection | Queryable;

/** Runs `statement` with the entity manager (in its transaction, if any) or on a connection pool. */
export async function runPrepared<T extends object>(db: Db, statement: PreparedStatement, values: unknown[]): Promise<T[]> {
  if ('isInTransaction' in db && db.isInTransaction()) return db.execute<T[]>(statement.text, values);
  if (!('getConnection' in db) && !('getNativeClient' in db)) return (await db.query<T>({ name: statement.name, text: statement.native, values })).rows;
  const pool = await ('getConnection' in db ? db.getConnection() : db).getNativeClient();
  const result = await pool.query<T>({ name: statement.name, text: statement.native, values });
  return result.rows;
}

/**
 * A prepared statement whose parameters have names (`:connectionId`), so that a statement of
 * ten parameters, some used twice, reads as what it binds rather than as a count of `?`.
 * `Params` names them and their types; running it checks that each one is given.
 */
export interface NamedStatement<Params extends object> {
  prepared: PreparedStatement;
  /** The parameter behind each `?` of `prepared.text`, in order (a name used twice is two `?`). */
  textOrder: (keyof Params & string)[];
  /** The parameter behind `$1`, `$2` ... of `prepared.native` (a name used twice is one `$n`). */
  nativeOrder: (keyof Params & string)[];
}

/**
 * Parses `:name` parameters out of `text`. Quoted literals, quoted identifiers, `--` comments
 * and `::` casts are left alone; the text must hold no `?`.
 */
export function namedStatement<Params extends object>(name: string, text: string): NamedStatement<Params> {
  if (text.includes('?')) throw new Error(`statement ${name} holds a "?": name its parameters instead`);
  const textOrder: string[] = [];
  const nativeOrder: string[] = [];
  let withMarks = '';
  let native = '';
  const pattern = /--[^\n]*|'(?:[^']|'')*'|"(?:[^"]|"")*"|::|:([A-Za-z_][A-Za-z0-9_]*)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const parameter = match[1];
    if (!parameter) continue;
    const before = text.slice(last, match.index);
    last = match.index + match[0].length;
    textOrder.push(parameter);
    if (!nativeOrder.includes(parameter)) nativeOrder.push(parameter);
    withMarks += `${before}?`;
    native += `${before}$${nativeOrder.indexOf(parameter) + 1}`;
  }
  withMarks += text.slice(last);
  native += text.slice(last);
  return {
    prepared: { name, text: withMarks, native },
    textOrder: textOrder as (keyof Params & string)[],
    nativeOrder: nativeOrder as (keyof Params & string)[],
  };
}

/** Runs a named statement with `params`, as `runPrepared` runs a positional one. */
export async function runNamed<T extends object, Params extends object>(
  db: Db,
  statement: NamedStatement<Params>,
  params: Params,
): Promise<T[]> {
  const value = (key: keyof Params & string) => {
    const bound = params[key];
    if (bound === undefined) throw new Error(`statement ${statement.prepared.name} needs :${key}`);
    return bound;
  };
  if ('isInTransaction' in db && db.isInTransaction()) {
    return db.execute<T[]>(statement.prepared.text, statement.textOrder.map((key) => arrayAsLiteral(value(key))));
  }
  return runPrepared<T>(db, statement.prepared, statement.nativeOrder.map(value));
}

/**
 * The entity manager spreads an array over `?, ?, ...`; Postgres's array literal, as text, keeps
 * it one value, which the statement casts (`:ids::uuid[]`) as the driver's own array would be.
 */
function arrayAsLiteral(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return `{${value.map((item) => (item === null ? 'NULL' : `"${String(item).replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
}
