import { afterAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startTestServer } from './helpers/server.ts';
import { startReceiver } from './helpers/receiver.ts';
import { startSlackContract } from './helpers/slack-contract.ts';
import { md5, startMailchimpContract } from './helpers/mailchimp-contract.ts';
import { createRule, createWebhook, deliveryReaches, emit, eventually } from './helpers/fixtures.ts';
import type { GraphqlClient } from './helpers/graphql.ts';

const slack = await startSlackContract();
const mailchimp = await startMailchimpContract();
const receiver = await startReceiver();
const server = await startTestServer({
  allowPrivateTargets: true,
  slackApiUrl: slack.apiUrl,
  slackWebhookBaseUrl: slack.webhookBaseUrl,
  mailchimpApiUrl: mailchimp.apiUrl,
});
afterAll(async () => {
  await Promise.all([slack.close(), mailchimp.close(), receiver.close()]);
});

const CREATE = `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) {
  __typename ... on CreateConnectionPayload { signingSecret connection { id status } } ... on ValidationError { issues { path message } } } }`;
const UPDATE = `mutation ($input: UpdateConnectionInput!) { updateConnection(input: $input) {
  __typename ... on UpdateConnectionPayload { connection { id status statusReason } } ... on ValidationError { issues { path message } } } }`;
const ATTEMPTS = `query ($id: ID!) { delivery(id: $id) { ... on Delivery { status lastError
  attempts { status statusCode method url vendorCode errorClass error responseExcerpt durationMs requestBody } } } }`;
const CONNECTION = `query ($id: ID!) { connection(id: $id) { ... on Connection { status statusReason } } }`;

async function connect(client: GraphqlClient, input: Record<string, unknown>): Promise<{ id: string; signingSecret: string | null }> {
  const { createConnection } = await client.request(CREATE, { input: { retryScheduleSeconds: [0, 0.2, 0.2], ...input } });
  expect(createConnection.__typename).toBe('CreateConnectionPayload');
  return { id: createConnection.connection.id, signingSecret: createConnection.signingSecret };
}

interface AttemptView {
  status: string;
  statusCode: number | null;
  method: string;
  url: string;
  vendorCode: string | null;
  errorClass: string | null;
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
  requestBody: string | null;
}

async function attemptsOf(client: GraphqlClient, deliveryId: string): Promise<{ status: string; lastError: string | null; attempts: AttemptView[] }> {
  return (await client.request(ATTEMPTS, { id: deliveryId })).delivery;
}

/** The delivery of `event` to `connectionId`. */
function deliveryTo(event: { deliveries: { id: string; connection: { id: string } }[] }, connectionId: string): string {
  const found = event.deliveries.find((delivery) => delivery.connection.id === connectionId);
  if (!found) throw new Error(`no delivery to ${connectionId}`);
  return found.id;
}

/** A rule's transform that subscribes the address, whether or not the audience knows it. */
const SUBSCRIBE = '{ "email": payload.email, "status": "subscribed" }';

const ORDER = { type: 'order.completed', resource: 'order', resourceId: 'ord_1', payload: { email: 'Ada.Lovelace@Example.com', firstName: 'Ada', lastName: 'Lovelace', total: 42 } };

describe('delivering to SLACK and MAILCHIMP', () => {
  it('fans one order.completed out to two webhooks, Slack and Mailchimp, each in its own shape; a failing Slack delays nobody', async () => {
    const ws = await server.seedWorkspace();
    receiver.script({ '/signed': { status: 200 }, '/second': { status: 200 } });
    const signed = await connect(ws.secret, { name: 'signed', kind: 'WEBHOOK', webhook: { url: receiver.url('/signed') } });
    const second = await connect(ws.secret, { name: 'second', kind: 'WEBHOOK', webhook: { url: receiver.url('/second') } });
    const channel = slack.addChannel('orders');
    const hook = await connect(ws.secret, { name: 'slack', kind: 'SLACK', slack: { webhookUrl: slack.addWebhook('orders') }, retryScheduleSeconds: [0, 3] });
    const apiKey = mailchimp.addAccount();
    const listId = mailchimp.addList(apiKey);
    const audience = await connect(ws.secret, { name: 'audience', kind: 'MAILCHIMP', mailchimp: { apiKey, listId, tags: ['customer'] } });
    for (const connection of [signed, second, hook, audience]) await createRule(ws.secret, connection.id, ['order.*']);
    // Slack is down for the first try: its retry comes 3 s later, long after the others are done.
    slack.failNext(1, { status: 500, body: 'internal_error' });

    const { event } = await emit(ws.secret, ORDER);
    expect(event.deliveries).toHaveLength(4);
    const startedAt = Date.now();
    for (const connection of [signed, second, audience]) await deliveryReaches(ws.secret, deliveryTo(event, connection.id), 'SUCCEEDED', 2_500);
    expect(Date.now() - startedAt).toBeLessThan(2_500);
    expect((await attemptsOf(ws.secret, deliveryTo(event, hook.id))).status).toBe('RETRYING');

    const [first] = receiver.requests.filter((request) => request.path === '/signed');
    const body = new Webhook(signed.signingSecret!).verify(first!.body, first!.headers as Record<string, string>);
    expect(body).toMatchObject({ type: 'order.completed', data: ORDER.payload });
    expect(receiver.requests.filter((request) => request.path === '/second')).toHaveLength(1);
    expect(mailchimp.member(listId, 'ada.lovelace@example.com')).toMatchObject({
      email_address: 'Ada.Lovelace@Example.com', status: 'subscribed', merge_fields: { FNAME: 'Ada', LNAME: 'Lovelace' }, tags: ['customer'],
    });
    const upsert = (await attemptsOf(ws.secret, deliveryTo(event, audience.id))).attempts[0]!;
    expect(upsert).toMatchObject({ status: 'SUCCEEDED', method: 'PUT', statusCode: 200 });
    expect(upsert.url).toContain(`/lists/${listId}/members/${md5('ada.lovelace@example.com')}`);

    await deliveryReaches(ws.secret, deliveryTo(event, hook.id), 'SUCCEEDED', 10_000);
    const message = slack.messages.find((posted) => posted.channel === channel);
    expect(message).toMatchObject({ via: 'webhook', text: expect.stringContaining('order.completed') });
    expect(JSON.stringify(message!.blocks)).toContain('ord_1');
    const tries = (await attemptsOf(ws.secret, deliveryTo(event, hook.id))).attempts;
    expect(tries.map((attempt) => [attempt.statusCode, attempt.errorClass])).toEqual([[500, 'HTTP'], [200, null]]);
    // The webhook URL embeds a secret: attempts show it masked.
    expect(tries[0]!.url).toMatch(/\/services\/T\w+\/B\w+\/…\w{4}$/);
  });

  it('holds a SLACK connection whose token was revoked in NEEDS_REAUTH, says so, and delivers what waited once it has a new token', async () => {
    const ws = await server.seedWorkspace();
    receiver.script({ '/alerts': { status: 200 } });
    const alerts = await createWebhook(ws.secret, receiver.url('/alerts'), { owner: 'OPERATOR' });
    await createRule(ws.secret, alerts.id, ['switchyard.connection.*']);
    const channel = slack.addChannel('ops');
    const token = slack.addBotToken([channel]);
    const bot = await connect(ws.secret, { name: 'ops bot', kind: 'SLACK', slack: { botToken: token, channel } });
    await createRule(ws.secret, bot.id, ['order.*']);
    slack.revokeToken(token);

    const first = (await emit(ws.secret, ORDER)).event;
    const refused = await eventually(async () => {
      const { connection } = await ws.secret.request(CONNECTION, { id: bot.id });
      return connection.status === 'NEEDS_REAUTH' ? connection : undefined;
    }, 10_000, 'NEEDS_REAUTH');
    expect(refused.statusReason).toContain('token_revoked');
    const waiting = await attemptsOf(ws.secret, deliveryTo(first, bot.id));
    expect(waiting.status).toBe('RETRYING');
    expect(waiting.attempts).toEqual([expect.objectContaining({ statusCode: 200, errorClass: 'AUTH', vendorCode: 'token_revoked', method: 'POST' })]);
    expect(waiting.attempts[0]!.url).toBe(`${slack.apiUrl}/chat.postMessage`);
    const second = (await emit(ws.secret, ORDER)).event;
    const alert = await eventually(async () => {
      const found = receiver.requests.filter((request) => request.path === '/alerts').map((request) => JSON.parse(request.body)).find((sent) => sent.type === 'switchyard.connection.needs_reauth');
      return found as { data: Record<string, unknown> } | undefined;
    }, 10_000, 'the needs_reauth event');
    expect(alert.data).toMatchObject({ connectionId: bot.id, kind: 'SLACK', reason: expect.stringContaining('token_revoked') });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await attemptsOf(ws.secret, deliveryTo(second, bot.id))).attempts).toEqual([]);
    expect(slack.messages.filter((posted) => posted.channel === channel)).toEqual([]);

    const { updateConnection } = await ws.secret.request(UPDATE, { input: { id: bot.id, slack: { botToken: slack.addBotToken([channel]) } } });
    expect(updateConnection.connection).toMatchObject({ status: 'ACTIVE', statusReason: null });
    for (const event of [first, second]) await deliveryReaches(ws.secret, deliveryTo(event, bot.id), 'SUCCEEDED');
    expect(slack.messages.filter((posted) => posted.channel === channel)).toHaveLength(2);
  });

  it('kills a delivery the vendor rejects at once, with its code and message, and retries a 429 after its Retry-After', async () => {
    const ws = await server.seedWorkspace();
    const channel = slack.addChannel('general');
    const token = slack.addBotToken([]);
    const outsider = await connect(ws.secret, { name: 'not invited', kind: 'SLACK', slack: { botToken: token, channel } });
    const apiKey = mailchimp.addAccount();
    const listId = mailchimp.addList(apiKey);
    mailchimp.seedMember(listId, 'gone@example.com', { status: 'unsubscribed', compliance: true });
    const audience = await connect(ws.secret, { name: 'audience', kind: 'MAILCHIMP', mailchimp: { apiKey, listId } });
    await createRule(ws.secret, outsider.id, ['user.*']);
    // Subscribing, not just adding new members as subscribed: a member who unsubscribed cannot be.
    await createRule(ws.secret, audience.id, ['user.*'], { transform: SUBSCRIBE });

    const { event } = await emit(ws.secret, { type: 'user.signed_up', payload: { email: 'gone@example.com' } });
    for (const [connection, code] of [[outsider, 'not_in_channel'], [audience, 'Member In Compliance State']] as const) {
      await deliveryReaches(ws.secret, deliveryTo(event, connection.id), 'DEAD');
      const dead = await attemptsOf(ws.secret, deliveryTo(event, connection.id));
      expect(dead.attempts).toHaveLength(1);
      expect(dead.attempts[0]).toMatchObject({ status: 'FAILED', errorClass: 'REJECTED', vendorCode: code, responseExcerpt: expect.any(String) });
      expect(dead.attempts[0]!.durationMs).toBeGreaterThanOrEqual(0);
      expect(dead.lastError).toBeTruthy();
    }
    const { connection } = await ws.secret.request(CONNECTION, { id: outsider.id });
    expect(connection.status).toBe('ACTIVE');

    // An archived channel: the webhook answers 410, the delivery is dead and the connection disabled, saying why.
    slack.addChannel('archive-me');
    const archived = await connect(ws.secret, { name: 'archived', kind: 'SLACK', slack: { webhookUrl: slack.addWebhook('archive-me') } });
    await createRule(ws.secret, archived.id, ['team.*']);
    slack.archiveChannel('archive-me');
    const { event: teamEvent } = await emit(ws.secret, { type: 'team.renamed' });
    await deliveryReaches(ws.secret, deliveryTo(teamEvent, archived.id), 'DEAD');
    expect((await attemptsOf(ws.secret, deliveryTo(teamEvent, archived.id))).attempts).toEqual([
      expect.objectContaining({ statusCode: 410, vendorCode: 'channel_is_archived', errorClass: 'REJECTED' }),
    ]);
    expect((await ws.secret.request(CONNECTION, { id: archived.id })).connection).toMatchObject({ status: 'DISABLED', statusReason: expect.stringContaining('archived') });

    const { event: noEmail } = await emit(ws.secret, { type: 'user.signed_up', payload: { name: 'Ada' } });
    await deliveryReaches(ws.secret, deliveryTo(noEmail, audience.id), 'DEAD');
    const unmapped = await attemptsOf(ws.secret, deliveryTo(noEmail, audience.id));
    expect(unmapped.attempts[0]).toMatchObject({ errorClass: 'MAPPING', error: expect.stringContaining('email') });
    expect(unmapped.attempts[0]!.method).toBe('-');

    const posting = await connect(ws.secret, { name: 'posting', kind: 'SLACK', slack: { botToken: slack.addBotToken([channel]), channel } });
    await createRule(ws.secret, posting.id, ['deploy.*']);
    slack.failNext(1, { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } });
    const { event: deploy } = await emit(ws.secret, { type: 'deploy.finished' });
    await deliveryReaches(ws.secret, deliveryTo(deploy, posting.id), 'SUCCEEDED');
    const limited = (await attemptsOf(ws.secret, deliveryTo(deploy, posting.id))).attempts;
    expect(limited.map((attempt) => attempt.errorClass)).toEqual(['RATE_LIMITED', null]);
  });

  it('sends a Mailchimp backlog in one batch call, each member with its own outcome on its own delivery', async () => {
    const ws = await server.seedWorkspace();
    const apiKey = mailchimp.addAccount();
    const listId = mailchimp.addList(apiKey);
    mailchimp.seedMember(listId, 'held@example.com', { status: 'unsubscribed', compliance: true });
    const audience = await connect(ws.secret, { name: 'audience', kind: 'MAILCHIMP', mailchimp: { apiKey, listId } });
    await ws.secret.request(`mutation ($id: ID!) { pauseConnection(input: { id: $id }) { __typename } }`, { id: audience.id });
    await createRule(ws.secret, audience.id, ['user.*'], { transform: SUBSCRIBE });
    const emails = ['a@example.com', 'b@example.com', 'held@example.com', 'c@example.com'];
    const ids: string[] = [];
    for (const email of emails) ids.push(deliveryTo((await emit(ws.secret, { type: 'user.signed_up', payload: { email } })).event, audience.id));
    const before = mailchimp.server.requests.length;
    await ws.secret.request(`mutation ($id: ID!) { resumeConnection(input: { id: $id }) { __typename } }`, { id: audience.id });

    for (const [index, id] of ids.entries()) await deliveryReaches(ws.secret, id, index === 2 ? 'DEAD' : 'SUCCEEDED');
    const calls = mailchimp.server.requests.slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'POST', path: expect.stringMatching(new RegExp(`/lists/${listId}$`)) });
    expect(JSON.parse(calls[0]!.body)).toMatchObject({ update_existing: true, members: emails.map((email) => expect.objectContaining({ email_address: email })) });
    const held = (await attemptsOf(ws.secret, ids[2]!)).attempts[0]!;
    expect(held).toMatchObject({ method: 'POST', errorClass: 'REJECTED', error: expect.stringContaining('held@example.com') });
    expect(mailchimp.member(listId, 'c@example.com')).toMatchObject({ status: 'subscribed' });
  });
});
