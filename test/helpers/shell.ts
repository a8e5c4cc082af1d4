import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ShellSession {
  /** Runs `code` in the session (its variables and functions stay for the next), and returns what it printed. */
  run(code: string, timeoutMs?: number): Promise<{ output: string; status: number }>;
  close(): void;
}

/**
 * One long-lived bash, as a person's terminal is, in the repository's folder. Where the machine
 * has no curl (only Node and npm are promised), a stand-in that speaks the few flags documented
 * commands use goes first on PATH.
 */
export function shellSession(env: Record<string, string | undefined>): ShellSession {
  const bash = spawn('bash', ['--noprofile', '--norc'], { cwd: ROOT, env: { ...env, PATH: pathWithCurl(env.PATH ?? '') }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  bash.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  bash.stderr!.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  return {
    async run(code, timeoutMs = 60_000) {
      const marker = `__done_${randomUUID()}__`;
      const from = output.length;
      bash.stdin!.write(`${code}\necho "${marker} $?"\n`);
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(marker, from)) {
        if (Date.now() > deadline || bash.exitCode !== null) throw new Error(`no end within ${timeoutMs} ms of:\n${code}\nprinted:\n${output.slice(from)}\n${errors}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const end = output.indexOf(marker, from);
      const status = Number(output.slice(end + marker.length).trim().split('\n')[0]);
      return { output: output.slice(from, end), status };
    },
    close() {
      bash.kill();
    },
  };
}

/** A command of its own process group, so that stopping it stops what it started (npm and its node). */
export function background(code: string, env: Record<string, string | undefined>): { child: ChildProcess; output(): string; stop(): Promise<void> } {
  const child = spawn('bash', ['-c', code], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

function pathWithCurl(path: string): string {
  if (spawnSync('curl', ['--version'], { env: { PATH: path } }).status === 0) return path;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-curl-'));
  const standIn = fileURLToPath(new URL('./curl-stand-in.ts', import.meta.url));
  writeFileSync(join(dir, 'curl'), `#!/bin/sh\nexec "${process.execPath}" "${standIn}" "$@"\n`);
  chmodSync(join(dir, 'curl'), 0o755);
  return `${dir}:${path}`;
}
