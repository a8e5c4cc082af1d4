import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inclusiveShare, summariseCpuProfile } from './profiles.ts';

const PROFILER = fileURLToPath(new URL('cpu-profiler.ts', import.meta.url));
const STARTUP_LIMIT_MS = 60_000;

export interface BenchProcess {
  child: ChildProcess;
  /** The match of the `ready` pattern in the process's output. */
  ready: RegExpMatchArray;
  /** The first match of `pattern` in everything the process printed, waiting up to `limitMs`. */
  waitForOutput(pattern: RegExp, limitMs: number): Promise<RegExpMatchArray>;
  /** Peak resident set size so far, in bytes (Linux; null elsewhere). */
  peakRss(): number | null;
  /** Starts the CPU profiler in the process. */
  startCpuProfile(): Promise<void>;
  /** Stops it and says where the time went since `startCpuProfile`, and what each of `parts` (source files) took with what they called. */
  stopCpuProfile(parts?: string[]): Promise<string[]>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Runs `script` on this Node with `env` as its own process (the way Switchyard runs in
 * production) and waits for a line matching `ready` on its output. `nodeFlags` go before it.
 */
export async function startProcess(
  script: string,
  options: { env: Record<string, string>; ready: RegExp; nodeFlags?: string[] },
): Promise<BenchProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const profileFile = join(dir, 'cpu.cpuprofile');
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', PROFILER, script], {
    // Switchyard stops when the bench is gone, however it ended.
    env: { ...process.env, SWITCHYARD_PARENT_PID: String(process.pid), ...options.env, BENCH_CPU_PROFILE: profileFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const outputMatching = (pattern: RegExp, from: number, limitMs = STARTUP_LIMIT_MS) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${limitMs} ms from ${script}:\n${output}`)), limitMs);
      const check = () => {
        const match = output.slice(from).match(pattern);
        if (match) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          resolve(match);
        } else if (exited) {
          clearTimeout(timer);
          reject(new Error(`${script} exited:\n${output}`));
        }
      };
      child.stdout!.on('data', check);
      void exit.then(check);
      check();
    });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ready = await outputMatching(options.ready, 0);
  const signalled = async (line: RegExp) => {
    const from = output.length;
    const seen = outputMatching(line, from);
    child.kill('SIGUSR2');
    await seen;
  };
  return {
    child,
    ready,
    waitForOutput: (pattern, limitMs) => outputMatching(pattern, 0, limitMs),
    peakRss() {
      try {
        const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        return kib ? Number(kib) * 1024 : null;
      } catch {
        return null;
      }
    },
    startCpuProfile: () => signalled(/\[bench\] cpu profile started/),
    async stopCpuProfile(parts = []) {
      await signalled(/\[bench\] cpu profile written/);
      return [
        ...summariseCpuProfile(profileFile),
        ...parts.map((part) => `\n${part} and what it calls: ${(100 * inclusiveShare(profileFile, part)).toFixed(1)} % of the busy time`),
      ];
    },
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
