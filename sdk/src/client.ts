import * as ops from './generated/graphql.ts';
import { createTransport } from './transport.ts';
import { createSubscriptions, type Stream } from './subscriptions.ts';
import { apiKeysApi } from './resources/api-keys.ts';
import { connectionsApi } from './resources/connections.ts';
import { deliveriesApi } from './resources/deliveries.ts';
import { eventsApi } from './resources/events.ts';
import { eventTypesApi } from './resources/event-types.ts';
import { portalApi } from './resources/portal.ts';
import { rulesApi } from './resources/rules.ts';
import { workspaceApi, workspacesApi } from './resources/workspaces.ts';
import type { DeliveryFilter, StreamedAttempt, StreamedDelivery } from './types.ts';

export interface ClientOptions {
  /** The Switchyard API, e.g. `https://switchyard.example.com`; `/graphql` is added when no path is given. */
  url: string;
  /**
   * A secret key (`sy_sk_...`), a publishable key (`sy_pk_...`, emit only), the admin key (workspaces only), or a portal
   * session's token (`sy_ps_...`: what the session's capabilities allow, deliveries without their `rule`).
   */
  apiKey: string;
  /** The fetch to use. (Default: the global fetch) */
  fetch?: typeof globalThis.fetch;
  /** Retries of a request that failed on the network or with 429/502/503/504. (Default: 3) */
  retries?: number;
  /** Delay before the first retry in ms; doubles with each one, with jitter. (Default: 200) */
  retryDelayMs?: number;
  /** Extra headers for every HTTP request. */
  headers?: Record<string, string>;
  /** A WebSocket class for `subscribe` where the runtime has none (the `ws` package on old Node). */
  webSocketImpl?: unknown;
  /** Reconnects of a stream in a row, with no item or connection between them, before it fails. (Default: 5) */
  streamRetries?: number;
  /** Delay before a stream's first reconnect in ms; it doubles with each one, with jitter, up to 30 s. (Default: 500) */
  streamRetryDelayMs?: number;
}

/** Options of `deliveries.subscribe`. */
export interface SubscribeOptions<To extends 'attempts' | 'updates'> {
  /** `attempts`: every new attempt, with its delivery and event; `updates`: the delivery after each change. (Default: attempts) */
  to?: To;
  /** Start after this `cursor` of an item a stream gave: every change since comes first. (Default: now) */
  after?: string;
}

/** How publishable keys start (`sy_pk_...`): such a key may only emit. */
const PUBLISHABLE_KEY_PREFIX = 'sy_pk_';

/** Creates a client for one key. Call `close()` when done with subscriptions. */
export function createClient(options: ClientOptions) {
  const endpoint = graphqlEndpoint(options.url);
  const request = createTransport({
    endpoint: endpoint.toString(),
    apiKey: options.apiKey,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    retries: options.retries ?? 3,
    retryDelayMs: options.retryDelayMs ?? 200,
    headers: options.headers ?? {},
  });
  const socketUrl = new URL(endpoint);
  socketUrl.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  const subscriptions = createSubscriptions({
    url: socketUrl.toString(),
    apiKey: options.apiKey,
    ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    ...(options.streamRetries !== undefined ? { retryAttempts: options.streamRetries } : {}),
    ...(options.streamRetryDelayMs !== undefined ? { retryDelayMs: options.streamRetryDelayMs } : {}),
  });

  return {
    ...eventsApi(request, options.apiKey.startsWith(PUBLISHABLE_KEY_PREFIX)),
    connections: connectionsApi(request),
    rules: rulesApi(request),
    eventTypes: eventTypesApi(request),
    deliveries: { ...deliveriesApi(request), subscribe },
    apiKeys: apiKeysApi(request),
    workspace: workspaceApi(request),
    workspaces: workspacesApi(request),
    portal: portalApi(request),

    /** Closes the subscription socket, ending every stream. */
    async close(): Promise<void> {
      await subscriptions.dispose();
    },
  };

  /**
   * Live deliveries matching `filter` over graphql-ws: each new attempt (the default), or with
   * `{ to: 'updates' }` each delivery after every change. Resolves once the stream is anchored:
   * every change that commits after that is in it, so subscribe, then act, then read. With
   * `after` it first sends every change since that cursor. A dropped socket is reopened and the
   * stream goes on after its last item, missing and repeating nothing.
   */
  async function subscribe(filter?: DeliveryFilter, options?: SubscribeOptions<'attempts'>): Promise<Stream<StreamedAttempt>>;
  async function subscribe(filter: DeliveryFilter | undefined, options: SubscribeOptions<'updates'>): Promise<Stream<StreamedDelivery>>;
  async function subscribe(filter: DeliveryFilter = {}, options: SubscribeOptions<'attempts' | 'updates'> = {}): Promise<Stream<StreamedAttempt | StreamedDelivery>> {
    // The cursor is read over HTTP first: the stream starts after it, however late the socket
    // subscription reaches the server, and a refused key fails here rather than on the first read.
    const after = options.after ?? (await request(ops.DeliveryStreamCursorDocument, {}, 'always')).deliveryStreamCursor;
    if (options.to === 'updates') {
      return subscriptions.stream(ops.DeliveryUpdatedDocument, { filter, after }, (data) => data.deliveryUpdated as StreamedDelivery);
    }
    return subscriptions.stream(ops.DeliveryAttemptsDocument, { filter, after }, (data) => data.deliveryAttempts as StreamedAttempt);
  }
}

export type SwitchyardClient = ReturnType<typeof createClient>;

function graphqlEndpoint(url: string): URL {
  const endpoint = new URL(url);
  if (endpoint.pathname === '/' || endpoint.pathname === '') endpoint.pathname = '/graphql';
  return endpoint;
}
