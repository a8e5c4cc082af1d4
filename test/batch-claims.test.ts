import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { closeHttp } from '../src/domains/deliveries/http/send-webhook.ts';
import { pumpConnection } from '../src/domains/deliveries/engine/pump-connection.ts';
import { KeysInFlight, sendCalls } from '../src/domains/deliveries/engine/send-calls.ts';
import type { AttemptPlan } from '../src/domains/deliveries/state/attempt-plan.ts';
import { claimDue } from '../src/domains/deliveries/state/claim-due.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { createRule } from './helpers/fixtures.ts';
import type { GraphqlClient } from './helpers/graphql.ts';
import { startHubSpotContract } from './helpers/hubspot-contract.ts';
import { startTestServer } from './helpers/server.ts';

// The API alone: no worker, so each claim and each pump run happens only when the test makes it.
const hubspot = await startHubSpotContract();
const server = await startTestServer({ role: 'api', allowPrivateTargets: true, hubspotApiUrl: hubspot.apiUrl });
const { config, orm } = server.switchyard.services;
const db = new pg.Client(server.databaseUrl);
await db.connect();
afterAll(async () => {
  await db.end();
  await closeHttp();
  await hubspot.close();
});
const ws = await server.seedWorkspace();

/** A HUBSPOT connection with a private app token, `hubspot` its settings beside the token, and a rule for `user.*`. */
async function hubspotConnection(hubspotSettings: Record<string, unknown>, policy: Record<string, unknown> = {}): Promise<string> {
  const { createConnection } = await ws.secret.request(
    `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { __typename ... on CreateConnectionPayload { connection { id } } ... on Error { message } } }`,
    { input: { name: `crm-${Math.random()}`, kind: 'HUBSPOT', hubspot: { accessToken: hubspot.addPrivateAppToken(), ...hubspotSettings }, ...policy } },
  );
  expect(createConnection.__typename).toBe('CreateConnectionPayload');
  await createRule(ws.secret, createConnection.connection.id, ['user.*']);
  return createConnection.connection.id as string;
}

async function emitSignups(client: GraphqlClient, emails: readonly string[]): Promise<void> {
  const events = emails.map((email) => ({ type: 'user.signed_up', payload: { email } }));
  const { emitEvents } = await client.request(`mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename } }`, { input: { events } });
  expect(emitEvents.__typename).toBe('EmitEventsPayload');
}

/** Runs the connection's pump until nothing is left due, waiting out its rate limit between runs. */
async function pump(connectionId: string): Promise<void> {
  for (;;) {
    const end = await pumpConnection(orm.em.fork(), config, decodeId('Connection', connectionId), { stopping: new AbortController().signal, claims: orm.em.fork() });
    if (end.kind === 'idle' || end.kind === 'stopped') return;
    if (end.kind === 'rate-limited') await new Promise((resolve) => setTimeout(resolve, Math.max(0, end.at.getTime() - Date.now())));
  }
}

async function deliveriesOf(connectionId: string) {
  const { rows } = await db.query<{ status: string; attempts: number; unbatched: boolean }>(
    `select d.status, d.unbatched, (select count(*)::int from attempts a where a.delivery_id = d.id) as attempts from deliveries d where d.connection_id = $1`,
    [decodeId('Connection', connectionId)]);
  return rows;
}

describe('claims of a kind that sends batches', () => {
  it('claims a HubSpot SEND_EVENT backlog a delivery a call, as events have no batch endpoint, and batches again once it upserts contacts', async () => {
    const connectionId = await hubspotConnection({ action: 'SEND_EVENT', eventName: 'pe1234567_signed_up' });
    await emitSignups(ws.secret, Array.from({ length: 10 }, (_, i) => `event${i}@example.com`));
    const events = hubspot.events.length;
    const upserts = hubspot.batchCalls.length;
    await pump(connectionId);
    expect(hubspot.events.length - events).toBe(10);
    // No call was formed only to hand its events back: none is marked to go alone, each was tried once.
    expect(await deliveriesOf(connectionId)).toEqual(Array.from({ length: 10 }, () => ({ status: 'SUCCEEDED', attempts: 1, unbatched: false })));
    expect(hubspot.batchCalls.length).toBe(upserts);

    // The action changes: the next claim sees it, and contacts go in one call.
    const { updateConnection } = await ws.secret.request(
      `mutation ($input: UpdateConnectionInput!) { updateConnection(input: $input) { __typename } }`,
      { input: { id: connectionId, hubspot: { action: 'UPSERT_CONTACT', eventName: null } } },
    );
    expect(updateConnection.__typename).toBe('UpdateConnectionPayload');
    await emitSignups(ws.secret, Array.from({ length: 5 }, (_, i) => `contact${i}@example.com`));
    await pump(connectionId);
    expect(hubspot.batchCalls.slice(upserts).map((call) => (JSON.parse(call.body) as { inputs: unknown[] }).inputs.length)).toEqual([5]);
    expect(hubspot.events.length - events).toBe(10);
  });

  it('gives a call its rate-limit token back when every delivery in it went back untried, its email in flight', async () => {
    const connectionId = await hubspotConnection({}, { rateLimitPerSecond: 2 });
    const emails = Array.from({ length: 100 }, (_, i) => `twice${i}@example.com`);
    // Two emits, so the second hundred is claimed after the first: the same emails again.
    await emitSignups(ws.secret, emails);
    await emitSignups(ws.secret, emails);
    const id = decodeId('Connection', connectionId);
    const claim = await claimDue(orm.em.fork(), id, { limit: 200, itemsPerCall: 100, defaultMaxConcurrency: config.defaultMaxConcurrency, leaseMarginSeconds: 60 });
    const calls = [...Map.groupBy(claim.plans, (plan: AttemptPlan) => plan.lease).values()];
    // The bucket held two tokens, and the claim paid both, one a call.
    expect(calls.map((call) => call.length)).toEqual([100, 100]);
    const { rows: [paid] } = await db.query<{ rate_tokens: number }>(`select rate_tokens from connections where id = $1`, [id]);
    expect(paid!.rate_tokens).toBeLessThan(1);

    const sent = sendCalls(orm.em.fork(), orm.em.fork(), config, calls, new KeysInFlight());
    const outcomes = await Promise.all(sent.outcomes.map((call) => Promise.all(call)));
    expect(outcomes[0]!.every((outcome) => outcome !== 'released' && outcome.ok)).toBe(true);
    expect(outcomes[1]!.every((outcome) => outcome === 'released')).toBe(true);
    // The second call made no request, so its token is back in the bucket.
    const { rows: [left] } = await db.query<{ rate_tokens: number }>(`select rate_tokens from connections where id = $1`, [id]);
    expect(left!.rate_tokens).toBeGreaterThanOrEqual(1);
    expect(left!.rate_tokens).toBeLessThanOrEqual(2);
  });
});
