import { variables, type Config } from './config.ts';
import { DataDirInUseError } from './db/data-dir-lock.ts';
import { EmbeddedPostgresError } from './db/embedded-postgres.ts';
import { DatabaseUnreachableError } from './db/probe-database.ts';
import { KeyringError } from './domains/secrets/keyring.ts';
import { ExitCode } from './exit-codes.ts';
import { PortInUseError } from './server/http-server.ts';

/** Why a start failed, in one line that names the setting to change, and the exit code it means. */
export class StartupError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, cause?: unknown) {
    super(message, { cause });
    this.name = 'StartupError';
    this.exitCode = exitCode;
  }
}

/**
 * Turns what went wrong while starting into a StartupError that says what to do; an error of
 * no known kind is returned as it is (a bug, with its stack).
 */
export function startupError(error: unknown, config: Config, portSetting: 'PORT' | 'SWITCHYARD_OPS_PORT' = 'PORT'): unknown {
  if (error instanceof StartupError) return error;
  if (error instanceof DataDirInUseError) {
    return new StartupError(
      `${error.message} (${variables.dataDir}); stop it first, or give this one a data directory of its own`,
      ExitCode.UNAVAILABLE, error,
    );
  }
  if (error instanceof PortInUseError) {
    return new StartupError(`${portSetting} ${error.port} is already in use on ${error.host}; stop what listens there, or choose another ${portSetting}`, ExitCode.UNAVAILABLE, error);
  }
  if (error instanceof EmbeddedPostgresError) {
    if (error.reason === 'port-in-use') {
      return new StartupError(
        `${variables.embeddedPgPort} ${config.embeddedPgPort} is already in use on 127.0.0.1; choose another port, or set ${variables.databaseUrl} to use your own Postgres`,
        ExitCode.UNAVAILABLE, error,
      );
    }
    if (error.reason === 'data-dir-in-use') {
      return new StartupError(`${error.message} (${variables.dataDir} ${config.dataDir}); stop it first`, ExitCode.UNAVAILABLE, error);
    }
    return new StartupError(`${error.message} (its log: ${config.dataDir}/postgres.log)`, ExitCode.FAILURE, error);
  }
  // The keys are configuration: a missing or wrong one is fixed in SWITCHYARD_ENCRYPTION_KEYS, which the message names.
  if (error instanceof KeyringError) return new StartupError(error.message, ExitCode.USAGE, error);
  if (error instanceof DatabaseUnreachableError) {
    return new StartupError(`cannot use the Postgres of ${variables.databaseUrl} at ${error.message}`, ExitCode.UNAVAILABLE, error);
  }
  return error;
}
