import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_ENCRYPTION_KEYS } from './server.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it printed so far, standard output and error together. */
  output(): string;
  /** The first match of `pattern` in its output, waiting up to `timeoutMs`; rejects if it exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Its exit code once it has exited (null when ended by a signal). */
  exited: Promise<number | null>;
  /** Sends `signal` (SIGINT by default) and waits for the exit; SIGKILL after 20 s. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `src/main.ts` (or `args` on this Node) as its own process with `env` on top of this one's,
 * as `npm start` would run it. The caller stops it.
 */
export function runMain(env: Record<string, string>, args: string[] = [MAIN]): RunningProcess {
  const child = spawn(process.execPath, args, {
    // It stops when this test process is gone, even killed with SIGKILL: no orphan outlives a run.
    env: { ...process.env, SWITCHYARD_LOG_FORMAT: 'json', SWITCHYARD_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, SWITCHYARD_PARENT_PID: String(process.pid), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: string) => {
    output += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const listener of listeners) listener();
  });

  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern);
        if (match) finish(() => resolve(match));
        else if (done) finish(() => reject(new Error(`exited before printing ${pattern}:\n${output}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  return {
    child,
    output: () => output,
    waitFor,
    exited,
    async stop(signal = 'SIGINT') {
      if (!done) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** The JSON log lines of `output`, skipping anything else. */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface SwitchyardProcess {
  child: ChildProcess;
  /** The API's base URL, for a process that serves it. */
  url: string | null;
  /** Everything it printed, for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 20 s. */
  stop(): Promise<void>;
}

/**
 * Starts `src/main.ts` in its own Node process (the one running the tests) with `env` on top of
 * this one's, and waits until it has said it is ready.
 */
export async function spawnSwitchyard(env: Record<string, string>, timeoutMs = 30_000): Promise<SwitchyardProcess> {
  const role = env.SWITCHYARD_ROLE ?? 'all';
  // A worker's operations server on a port of the kernel's choosing, so workers never collide.
  const running = runMain({ PORT: '0', ...(role === 'worker' && { SWITCHYARD_OPS_PORT: '0' }), SWITCHYARD_LOG_LEVEL: 'error', ...env });
  const ready = role === 'worker' ? /Delivery worker running/ : /GraphQL API: (http:\/\/\S+?)\/graphql/;
  try {
    const match = await running.waitFor(ready, timeoutMs);
    return { child: running.child, url: match[1] ?? null, output: running.output, stop: async () => void (await running.stop('SIGTERM')) };
  } catch (error) {
    await running.stop('SIGTERM');
    throw new Error(`Switchyard (${role}) did not start: ${(error as Error).message}`);
  }
}

export interface Descendant {
  pid: number;
  command: string;
}

/** Every process below `root` (children, theirs, ...), read from /proc. */
export function descendants(root: number): Descendant[] {
  const children = new Map<number, number[]>();
  const commands = new Map<number, string>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      commands.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim());
    } catch {
      // Gone while read.
    }
  }
  const found: Descendant[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    found.push({ pid, command: commands.get(pid) ?? '' });
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}
