import type { IncomingMessage, ServerResponse } from 'node:http';
import { createYoga } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { authenticate, forgetRevokedPrincipals, rememberedPrincipal } from '../domains/auth/api-key.service.ts';
import type { Principal } from '../domains/auth/principal.ts';
import type { Context } from './context.ts';
import { graphqlLimits } from './graphql-limits.ts';
import { requestEntityManager } from './workspace-scope.ts';
import { openStreams } from './open-streams.ts';
import { requestErrorCodes } from './request-error-codes.ts';
import type { Services } from '../services.ts';
import type { HttpServer } from './http-server.ts';
import { isEmitOnly } from './emit-only.ts';
import { MAX_REQUEST_BODY_BYTES, readJsonBody } from './json-body.ts';
import { resumesFromCursor, sharedSubscriptions } from './shared-subscriptions.ts';
import { handlePortal } from './portal/route.ts';
import { closeAtExpiry } from './portal/session-expiry.ts';
import { logger, withLogContext, type LogContext } from '../observability/logger.ts';
import { newRequestId, requestIdOf } from '../observability/request-id.ts';

const log = logger.child({ component: 'api' });

/** graphql-yoga's own lines, through the process's logger; an unexpected error with its cause. */
const yogaLogger = {
  debug: (...args: unknown[]) => log.debug(args.map(String).join(' ')),
  info: (...args: unknown[]) => log.info(args.map(String).join(' ')),
  warn: (...args: unknown[]) => log.warn(args.map(String).join(' ')),
  error: (...args: unknown[]) => {
    const error = args.find((arg) => arg instanceof Error);
    log.error(error ? { err: error } : {}, error ? 'a GraphQL operation failed unexpectedly' : args.map(String).join(' '));
  },
};
import { handleOAuthCallback } from './oauth/route.ts';

export const GRAPHQL_PATH = '/graphql';

/** Responses that stay open and stream: SSE, and multipart for incremental delivery. */
const STREAMING = /text\/event-stream|multipart\/mixed/i;

export interface App {
  /** graphql-ws sockets open now, and the subscriptions they hold. */
  openSubscriptions(): { sockets: number; subscriptions: number };
  /** Ends every subscription socket; the HTTP server is its owner's to close. */
  close(): Promise<void>;
}

/** What onSubscribe hands graphql-ws's execute and subscribe for one operation. */
interface Operation {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
  /** Null for a subscription that runs alone (see `resumesFromCursor`). */
  shareKey: string | null;
  logContext: LogContext;
}

/** What the HTTP and WebSocket servers hand yoga: the caller, authenticated before parsing. */
interface ServerContext {
  request?: Request;
  principal: Principal | null;
  /**
   * False when `principal` is the one this process remembers for the key, not looked up for this
   * request (see `principalCache`); then only a request that is nothing but emits keeps it.
   */
  keyLookedUp?: boolean;
  /** The request's Authorization header (the socket's connection parameter), to look the key up again. */
  authorization?: string;
}

/**
/**
 * The API on `http`: GraphQL over HTTP (and SSE) via graphql-yoga, and graphql-ws subscriptions
 * on the same path and port, serving `schema` (the resolvers', given by the process that starts
 * it, so the transport does not import the layer above it).
 */
export function startApp(services: Services, http: HttpServer, schema: GraphQLSchema): App {
  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    graphiql: { title: 'Switchyard' },
    // GraphiQL's scripts and styles inlined in the page, not fetched from a CDN: it works self-hosted and offline.
    renderGraphiQL,
    landingPage: false,
    maskedErrors: true,
    maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
    logging: yogaLogger,
    plugins: [...graphqlLimits(services.config), requestErrorCodes()],
    context: async ({ principal, keyLookedUp = true, authorization, params }) => {
      const lookUpKey = () => authenticate(services.orm.em.fork(), authorization);
      // A remembered principal serves only a request that is nothing but emits, whose write checks the key (see `principalCache`).
      const caller = keyLookedUp || isEmitOnly(params) ? { principal, keyLookedUp } : { principal: await lookUpKey(), keyLookedUp: true };
      return { em: requestEntityManager(services.orm, caller.principal), config: services.config, services, lookUpKey, ...caller };
    },
  });

  // Streams of a revoked key or workspace end at once, in this process as in every other, and the
  // next emit with it looks it up again.
  const streams = openStreams();
  const stopRevocations = services.revocations?.onRevoked((revocation) => {
    streams.revoke(revocation);
    forgetRevokedPrincipals(revocation);
  });

  function serveGraphql(req: IncomingMessage, res: ServerResponse, streaming: boolean): void {
    // Authenticated before yoga parses anything: the limits and the introspection policy depend on the caller.
    // A key this process knows starts from what it found last; the context looks it up unless the request only emits.
    const { authorization } = req.headers;
    const remembered = rememberedPrincipal(authorization);
    (remembered ? Promise.resolve(remembered) : authenticate(services.orm.em.fork(), authorization)).then(
      (principal) => {
        if (principal && streaming) res.once('close', streams.add(principal, () => res.destroy()));
        return yoga.handle(req, res, { principal, keyLookedUp: !remembered, authorization });
      },
      () => {
        if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' });
        res.end('The database is not reachable; try again');
      },
    );
  }

  http.fallback((req, res) => {
    // Every line logged while this request runs carries its id; the caller gets it back.
    const requestId = requestIdOf(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    withLogContext({ requestId }, () => {
      if (handlePortal(services, req, res)) return;
      if (handleOAuthCallback(services, req, res)) return;
      const streaming = STREAMING.test(req.headers.accept ?? '');
      // A JSON body of a stated length is read here, not through yoga's body streams (json-body.ts); a client gone mid-body gets nothing.
      const bodyRead = !streaming && (req.url ?? '/').split('?', 1)[0] === GRAPHQL_PATH ? readJsonBody(req, MAX_REQUEST_BODY_BYTES) : null;
      if (bodyRead) void bodyRead.then((whole) => whole && serveGraphql(req, res, streaming));
      else serveGraphql(req, res, streaming);
    });
  });

  const sockets = new WebSocketServer({ server: http.server, path: GRAPHQL_PATH });
  const shared = sharedSubscriptions();
  /** Each socket's id, for the lines its operations log. */
  const socketIds = new WeakMap<object, string>();
  /** The open sockets' operations, counted when /metrics is scraped. */
  const openSockets = new Set<{ subscriptions: Record<string, unknown> }>();
  const wsServer = useServer<{ authorization?: string }>(
    {
      onConnect: async (ctx) => {
        const socketId = requestIdOf(ctx.extra.request.headers['x-request-id']);
        socketIds.set(ctx.extra.socket, socketId);
        log.debug({ socketId }, 'subscription socket opened');
        const principal = await authenticate(services.orm.em.fork(), ctx.connectionParams?.authorization);
        // false closes the socket with 4403 Forbidden, and so does a revocation later (or a portal session's expiry).
        if (!principal) return false;
        const socket = ctx.extra.socket;
        if (principal.portal) closeAtExpiry(socket, principal.portal.expiresAt);
        socket.once('close', streams.add(principal, () => socket.close(4403, 'Forbidden: the key was revoked')));
        openSockets.add(ctx);
        return true;
      },
      onClose: (ctx) => void openSockets.delete(ctx),
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
        const logContext: LogContext = { socketId: socketIds.get(ctx.extra.socket) ?? newRequestId(), requestId: newRequestId() };
        const enveloped = yoga.getEnveloped({
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          principal,
          authorization: ctx.connectionParams?.authorization,
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
        const shareKey = resumesFromCursor(enveloped.schema, document, payload.operationName, payload.variables)
          ? null
          : JSON.stringify([principal?.workspaceId, principal?.kind, principal?.portal?.capabilities, payload.query, payload.operationName ?? null, payload.variables ?? null]);
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe, shareKey, logContext } satisfies Operation,
        };
        return args;
      },
      execute: (args) => {
        const operation = args.rootValue as Operation;
        return withLogContext(operation.logContext, () => operation.execute(args)) as never;
      },
      subscribe: (args) => {
        const operation = args.rootValue as Operation;
        const { shareKey } = operation;
        if (shareKey === null) return withLogContext(operation.logContext, () => operation.subscribe(args)) as never;
        return withLogContext(operation.logContext, () => shared.subscribe(shareKey, () => operation.subscribe(args))) as never;
      },
    },
    sockets,
  );

  return {
    openSubscriptions() {
      let subscriptions = 0;
      for (const socket of openSockets) subscriptions += Object.keys(socket.subscriptions).length;
      return { sockets: openSockets.size, subscriptions };
    },
    async close() {
      stopRevocations?.();
      await wsServer.dispose();
      sockets.close();
    },
  };
}
