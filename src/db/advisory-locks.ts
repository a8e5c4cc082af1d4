import pg from 'pg';

/**
 * Postgres advisory locks that make one-time work happen once however many processes start
 * together: the two-key form, with Switchyard's own first key so no other program's locks on
 * the same database collide with ours.
 */
const SWITCHYARD = 0x53594431;

/** What each lock guards. */
export const ADVISORY_LOCKS = {
  /** Running migrations: one process migrates, the others wait and find nothing left to do. */
  migrations: 1,
  /** Creating the first admin key: one process creates and prints it, the others find it. */
  adminKey: 2,
} as const;

export type AdvisoryLock = keyof typeof ADVISORY_LOCKS;

/** `select pg_advisory_xact_lock(...)` for `lock`: held until the caller's transaction ends. */
export function transactionLockSql(lock: AdvisoryLock): string {
  return `select pg_advisory_xact_lock(${SWITCHYARD}, ${ADVISORY_LOCKS[lock]})`;
}

/** How often a process waiting for a session lock tries again. */
const RETRY_MS = 100;

/**
 * Runs `work` while this process holds `lock`, on a connection of its own kept for the lock (a
 * session lock, as `work` may span many transactions, or none). Processes that ask meanwhile
 * wait; the lock goes with the connection should this process die.
 *
 * A waiter tries again every 100 ms rather than blocking in `pg_advisory_lock`: a statement
 * blocked there keeps a snapshot open, and `CREATE INDEX CONCURRENTLY` in the holder's
 * migrations waits for every older snapshot to end, so the two would wait for each other.
 */
export async function withSessionLock<T>(databaseUrl: string, lock: AdvisoryLock, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    for (;;) {
      const { rows: [row] } = await client.query<{ taken: boolean }>(`select pg_try_advisory_lock(${SWITCHYARD}, ${ADVISORY_LOCKS[lock]}) as taken`);
      if (row?.taken) break;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    return await work();
  } finally {
    await client.end().catch(() => {});
  }
}
