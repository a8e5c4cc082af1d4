import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../sdk/src/index.ts';
import { connectOrm } from '../src/db/orm.ts';
import { entities } from '../src/domains/entities.ts';
import { createWorkspace } from '../src/domains/workspaces/workspace.service.ts';
import { encodeId } from '../src/domains/public-ids.ts';
import { createTestDatabase } from './helpers/database.ts';
import { spawnSwitchyard } from './helpers/child-process.ts';
import { createRule, createWebhook, emit, eventually, setPaused } from './helpers/fixtures.ts';
import { graphqlClient, type GraphqlClient } from './helpers/graphql.ts';
import { startMailchimpContract } from './helpers/mailchimp-contract.ts';
import { startSlackContract } from './helpers/slack-contract.ts';
import { startReceiver } from './helpers/receiver.ts';
import { ADMIN_KEY } from './helpers/server.ts';

/** Prometheus's text format as a map from `name{label="value",...}` (labels sorted) to value. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    if (!match) throw new Error(`not in Prometheus's text format: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, name, value]) => `${name}="${value}"`).sort();
    samples.set(`${match[1]}{${labels.join(',')}}`, Number(match[3]));
  }
  return samples;
}

const key = (name: string, labels: Record<string, string> = {}) =>
  `${name}{${Object.entries(labels).map(([label, value]) => `${label}="${value}"`).sort().join(',')}}`;

// Two workspaces made before the process starts, so one can be named in its configuration.
const databaseUrl = await createTestDatabase();
const orm = await connectOrm(databaseUrl, entities, 2);
const labelled = await createWorkspace(orm.em.fork(), { name: 'labelled', environment: 'test' });
const unlabelled = await createWorkspace(orm.em.fork(), { name: 'unlabelled', environment: 'test' });
await orm.close();
const labelledId = encodeId('Workspace', labelled.workspace.id);

const receiver = await startReceiver();
const slack = await startSlackContract();
const mailchimp = await startMailchimpContract();
const service = await spawnSwitchyard({
  DATABASE_URL: databaseUrl,
  SWITCHYARD_ADMIN_KEY: ADMIN_KEY,
  SWITCHYARD_ALLOW_PRIVATE_TARGETS: 'true',
  SWITCHYARD_METRICS_WORKSPACES: labelledId,
  SWITCHYARD_SLACK_API_URL: slack.apiUrl,
  SWITCHYARD_SLACK_WEBHOOK_BASE_URL: slack.webhookBaseUrl,
  SWITCHYARD_MAILCHIMP_API_URL: mailchimp.apiUrl,
});
const url = `${service.url}/graphql`;

afterAll(async () => {
  await service.stop();
  await Promise.all([receiver.close(), slack.close(), mailchimp.close()]);
});

const CREATE_CONNECTION = `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) {
  __typename ... on CreateConnectionPayload { connection { id } } ... on Error { message } } }`;

/** Creates a connection of any kind with a rule routing `eventTypes` to it; returns its id. */
async function routedConnection(client: GraphqlClient, input: Record<string, unknown>, eventTypes: string[]): Promise<string> {
  const { createConnection } = await client.request(CREATE_CONNECTION, { input });
  if (createConnection.__typename !== 'CreateConnectionPayload') throw new Error(JSON.stringify(createConnection));
  await createRule(client, createConnection.connection.id, eventTypes);
  return createConnection.connection.id;
}

async function scrape() {
  const response = await fetch(`${service.url}/metrics`);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return { text: await response.clone().text(), samples: parseMetrics(await response.text()) };
}

describe('/metrics', () => {
  it('counts emits, refusals, attempts and deliveries by the right amounts, with bounded labels', async () => {
    const good = graphqlClient(url, labelled.secretKey);
    const bad = graphqlClient(url, unlabelled.secretKey);
    const okHook = await createWebhook(good, receiver.url('/ok'));
    await createRule(good, okHook.id, ['order.*']);
    const failingHook = await createWebhook(bad, receiver.url('/failing'), { retryScheduleSeconds: [0] });
    await createRule(bad, failingHook.id, ['order.*']);
    receiver.script({ '/ok': { status: 200 }, '/failing': { status: 500 } });

    const before = (await scrape()).samples;
    const delta = (name: string, labels: Record<string, string> = {}) => (after.get(key(name, labels)) ?? 0) - (before.get(key(name, labels)) ?? 0);

    for (let i = 0; i < 3; i++) await emit(good, { type: 'order.completed', payload: { i } });
    for (let i = 0; i < 2; i++) await emit(bad, { type: 'order.completed', payload: { i } });
    // Refused: too large (1), invalid types in a batch of 4 (4), no key (1).
    const tooLarge = await good.raw('mutation ($input: EmitEventInput!) { emitEvent(input: $input) { __typename } }', {
      input: { type: 'order.completed', payload: { blob: 'x'.repeat(300_000) } },
    });
    expect(tooLarge.data).toEqual({ emitEvent: { __typename: 'ValidationError' } });
    const invalid = await good.raw('mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename } }', {
      input: { events: [{ type: 'Not A Type' }, { type: 'order.completed' }, { type: 'order.completed' }, { type: 'order.completed' }] },
    });
    expect(invalid.data).toEqual({ emitEvents: { __typename: 'ValidationError' } });
    await graphqlClient(url).raw('mutation { emitEvent(input: { type: "order.completed" }) { __typename } }');

    await receiver.waitForRequests(5);
    let after = new Map<string, number>();
    await eventually(async () => {
      after = (await scrape()).samples;
      return delta('switchyard_deliveries_total', { destination_kind: 'WEBHOOK', outcome: 'dead', workspace: 'other' }) === 2 &&
        delta('switchyard_deliveries_total', { destination_kind: 'WEBHOOK', outcome: 'succeeded', workspace: labelledId }) === 3
        ? true : undefined;
    }, 20_000, 'the deliveries to be counted');

    expect(delta('switchyard_events_accepted_total', { workspace: labelledId })).toBe(3);
    expect(delta('switchyard_events_accepted_total', { workspace: 'other' })).toBe(2);
    expect(delta('switchyard_events_refused_total', { reason: 'payload_too_large', workspace: labelledId })).toBe(1);
    expect(delta('switchyard_events_refused_total', { reason: 'invalid_input', workspace: labelledId })).toBe(4);
    expect(delta('switchyard_events_refused_total', { reason: 'unauthenticated', workspace: 'other' })).toBe(1);
    expect(delta('switchyard_delivery_attempts_total', { destination_kind: 'WEBHOOK', outcome: 'succeeded', error_class: 'none' })).toBe(3);
    expect(delta('switchyard_delivery_attempts_total', { destination_kind: 'WEBHOOK', outcome: 'failed', error_class: 'HTTP' })).toBe(2);
    expect(delta('switchyard_delivery_attempt_duration_seconds_count', { destination_kind: 'WEBHOOK', outcome: 'succeeded' })).toBe(3);
    expect(delta('switchyard_delivery_attempt_duration_seconds_count', { destination_kind: 'WEBHOOK', outcome: 'failed' })).toBe(2);
    expect(delta('switchyard_delivery_latency_seconds_count', { destination_kind: 'WEBHOOK' })).toBe(3);
    expect(after.get(key('switchyard_delivery_latency_seconds_bucket', { destination_kind: 'WEBHOOK', le: '+Inf' }))).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('counts the attempts and deliveries of each destination kind under its own kind: Slack and Mailchimp against their contract servers', async () => {
    const client = graphqlClient(url, labelled.secretKey);
    await routedConnection(client, { name: 'slack', kind: 'SLACK', slack: { webhookUrl: (slack.addChannel('metrics'), slack.addWebhook('metrics')) }, retryScheduleSeconds: [0] }, ['signup.*']);
    const apiKey = mailchimp.addAccount();
    await routedConnection(client, { name: 'audience', kind: 'MAILCHIMP', mailchimp: { apiKey, listId: mailchimp.addList(apiKey) }, retryScheduleSeconds: [0] }, ['member.*']);
    const before = (await scrape()).samples;
    let after = before;
    const delta = (name: string, labels: Record<string, string>) => (after.get(key(name, labels)) ?? 0) - (before.get(key(name, labels)) ?? 0);

    // Slack is down for the first message (one attempt each: it dies); the next two go.
    slack.failNext(1, { status: 500, body: 'internal_error' });
    for (let i = 0; i < 3; i++) await emit(client, { type: 'signup.created', payload: { i } });
    // Two members, and one event without the email the default mapping needs.
    for (const email of ['ada@example.com', 'grace@example.com']) await emit(client, { type: 'member.joined', payload: { email } });
    await emit(client, { type: 'member.joined', payload: { name: 'no email' } });

    const slackCount = (outcome: string) => delta('switchyard_deliveries_total', { destination_kind: 'SLACK', outcome, workspace: labelledId });
    const mailchimpCount = (outcome: string) => delta('switchyard_deliveries_total', { destination_kind: 'MAILCHIMP', outcome, workspace: labelledId });
    await eventually(async () => {
      after = (await scrape()).samples;
      return slackCount('succeeded') === 2 && slackCount('dead') === 1 && mailchimpCount('succeeded') === 2 && mailchimpCount('dead') === 1 ? true : undefined;
    }, 20_000, 'the Slack and Mailchimp deliveries to be counted');
    expect(slack.messages).toHaveLength(2);
    expect(delta('switchyard_delivery_attempts_total', { destination_kind: 'SLACK', outcome: 'succeeded', error_class: 'none' })).toBe(2);
    expect(delta('switchyard_delivery_attempts_total', { destination_kind: 'SLACK', outcome: 'failed', error_class: 'HTTP' })).toBe(1);
    expect(delta('switchyard_delivery_attempts_total', { destination_kind: 'MAILCHIMP', outcome: 'succeeded', error_class: 'none' })).toBe(2);
    expect(delta('switchyard_delivery_attempts_total', { destination_kind: 'MAILCHIMP', outcome: 'failed', error_class: 'MAPPING' })).toBe(1);
    expect(delta('switchyard_delivery_latency_seconds_count', { destination_kind: 'SLACK' })).toBe(2);
    expect(delta('switchyard_delivery_latency_seconds_count', { destination_kind: 'MAILCHIMP' })).toBe(2);
    expect(delta('switchyard_delivery_attempt_duration_seconds_count', { destination_kind: 'MAILCHIMP', outcome: 'failed' })).toBe(1);
    // Nothing of theirs counted as a webhook.
    expect(delta('switchyard_deliveries_total', { destination_kind: 'WEBHOOK', outcome: 'succeeded', workspace: labelledId })).toBe(0);
  }, 60_000);

  it('reads the backlog, the oldest due delivery and the connections from Postgres, and shows pools, slots and subscriptions', async () => {
    const client = graphqlClient(url, labelled.secretKey);
    const hook = await createWebhook(client, receiver.url('/held'));
    await createRule(client, hook.id, ['held.*']);
    await setPaused(client, hook.id, true);
    for (let i = 0; i < 2; i++) await emit(client, { type: 'held.one', payload: {} });

    const sdk = createClient({ url: service.url!, apiKey: labelled.secretKey });
    const stream = await sdk.deliveries.subscribe({ eventType: 'held.one' });
    try {
      // Postgres is read at most every 5 s, however often Prometheus scrapes.
      const samples = await eventually(async () => {
        const { samples: now } = await scrape();
        const parked = now.get(key('switchyard_delivery_backlog', { destination_kind: 'WEBHOOK', status: 'PENDING', parked: 'true' }));
        return now.get(key('switchyard_subscriptions_open')) === 1 && parked !== undefined ? now : undefined;
      }, 15_000, 'the subscription and the parked backlog to show');
      expect(samples.get(key('switchyard_delivery_backlog', { destination_kind: 'WEBHOOK', status: 'PENDING', parked: 'true' }))).toBe(2);
      expect(samples.get(key('switchyard_delivery_oldest_due_age_seconds'))).toBe(0);
      expect(samples.get(key('switchyard_connections', { destination_kind: 'WEBHOOK', status: 'PAUSED' }))).toBe(1);
      expect(samples.get(key('switchyard_connections', { destination_kind: 'WEBHOOK', status: 'ACTIVE' }))).toBe(2);
      expect(samples.get(key('switchyard_subscription_sockets_open'))).toBe(1);
      expect(samples.get(key('switchyard_worker_slots'))).toBe(50);
      for (const pool of ['api', 'worker', 'claims', 'ops']) expect(samples.has(key('switchyard_db_pool_connections', { pool, state: 'idle' }))).toBe(true);
    } finally {
      await stream.return?.();
      await sdk.close();
    }
  }, 60_000);

  it('names every family the Prometheus way: switchyard_ prefix, _total counters, _seconds histograms', async () => {
    const { text } = await scrape();
    const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({ name: name!, type: type! }));
    const ours = families.filter((family) => family.name.startsWith('switchyard_'));
    expect(ours.map((family) => family.name).sort()).toEqual([
      'switchyard_connections', 'switchyard_db_pool_connections', 'switchyard_deliveries_total',
      'switchyard_delivery_attempt_duration_seconds', 'switchyard_delivery_attempts_total', 'switchyard_delivery_backlog',
      'switchyard_delivery_latency_seconds', 'switchyard_delivery_oldest_due_age_seconds', 'switchyard_events_accepted_total',
      'switchyard_events_refused_total', 'switchyard_subscription_sockets_open', 'switchyard_subscriptions_open',
      'switchyard_token_refreshes_total', 'switchyard_worker_slots', 'switchyard_worker_slots_busy',
    ]);
    // The README lists each of them.
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(ours.filter((family) => !readme.includes(`\`${family.name}\``))).toEqual([]);
    for (const { name, type } of ours) {
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
      expect(name).toMatch(/^[a-z_]+$/);
    }
    // Defined now, fed by OAuth destinations: present with its help text.
    expect(text).toContain('# TYPE switchyard_token_refreshes_total counter');
  });
});
