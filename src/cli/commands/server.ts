import type { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../../config.ts';
import { lockDataDir } from '../../db/data-dir-lock.ts';
import { migrate } from '../../db/migrate.ts';
import { connectOrm } from '../../db/orm.ts';
import { entities } from '../../domains/entities.ts';
import { probeDatabase } from '../../db/probe-database.ts';
import { ExitCode } from '../../exit-codes.ts';
import { runSwitchyard } from '../../main.ts';
import { startupError, StartupError } from '../../startup-errors.ts';
import { CliError, print } from '../output.ts';

/** The configuration, or a usage error (exit 2) listing its problems. */
export function config(overrides: Record<string, string> = {}): Config {
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
export async function withDatabase<T>(settings: Config, work: (url: string) => Promise<T>): Promise<T> {
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

/** `start`, `migrate` (`doctor` is in doctor.ts). */
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
}
