import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BenchReceiver {
  url: string;
  /** Deliveries answered so far, per path. */
  count(path: string): number;
  /** When each delivery was answered (ms since the epoch, sub-ms), by `webhook-id`. */
  answeredAt: Map<string, number>;
  /** When a delivery carrying `data.sentAt` arrived, minus that: emit -> receiver, in ms. */
  latencies: number[];
  /** Resolves true once `latencies` holds `count` values, false after `limitMs`. */
  latencyCount(count: number, limitMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export const now = () => performance.timeOrigin + performance.now();

/**
 * A keep-alive webhook receiver on 127.0.0.1. Paths under `/hang` never answer (the request
 * waits for the sender's timeout); every other path answers 200 at once.
 */
export async function startReceiver(): Promise<BenchReceiver> {
  const counts = new Map<string, number>();
  const answeredAt = new Map<string, number>();
  const latencies: number[] = [];
  const hanging = new Set<ServerResponse>();
  const waiters = new Set<() => void>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? '/';
    if (path.startsWith('/hang')) {
      hanging.add(response);
      response.on('close', () => hanging.delete(response));
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const arrived = now();
      const sentAt = (JSON.parse(Buffer.concat(chunks).toString()) as { data?: { sentAt?: number } }).data?.sentAt;
      if (sentAt) {
        latencies.push(arrived - sentAt);
        for (const waiter of waiters) waiter();
      }
      counts.set(path, (counts.get(path) ?? 0) + 1);
      response.end('ok', () => answeredAt.set(String(request.headers['webhook-id']), now()));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (path) => counts.get(path) ?? 0,
    answeredAt,
    latencies,
    latencyCount(count, limitMs) {
      return new Promise((resolve) => {
        const done = (reached: boolean) => {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(reached);
        };
        const check = () => latencies.length >= count && done(true);
        const timer = setTimeout(() => done(false), limitMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
