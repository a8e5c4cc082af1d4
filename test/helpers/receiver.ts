import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as sent (signatures are over these bytes). */
  body: string;
  /** `Date.now()` when the request was complete. */
  receivedAt: number;
}

/** How to answer one request. */
export type Reply =
  | { status: number; body?: string; headers?: Record<string, string>; delayMs?: number }
  /** Never answer, until the receiver closes. */
  | { hang: true }
  /** Send headers, then one byte every `intervalMs`, forever. */
  | { trickle: true; intervalMs?: number }
  /** Destroy the socket without answering. */
  | { drop: true };

export type Script = (call: { request: ReceivedRequest; index: number }) => Reply;

export interface Receiver {
  /** Every complete request, in arrival order. */
  readonly requests: ReceivedRequest[];
  /** Requests being answered right now, and the most there ever were at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** TCP connections accepted so far (keep-alive reuse shows as few). */
  readonly connections: number;
  url(path?: string): string;
  script(script: Script): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that records what it receives and answers as scripted: the
 * stand-in for a customer's webhook endpoint, good or badly behaved.
 */
export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let script: Script = () => ({ status: 200, body: 'ok' });
  let inFlight = 0;
  let maxInFlight = 0;
  let connections = 0;
  let waiters: (() => void)[] = [];

  const answer = (response: ServerResponse, reply: Reply, done: () => void) => {
    if ('hang' in reply) return;
    if ('drop' in reply) {
      response.socket?.destroy();
      return done();
    }
    if ('trickle' in reply) {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => response.write('.'), reply.intervalMs ?? 100);
      timers.add(timer);
      response.on('close', () => clearInterval(timer));
      return;
    }
    const send = () => {
      response.writeHead(reply.status, reply.headers);
      response.end(reply.body ?? '');
      done();
    };
    if (reply.delayMs) {
      const timer = setTimeout(send, reply.delayMs);
      timers.add(timer);
    } else {
      send();
    }
  };

  const server = createServer((req, response) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      const index = requests.length;
      requests.push(request);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let finished = false;
      const done = () => {
        if (!finished) inFlight--;
        finished = true;
      };
      response.on('close', done);
      for (const wake of waiters) wake();
      answer(response, script({ request, index }), done);
    });
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get connections() {
      return connections;
    },
    url: (path = '/') => `http://127.0.0.1:${port}${path}`,
    script(next) {
      script = next;
    },
    waitForRequests(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return false;
          clearTimeout(timer);
          waiters = waiters.filter((waiter) => waiter !== wake);
          resolve(requests.slice(0, count));
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter !== wake);
          reject(new Error(`expected ${count} requests within ${timeoutMs} ms, got ${requests.length}`));
        }, timeoutMs);
        if (!check()) waiters.push(wake);
      });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
