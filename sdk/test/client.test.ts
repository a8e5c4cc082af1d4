import { describe, expect, it } from 'vitest';
import {
  createClient,
  SwitchyardAuthError,
  SwitchyardConflictError,
  SwitchyardNetworkError,
  SwitchyardNotFoundError,
  SwitchyardValidationError,
} from '../src/index.ts';

interface Sent {
  url: string;
  authorization: string | null;
  query: string;
  variables: Record<string, any>;
}

type Reply = Response | Error | (() => Response | Error);

/** A fetch that records requests and answers with `replies` in turn (the last one repeats). */
function fakeFetch(replies: Reply[]) {
  const sent: Sent[] = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    sent.push({ url: String(url), authorization: new Headers(init?.headers).get('authorization'), query: body.query, variables: body.variables });
    const next = replies.length > 1 ? replies.shift()! : replies[0]!;
    const reply = typeof next === 'function' ? next() : next;
    if (reply instanceof Error) throw reply;
    return reply.clone();
  }) as typeof globalThis.fetch;
  return { fetch, sent };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const socketError = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

const emitted = { emitEvent: { __typename: 'EmitEventPayload', duplicate: false, event: { id: 'evt_1', deliveries: [] } } };

const client = (fetch: typeof globalThis.fetch, retries = 3) =>
  createClient({ url: 'http://switchyard.test', apiKey: 'sy_sk_test', fetch, retries, retryDelayMs: 1 });

describe('the SDK client', () => {
  it('posts to /graphql with the key as a bearer token', async () => {
    const { fetch, sent } = fakeFetch([json({ data: emitted })]);
    await client(fetch).emit({ type: 'order.completed' });
    expect(sent[0]).toMatchObject({ url: 'http://switchyard.test/graphql', authorization: 'Bearer sy_sk_test' });
    expect(sent[0]!.query).toContain('mutation EmitEvent');
  });

  it('gives every emit an idempotency key, and keeps the caller’s own', async () => {
    const batch = { emitEvents: { __typename: 'EmitEventsPayload', results: [] } };
    const { fetch, sent } = fakeFetch([json({ data: emitted }), json({ data: emitted }), json({ data: batch })]);
    await client(fetch).emit({ type: 'order.completed' });
    await client(fetch).emit({ type: 'order.completed', idempotencyKey: 'order-1-completed' });
    await client(fetch).emitBatch([{ type: 'a.b' }, { type: 'a.c', idempotencyKey: 'mine' }]);
    expect(sent[0]!.variables.input.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[1]!.variables.input.idempotencyKey).toBe('order-1-completed');
    expect(sent[2]!.variables.input.events.map((event: { idempotencyKey: string }) => event.idempotencyKey)).toEqual([
      expect.stringMatching(/^[0-9a-f-]{36}$/),
      'mine',
    ]);
  });

  it('retries an emit that failed on the network with the same idempotency key', async () => {
    const { fetch, sent } = fakeFetch([socketError('ECONNRESET'), socketError('ECONNRESET'), json({ data: emitted })]);
    const result = await client(fetch).emit({ type: 'order.completed' });
    expect(result.event.id).toBe('evt_1');
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((request) => request.variables.input.idempotencyKey)).size).toBe(1);
  });

  it('does not repeat a create whose request may have reached the server, but does when it cannot have', async () => {
    const created = { createConnection: { __typename: 'CreateConnectionPayload', connection: { id: 'conn_1' }, signingSecret: 'whsec_x' } };
    const ambiguous = fakeFetch([socketError('ECONNRESET'), json({ data: created })]);
    await expect(client(ambiguous.fetch).connections.create({ name: 'a', kind: 'WEBHOOK' })).rejects.toBeInstanceOf(SwitchyardNetworkError);
    expect(ambiguous.sent).toHaveLength(1);

    const refused = fakeFetch([socketError('ECONNREFUSED'), json({ data: created })]);
    await expect(client(refused.fetch).connections.create({ name: 'a', kind: 'WEBHOOK' })).resolves.toMatchObject({ signingSecret: 'whsec_x' });
    expect(refused.sent).toHaveLength(2);
  });

  it('retries 429 and 503 and gives up after `retries` with a network error carrying the status', async () => {
    const recovered = fakeFetch([json({}, 503, { 'retry-after': '0' }), json({}, 429), json({ data: emitted })]);
    await expect(client(recovered.fetch).emit({ type: 'a.b' })).resolves.toBeTruthy();
    expect(recovered.sent).toHaveLength(3);

    const down = fakeFetch([json({}, 503)]);
    const error = await client(down.fetch, 2).emit({ type: 'a.b' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SwitchyardNetworkError);
    expect((error as SwitchyardNetworkError).status).toBe(503);
    expect(down.sent).toHaveLength(3);
  });

  it('turns typed error results into typed errors', async () => {
    const validation = { __typename: 'ValidationError', message: 'input.type: bad', issues: [{ path: ['input', 'type'], message: 'bad' }] };
    const notFound = { __typename: 'NotFoundError', message: 'Connection conn_x not found', missingResource: 'Connection', missingId: 'conn_x' };
    const conflict = { __typename: 'ConflictError', message: 'name taken', path: ['input', 'name'] };
    const { fetch } = fakeFetch([
      json({ data: { emitEvent: validation } }),
      json({ data: { connection: notFound } }),
      json({ data: { createRule: conflict } }),
    ]);
    const sdk = client(fetch);

    const invalid = await sdk.emit({ type: '' }).catch((caught: unknown) => caught);
    expect(invalid).toBeInstanceOf(SwitchyardValidationError);
    expect((invalid as SwitchyardValidationError).issues).toEqual([{ path: ['input', 'type'], message: 'bad' }]);

    const missing = await sdk.connections.get('conn_x').catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(SwitchyardNotFoundError);
    expect(missing).toMatchObject({ resource: 'Connection', id: 'conn_x' });

    const taken = await sdk.rules.create({ name: 'r', eventTypes: ['*'], connectionId: 'conn_1' }).catch((caught: unknown) => caught);
    expect(taken).toBeInstanceOf(SwitchyardConflictError);
    expect(taken).toMatchObject({ path: ['input', 'name'] });
  });

  it('turns UNAUTHENTICATED and FORBIDDEN into SwitchyardAuthError, without retrying', async () => {
    const { fetch, sent } = fakeFetch([
      json({ data: null, errors: [{ message: 'Send a valid key', extensions: { code: 'UNAUTHENTICATED' } }] }),
      json({ data: null, errors: [{ message: 'This key may not do that', extensions: { code: 'FORBIDDEN' } }] }),
    ]);
    await expect(client(fetch).deliveries.list()).rejects.toMatchObject({ name: 'SwitchyardAuthError', code: 'UNAUTHENTICATED' });
    const forbidden = await client(fetch).deliveries.list().catch((caught: unknown) => caught);
    expect(forbidden).toBeInstanceOf(SwitchyardAuthError);
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN' });
    expect(sent).toHaveLength(2);
  });

  it("asks again by id alone when a publishable key may not see a duplicate's event, and only then", async () => {
    const forbidden = json({ data: null, errors: [{ message: 'needs a secret key', extensions: { code: 'FORBIDDEN' } }] });
    const byId = { emitEvent: { __typename: 'EmitEventPayload', duplicate: true, unknownType: false, event: { id: 'evt_1' } } };
    const { fetch, sent } = fakeFetch([forbidden, json({ data: byId })]);
    const publishable = createClient({ url: 'http://switchyard.test', apiKey: 'sy_pk_test', fetch, retryDelayMs: 1 });
    expect(await publishable.emit({ type: 'order.completed', idempotencyKey: 'k' })).toEqual({ duplicate: true, unknownType: false, event: { id: 'evt_1' } });
    expect(sent.map((request) => request.query.match(/mutation (\w+)/)?.[1])).toEqual(['EmitEvent', 'EmitEventSeenById']);
    expect(sent[1]!.variables.input.idempotencyKey).toBe('k');

    const secret = fakeFetch([forbidden]);
    await expect(client(secret.fetch).emit({ type: 'order.completed' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(secret.sent).toHaveLength(1);
  });

  it('returns lists as pages with a cursor for the next one', async () => {
    const page = {
      deliveries: {
        edges: [{ node: { id: 'msg_2' } }, { node: { id: 'msg_1' } }],
        pageInfo: { hasNextPage: true, endCursor: 'cursor-1' },
      },
    };
    const { fetch, sent } = fakeFetch([json({ data: page })]);
    const result = await client(fetch).deliveries.list({ status: 'DEAD' }, { limit: 2, cursor: 'cursor-0' });
    expect(result).toEqual({ data: [{ id: 'msg_2' }, { id: 'msg_1' }], hasMore: true, nextCursor: 'cursor-1' });
    expect(sent[0]!.variables).toEqual({ filter: { status: 'DEAD' }, first: 2, after: 'cursor-0' });
  });
});
