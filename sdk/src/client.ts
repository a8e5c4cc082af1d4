import * as ops from './generated/graphql.ts';
import { unwrap } from './errors.ts';
import { createTransport, type Request } from './transport.ts';
import { createSubscriptions, type Stream } from './subscriptions.ts';
import type {
  Connection,
  ConnectionChanges,
  CreateConnectionInput,
  CreatedConnection,
  CreatedWorkspace,
  CreateRuleInput,
  CreateWorkspaceInput,
  CreatePortalSessionInput,
  PortalSession,
  PortalSettings,
  UpdatePortalSettingsInput,
  Delivery,
  DeliveryAttempt,
  DeliveryFilter,
  DeliveryWithAttempts,
  EmitEventInput,
  EmitResult,
  EventType,
  ListOptions,
  Page,
  Rule,
  RuleChanges,
  RuleTrial,
  SavedRule,
  TestRuleInput,
  TestSend,
  WorkspaceSettingsChanges,
  WorkspaceWithSettings,
  UpsertEventTypeInput,
} from './types.ts';

export interface ClientOptions {
  /** The Switchyard API, e.g. `https://switchyard.example.com`; `/graphql` is added when no path is given. */
  url: string;
  /** A secret key (`sy_sk_...`), a publishable key (`sy_pk_...`, emit only) or the admin key (workspaces only). */
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
}

/** Options of `deliveries.subscribe`: `attempts` (the default) or `updates`. */
export interface SubscribeOptions<To extends 'attempts' | 'updates'> {
  /** `attempts`: every new attempt, with its delivery and event; `updates`: the delivery after each change. */
  to: To;
}

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
  });

  return {
    /**
     * Emits one event. Always sends an idempotency key (a random one unless you pass yours), so
     * retries after a network failure never emit twice; pass your own to deduplicate across calls.
     */
    async emit(event: EmitEventInput): Promise<EmitResult> {
      const input = { ...event, idempotencyKey: event.idempotencyKey ?? newIdempotencyKey() };
      const { __typename, ...result } = unwrap((await request(ops.EmitEventDocument, { input }, 'always')).emitEvent);
      return result;
    },

    /** Emits up to 1000 events at once, all or none; each gets an idempotency key as in `emit`. */
    async emitBatch(events: EmitEventInput[]): Promise<EmitResult[]> {
      const input = { events: events.map((event) => ({ ...event, idempotencyKey: event.idempotencyKey ?? newIdempotencyKey() })) };
      return unwrap((await request(ops.EmitEventsDocument, { input }, 'always')).emitEvents).results;
    },

    connections: connectionsApi(request),
    rules: rulesApi(request),
    eventTypes: eventTypesApi(request),

    deliveries: {
      /** Deliveries, newest first; `{ status: 'DEAD' }` is the dead-letter list. */
      async list(filter: DeliveryFilter = {}, page: ListOptions = {}): Promise<Page<Delivery>> {
        return toPage((await request(ops.ListDeliveriesDocument, { filter, ...pageArgs(page) }, 'always')).deliveries);
      },
      /** One delivery with all its attempts. Throws `SwitchyardNotFoundError`. */
      async get(id: string): Promise<DeliveryWithAttempts> {
        const { __typename, ...delivery } = unwrap((await request(ops.GetDeliveryDocument, { id }, 'always')).delivery);
        return delivery;
      },
      /** Sends a delivery again as a new attempt chain with the same webhook-id. */
      async replay(id: string): Promise<Delivery> {
        const result = await request(ops.ReplayDeliveryDocument, { input: { deliveryId: id } }, 'unsent');
        return unwrap(result.replayDelivery).delivery;
      },
      /** Replays every delivery matching the filter (`status` defaults to DEAD); returns how many. */
      async replayMany(filter: DeliveryFilter = {}): Promise<number> {
        const result = await request(ops.ReplayDeliveriesDocument, { input: { filter } }, 'unsent');
        return unwrap(result.replayDeliveries).count;
      },
      subscribe,
    },

    workspace: {
      /** The key's own workspace, with its settings (secret key). */
      async get(): Promise<WorkspaceWithSettings> {
        return (await request(ops.GetWorkspaceDocument, {}, 'always')).workspace;
      },
      /** Changes the settings given, e.g. `{ strictEventTypes: true }`; the others stay. */
      async updateSettings(settings: WorkspaceSettingsChanges): Promise<WorkspaceWithSettings> {
        return unwrap((await request(ops.UpdateWorkspaceSettingsDocument, { input: settings }, 'always')).updateWorkspaceSettings).workspace;
      },
    },

    workspaces: {
      /** Creates a workspace and its first keys (admin key). The keys are returned this once. */
      async create(input: CreateWorkspaceInput): Promise<CreatedWorkspace> {
        const { __typename, ...created } = unwrap((await request(ops.CreateWorkspaceDocument, { input }, 'unsent')).createWorkspace);
        return created;
      },
    },

    portal: {
      /**
       * Opens the customer portal for this workspace (secret key): frame `url` in your product, or
       * open it. Capabilities default to all; the session lasts an hour unless `expiresInSeconds` says.
       */
      async createSession(input: CreatePortalSessionInput = {}): Promise<PortalSession> {
        const { __typename, ...session } = unwrap((await request(ops.CreatePortalSessionDocument, { input }, 'unsent')).createPortalSession);
        return session;
      },
      /** Ends these portal sessions, or every one of the workspace when none is given; returns those ended now. */
      async revokeSessions(sessionIds?: string[]): Promise<string[]> {
        const input = sessionIds ? { sessionIds } : {};
        return unwrap((await request(ops.RevokePortalSessionsDocument, { input }, 'always')).revokePortalSessions).revokedSessionIds;
      },
      /** Sets the portal's look and the origins allowed to frame it; left out stays, null clears. */
      async updateSettings(input: UpdatePortalSettingsInput): Promise<PortalSettings> {
        return unwrap((await request(ops.UpdatePortalSettingsDocument, { input }, 'always')).updatePortalSettings).portalSettings;
      },
    },

    /** Closes the subscription socket, ending every stream. */
    async close(): Promise<void> {
      await subscriptions.dispose();
    },
  };

  /**
   * Live deliveries matching `filter` over graphql-ws: each new attempt (the default), or with
   * `{ to: 'updates' }` each delivery after every change. Only changes after the subscription
   * starts arrive: to not miss earlier ones, subscribe first, then read `get()`/`list()`.
   */
  function subscribe(filter?: DeliveryFilter, options?: SubscribeOptions<'attempts'>): Stream<DeliveryAttempt>;
  function subscribe(filter: DeliveryFilter | undefined, options: SubscribeOptions<'updates'>): Stream<Delivery>;
  function subscribe(filter: DeliveryFilter = {}, options?: SubscribeOptions<'attempts' | 'updates'>): Stream<DeliveryAttempt | Delivery> {
    if (options?.to === 'updates') {
      return subscriptions.stream(ops.DeliveryUpdatedDocument, { filter }, (data) => data.deliveryUpdated);
    }
    return subscriptions.stream(ops.DeliveryAttemptsDocument, { filter }, (data) => data.deliveryAttempts);
  }
}

export type SwitchyardClient = ReturnType<typeof createClient>;

function connectionsApi(request: Request) {
  return {
    async list(options: ListOptions & { status?: Connection['status'] } = {}): Promise<Page<Connection>> {
      const { status, ...page } = options;
      return toPage((await request(ops.ListConnectionsDocument, { status, ...pageArgs(page) }, 'always')).connections);
    },
    /** Throws `SwitchyardNotFoundError`. */
    async get(id: string): Promise<Connection> {
      const { __typename, ...connection } = unwrap((await request(ops.GetConnectionDocument, { id }, 'always')).connection);
      return connection;
    },
    /** Creates a connection; its signing secret is returned this once. */
    async create(input: CreateConnectionInput): Promise<CreatedConnection> {
      const { __typename, ...created } = unwrap((await request(ops.CreateConnectionDocument, { input }, 'unsent')).createConnection);
      return created;
    },
    /** Changes the given fields; fields left out stay as they are. */
    async update(id: string, changes: ConnectionChanges): Promise<Connection> {
      return unwrap((await request(ops.UpdateConnectionDocument, { input: { ...changes, id } }, 'always')).updateConnection).connection;
    },
    async delete(id: string): Promise<void> {
      unwrap((await request(ops.DeleteConnectionDocument, { input: { id } }, 'unsent')).deleteConnection);
    },
    /** Stops deliveries to the connection; they wait until `resume`. */
    async pause(id: string): Promise<Connection> {
      return unwrap((await request(ops.PauseConnectionDocument, { input: { id } }, 'always')).pauseConnection).connection;
    },
    async resume(id: string): Promise<Connection> {
      return unwrap((await request(ops.ResumeConnectionDocument, { input: { id } }, 'always')).resumeConnection).connection;
    },
    /**
     * Sends a test event to this connection only: a real, signed delivery marked `test` (the body
     * has `"test": true`), logged and retried like any other. Without `payload`, the event type's
     * first JSON Schema example (or `{}`) is sent.
     */
    async sendTestEvent(id: string, event: { type: string; payload?: unknown }): Promise<TestSend> {
      const input = { connectionId: id, ...event };
      const { __typename, ...sent } = unwrap((await request(ops.SendTestEventDocument, { input }, 'unsent')).sendTestEvent);
      return sent;
    },
    /** Issues a new signing secret; the current one keeps signing until it expires (default 24 h). */
    async rotateSecret(id: string, options: { expireCurrentInSeconds?: number } = {}): Promise<CreatedConnection> {
      const input = { connectionId: id, ...options };
      const { __typename, ...rotated } = unwrap((await request(ops.RotateConnectionSecretDocument, { input }, 'unsent')).rotateConnectionSecret);
      return rotated;
    },
  };
}

function rulesApi(request: Request) {
  return {
    async list(options: ListOptions & { connectionId?: string } = {}): Promise<Page<Rule>> {
      const { connectionId, ...page } = options;
      return toPage((await request(ops.ListRulesDocument, { connectionId, ...pageArgs(page) }, 'always')).rules);
    },
    /** Throws `SwitchyardNotFoundError`. */
    async get(id: string): Promise<Rule> {
      const { __typename, ...rule } = unwrap((await request(ops.GetRuleDocument, { id }, 'always')).rule);
      return rule;
    },
    /** Creates a rule; `warnings` names likely mistakes (a condition reading `total` for `payload.total`). */
    async create(input: CreateRuleInput): Promise<SavedRule> {
      const { rule, warnings } = unwrap((await request(ops.CreateRuleDocument, { input }, 'unsent')).createRule);
      return { ...rule, warnings };
    },
    async update(id: string, changes: RuleChanges): Promise<SavedRule> {
      const { rule, warnings } = unwrap((await request(ops.UpdateRuleDocument, { input: { ...changes, id } }, 'always')).updateRule);
      return { ...rule, warnings };
    },
    async delete(id: string): Promise<void> {
      unwrap((await request(ops.DeleteRuleDocument, { input: { id } }, 'unsent')).deleteRule);
    },
    /**
     * Tries a rule on one event without sending anything: `{ ruleId }`, `{ rule: { eventTypes,
     * condition, transform } }`, or both (a saved rule with some fields replaced), with `{ event }`
     * or `{ eventId }`. Returns which patterns matched, the condition's and the transform's values
     * or errors (with their position), and the body that would be sent.
     */
    async test(input: TestRuleInput): Promise<RuleTrial> {
      const { __typename, ...trial } = unwrap((await request(ops.TestRuleDocument, { input }, 'always')).testRule);
      return trial;
    },
  };
}

function eventTypesApi(request: Request) {
  return {
    async list(options: ListOptions = {}): Promise<Page<EventType>> {
      return toPage((await request(ops.ListEventTypesDocument, pageArgs(options), 'always')).eventTypes);
    },
    /** Creates the event type, or updates its description and JSON Schema. */
    async upsert(input: UpsertEventTypeInput): Promise<EventType> {
      return unwrap((await request(ops.UpsertEventTypeDocument, { input }, 'always')).upsertEventType).eventType;
    },
  };
}

function graphqlEndpoint(url: string): URL {
  const endpoint = new URL(url);
  if (endpoint.pathname === '/' || endpoint.pathname === '') endpoint.pathname = '/graphql';
  return endpoint;
}

function pageArgs(page: ListOptions): { first?: number; after?: string } {
  return { ...(page.limit != null ? { first: page.limit } : {}), ...(page.cursor ? { after: page.cursor } : {}) };
}

function toPage<T>(connection: { edges: { node: T }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }): Page<T> {
  return {
    data: connection.edges.map((edge) => edge.node),
    hasMore: connection.pageInfo.hasNextPage,
    nextCursor: connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null,
  };
}

function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}
