import { ConfigError, loadConfig, type Config } from './config.ts';
import { isAlive } from './db/processes.ts';
import { ExitCode } from './exit-codes.ts';
import { announce, configureLogging, logger } from './observability/logger.ts';
import { startSwitchyard, StartupError, type Switchyard } from './switchyard.ts';

/**
 * `npm start`: runs one Switchyard process until SIGINT, SIGTERM or SIGHUP, then stops it in
 * order and exits 0. A second signal while stopping exits at once. Exit codes: `exit-codes.ts`.
 */
export async function runSwitchyard(config: Config): Promise<never> {
  const log = logger.child({ component: 'switchyard' });
  let switchyard: Switchyard | null = null;
  let stopping: Promise<never> | null = null;
  /** A signal that came while starting: acted on once started. */
  let requested: string | null = null;

  const exit = (code: ExitCode): never => process.exit(code);
  const stop = (reason: string, code: ExitCode = ExitCode.OK): Promise<never> => {
    stopping ??= (async () => {
      announce(`Stopping (${reason})...`);
      try {
        await switchyard?.stop();
      } catch (error) {
        log.error({ err: error }, 'Switchyard did not stop cleanly');
        return exit(ExitCode.FAILURE);
      }
      announce('Stopped');
      return exit(code);
    })();
    return stopping;
  };

  /** A signal, or the parent gone: stop once started; a second request exits at once. */
  const request = (reason: string) => {
    if (!stopping && switchyard) return void stop(reason);
    if (!switchyard) {
      // Still starting: stop as soon as it has started (or failed to).
      requested = reason;
      return;
    }
    log.warn(`${reason} again: exiting without waiting for the stop to finish`);
    exit(ExitCode.FAILURE);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, () => request(signal));
  if (config.parentPid !== undefined) watchParent(config.parentPid, () => request(`process ${config.parentPid} (SWITCHYARD_PARENT_PID) is gone`));
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'unexpected error; stopping');
    void stop('unexpected error', ExitCode.FAILURE);
  });
  process.on('unhandledRejection', (error) => {
    log.fatal({ err: error }, 'unexpected error; stopping');
    void stop('unexpected error', ExitCode.FAILURE);
  });

  try {
    if (config.role !== 'worker') {
      // npm install builds the portal; this builds it when that step was skipped or portal/ changed since.
      configureLogging(config);
      const { ensurePortalBuilt } = await import('./server/portal/build.ts');
      await ensurePortalBuilt((line) => announce(line));
    }
    switchyard = await startSwitchyard(config);
  } catch (error) {
    if (error instanceof StartupError) {
      log.error(`Switchyard did not start: ${error.message}`);
      return exit(error.exitCode);
    }
    log.fatal({ err: error }, 'Switchyard did not start');
    return exit(ExitCode.FAILURE);
  }
  switchyard.failed.catch((error: Error) => {
    log.fatal({ err: error }, `${error.message}; stopping`);
    void stop('a part failed', ExitCode.FAILURE);
  });
  if (requested) return stop(requested);
  return new Promise<never>(() => {});
}

/** How often the parent named by `SWITCHYARD_PARENT_PID` is looked for. */
const PARENT_CHECK_MS = 500;

/** Calls `gone` once, when process `pid` has exited (however: SIGKILL leaves no last word). */
function watchParent(pid: number, gone: () => void): void {
  const timer = setInterval(() => {
    if (isAlive(pid)) return;
    clearInterval(timer);
    gone();
  }, PARENT_CHECK_MS);
  timer.unref();
}

/** Reads the configuration, or lists its problems and exits with `ExitCode.USAGE`. */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return process.exit(ExitCode.USAGE);
  }
}

if (import.meta.main) void runSwitchyard(configOrExit());
