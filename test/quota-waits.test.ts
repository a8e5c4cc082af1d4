/**
 * Vendor quotas: a HubSpot 429 or a Salesforce REQUEST_LIMIT_EXCEEDED makes the whole connection
 * wait, observed through the contract servers' request logs, the attempts and the API.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config.ts';
import { quotaWaitSeconds } from '../src/domains/deliveries/engine/wait-for-quota.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { createRule, eventually, setPaused } from './helpers/fixtures.ts';
import type { ContractRequest } from './helpers/contract-server.ts';
import { hubspotRateLimited, startHubSpotContract, uniqueEmail } from './helpers/hubspot-contract.ts';
import { consentTo, startOAuthTestServer } from './helpers/oauth-connections.ts';
import { salesforceError, startSalesforceContract } from './helpers/salesforce-contract.ts';
import type { SeededWorkspace } from './helpers/server.ts';

const PROBE_SECONDS = 1;
const hubspot = await startHubSpotContract();
const salesforce = await startSalesforceContract();
const { server, db } = await startOAuthTestServer({ hubspot, salesforce }, { quotaProbeSeconds: PROBE_SECONDS });
let ws: SeededWorkspace;

beforeAll(async () => {
  ws = await server.seedWorkspace();
});

const CREATE = `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) {
  __typename ... on CreateConnectionPayload { connection { id } } ... on Error { message } } }`;
const CONNECTION = `query ($id: ID!) { connection(id: $id) { ... on Connection { status throttledUntil throttleReason consecutiveFailures } } }`;
const DELIVERIES = `query ($id: ID!) { deliveries(filter: { connectionId: $id }, first: 50) { edges { node {
  id status attemptCount attempts { attempt status statusCode errorClass } } } } }`;

interface ConnectionView {
  status: string;
  throttledUntil: string | null;
  throttleReason: string | null;
  consecutiveFailures: number;
}

interface DeliveryView {
  id: string;
  status: string;
  attemptCount: number;
  attempts: { attempt: number; status: string; statusCode: number | null; errorClass: string | null }[];
}

let named = 0;
/** A connection whose retry schedule is one attempt: a counted failure would dead-letter its delivery at once. */
async function connect(input: Record<string, unknown>): Promise<string> {
  const { createConnection } = await ws.secret.request(CREATE, { input: { name: `quota-${++named}`, retryScheduleSeconds: [0], ...input } });
  expect(createConnection.__typename).toBe('CreateConnectionPayload');
  await createRule(ws.secret, createConnection.connection.id, [`quota${named}.*`]);
  return createConnection.connection.id;
}

/** A HUBSPOT connection sending custom events with a private app token of its own, by which its requests are told apart. */
async function hubspotEvents(maxConcurrency: number): Promise<{ id: string; requests: () => ContractRequest[] }> {
  const token = hubspot.addPrivateAppToken();
  const id = await connect({ kind: 'HUBSPOT', maxConcurrency, hubspot: { accessToken: token, action: 'SEND_EVENT', eventName: 'pe1234_order_completed' } });
  return { id, requests: () => hubspot.server.requests.filter((request) => request.headers.authorization === `Bearer ${token}`) };
}

async function emitTo(count: number, payload: (index: number) => Record<string, unknown>): Promise<void> {
  const { emitEvents } = await ws.secret.request(
    `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename ... on Error { message } } }`,
    { input: { events: Array.from({ length: count }, (_, index) => ({ type: `quota${named}.sent`, resource: 'order', resourceId: `ord-${named}-${index}-${Date.now()}`, payload: payload(index) })) } },
  );
  expect(emitEvents.__typename).toBe('EmitEventsPayload');
}

const connectionOf = async (id: string): Promise<ConnectionView> => (await ws.secret.request(CONNECTION, { id })).connection;
const deliveriesOf = async (id: string): Promise<DeliveryView[]> =>
  (await ws.secret.request(DELIVERIES, { id })).deliveries.edges.map((edge: { node: DeliveryView }) => edge.node);

/** Waits until the connection waits for its quota, and returns it as the API shows it then. */
const waitStarts = (id: string) =>
  eventually(async () => {
    const connection = await connectionOf(id);
    return connection.throttleReason ? connection : undefined;
  }, 10_000, 'the connection to wait for its quota');

const allSucceed = (id: string, count: number) =>
  eventually(async () => {
    const deliveries = await deliveriesOf(id);
    return deliveries.length === count && deliveries.every((delivery) => delivery.status === 'SUCCEEDED') ? deliveries : undefined;
  }, 30_000, `${count} deliveries to succeed`);

/** The operational events announcing a wait of the connection. */
async function throttledEvents(id: string): Promise<Record<string, unknown>[]> {
  const { rows } = await db.query<{ payload: Record<string, unknown> }>(
    `select payload from events where type = 'switchyard.connection.throttled' and resource = 'connection' and resource_id = $1`,
    [decodeId('Connection', id)],
  );
  return rows.map((row) => row.payload);
}

describe('a connection whose vendor quota is spent', () => {
  it('holds the whole HubSpot connection through a ten-secondly window, then delivers everything; the 429 spends no attempt', async () => {
    const connection = await hubspotEvents(1);
    hubspot.failNext(1, hubspotRateLimited('TEN_SECONDLY_ROLLING', { 'retry-after': '2' }));
    await emitTo(4, () => ({ email: uniqueEmail() }));

    const waiting = await waitStarts(connection.id);
    expect(waiting).toMatchObject({ status: 'ACTIVE', throttleReason: "HubSpot's TEN_SECONDLY_ROLLING limit is spent", consecutiveFailures: 0 });
    const until = new Date(waiting.throttledUntil!).getTime();
    const delivered = await allSucceed(connection.id, 4);

    const [limited, ...after] = connection.requests();
    expect(after).toHaveLength(4);
    // Nothing of the connection went out while it waited: every later request came once the window was over.
    for (const request of after) expect(request.receivedAt).toBeGreaterThanOrEqual(until);
    expect(limited!.receivedAt).toBeLessThan(until);

    const throttled = delivered.find((delivery) => delivery.attempts.length > 1)!;
    expect(throttled.attempts).toEqual([
      { attempt: 1, status: 'FAILED', statusCode: 429, errorClass: 'RATE_LIMITED' },
      { attempt: 1, status: 'SUCCEEDED', statusCode: 204, errorClass: null },
    ]);
    expect(delivered.map((delivery) => delivery.attemptCount)).toEqual([1, 1, 1, 1]);
    expect(await connectionOf(connection.id)).toMatchObject({ throttledUntil: null, throttleReason: null, consecutiveFailures: 0 });
    // A window of seconds is waited out many times an hour under load: it is not announced.
    expect(await throttledEvents(connection.id)).toEqual([]);
  }, 60_000);

  it('holds every contact of a batch upsert answered 429, none of them counted, and sends them once the window is over', async () => {
    const token = hubspot.addPrivateAppToken();
    const id = await connect({ kind: 'HUBSPOT', maxConcurrency: 1, hubspot: { accessToken: token } });
    hubspot.failNext(1, hubspotRateLimited('TEN_SECONDLY_ROLLING', { 'retry-after': '1' }));
    const emails = Array.from({ length: 20 }, () => uniqueEmail());
    await emitTo(20, (index) => ({ email: emails[index] }));

    const until = new Date((await waitStarts(id)).throttledUntil!).getTime();
    const delivered = await allSucceed(id, 20);
    const [limited, ...after] = hubspot.batchCalls.filter((call) => call.headers.authorization === `Bearer ${token}`);
    const heldBack = (JSON.parse(limited!.body) as { inputs: unknown[] }).inputs.length;
    expect(heldBack).toBeGreaterThan(1);
    for (const call of after) expect(call.receivedAt).toBeGreaterThanOrEqual(until);
    const throttled = delivered.filter((delivery) => delivery.attempts[0]!.errorClass === 'RATE_LIMITED');
    expect(throttled).toHaveLength(heldBack);
    expect(delivered.map((delivery) => delivery.attemptCount)).toEqual(delivered.map(() => 1));
    for (const email of emails) expect(hubspot.contacts.has(email.toLowerCase())).toBe(true);
  }, 60_000);

  it('probes a spent DAILY limit one delivery at a time, every probe interval, and dead-letters nothing with a schedule of one attempt', async () => {
    const connection = await hubspotEvents(5);
    hubspot.failNext(3, hubspotRateLimited('DAILY'));
    await emitTo(1, () => ({ email: uniqueEmail() }));
    await waitStarts(connection.id);
    // These wait with the connection, room for five at once notwithstanding.
    await emitTo(4, () => ({ email: uniqueEmail() }));
    const delivered = await allSucceed(connection.id, 5);

    const requests = connection.requests();
    expect(requests).toHaveLength(8);
    // The first answer and two probes were 429s; each next request came a probe interval later, alone.
    for (const index of [1, 2, 3]) {
      expect(requests[index]!.receivedAt - requests[index - 1]!.receivedAt).toBeGreaterThanOrEqual(PROBE_SECONDS * 1000);
    }
    const first = delivered.find((delivery) => delivery.attempts.length > 1)!;
    expect(first.attempts.map((attempt) => [attempt.attempt, attempt.errorClass])).toEqual([[1, 'RATE_LIMITED'], [1, 'RATE_LIMITED'], [1, 'RATE_LIMITED'], [1, null]]);
    expect(first.attemptCount).toBe(1);
    expect(await connectionOf(connection.id)).toMatchObject({ throttledUntil: null, throttleReason: null });
    // Announced once, when the wait began, not at every probe.
    expect(await throttledEvents(connection.id)).toEqual([
      expect.objectContaining({ connectionId: connection.id, kind: 'HUBSPOT', reason: "HubSpot's DAILY limit of API requests is spent", throttledUntil: expect.any(String) }),
    ]);
  }, 60_000);

  it("waits 15 minutes for a Salesforce org's API limit without dead-lettering, and resumeConnection ends the wait early", async () => {
    const id = await connect({ kind: 'SALESFORCE', maxConcurrency: 1, salesforce: { sobject: 'Contact', externalIdField: 'External_Id__c' } });
    await consentTo(ws.secret, id);
    salesforce.failNext(1, salesforceError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
    const before = salesforce.server.requests.length;
    await emitTo(3, (index) => ({ LastName: `Lovelace ${index}` }));

    const waiting = await waitStarts(id);
    expect(waiting.throttleReason).toBe("the Salesforce org's API request limit is spent");
    expect(new Date(waiting.throttledUntil!).getTime() - Date.now()).toBeGreaterThan(14 * 60 * 1000);
    expect(await throttledEvents(id)).toEqual([expect.objectContaining({ kind: 'SALESFORCE', throttledUntil: waiting.throttledUntil })]);
    // Waiting, not failing: nothing more was sent, nothing is dead, no failure is counted.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(salesforce.server.requests.length - before).toBe(1);
    expect((await deliveriesOf(id)).map((delivery) => delivery.status).sort()).toEqual(['PENDING', 'PENDING', 'RETRYING']);
    expect(waiting.consecutiveFailures).toBe(0);

    await setPaused(ws.secret, id, false);
    const delivered = await allSucceed(id, 3);
    expect(delivered.map((delivery) => delivery.attemptCount)).toEqual([1, 1, 1]);
    expect(salesforce.records.get('Contact')?.size).toBeGreaterThanOrEqual(3);
    expect(await connectionOf(id)).toMatchObject({ throttledUntil: null, throttleReason: null });
  }, 60_000);

  it('waits at most SWITCHYARD_MAX_RETRY_AFTER_SECONDS, and SWITCHYARD_QUOTA_PROBE_SECONDS when the vendor says nothing', () => {
    const config = defaultConfig({ quotaProbeSeconds: 600, maxRetryAfterSeconds: 300 });
    expect(quotaWaitSeconds(config, { reason: 'spent', seconds: 900, daily: true })).toBe(300);
    expect(quotaWaitSeconds(config, { reason: 'spent', daily: true })).toBe(300);
    expect(quotaWaitSeconds(defaultConfig({ quotaProbeSeconds: 600 }), { reason: 'spent', daily: true })).toBe(600);
    expect(quotaWaitSeconds(config, { reason: 'spent', seconds: 10, daily: false })).toBe(10);
  });
});
