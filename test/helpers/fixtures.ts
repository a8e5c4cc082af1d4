import type { GraphqlClient } from './graphql.ts';

export interface ConnectionOptions {
  name?: string;
  headers?: Record<string, string>;
  retryScheduleSeconds?: number[];
  timeoutSeconds?: number;
  rateLimitPerSecond?: number;
  maxConcurrency?: number;
  ordered?: boolean;
  owner?: 'CUSTOMER' | 'OPERATOR';
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}-${Date.now()}`;

/** Creates a webhook connection to `url`; returns its id and signing secret. */
export async function createWebhook(client: GraphqlClient, url: string, options: ConnectionOptions = {}) {
  const { name = unique('hook'), headers, ...policy } = options;
  const { createConnection } = await client.request(
    `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) {
       __typename ... on CreateConnectionPayload { connection { id } signingSecret } ... on Error { message } } }`,
    { input: { name, kind: 'WEBHOOK', webhook: { url, headers: headers ?? {} }, ...policy } },
  );
  if (createConnection.__typename !== 'CreateConnectionPayload') throw new Error(JSON.stringify(createConnection));
  return { id: createConnection.connection.id as string, signingSecret: createConnection.signingSecret as string };
}

/** Creates a rule routing `eventTypes` to `connectionId`. */
export async function createRule(
  client: GraphqlClient,
  connectionId: string,
  eventTypes: string[],
  expressions: { condition?: string; transform?: string } = {},
) {
  const { createRule } = await client.request(
    `mutation ($input: CreateRuleInput!) { createRule(input: $input) {
       __typename ... on CreateRulePayload { rule { id } } ... on Error { message } } }`,
    { input: { name: unique('rule'), eventTypes, connectionId, ...expressions } },
  );
  if (createRule.__typename !== 'CreateRulePayload') throw new Error(JSON.stringify(createRule));
  return createRule.rule.id as string;
}

export const EMIT = `mutation ($input: EmitEventInput!) { emitEvent(input: $input) {
  __typename
  ... on EmitEventPayload { duplicate event { id sequence deliveries { id status connection { id } } } }
  ... on ValidationError { issues { path message } } } }`;

/** Emits one event and returns the payload (throws on a typed error). */
export async function emit(client: GraphqlClient, input: Record<string, unknown>) {
  const { emitEvent } = await client.request(EMIT, { input });
  if (emitEvent.__typename !== 'EmitEventPayload') throw new Error(JSON.stringify(emitEvent));
  return emitEvent as {
    duplicate: boolean;
    event: { id: string; sequence: number; deliveries: { id: string; status: string; connection: { id: string } }[] };
  };
}

export const DELIVERY = `query ($id: ID!) { delivery(id: $id) {
  __typename ... on Delivery { id status attemptCount replays lastError nextAttemptAt paused
    attempts { attempt replay status statusCode errorClass error responseExcerpt durationMs startedAt } } } }`;

export interface DeliveryView {
  id: string;
  status: string;
  attemptCount: number;
  replays: number;
  lastError: string | null;
  paused: boolean;
  attempts: { attempt: number; replay: number; status: string; statusCode: number | null; errorClass: string | null; error: string | null; responseExcerpt: string | null; startedAt: string }[];
}

export async function getDelivery(client: GraphqlClient, id: string): Promise<DeliveryView> {
  const { delivery } = await client.request(DELIVERY, { id });
  return delivery;
}

/** Polls `check` until it returns a value (not undefined), within `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the delivery reaches `status`. */
export function deliveryReaches(client: GraphqlClient, id: string, status: string, timeoutMs = 10_000) {
  return eventually(async () => {
    const delivery = await getDelivery(client, id);
    return delivery.status === status ? delivery : undefined;
  }, timeoutMs, `delivery ${id} to be ${status}`);
}

/** Pauses or resumes a connection through the API. */
export async function setPaused(client: GraphqlClient, connectionId: string, paused: boolean): Promise<void> {
  const field = paused ? 'pauseConnection' : 'resumeConnection';
  const type = paused ? 'PauseConnectionInput' : 'ResumeConnectionInput';
  await client.request(`mutation ($input: ${type}!) { ${field}(input: $input) { __typename } }`, { input: { id: connectionId } });
}

/** A fresh workspace with one webhook connection to `url` and a catch-all rule. */
export async function workspaceWithWebhook(
  server: { seedWorkspace(): Promise<{ secret: GraphqlClient; publishable: GraphqlClient; id: string }> },
  url: string,
  options: ConnectionOptions = {},
) {
  const ws = await server.seedWorkspace();
  const hook = await createWebhook(ws.secret, url, options);
  await createRule(ws.secret, hook.id, ['*']);
  return { ws, hook };
}
