import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import pg from 'pg';
import type { Config } from '../../config.ts';
import { checkMigrations } from '../../db/health-checks.ts';
import { connectOrm } from '../../db/orm.ts';
import { entities } from '../../domains/entities.ts';
import { KEY_FILE, KeyringError, parseKeyring, type Keyring } from '../../domains/secrets/keyring.ts';
import { open, seal } from '../../domains/secrets/secret-box.ts';
import { assertKeysOpenStoredSecrets, SECRET_COLUMNS } from '../../domains/secrets/stored-secrets.ts';
import { ExitCode } from '../../exit-codes.ts';
import { paint, print } from '../output.ts';
import { config, withDatabase } from './server.ts';

/** Clock skew between this machine and Postgres beyond which `doctor` fails. */
const MAX_SKEW_MS = 2000;

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Where this process's keys come from, as `loadKeyring` would find them, without making any. */
function encryptionKeys(settings: Config): { check: Check; keyring: Keyring | null } {
  const name = 'encryption';
  let keyring: Keyring;
  let source: string;
  if (settings.encryptionKeys) {
    keyring = parseKeyring(settings.encryptionKeys);
    source = 'SWITCHYARD_ENCRYPTION_KEYS';
  } else if (settings.databaseUrl) {
    return {
      check: { name, ok: false, detail: 'SWITCHYARD_ENCRYPTION_KEYS is not set; it is required with DATABASE_URL (the same value in every process)' },
      keyring: null,
    };
  } else {
    const file = join(settings.dataDir, KEY_FILE);
    if (!existsSync(file)) return { check: { name, ok: true, detail: `no key yet: the first start generates one in ${file}` }, keyring: null };
    try {
      keyring = parseKeyring(readFileSync(file, 'utf8').trim());
    } catch (error) {
      return { check: { name, ok: false, detail: `${file}: ${(error as Error).message}` }, keyring: null };
    }
    source = file;
  }
  // Usable: a value sealed with the current key opens again.
  const probe = randomBytes(16).toString('hex');
  if (open(keyring, seal(keyring, probe, 'doctor'), 'doctor') !== probe) {
    return { check: { name, ok: false, detail: `the key "${keyring.current.id}" from ${source} does not open what it seals` }, keyring: null };
  }
  const ids = [...keyring.byId.keys()].map((id) => (id === keyring.current.id ? `${id} (seals new secrets)` : id)).join(', ');
  return { check: { name, ok: true, detail: `keys ${ids} from ${source}; sealing and opening work` }, keyring };
}

/** Whether `keyring` opens the secrets the database holds; named by key id, never by key. */
async function storedSecrets(url: string, keyring: Keyring | null): Promise<Check> {
  const name = 'secrets';
  const orm = await connectOrm(url, entities, 1);
  try {
    const em = orm.em.fork();
    if (!keyring) {
      const sealed = await Promise.all(SECRET_COLUMNS.map(async ({ table, column }) =>
        (await em.execute(`select 1 from "${table}" where "${column}" like 'sy1.%' limit 1`)).length > 0));
      return sealed.includes(true)
        ? { name, ok: false, detail: 'the database holds sealed secrets, but no key is configured to open them: set SWITCHYARD_ENCRYPTION_KEYS to the keys that sealed them' }
        : { name, ok: true, detail: 'the database holds no sealed secrets yet' };
    }
    const { olderKeysInUse } = await assertKeysOpenStoredSecrets(em, keyring);
    return {
      name,
      ok: true,
      detail: olderKeysInUse
        ? `the keys open every stored secret; some are sealed with an older key, which the next start's reencrypt_secrets job reseals with "${keyring.current.id}"`
        : 'the keys open every stored secret',
    };
  } catch (error) {
    if (error instanceof KeyringError) return { name, ok: false, detail: error.message };
    throw error;
  } finally {
    await orm.close();
  }
}

/** `doctor`: every check, then exit 0 when all passed. */
export function doctorCommand(program: Command, json: () => boolean): void {
  program
    .command('doctor')
    .description('Check the configuration, the encryption keys, Postgres, migrations and clock skew; exit 0 when all is well')
    .action(async () => {
      const checks: Check[] = [];
      let settings: Config;
      try {
        settings = config();
        checks.push({ name: 'configuration', ok: true, detail: `role ${settings.role}, ${settings.databaseUrl ? 'DATABASE_URL' : `embedded Postgres in ${settings.dataDir}`}` });
      } catch (error) {
        checks.push({ name: 'configuration', ok: false, detail: (error as Error).message.replace(/\n\s*/g, ' ') });
        return report(checks, json(), ExitCode.USAGE);
      }
      const { check: encryption, keyring } = encryptionKeys(settings);
      checks.push(encryption);
      try {
        await withDatabase(settings, async (url) => {
          checks.push({ name: 'postgres', ok: true, detail: 'answers' });
          const pool = new pg.Pool({ connectionString: url, max: 1 });
          try {
            const missing = await checkMigrations(pool);
            checks.push({ name: 'migrations', ok: missing === null, detail: missing ?? 'current' });
            if (encryption.ok) {
              checks.push(missing === null
                ? await storedSecrets(url, keyring)
                : { name: 'secrets', ok: true, detail: 'not checked until the migrations are applied (switchyard migrate)' });
            }
            const before = Date.now();
            const { rows: [row] } = await pool.query<{ now: Date }>('select now() as now');
            const skew = row!.now.getTime() - (before + Date.now()) / 2;
            checks.push({ name: 'clock', ok: Math.abs(skew) <= MAX_SKEW_MS, detail: `${Math.round(skew)} ms from Postgres's clock (limit ${MAX_SKEW_MS} ms): leases and retries use both` });
          } finally {
            await pool.end();
          }
        });
      } catch (error) {
        checks.push({ name: 'postgres', ok: false, detail: (error as Error).message });
      }
      return report(checks, json(), checks.every((check) => check.ok) ? ExitCode.OK : ExitCode.UNAVAILABLE);
    });
}

function report(checks: Check[], json: boolean, exitCode: ExitCode): void {
  print(json, { ok: exitCode === ExitCode.OK, checks }, () =>
    checks.map((check) => `${check.ok ? paint('green', '✓') : paint('red', '✗')} ${check.name}: ${check.detail}`).join('\n'));
  process.exitCode = exitCode;
}
