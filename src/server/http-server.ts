import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The port is taken by another process. */
export class PortInUseError extends Error {
  readonly port: number;
  readonly host: string;
  constructor(port: number, host: string) {
    super(`port ${port} on ${host} is already in use`);
    this.name = 'PortInUseError';
    this.port = port;
    this.host = host;
  }
}

export interface HttpServer {
  server: Server;
  /** Base URL once listening, e.g. `http://127.0.0.1:4000`. */
  url: string;
  /** Serves `path` (exactly, query string aside) with `handler`. */
  route(path: string, handler: Handler): void;
  /** Serves every other path; until set, they answer 503 while the process starts. */
  fallback(handler: Handler): void;
  close(): Promise<void>;
}

/**
 * Listens on `port` before anything else starts, so a taken port is found before Postgres
 * starts or an admin key is made; paths are served as their parts come up.
 */
export async function listenHttp(port: number, host: string): Promise<HttpServer> {
  const routes = new Map<string, Handler>();
  let rest: Handler = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end(JSON.stringify({ errors: [{ message: 'Switchyard is starting; try again in a moment' }] }));
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    (routes.get(path) ?? rest)(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, host) : error));
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    route: (path, handler) => void routes.set(path, handler),
    fallback: (handler) => void (rest = handler),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
