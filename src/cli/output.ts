import { styleText } from 'node:util';
import { ExitCode } from '../exit-codes.ts';

/** A failure the CLI reports in one line and turns into an exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

type Style = Parameters<typeof styleText>[0];

/** `text` in `style` when standard output is a terminal that takes colour (NO_COLOR is honoured). */
export function paint(style: Style, text: string): string {
  return styleText(style, text, { stream: process.stdout });
}

/** Prints a result: as one JSON document with `--json`, as `human` lines otherwise. */
export function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
}
