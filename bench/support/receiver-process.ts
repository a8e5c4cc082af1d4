import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('receiver-main.ts', import.meta.url));

export interface ReceiverProcess {
  url: string;
  pid: number;
  /** Deliveries answered so far on `path`. */
  count(path: string): Promise<number>;
  /** Emit -> receiver latencies (ms) of deliveries that carried `data.sentAt`, since the last `clear`. */
  latencies(): Promise<number[]>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The keep-alive webhook receiver of `receiver.ts`, run as a process of its own and asked over
 * IPC. Its clock is the machine's, as the sender's is, so `sentAt` in a payload measures
 * emit -> receiver across processes.
 */
export async function startReceiverProcess(): Promise<ReceiverProcess> {
  const child = fork(MAIN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (value: unknown) => void>();
  let next = 1;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the receiver exited with ${code}`)));
    child.on('message', (message: { id: number; value: unknown }) => {
      if (message.id === 0) resolve(message.value as string);
      waiting.get(message.id)?.(message.value);
      waiting.delete(message.id);
    });
  });
  const ask = <T>(question: { ask: string; path?: string }) =>
    new Promise<T>((resolve) => {
      const id = next++;
      waiting.set(id, resolve as (value: unknown) => void);
      child.send({ id, ...question });
    });
  return {
    url,
    pid: child.pid!,
    count: (path) => ask<number>({ ask: 'count', path }),
    latencies: () => ask<number[]>({ ask: 'latencies' }),
    clear: () => ask<void>({ ask: 'clear' }),
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ask({ ask: 'close' });
      await exited;
    },
  };
}
