import { ADMIN_KEY } from './switchyard.ts';

type Data = Record<string, any>;

/** One GraphQL request; GraphQL errors and typed error results throw. */
export async function gql(url: string, key: string, query: string, variables?: unknown): Promise<Data> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (!response.ok || /"errors"|Error"/.test(text)) throw new Error(`GraphQL request failed: ${text.slice(0, 500)}`);
  return (JSON.parse(text) as { data: Data }).data;
}

export interface ConnectionSpec {
  name: string;
  url: string;
  /** Event-type patterns its rule routes to it. */
  eventTypes: string[];
  timeoutSeconds?: number;
  maxConcurrency?: number;
  /** Its rule's condition, if any. */
  condition?: string;
}

/** A workspace with one connection and one rule per spec; returns its secret key. */
export async function createWorkspace(url: string, name: string, connections: ConnectionSpec[]): Promise<{ secretKey: string; connectionIds: string[] }> {
  const { createWorkspace } = await gql(url, ADMIN_KEY, 'mutation ($name: String!) { createWorkspace(input: { name: $name }) { ... on CreateWorkspacePayload { secretKey } } }', { name });
  const secretKey: string = createWorkspace.secretKey;
  const connectionIds: string[] = [];
  for (const spec of connections) {
    const { createConnection } = await gql(
      url,
      secretKey,
      `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { ... on CreateConnectionPayload { connection { id } } } }`,
      { input: { name: spec.name, kind: 'WEBHOOK', webhook: { url: spec.url }, timeoutSeconds: spec.timeoutSeconds, maxConcurrency: spec.maxConcurrency } },
    );
    const connectionId: string = createConnection.connection.id;
    connectionIds.push(connectionId);
    await gql(url, secretKey, 'mutation ($input: CreateRuleInput!) { createRule(input: $input) { __typename } }', {
      input: { name: spec.name, eventTypes: spec.eventTypes, connectionId, condition: spec.condition },
    });
  }
  return { secretKey, connectionIds };
}

export const EMIT_ONE = 'mutation ($input: EmitEventInput!) { emitEvent(input: $input) { __typename } }';
export const EMIT_MANY = 'mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename } }';

/** Emits `count` events of `type` in batches of up to 1000, `payload(i)` each. */
export async function emitMany(url: string, key: string, type: string, count: number, payload: (i: number) => unknown = (i) => ({ i })): Promise<void> {
  for (let start = 0; start < count; start += 1000) {
    const events = Array.from({ length: Math.min(1000, count - start) }, (_, i) => ({ type, payload: payload(start + i) }));
    await gql(url, key, EMIT_MANY, { input: { events } });
  }
}
