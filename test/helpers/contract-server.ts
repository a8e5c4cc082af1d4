import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request a contract server received, complete. */
export interface ContractRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
  /** When its answer was sent; absent while it is being answered. */
  answeredAt?: number;
}

/** How a contract server answers one request. */
export interface ContractReply {
  status: number;
  headers?: Record<string, string>;
  /** A string as it is; anything else as JSON. Absent: no body. */
  body?: unknown;
  /** Answer after this long, so concurrency can be observed. */
  delayMs?: number;
}

export interface ContractServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Every complete request, in arrival order. */
  readonly requests: ContractRequest[];
  /** Requests being answered right now, counted by `key`. */
  inFlight(key: string): number;
  /** The most requests of `key` ever in flight at once. */
  maxInFlight(key: string): number;
  /** Resolves once `predicate` holds for the requests received; rejects after `timeoutMs`. */
  waitFor(predicate: (requests: ContractRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that answers through `handle`, the base of the vendors'
 * contract servers. `keyOf` names whose request it is (an API key, a token) for counting
 * concurrency per key as the vendors do; `handle` may look at `inFlight` to refuse the excess.
 */
export async function startContractServer(
  handle: (request: ContractRequest, server: ContractServer) => ContractReply,
  keyOf: (request: ContractRequest) => string = () => '',
): Promise<ContractServer> {
  const requests: ContractRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const current = new Map<string, number>();
  const highest = new Map<string, number>();
  let waiters: (() => void)[] = [];
  let contract: ContractServer;

  const send = (response: ServerResponse, reply: ContractReply, done: () => void) => {
    const json = reply.body !== undefined && typeof reply.body !== 'string';
    const text = reply.body === undefined ? '' : json ? JSON.stringify(reply.body) : (reply.body as string);
    response.writeHead(reply.status, { ...(json && { 'content-type': 'application/json; charset=utf-8' }), ...reply.headers });
    response.end(text);
    done();
  };

  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://contract.invalid');
      const request: ContractRequest = {
        method: incoming.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      requests.push(request);
      const key = keyOf(request);
      current.set(key, (current.get(key) ?? 0) + 1);
      highest.set(key, Math.max(highest.get(key) ?? 0, current.get(key)!));
      let finished = false;
      const done = () => {
        if (!finished) current.set(key, current.get(key)! - 1);
        finished = true;
      };
      response.on('close', done);
      for (const wake of waiters) wake();
      const reply = handle(request, contract);
      const answer = () => {
        request.answeredAt = Date.now();
        send(response, reply, done);
      };
      if (!reply.delayMs) return answer();
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, reply.delayMs);
      timers.add(timer);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  contract = {
    origin: `http://127.0.0.1:${port}`,
    requests,
    inFlight: (key) => current.get(key) ?? 0,
    maxInFlight: (key) => highest.get(key) ?? 0,
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(requests)) return false;
          clearTimeout(timer);
          waiters = waiters.filter((waiter) => waiter !== wake);
          resolve();
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter !== wake);
          reject(new Error(`the contract server's requests did not meet the expectation within ${timeoutMs} ms (${requests.length} received)`));
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
  return contract;
}

/**
 * A token bucket as vendors keep one: `perSecond` tokens a second, up to `burst` at once. Takes
 * a token and returns 0, or returns the whole seconds to wait for one (a `Retry-After`).
 */
export function tokenBucket(perSecond: number, burst: number): () => number {
  let tokens = burst;
  let at = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(burst, tokens + ((now - at) / 1000) * perSecond);
    at = now;
    if (tokens >= 1) {
      tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - tokens) / perSecond));
  };
}

/** Replies a test injects in place of the next requests' real answers (an outage, a limit hit). */
export interface InjectedFaults {
  /** Answers the next `count` requests it is asked about with `reply`. */
  failNext(count: number, reply: ContractReply): void;
  /** The injected reply for this request, if one is due. */
  next(): ContractReply | undefined;
}

export function injectedFaults(): InjectedFaults {
  const queue: { count: number; reply: ContractReply }[] = [];
  return {
    failNext: (count, reply) => void queue.push({ count, reply }),
    next() {
      const fault = queue[0];
      if (!fault) return undefined;
      if (--fault.count <= 0) queue.shift();
      return fault.reply;
    },
  };
}
