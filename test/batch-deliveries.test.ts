import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { closeHttp } from '../src/domains/deliveries/http/send-webhook.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { createRule, eventually, setPaused } from './helpers/fixtures.ts';
import type { GraphqlClient } from './helpers/graphql.ts';
import { startHubSpotContract } from './helpers/hubspot-contract.ts';
import { startMailchimpContract } from './helpers/mailchimp-contract.ts';
import type { ContractRequest } from './helpers/contract-server.ts';
import { consentTo, waitingConnection } from './helpers/oauth-connections.ts';
import { startTestServer } from './helpers/server.ts';

const mailchimp = await startMailchimpContract();
const hubspot = await startHubSpotContract();
const server = await startTestServer({
  allowPrivateTargets: true,
  mailchimpApiUrl: mailchimp.apiUrl,
  hubspotApiUrl: hubspot.apiUrl,
  hubspotAuthorizeUrl: hubspot.authorizeUrl,
  hubspotClientId: hubspot.oauth.clientId,
  hubspotClientSecret: hubspot.oauth.clientSecret,
});
const db = new pg.Client(server.databaseUrl);
await db.connect();
afterAll(async () => {
  await db.end();
  await closeHttp();
  await Promise.all([mailchimp.close(), hubspot.close()]);
});

const CREATE = `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) {
  __typename ... on CreateConnectionPayload { connection { id } } ... on ValidationError { issues { path message } } } }`;

/** A rule's transform that subscribes the address, whether or not the audience knows it. */
const SUBSCRIBE = '{ "email": payload.email, "status": "subscribed" }';

/** A Mailchimp audience connection, paused so a backlog can queue, with a rule for `user.*` (by default one that subscribes). */
async function pausedAudience(client: GraphqlClient, policy: Record<string, unknown> = {}, transform: string | null = SUBSCRIBE) {
  const apiKey = mailchimp.addAccount();
  const listId = mailchimp.addList(apiKey);
  const { createConnection } = await client.request(CREATE, { input: { name: 'audience', kind: 'MAILCHIMP', mailchimp: { apiKey, listId }, ...policy } });
  expect(createConnection.__typename).toBe('CreateConnectionPayload');
  const { id } = createConnection.connection;
  await setPaused(client, id, true);
  await createRule(client, id, ['user.*'], transform ? { transform } : {});
  return { id, apiKey, listId };
}

/** Emits one `user.signed_up` per email, up to 1,000 a request. */
async function emitSignups(client: GraphqlClient, emails: readonly string[]): Promise<void> {
  for (let start = 0; start < emails.length; start += 1000) {
    const events = emails.slice(start, start + 1000).map((email) => ({ type: 'user.signed_up', payload: { email } }));
    const { emitEvents } = await client.request(`mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename } }`, { input: { events } });
    expect(emitEvents.__typename).toBe('EmitEventsPayload');
  }
}

interface DeliveryRow {
  email: string;
  status: string;
  attempt_count: number;
  attempts: number;
  error_class: string | null;
  error: string | null;
}

/** Every delivery of the connection once none is left to send: its state, its attempts, the last attempt's error. */
async function finishedDeliveries(connectionId: string): Promise<DeliveryRow[]> {
  const id = decodeId('Connection', connectionId);
  await eventually(async () => {
    const { rows: [row] } = await db.query<{ left: number }>(
      `select count(*)::int as left from deliveries where connection_id = $1 and status in ('PENDING', 'DELIVERING', 'RETRYING')`, [id]);
    return row!.left === 0 ? true : undefined;
  }, 30_000, 'every delivery to finish');
  const { rows } = await db.query<DeliveryRow>(
    `select e.payload->>'email' as email, d.status, d.attempt_count,
            (select count(*)::int from attempts a where a.delivery_id = d.id) as attempts,
            (select a.error_class from attempts a where a.delivery_id = d.id order by a.started_at desc limit 1) as error_class,
            (select a.error from attempts a where a.delivery_id = d.id order by a.started_at desc limit 1) as error
     from deliveries d join events e on e.id = d.event_id where d.connection_id = $1`, [id]);
  return rows;
}

/** Resumes the paused audience and waits for its backlog: its deliveries as they finished, and the calls Mailchimp had, each answered after `latencyMs`. */
async function sendBacklog(client: GraphqlClient, audienceId: string, latencyMs = 0) {
  mailchimp.latencyMs = latencyMs;
  const before = mailchimp.server.requests.length;
  await setPaused(client, audienceId, false);
  const deliveries = await finishedDeliveries(audienceId);
  mailchimp.latencyMs = 0;
  return { deliveries, calls: mailchimp.server.requests.slice(before) };
}

const emailsOf = (call: ContractRequest, list: 'members' | 'inputs') =>
  (JSON.parse(call.body)[list] as { email_address?: string; id?: string }[]).map((item) => (item.email_address ?? item.id!).toLowerCase());

/** Calls whose requests overlapped in time. */
function concurrentPairs(calls: readonly ContractRequest[]): [ContractRequest, ContractRequest][] {
  return calls.flatMap((a, i) => calls.slice(i + 1).filter((b) => a.receivedAt < b.answeredAt! && b.receivedAt < a.answeredAt!).map((b) => [a, b] as [ContractRequest, ContractRequest]));
}

describe('sending a backlog in batches', () => {
  it('sends 1,200 queued Mailchimp members in 3 calls, each delivery with its own outcome from the errors list', async () => {
    const ws = await server.seedWorkspace();
    const audience = await pausedAudience(ws.secret);
    const emails = Array.from({ length: 1200 }, (_, i) => `member${i}@example.com`);
    for (const held of [emails[7]!, emails[640]!]) mailchimp.seedMember(audience.listId, held, { status: 'unsubscribed', compliance: true });
    await emitSignups(ws.secret, emails);
    const { deliveries, calls } = await sendBacklog(ws.secret, audience.id, 100);
    expect(calls.map((call) => call.method)).toEqual(['POST', 'POST', 'POST']);
    expect(calls.map((call) => emailsOf(call, 'members').length).sort((a, b) => a - b)).toEqual([200, 500, 500]);
    // The three went at once: the cap of 10 counts calls, not members.
    expect(mailchimp.maxInFlight(audience.apiKey)).toBe(3);
    expect(deliveries).toHaveLength(1200);
    for (const delivery of deliveries) {
      const held = delivery.email === emails[7] || delivery.email === emails[640];
      expect(delivery).toMatchObject({ status: held ? 'DEAD' : 'SUCCEEDED', attempt_count: 1, attempts: 1, error_class: held ? 'REJECTED' : null });
      if (held) expect(delivery.error).toContain(delivery.email);
    }
    expect(mailchimp.member(audience.listId, emails[1199]!)).toMatchObject({ status: 'subscribed' });
  });

  it('charges the rate limit once a call: at 1 a second, 1,000 members go in 2 calls', async () => {
    const ws = await server.seedWorkspace();
    const audience = await pausedAudience(ws.secret, { rateLimitPerSecond: 1 });
    await emitSignups(ws.secret, Array.from({ length: 1000 }, (_, i) => `limited${i}@example.com`));
    const { deliveries, calls } = await sendBacklog(ws.secret, audience.id);
    expect(calls.map((call) => emailsOf(call, 'members').length)).toEqual([500, 500]);
    expect(deliveries.filter((delivery) => delivery.status === 'SUCCEEDED' && delivery.attempts === 1)).toHaveLength(1000);
  });

  it('never has more calls in flight than maxConcurrency', async () => {
    const ws = await server.seedWorkspace();
    const audience = await pausedAudience(ws.secret, { maxConcurrency: 2 });
    await emitSignups(ws.secret, Array.from({ length: 1500 }, (_, i) => `capped${i}@example.com`));
    const { deliveries, calls } = await sendBacklog(ws.secret, audience.id, 200);
    expect(calls.map((call) => emailsOf(call, 'members').length)).toEqual([500, 500, 500]);
    expect(mailchimp.maxInFlight(audience.apiKey)).toBe(2);
    expect(deliveries.filter((delivery) => delivery.status === 'SUCCEEDED' && delivery.attempts === 1)).toHaveLength(1500);
  });
  it('sends a member a batch call hands back in a call of its own, once, as an attempt of its own', async () => {
    const ws = await server.seedWorkspace();
    // No status in the input: members Mailchimp already has come back from the batch, to be upserted alone.
    const audience = await pausedAudience(ws.secret, {}, null);
    const emails = Array.from({ length: 6 }, (_, i) => `known${i}@example.com`);
    for (const known of [emails[1]!, emails[4]!]) mailchimp.seedMember(audience.listId, known, { status: 'unsubscribed' });
    await emitSignups(ws.secret, emails);
    const { deliveries, calls } = await sendBacklog(ws.secret, audience.id);
    expect(calls.map((call) => call.method).sort()).toEqual(['POST', 'PUT', 'PUT']);
    // One emit's events share their creation time, so a call lists them in no set order.
    expect(emailsOf(calls[0]!, 'members').sort()).toEqual(emails);
    expect(deliveries.filter((delivery) => delivery.status === 'SUCCEEDED' && delivery.attempts === 1)).toHaveLength(6);
    // Their status is kept (status_if_new), and they are marked to go alone from now on.
    expect(mailchimp.member(audience.listId, emails[1]!)).toMatchObject({ status: 'unsubscribed' });
    const { rows } = await db.query<{ email: string }>(
      `select e.payload->>'email' as email from deliveries d join events e on e.id = d.event_id where d.connection_id = $1 and d.unbatched order by 1`,
      [decodeId('Connection', audience.id)]);
    expect(rows.map((row) => row.email)).toEqual([emails[1], emails[4]]);
  });
});

describe('HubSpot batches', () => {
  /** A HubSpot connection authorized through OAuth, with no credentials row of its own, and a rule for `user.*`. */
  async function authorizedHubSpot(client: GraphqlClient, workspaceId: string) {
    const connection = await waitingConnection(db, workspaceId, 'HUBSPOT', { auth: 'OAUTH', action: 'UPSERT_CONTACT', eventName: null });
    await createRule(client, connection.publicId, ['user.*']);
    return connection;
  }

  it('sends 250 queued contacts in 3 calls through OAuth; one bad input in a 207 fails only its own delivery', async () => {
    const ws = await server.seedWorkspace();
    const connection = await authorizedHubSpot(ws.secret, ws.id);
    const emails = Array.from({ length: 250 }, (_, i) => (i === 42 ? 'no-domain@example' : `contact${i}@example.com`));
    // Queued while the connection waits for its authorization.
    await emitSignups(ws.secret, emails);
    const before = hubspot.batchCalls.length;
    await consentTo(ws.secret, connection.publicId);

    const deliveries = await finishedDeliveries(connection.publicId);
    const calls = hubspot.batchCalls.slice(before);
    expect(calls.map((call) => emailsOf(call, 'inputs').length).sort((a, b) => a - b)).toEqual([50, 100, 100]);
    expect(deliveries).toHaveLength(250);
    for (const delivery of deliveries) {
      const bad = delivery.email === 'no-domain@example';
      expect(delivery).toMatchObject({ status: bad ? 'DEAD' : 'SUCCEEDED', attempts: 1, error_class: bad ? 'REJECTED' : null });
      if (bad) expect(delivery.error).toContain('VALIDATION_ERROR');
    }
    expect(hubspot.contacts.get('contact249@example.com')).toBeDefined();
  });

  it('never puts one email in one call twice, nor in two calls in flight at once', async () => {
    const ws = await server.seedWorkspace();
    const connection = await authorizedHubSpot(ws.secret, ws.id);
    // twice0 twice in the first hundred; in the next hundred, twice0 to twice49 again between fifty new ones.
    const first = [0, 0, ...Array.from({ length: 98 }, (_, i) => i + 1)];
    const second = Array.from({ length: 50 }, (_, i) => [i, 100 + i]).flat();
    const emails = [...first, ...second].map((i) => `twice${i}@example.com`);
    await emitSignups(ws.secret, emails);
    hubspot.latencyMs = 200;
    const before = hubspot.batchCalls.length;
    await consentTo(ws.secret, connection.publicId);

    const deliveries = await finishedDeliveries(connection.publicId);
    hubspot.latencyMs = 0;
    const calls = hubspot.batchCalls.slice(before);
    for (const call of calls) expect(new Set(emailsOf(call, 'inputs')).size).toBe(emailsOf(call, 'inputs').length);
    const pairs = concurrentPairs(calls);
    for (const [a, b] of pairs) expect(emailsOf(a, 'inputs').filter((email) => emailsOf(b, 'inputs').includes(email))).toEqual([]);
    // Calls did go at once, and every delivery went exactly once: those held back were not tried.
    expect(pairs.length).toBeGreaterThan(0);
    expect(calls.flatMap((call) => emailsOf(call, 'inputs'))).toHaveLength(200);
    expect(deliveries.filter((delivery) => delivery.status === 'SUCCEEDED' && delivery.attempt_count === 1 && delivery.attempts === 1)).toHaveLength(200);
  });
});
