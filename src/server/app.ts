import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type DocumentNode, type ExecutionArgs } from 'graphql';
import { schema } from '../resolvers/index.ts';
import { authenticate } from '../domains/auth/api-key.service.ts';
import type { Principal } from '../domains/auth/principal.ts';
import type { Context } from './context.ts';
import { graphqlLimits } from './graphql-limits.ts';
import { requestEntityManager } from '../db/workspace-scope.ts';
import { openStreams } from './open-streams.ts';
import { requestErrorCodes } from './request-error-codes.ts';
import type { Services } from './services.ts';
import { sharedSubscriptions } from './shared-subscriptions.ts';
import { handlePortal } from './portal/route.ts';
import { closeAtExpiry } from './portal/session-expiry.ts';

export const GRAPHQL_PATH = '/graphql';

/** Responses that stay open and stream: SSE, and multipart for incremental delivery. */
const STREAMING = /text\/event-stream|multipart\/mixed/i;

export interface App {
  server: Server;
  /** Base URL once listening, e.g. `http://127.0.0.1:4000`. */
  url: string;
  close(): Promise<void>;
}

/** What onSubscribe hands graphql-ws's execute and subscribe for one operation. */
interface Operation {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
  shareKey: string;
}

/** What the HTTP and WebSocket servers hand yoga: the caller, authenticated before parsing. */
interface ServerContext {
  request?: Request;
  principal: Principal | null;
}

/**
 * The API: GraphQL over HTTP (and SSE) via graphql-yoga, and graphql-ws subscriptions on the
 * same path and port.
 */
export async function startApp(services: Services, listen: { port: number; host: string }): Promise<App> {
  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    graphiql: { title: 'Switchyard' },
    landingPage: false,
    maskedErrors: true,
    logging: services.config.logLevel,
    plugins: [...graphqlLimits(services.config), requestErrorCodes()],
    context: ({ principal }) => ({ em: requestEntityManager(services.orm, principal), config: services.config, services, principal }),
  });

  // Streams of a revoked key or workspace end at once, in this process as in every other.
  const streams = openStreams();
  const stopRevocations = services.revocations?.onRevoked((revocation) => streams.revoke(revocation));

  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (handlePortal(services, req, res)) return;
    // Authenticated before yoga parses anything: the limits and the introspection policy depend on the caller.
    authenticate(services.orm.em.fork(), req.headers.authorization).then(
      (principal) => {
        if (principal && STREAMING.test(req.headers.accept ?? '')) res.once('close', streams.add(principal, () => res.destroy()));
        return yoga.handle(req, res, { principal });
      },
      () => {
        if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' });
        res.end('The database is not reachable; try again');
      },
    );
  });

  const sockets = new WebSocketServer({ server, path: GRAPHQL_PATH });
  const shared = sharedSubscriptions();
  const wsServer = useServer<{ authorization?: string }>(
    {
      onConnect: async (ctx) => {
        const principal = await authenticate(services.orm.em.fork(), ctx.connectionParams?.authorization);
        // false closes the socket with 4403 Forbidden, and so does a revocation later (or a portal session's expiry).
        if (!principal) return false;
        const socket = ctx.extra.socket;
        if (principal.portal) closeAtExpiry(socket, principal.portal.expiresAt);
        socket.once('close', streams.add(principal, () => socket.close(4403, 'Forbidden: the key was revoked')));
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has already registered this operation in ctx.subscriptions, so it counts too.
        const limit = services.config.maxSubscriptionsPerSocket;
        if (Object.keys(ctx.subscriptions).length > limit) {
          return [
            new GraphQLError(`This socket already has ${limit} operations open (SWITCHYARD_MAX_SUBSCRIPTIONS_PER_SOCKET); complete one first or open another socket`, {
              extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit },
            }),
          ];
        }
        // Authenticated again for each operation: a key revoked since the socket opened opens nothing.
        const principal = await authenticate(services.orm.em.fork(), ctx.connectionParams?.authorization);
        const enveloped = yoga.getEnveloped({
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          principal,
        });
        let document: DocumentNode;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        const contextValue = await enveloped.contextFactory();
        // Subscriptions that would execute alike share one execution (shared-subscriptions.ts).
        const shareKey = JSON.stringify([principal?.workspaceId, principal?.kind, principal?.portal?.capabilities, payload.query, payload.operationName ?? null, payload.variables ?? null]);
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe, shareKey } satisfies Operation,
        };
        return args;
      },
      execute: (args) => (args.rootValue as Operation).execute(args) as never,
      subscribe: (args) => {
        const operation = args.rootValue as Operation;
        return shared.subscribe(operation.shareKey, () => operation.subscribe(args)) as never;
      },
    },
    sockets,
  );

  await new Promise<void>((resolve) => server.listen(listen.port, listen.host, resolve));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    server,
    url: `http://${host}:${address.port}`,
    async close() {
      stopRevocations?.();
      await wsServer.dispose();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
