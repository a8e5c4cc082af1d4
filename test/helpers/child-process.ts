import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_ENCRYPTION_KEYS } from './server.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface SwitchyardProcess {
  child: ChildProcess;
  /** The API's base URL, for a process that serves it. */
  url: string | null;
  /** Everything it printed, for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

/**
 * Starts `src/main.ts` in its own Node process (the one running the tests) with `env` on top of
 * this one's, and waits until it has said it is ready.
 */
export async function spawnSwitchyard(env: Record<string, string>, timeoutMs = 30_000): Promise<SwitchyardProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', SWITCHYARD_LOG_LEVEL: 'error', SWITCHYARD_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const role = env.SWITCHYARD_ROLE ?? 'all';
  const ready = role === 'worker' ? /Delivery worker running/ : /GraphQL API: (http:\/\/\S+?)\/graphql/;
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(output)) {
    if (child.exitCode !== null) throw new Error(`Switchyard (${role}) exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Switchyard (${role}) was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, url: output.match(ready)?.[1] ?? null, output: () => output, stop };
}
