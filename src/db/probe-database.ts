import pg from 'pg';

/** The database could not be used; the message names the host, never the password. */
export class DatabaseUnreachableError extends Error {
  /** `host:port/database` of the connection string. */
  readonly target: string;
  constructor(target: string, reason: string) {
    super(`${target}: ${reason}`);
    this.name = 'DatabaseUnreachableError';
    this.target = target;
  }
}

/** How long a connection attempt may take before the host counts as unreachable. (Default: 10000 ms) */
const CONNECT_TIMEOUT_MS = 10_000;

/** `user@host:port/database` of a connection string: what a message may show of it. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    return `${user}${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname || '/'}`;
  } catch {
    return 'an unparsable URL';
  }
}

/**
 * Connects once and runs `select 1`, turning each way of failing into one line that says what
 * is wrong: nothing listening, a name that does not resolve, no answer, a refused login, a
 * database that does not exist.
 */
export async function probeDatabase(url: string): Promise<void> {
  const target = describeDatabaseUrl(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new DatabaseUnreachableError(target, reasonOf(error as Error & { code?: string }));
  } finally {
    await client.end().catch(() => {});
  }
}

function reasonOf(error: Error & { code?: string }): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is Postgres running and listening there?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve (${error.code})`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the host is unreachable (${error.code})`;
    case '28P01':
    case '28000':
      return `the login was refused: ${error.message}`;
    case '3D000':
      return `${error.message}; create it first`;
    default:
      if (/timeout/i.test(error.message)) return `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`;
      return error.message;
  }
}
