#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { loadCliEnvironment } from '../config.ts';
import { ExitCode } from '../exit-codes.ts';
import type { ClientOptions } from './client-options.ts';
import { deliveryCommands } from './commands/deliveries.ts';
import { doctorCommand } from './commands/doctor.ts';
import { serverCommands } from './commands/server.ts';
import { workspaceCommands } from './commands/workspaces.ts';
import { CliError } from './output.ts';

/**
 * `switchyard`: runs the service and talks to it. `noun verb` commands, `--help` on each,
 * `--json` for scripts, and exit codes that mean the same everywhere (`exit-codes.ts`).
 */
export function cli(): Command {
  const environment = loadCliEnvironment();
  const program = new Command('switchyard')
    .description('Event routing and webhook delivery: run the service, manage it, watch it')
    .option('--url <url>', 'the Switchyard API (SWITCHYARD_URL)', environment.url)
    .option('--key <key>', 'a workspace key (SWITCHYARD_API_KEY)')
    .option('--admin-key <key>', 'the admin key (SWITCHYARD_ADMIN_KEY)')
    .option('--json', 'print JSON for scripts instead of lines for people', false)
    .showHelpAfterError()
    .exitOverride();
  const options = (): ClientOptions => {
    const flags = program.opts<{ url: string; key?: string; adminKey?: string; json: boolean }>();
    return {
      url: flags.url,
      json: flags.json,
      ...((flags.key ?? environment.apiKey) && { apiKey: flags.key ?? environment.apiKey }),
      ...((flags.adminKey ?? environment.adminKey) && { adminKey: flags.adminKey ?? environment.adminKey }),
    };
  };
  serverCommands(program, () => options().json);
  doctorCommand(program, () => options().json);
  workspaceCommands(program, options);
  deliveryCommands(program, options);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI with `argv` and exits with the code its outcome means. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    await cli().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with code 0; a bad command line is a usage error.
      process.exit(error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE);
    }
    if (error instanceof CliError) {
      process.stderr.write(`switchyard: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`switchyard: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(ExitCode.FAILURE);
  }
}

if (import.meta.main) await runCli(process.argv);
