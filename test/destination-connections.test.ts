import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openCredentials } from '../src/domains/connections/connection-settings.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import type { GraphqlClient } from './helpers/graphql.ts';
import { startTestServer } from './helpers/server.ts';

const server = await startTestServer();
const db = new pg.Client(server.databaseUrl);
await db.connect();
afterAll(() => db.end());

const FIELDS = `id kind status rateLimitPerSecond maxConcurrency signingSecretHint webhook { url }
  slack { mode channel webhookUrlHint botTokenHint } mailchimp { listId dataCenter statusIfNew tags apiKeyHint }
  statusReason hubspot { action eventName auth accessTokenHint } salesforce { sobject externalIdField }`;
const ERRORS = `... on ValidationError { issues { path message } } ... on ConflictError { path message }`;
const CREATE = `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) {
  __typename ... on CreateConnectionPayload { signingSecret connection { ${FIELDS} } } ${ERRORS} } }`;
const UPDATE = `mutation ($input: UpdateConnectionInput!) { updateConnection(input: $input) {
  __typename ... on UpdateConnectionPayload { connection { ${FIELDS} } } ${ERRORS} } }`;

const WEBHOOK_URL = 'https://hooks.slack.com/services/T0001/B0002/AbCdEfGhIjKlMnOpQrStUvWx';
const BOT_TOKEN = 'xoxb-1111-2222-abcdefghijklmnop';
const API_KEY = '0123456789abcdef0123456789abcdef-us21';

let counter = 0;
async function create(client: GraphqlClient, input: Record<string, unknown>) {
  const { createConnection } = await client.request(CREATE, { input: { name: `c-${++counter}`, ...input } });
  return createConnection;
}

/** What the database holds of the workspace's connections and credentials, as text. */
async function storedText(workspaceId: string): Promise<string> {
  const result = await db.query(
    `select coalesce(string_agg(c.config::text || ' ' || coalesce(k.secret, '') || ' ' || coalesce(k.hints::text, ''), ' '), '') as text
     from connections c left join connection_credentials k on k.connection_id = c.id where c.workspace_id = $1`,
    [decodeId('Workspace', workspaceId)],
  );
  return result.rows[0].text;
}

/** The credentials stored for a connection, opened. */
async function credentialsOf(connectionId: string): Promise<unknown> {
  const id = decodeId('Connection', connectionId);
  const result = await db.query('select secret from connection_credentials where connection_id = $1', [id]);
  return openCredentials(id, result.rows[0]?.secret ?? null);
}

describe('creating SLACK and MAILCHIMP connections', () => {
  it('creates a SLACK connection for an incoming webhook, with its URL masked and one message a second', async () => {
    const { id, secret } = await server.seedWorkspace();
    const created = await create(secret, { kind: 'SLACK', slack: { webhookUrl: WEBHOOK_URL } });
    expect(created).toMatchObject({
      __typename: 'CreateConnectionPayload',
      signingSecret: null,
      connection: {
        kind: 'SLACK',
        status: 'ACTIVE',
        rateLimitPerSecond: 1,
        signingSecretHint: null,
        webhook: null,
        mailchimp: null,
        slack: { mode: 'WEBHOOK', channel: null, webhookUrlHint: 'https://hooks.slack.com/services/T0001/B0002/…UvWx', botTokenHint: null },
      },
    });
    expect(JSON.stringify(created)).not.toContain('AbCdEfGhIjKlMnOpQrStUvWx');
    expect(await storedText(id)).not.toContain('AbCdEfGhIjKlMnOpQrStUvWx');
    expect(await credentialsOf(created.connection.id)).toEqual({ webhookUrl: WEBHOOK_URL });
  });

  it('creates a SLACK connection with a bot token and a channel, and a MAILCHIMP one with the vendor\'s concurrency', async () => {
    const { secret } = await server.seedWorkspace();
    expect(await create(secret, { kind: 'SLACK', slack: { botToken: BOT_TOKEN, channel: '#alerts' } })).toMatchObject({
      connection: { slack: { mode: 'BOT', channel: '#alerts', botTokenHint: 'xoxb-…mnop', webhookUrlHint: null } },
    });
    const mailchimp = await create(secret, { kind: 'MAILCHIMP', mailchimp: { apiKey: API_KEY, listId: 'a1b2c3d4e5', tags: ['customer'] } });
    expect(mailchimp).toMatchObject({
      signingSecret: null,
      connection: {
        kind: 'MAILCHIMP',
        maxConcurrency: 10,
        rateLimitPerSecond: null,
        mailchimp: { listId: 'a1b2c3d4e5', dataCenter: 'us21', statusIfNew: 'SUBSCRIBED', tags: ['customer'], apiKeyHint: '…cdef-us21' },
      },
    });
  });

  it('names every field at fault, including settings meant for another kind and limits above the vendor\'s', async () => {
    const { id, secret } = await server.seedWorkspace();
    const paths = (result: { issues: { path: string[] }[] }) => result.issues.map((issue) => issue.path.join('.'));
    expect(paths(await create(secret, { kind: 'SLACK' }))).toEqual(['input.slack']);
    expect(paths(await create(secret, { kind: 'SLACK', slack: { webhookUrl: 'https://evil.example/services/x' } }))).toEqual(['input.slack.webhookUrl']);
    expect(paths(await create(secret, { kind: 'SLACK', slack: { botToken: BOT_TOKEN } }))).toEqual(['input.slack.channel']);
    const crossed = await create(secret, { kind: 'MAILCHIMP', slack: { webhookUrl: WEBHOOK_URL }, mailchimp: { apiKey: 'nope', listId: 'a1' } });
    expect(crossed.issues).toEqual([
      { path: ['input', 'slack'], message: 'is for SLACK connections; this is a MAILCHIMP connection (use mailchimp)' },
      { path: ['input', 'mailchimp', 'apiKey'], message: expect.stringContaining('names the data center') },
    ]);
    const fast = await create(secret, { kind: 'SLACK', slack: { webhookUrl: WEBHOOK_URL }, rateLimitPerSecond: 5 });
    expect(fast.issues).toEqual([{ path: ['input', 'rateLimitPerSecond'], message: expect.stringContaining('must be at most 1: Slack allows') }]);
    const wide = await create(secret, { kind: 'MAILCHIMP', mailchimp: { apiKey: API_KEY, listId: 'a1' }, maxConcurrency: 20 });
    expect(wide.issues).toEqual([{ path: ['input', 'maxConcurrency'], message: expect.stringContaining('must be at most 10: Mailchimp allows 10 simultaneous') }]);
    expect((await db.query('select count(*)::int as n from connections where workspace_id = $1', [decodeId('Workspace', id)])).rows[0].n).toBe(0);
  });

  it('lets a connection lower the vendor\'s limits, and null restores them', async () => {
    const { secret } = await server.seedWorkspace();
    const created = await create(secret, { kind: 'SLACK', slack: { webhookUrl: WEBHOOK_URL }, rateLimitPerSecond: 0.5 });
    expect(created.connection.rateLimitPerSecond).toBe(0.5);
    const { updateConnection } = await secret.request(UPDATE, { input: { id: created.connection.id, rateLimitPerSecond: null } });
    expect(updateConnection.connection.rateLimitPerSecond).toBe(1);
  });
});

describe('updating SLACK and MAILCHIMP connections', () => {
  it('keeps credentials whose masks come back, switches a SLACK connection\'s mode, and never shows a credential', async () => {
    const { id, secret } = await server.seedWorkspace();
    const created = await create(secret, { kind: 'SLACK', slack: { botToken: BOT_TOKEN, channel: 'C0AAA' } });
    const update = (slack: Record<string, unknown>) => secret.request(UPDATE, { input: { id: created.connection.id, slack } });
    expect((await update({ botToken: 'xoxb-…mnop', channel: 'C0BBB' })).updateConnection.connection.slack).toEqual({
      mode: 'BOT', channel: 'C0BBB', botTokenHint: 'xoxb-…mnop', webhookUrlHint: null,
    });
    expect(await credentialsOf(created.connection.id)).toEqual({ botToken: BOT_TOKEN });
    expect(await storedText(id)).not.toContain(BOT_TOKEN);
    const switched = (await update({ webhookUrl: WEBHOOK_URL })).updateConnection;
    expect(switched.connection.slack).toMatchObject({ mode: 'WEBHOOK', channel: null, botTokenHint: null });
    expect(await credentialsOf(created.connection.id)).toEqual({ webhookUrl: WEBHOOK_URL });
    const wrong = await secret.request(UPDATE, { input: { id: created.connection.id, mailchimp: { apiKey: API_KEY } } });
    expect(wrong.updateConnection.issues).toEqual([{ path: ['input', 'mailchimp'], message: expect.stringContaining('this is a SLACK connection') }]);
  });

  it('changes a MAILCHIMP connection\'s audience and tags and keeps its key', async () => {
    const { secret } = await server.seedWorkspace();
    const created = await create(secret, { kind: 'MAILCHIMP', mailchimp: { apiKey: API_KEY, listId: 'a1', tags: ['x'] } });
    const { updateConnection } = await secret.request(UPDATE, { input: { id: created.connection.id, mailchimp: { listId: 'b2', statusIfNew: 'PENDING', tags: null } } });
    expect(updateConnection.connection.mailchimp).toEqual({ listId: 'b2', dataCenter: 'us21', statusIfNew: 'PENDING', tags: [], apiKeyHint: '…cdef-us21' });
  });

  it('refuses to rotate the signing secret of a kind that signs nothing', async () => {
    const { secret } = await server.seedWorkspace();
    const created = await create(secret, { kind: 'SLACK', slack: { webhookUrl: WEBHOOK_URL } });
    const { rotateConnectionSecret } = await secret.request(
      `mutation ($input: RotateConnectionSecretInput!) { rotateConnectionSecret(input: $input) { __typename ${ERRORS} } }`,
      { input: { connectionId: created.connection.id } },
    );
    expect(rotateConnectionSecret).toEqual({ __typename: 'ConflictError', path: ['input', 'connectionId'], message: 'SLACK connections do not sign their requests, so they have no signing secret' });
  });
});

const PRIVATE_APP_TOKEN = 'pat-na1-0f8e2b5c-1d3a-4e6f-8a9b-0c1d2e3f4a5b';

describe('HUBSPOT, SALESFORCE and Slack-by-OAuth connections', () => {
  it('creates a HUBSPOT connection with a private app token ACTIVE, and one without waiting for OAuth', async () => {
    const { id, secret } = await server.seedWorkspace();
    const privateApp = await create(secret, { kind: 'HUBSPOT', hubspot: { accessToken: PRIVATE_APP_TOKEN } });
    expect(privateApp).toMatchObject({
      signingSecret: null,
      connection: {
        kind: 'HUBSPOT', status: 'ACTIVE', statusReason: null, rateLimitPerSecond: 10, signingSecretHint: null, salesforce: null,
        hubspot: { action: 'UPSERT_CONTACT', eventName: null, auth: 'PRIVATE_APP', accessTokenHint: 'pat-na1-…4a5b' },
      },
    });
    expect(await credentialsOf(privateApp.connection.id)).toEqual({ accessToken: PRIVATE_APP_TOKEN });
    expect(await storedText(id)).not.toContain(PRIVATE_APP_TOKEN);
    expect(JSON.stringify(privateApp)).not.toContain(PRIVATE_APP_TOKEN);

    const oauth = await create(secret, { kind: 'HUBSPOT', hubspot: { action: 'SEND_EVENT', eventName: 'pe1234567_order_completed' } });
    expect(oauth.connection).toMatchObject({
      status: 'NEEDS_REAUTH',
      statusReason: expect.stringContaining('authorizeConnection'),
      hubspot: { action: 'SEND_EVENT', eventName: 'pe1234567_order_completed', auth: 'OAUTH', accessTokenHint: null },
    });
  });

  it('creates SALESFORCE and Slack-by-OAuth connections waiting for their consent', async () => {
    const { secret } = await server.seedWorkspace();
    const salesforce = await create(secret, { kind: 'SALESFORCE', salesforce: { sobject: 'Contact', externalIdField: 'External_Id__c' } });
    expect(salesforce.connection).toMatchObject({ kind: 'SALESFORCE', status: 'NEEDS_REAUTH', salesforce: { sobject: 'Contact', externalIdField: 'External_Id__c' }, hubspot: null });
    const slack = await create(secret, { kind: 'SLACK', slack: { channel: '#deploys' } });
    expect(slack.connection).toMatchObject({ status: 'NEEDS_REAUTH', slack: { mode: 'OAUTH', channel: '#deploys', botTokenHint: null, webhookUrlHint: null } });
    expect(await credentialsOf(slack.connection.id)).toEqual({});
  });

  it('names every field at fault', async () => {
    const { id, secret } = await server.seedWorkspace();
    const issues = async (input: Record<string, unknown>) => (await create(secret, input)).issues.map((issue: { path: string[] }) => issue.path.join('.'));
    expect(await issues({ kind: 'HUBSPOT' })).toEqual(['input.hubspot']);
    expect(await issues({ kind: 'HUBSPOT', hubspot: { accessToken: 'secret-token' } })).toEqual(['input.hubspot.accessToken']);
    expect(await issues({ kind: 'HUBSPOT', hubspot: { action: 'SEND_EVENT' } })).toEqual(['input.hubspot.eventName']);
    expect(await issues({ kind: 'HUBSPOT', hubspot: {}, rateLimitPerSecond: 50 })).toEqual(['input.rateLimitPerSecond']);
    expect(await issues({ kind: 'SALESFORCE', salesforce: {} })).toEqual(['input.salesforce.sobject', 'input.salesforce.externalIdField']);
    expect(await issues({ kind: 'SALESFORCE', salesforce: { sobject: 'Contact; DROP', externalIdField: 'Email' } })).toEqual(['input.salesforce.sobject']);
    expect(await issues({ kind: 'SALESFORCE', hubspot: {}, salesforce: { sobject: 'Contact', externalIdField: 'X__c' } })).toEqual(['input.hubspot']);
    expect(await issues({ kind: 'SLACK', slack: {} })).toEqual(['input.slack']);
    expect(await issues({ kind: 'SLACK', slack: { channel: 'not a channel' } })).toEqual(['input.slack.channel']);
    expect((await db.query('select count(*)::int as n from connections where workspace_id = $1', [decodeId('Workspace', id)])).rows[0].n).toBe(0);
  });

  it('switches HUBSPOT between its own token and OAuth, releasing or holding its deliveries', async () => {
    const { secret } = await server.seedWorkspace();
    const created = await create(secret, { kind: 'HUBSPOT', hubspot: {} });
    const update = async (hubspot: Record<string, unknown>) => (await secret.request(UPDATE, { input: { id: created.connection.id, hubspot } })).updateConnection;
    expect((await update({ action: 'SEND_EVENT', eventName: 'pe1_signed_up' })).connection).toMatchObject({ status: 'NEEDS_REAUTH', hubspot: { auth: 'OAUTH', action: 'SEND_EVENT' } });
    expect((await update({ accessToken: PRIVATE_APP_TOKEN })).connection).toMatchObject({ status: 'ACTIVE', statusReason: null, hubspot: { auth: 'PRIVATE_APP', action: 'SEND_EVENT' } });
    expect((await update({ accessToken: 'pat-na1-…4a5b', eventName: 'pe1_paid' })).connection).toMatchObject({ status: 'ACTIVE', hubspot: { eventName: 'pe1_paid' } });
    expect(await credentialsOf(created.connection.id)).toEqual({ accessToken: PRIVATE_APP_TOKEN });
    expect((await update({ accessToken: null })).connection).toMatchObject({ status: 'NEEDS_REAUTH', hubspot: { auth: 'OAUTH', accessTokenHint: null } });
    expect(await credentialsOf(created.connection.id)).toEqual({});
  });

  it('changes a SALESFORCE connection\'s object and keeps its field, and moves a Slack bot to OAuth', async () => {
    const { secret } = await server.seedWorkspace();
    const salesforce = await create(secret, { kind: 'SALESFORCE', salesforce: { sobject: 'Contact', externalIdField: 'External_Id__c' } });
    const { updateConnection } = await secret.request(UPDATE, { input: { id: salesforce.connection.id, salesforce: { sobject: 'Account' } } });
    expect(updateConnection.connection.salesforce).toEqual({ sobject: 'Account', externalIdField: 'External_Id__c' });
    const bot = await create(secret, { kind: 'SLACK', slack: { botToken: BOT_TOKEN, channel: 'C0AAA' } });
    const moved = await secret.request(UPDATE, { input: { id: bot.connection.id, slack: { botToken: null } } });
    expect(moved.updateConnection.connection).toMatchObject({ status: 'NEEDS_REAUTH', slack: { mode: 'OAUTH', channel: 'C0AAA', botTokenHint: null } });
    expect(await credentialsOf(bot.connection.id)).toEqual({});
  });
});
