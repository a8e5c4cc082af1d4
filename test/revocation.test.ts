import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient as createWsClient } from 'graphql-ws';
import { defaultConfig } from '../src/config.ts';
import { startSwitchyard, type Switchyard } from '../src/switchyard.ts';
import { announceRevocation } from '../src/domains/auth/revocations.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { ADMIN_KEY, startTestServer, TEST_ENCRYPTION_KEYS, type SeededWorkspace } from './helpers/server.ts';
import { stillPending, untilSubscribed } from './helpers/streams.ts';
import { openPortalSession } from './helpers/portal.ts';

const server = await startTestServer();
/** A second API process on the same database: revocations must reach it too. */
let other: Switchyard;
const disposers: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  other = await startSwitchyard(defaultConfig({ databaseUrl: server.databaseUrl, port: 0, adminKey: ADMIN_KEY, encryptionKeys: TEST_ENCRYPTION_KEYS, role: 'api', logLevel: 'silent' }));
});
afterAll(async () => {
  for (const dispose of disposers) await dispose();
  await other.stop();
});

const SUBSCRIPTION = 'subscription { deliveryUpdated { id } }';

/** A graphql-ws socket to `baseUrl` with one subscription open, and how it closed. */
function socketWith(baseUrl: string, key: string) {
  const closes: number[] = [];
  let closedAt = 0;
  const client = createWsClient({
    url: `${baseUrl.replace('http', 'ws')}/graphql`,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: false,
    on: {
      closed: (event) => {
        closes.push((event as { code: number }).code);
        closedAt = Date.now();
      },
    },
  });
  const first = client.iterate({ query: SUBSCRIPTION }).next().catch((error: unknown) => error);
  disposers.push(() => client.dispose());
  return { closes, first, closedAt: () => closedAt };
}

/** An SSE subscription to `baseUrl`; `ended` resolves with the time its stream ended. */
async function sseWith(baseUrl: string, key: string) {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: SUBSCRIPTION }),
  });
  const reader = response.body!.getReader();
  disposers.push(() => reader.cancel().catch(() => {}));
  const ended = (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // A destroyed connection ends the stream with an error: ended all the same.
    }
    return Date.now();
  })();
  return { ended };
}

async function newKey(ws: SeededWorkspace) {
  const { createApiKey } = await ws.secret.request(
    'mutation { createApiKey(input: { name: "dashboard", kind: SECRET }) { ... on CreateApiKeyPayload { key apiKey { id } } } }',
  );
  return createApiKey as { key: string; apiKey: { id: string } };
}

describe('revoking a key', () => {
  it("closes that key's graphql-ws sockets (4403) and SSE streams within 2 s in every API process, and nobody else's", async () => {
    const ws = await server.seedWorkspace();
    const doomed = await newKey(ws);
    const here = socketWith(server.switchyard.url!, doomed.key);
    const there = socketWith(other.url!, doomed.key);
    const sseThere = await sseWith(other.url!, doomed.key);
    const bystander = socketWith(other.url!, ws.secretKey);
    await untilSubscribed(server.switchyard.services.deliveryFeed, ws.id, 1);
    await untilSubscribed(other.services.deliveryFeed, ws.id, 2);

    const revokedAt = Date.now();
    const { revokeApiKey } = await ws.secret.request('mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { __typename } }', { id: doomed.apiKey.id });
    expect(revokeApiKey.__typename).toBe('RevokeApiKeyPayload');

    const sseEndedAt = await sseThere.ended;
    await Promise.all([here.first, there.first]);
    expect(here.closes).toEqual([4403]);
    expect(there.closes).toEqual([4403]);
    for (const endedAt of [here.closedAt(), there.closedAt(), sseEndedAt]) expect(endedAt - revokedAt).toBeLessThan(2_000);

    expect(await stillPending(bystander.first, 300)).toBe(true);
    expect(bystander.closes).toEqual([]);
    // A new socket with the revoked key is refused from the start.
    const again = socketWith(other.url!, doomed.key);
    await again.first;
    expect(again.closes).toEqual([4403]);
  });

  it("closes a portal session's sockets when the session is revoked", async () => {
    const ws = await server.seedWorkspace();
    const session = await openPortalSession(ws.secret);
    const portal = socketWith(other.url!, session.token);
    const bystander = socketWith(other.url!, ws.secretKey);
    await untilSubscribed(other.services.deliveryFeed, ws.id, 2);
    await ws.secret.request('mutation ($ids: [ID!]) { revokePortalSessions(input: { sessionIds: $ids }) { __typename } }', { ids: [session.sessionId] });
    await portal.first;
    expect(portal.closes).toEqual([4403]);
    expect(await stillPending(bystander.first, 300)).toBe(true);
  });

  it('closes every stream of a workspace when the workspace is revoked', async () => {
    const ws = await server.seedWorkspace();
    const second = await newKey(ws);
    const sockets = [socketWith(other.url!, ws.secretKey), socketWith(server.switchyard.url!, second.key)];
    const neighbour = await server.seedWorkspace();
    const untouched = socketWith(other.url!, neighbour.secretKey);
    await untilSubscribed(other.services.deliveryFeed, ws.id, 1);
    await untilSubscribed(server.switchyard.services.deliveryFeed, ws.id, 1);
    await untilSubscribed(other.services.deliveryFeed, neighbour.id, 1);

    await announceRevocation(server.switchyard.services.orm.em.fork(), { kind: 'WORKSPACE', id: decodeId('Workspace', ws.id) });
    await Promise.all(sockets.map((socket) => socket.first));
    expect(sockets.map((socket) => socket.closes)).toEqual([[4403], [4403]]);
    expect(await stillPending(untouched.first, 300)).toBe(true);
  });
});
