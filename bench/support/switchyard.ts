import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startProcess, type BenchProcess } from './processes.ts';

export const ADMIN_KEY = 'sy_admin_bench_key_for_this_run_only';
/** Every bench process on one database shares its keys, as production processes must. */
const ENCRYPTION_KEYS = 'bench:c3dpdGNoeWFyZC1iZW5jaC1rZXktMzItYnl0ZXMtISE=';
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
// The Node flags `npm start` uses, so the bench runs Switchyard as users do.
const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
const START_FLAGS = scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));

export interface SwitchyardProcess extends BenchProcess {
  /** The API's base URL (roles `api` and `all`). */
  url: string;
}

/**
 * One Switchyard process, started the way production starts it (`node src/main.ts`, configured
 * by environment), against the bench's Postgres.
 */
export async function startSwitchyardProcess(databaseUrl: string, role: 'api' | 'worker' | 'all', env: Record<string, string> = {}): Promise<SwitchyardProcess> {
  const started = await startProcess(MAIN, {
    env: {
      DATABASE_URL: databaseUrl,
      SWITCHYARD_ROLE: role,
      SWITCHYARD_ADMIN_KEY: ADMIN_KEY,
      SWITCHYARD_ENCRYPTION_KEYS: ENCRYPTION_KEYS,
      SWITCHYARD_ALLOW_PRIVATE_TARGETS: 'true',
      SWITCHYARD_HOST: '127.0.0.1',
      PORT: '0',
      SWITCHYARD_OPS_PORT: '0',
      ...env,
    },
    ready: role === 'worker' ? /Delivery worker running/ : /GraphQL API: (\S+)\/graphql/,
    nodeFlags: START_FLAGS,
  });
  return { ...started, url: role === 'worker' ? '' : started.ready[1]! };
}
