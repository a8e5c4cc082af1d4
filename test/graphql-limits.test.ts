import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient as createWsClient, type Client } from 'graphql-ws';
import { getIntrospectionQuery } from 'graphql';
import { startTestServer, type SeededWorkspace } from './helpers/server.ts';

const server = await startTestServer();

let ws: SeededWorkspace;
const sockets: Client[] = [];

beforeAll(async () => {
  ws = await server.seedWorkspace();
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
});

/** `event { deliveries { event { deliveries ... } } }`, `levels` fields deep below `delivery`. */
function deepQuery(levels: number): string {
  let selection = 'id';
  for (let level = 0; level < levels; level++) selection = level % 2 ? `event { ${selection} }` : `deliveries { ${selection} }`;
  return `query ($id: ID!) { delivery(id: $id) { ... on Delivery { ${selection} } ... on Error { message } } }`;
}

const aliases = (count: number, field = 'connections(first: 100) { edges { node { id name } } }') =>
  `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

const limitOf = (response: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
  response.errors?.map((error) => [error.extensions?.code, error.extensions?.limit]);

describe('GraphQL limits, refused before execution', () => {
  it('refuses a query nested 201 levels deep, naming SWITCHYARD_GRAPHQL_MAX_DEPTH', async () => {
    const response = await ws.secret.raw(deepQuery(201), { id: 'msg_0193aaaaaaaa7aaa8aaaaaaaaaaaaaaa' });
    expect(response.data).toBeUndefined();
    expect(limitOf(response)).toContainEqual(['QUERY_LIMIT_EXCEEDED', 'SWITCHYARD_GRAPHQL_MAX_DEPTH']);
  });

  it('answers the deepest query the SDK needs', async () => {
    const response = await ws.secret.raw(deepQuery(6), { id: 'msg_0193aaaaaaaa7aaa8aaaaaaaaaaaaaaa' });
    expect(response.errors).toBeUndefined();
  });

  it('refuses more than 15 aliases', async () => {
    expect(limitOf(await ws.secret.raw(aliases(16, 'workspace { id }')))).toContainEqual(['QUERY_LIMIT_EXCEEDED', 'SWITCHYARD_GRAPHQL_MAX_ALIASES']);
    expect((await ws.secret.raw(aliases(15, 'workspace { id }'))).errors).toBeUndefined();
  });

  it('refuses 1000 aliases of connections(first: 100), by their tokens', async () => {
    const response = await ws.secret.raw(aliases(1000).slice(0, 14_000));
    expect(limitOf(response)).toEqual([['QUERY_LIMIT_EXCEEDED', 'SWITCHYARD_GRAPHQL_MAX_TOKENS']]);
  });

  it('refuses a 2 MB document from a caller without a key, by its length, before parsing it', async () => {
    const started = performance.now();
    const response = await server.as().raw(aliases(110_413, '__typename'));
    expect(limitOf(response)).toEqual([['QUERY_LIMIT_EXCEEDED', 'SWITCHYARD_GRAPHQL_MAX_DOCUMENT_LENGTH']]);
    expect(response.errors![0]!.message).toMatch(/characters long; the limit is 15000/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses an operation whose estimated cost is too high', async () => {
    const wide = `edges { node { id name kind status statusReason retryScheduleSeconds timeoutSeconds rateLimitPerSecond maxConcurrency
      ordered consecutiveFailures failingSince lastFailureReason signingSecretHint createdAt updatedAt webhook { url headers } } }`;
    const response = await ws.secret.raw(aliases(15, `connections(first: 100) { ${wide} }`).replace(/connections/g, 'rules(first: 100) { edges { node { connection { id } } } } c: connections'));
    expect(limitOf(response)).toContainEqual(['QUERY_LIMIT_EXCEEDED', 'SWITCHYARD_GRAPHQL_MAX_COST']);
  });

  it('refuses more than 50 directives', async () => {
    const response = await ws.secret.raw(`{ workspace { id ${'@include(if: true) '.repeat(51)} } }`);
    expect(limitOf(response)).toContainEqual(['QUERY_LIMIT_EXCEEDED', 'SWITCHYARD_GRAPHQL_MAX_DIRECTIVES']);
  });

  it('applies the same limits over graphql-ws and SSE', async () => {
    const socket = createWsClient({
      url: server.url.replace('http', 'ws'),
      connectionParams: { authorization: `Bearer ${ws.secretKey}` },
      retryAttempts: 0,
    });
    sockets.push(socket);
    const deepSubscription = `subscription { deliveryUpdated { ${'event { deliveries { '.repeat(10)}id${' } }'.repeat(10)} } }`;
    const overWs = await socket.iterate({ query: deepSubscription }).next().catch((error: unknown) => error);
    expect(JSON.stringify(overWs)).toContain('SWITCHYARD_GRAPHQL_MAX_DEPTH');

    const literal = `${'{ a: '.repeat(10_000)}1${' }'.repeat(10_000)}`;
    const tooLong = await socket.iterate({ query: `subscription { deliveryUpdated(filter: { eventType: ${JSON.stringify('x'.repeat(20_000))} }) { id } }` }).next().catch((error: unknown) => error);
    expect(JSON.stringify(tooLong)).toContain('SWITCHYARD_GRAPHQL_MAX_DOCUMENT_LENGTH');
    const tooDeep = await socket.iterate({ query: `subscription { deliveryUpdated(filter: ${literal.slice(0, 14_000)}) { id } }` }).next().catch((error: unknown) => error);
    expect(JSON.stringify(tooDeep)).toContain('SWITCHYARD_GRAPHQL_MAX_TOKENS');

    const overSse = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${ws.secretKey}` },
      body: JSON.stringify({ query: deepSubscription }),
    });
    expect(await overSse.text()).toContain('SWITCHYARD_GRAPHQL_MAX_DEPTH');
    // The socket is still usable after its refusals.
    expect(JSON.stringify(await socket.iterate({ query: '{ workspace { id } }' }).next())).toContain(ws.id);
  });
});

describe('what a caller without a valid key learns about the schema', () => {
  it('gets no introspection, while a valid key does', async () => {
    const anonymous = await server.as().raw(getIntrospectionQuery());
    expect(anonymous.data).toBeUndefined();
    expect(anonymous.errors?.[0]).toMatchObject({ message: expect.stringContaining('Introspection needs a valid key'), extensions: { code: 'UNAUTHENTICATED' } });
    const unknownKey = await server.as('sy_sk_unknown_unknown_unknown').raw('{ __type(name: "Connection") { name } }');
    expect(unknownKey.data).toBeUndefined();

    const keyed = await ws.publishable.raw<{ __schema: { queryType: { name: string } } }>(getIntrospectionQuery());
    expect(keyed.errors).toBeUndefined();
    expect(keyed.data?.__schema.queryType.name).toBe('Query');
  });

  it('gets no field suggestions, while a valid key does', async () => {
    const anonymous = await server.as().raw('{ workspce { id } }');
    expect(anonymous.errors?.[0]?.message).toBe('Cannot query field "workspce" on type "Query".');
    const badEnum = await server.as().raw('query ($s: DeliveryStatus) { deliveries(filter: { status: $s }) { edges { node { id } } } }', { s: 'DEA' });
    expect(JSON.stringify(badEnum.errors)).not.toMatch(/Did you mean/);

    const keyed = await ws.secret.raw('{ workspce { id } }');
    expect(keyed.errors?.[0]?.message).toMatch(/Did you mean "workspace"/);
  });
});
