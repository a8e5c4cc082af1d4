import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path and query, as requested. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as sent (signatures are over these bytes). */
  body: string;
  /** `Date.now()` when the request was complete. */
  receivedAt: number;
  /** Which TCP connection carried it, counting from 1: keep-alive reuse shows as repeats. */
  connection: number;
}

/** How to answer one request. */
export type Reply =
  /** Answer `status` (after `delayMs`, if given: a slow receiver; or once `until` settles). */
  | { status: number; body?: string; headers?: Record<string, string>; delayMs?: number; until?: Promise<unknown> }
  /** Never answer, until the receiver closes. */
  | { hang: true }
  /** Send 200 and its headers, then one byte every `intervalMs` (default 100), forever. */
  | { trickle: true; intervalMs?: number }
  /**
   * Destroy the socket: without answering (`after: 'request'`, the default), or after sending
   * the headers and part of a body that promised more (`after: 'headers'`).
   */
  | { drop: true; after?: 'request' | 'headers' };

/** `index` counts every request from 0; `pathIndex` only those to the same path. */
export interface Call {
  request: ReceivedRequest;
  index: number;
  pathIndex: number;
}

export type Script = (call: Call) => Reply;

/** Replies by path; a path with no entry gets 404, so a request to the wrong place shows. */
export type PathScript = Record<string, Reply | Script>;

export interface Receiver {
  /** Every complete request, in arrival order. */
  readonly requests: ReceivedRequest[];
  /** Requests being answered right now, and the most there ever were at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** TCP connections accepted so far (keep-alive reuse shows as few). */
  readonly connections: number;
  url(path?: string): string;
  /** How to answer from now on: one function for every request, or replies by path. */
  script(script: Script | PathScript): void;
  /** Resolves with the first `count` requests once they have arrived; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Stops listening and destroys every socket, hung and trickling ones included. */
  close(): Promise<void>;
}

function scriptOf(script: Script | PathScript): Script {
  if (typeof script === 'function') return script;
  return (call) => {
    const reply = script[call.request.path] ?? { status: 404, body: `no script for ${call.request.path}` };
    return typeof reply === 'function' ? reply(call) : reply;
  };
}

/**
 * A real HTTP server on 127.0.0.1 that records what it receives and answers as scripted: the
 * stand-in for a customer's webhook endpoint, good or badly behaved. Answers 200 "ok" until
 * scripted.
 */
export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const sockets = new Map<Socket, number>();
  const timers = new Set<NodeJS.Timeout>();
  let script: Script = () => ({ status: 200, body: 'ok' });
  let inFlight = 0;
  let maxInFlight = 0;
  let connections = 0;
  let waiters: (() => void)[] = [];

  /** `done` marks the request answered: the moment it stops counting as in flight. */
  const answer = (response: ServerResponse, reply: Reply, done: () => void) => {
    if ('hang' in reply) return;
    if ('drop' in reply) {
      done();
      if (reply.after !== 'headers') return response.socket?.destroy();
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      return response.write('partial', () => response.socket?.destroy());
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
    if (reply.until) return void reply.until.then(send, send);
    if (!reply.delayMs) return send();
    timers.add(setTimeout(send, reply.delayMs));
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
        connection: sockets.get(req.socket) ?? 0,
      };
      const index = requests.length;
      const pathIndex = requests.filter((earlier) => earlier.path === request.path).length;
      requests.push(request);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let answered = false;
      const done = () => {
        if (!answered) inFlight--;
        answered = true;
      };
      response.on('close', done);
      for (const wake of waiters) wake();
      answer(response, script({ request, index, pathIndex }), done);
    });
  });
  server.on('connection', (socket) => {
    sockets.set(socket, ++connections);
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
      script = scriptOf(next);
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
      for (const socket of sockets.keys()) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
