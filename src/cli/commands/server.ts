import type { Command } from 'commander';
import pg from 'pg';
import { ConfigError, loadConfig, type Config } from '../../config.ts';
import { lockDataDir } from '../../db/data-dir-lock.ts';
import { checkMigrations } from '../../db/health-checks.ts';
import { migrate } from '../../db/migrate.ts';
import { connectOrm } from '../../db/orm.ts';
import { entities } from '../../domains/entities.ts';
import { probeDatabase } from '../../db/probe-database.ts';
import { ExitCode } from '../../exit-codes.ts';
import { runSwitchyard } from '../../main.ts';
import { startupError, StartupError } from '../../startup-errors.ts';
import { CliError, paint, print } from '../output.ts';

/** Clock skew between this machine and Postgres beyond which `doctor` fails. */
const MAX_SKEW_MS = 2000;

function config(overrides: Record<string, string> = {}): Config {
  try {
    return loadConfig(undefined, overrides);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, ExitCode.USAGE);
    throw error;
  }
}

/**
 * Runs `work` against the configured Postgres: `DATABASE_URL`, or the embedded one, started for
 * the command and stopped after it (refused while a Switchyard runs on the data directory).
 */
async function withDatabase<T>(settings: Config, work: (url: string) => Promise<T>): Promise<T> {
  try {
    if (settings.databaseUrl) {
      await probeDatabase(settings.databaseUrl);
      return await work(settings.databaseUrl);
    }
    const lock = lockDataDir(settings.dataDir);
    const { startEmbeddedPostgres } = await import('../../db/embedded-postgres.ts');
    try {
      const embedded = await startEmbeddedPostgres({ dataDir: settings.dataDir, port: settings.embeddedPgPort });
      try {
        return await work(embedded.url);
      } finally {
        await embedded.stop();
      }
    } finally {
      lock.release();
    }
  } catch (error) {
    const known = startupError(error, settings);
    if (known instanceof StartupError) throw new CliError(known.message, known.exitCode);
    throw error;
  }
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** `start`, `migrate`, `doctor`. */
export function serverCommands(program: Command, json: () => boolean): void {
  program
    .command('start')
    .description('Run Switchyard (as `npm start` does) until Ctrl-C')
    .option('--role <role>', 'all (API and worker), api or worker')
    .action(async (flags: { role?: string }) => {
      await runSwitchyard(config(flags.role ? { SWITCHYARD_ROLE: flags.role } : {}));
    });

  program
    .command('migrate')
    .description("Bring the database's schema up to date, then exit")
    .action(async () => {
      const settings = config();
      const applied = await withDatabase(settings, async (url) => {
        const orm = await connectOrm(url, entities, 2);
        try {
          await migrate(orm, url);
          return (await orm.migrator.getExecuted()).length;
        } finally {
          await orm.close();
        }
      });
      print(json(), { migrations: applied }, () => `The database is up to date (${applied} migrations applied)`);
    });

  program
    .command('doctor')
    .description('Check the configuration, Postgres, migrations and clock skew; exit 0 when all is well')
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
      try {
        await withDatabase(settings, async (url) => {
          checks.push({ name: 'postgres', ok: true, detail: 'answers' });
          const pool = new pg.Pool({ connectionString: url, max: 1 });
          try {
            const missing = await checkMigrations(pool);
            checks.push({ name: 'migrations', ok: missing === null, detail: missing ?? 'current' });
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
