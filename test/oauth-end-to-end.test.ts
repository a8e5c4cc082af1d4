/**
 * OAuth connections end to end: created through the API, authorized by following the provider's
 * consent page, delivered to by two real worker processes beside a real API process, all on one
 * Postgres, against the contract servers of HubSpot, Salesforce and Slack.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeHttp } from '../src/domains/deliveries/http/send-webhook.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { spawnSwitchyard, type SwitchyardProcess } from './helpers/child-process.ts';
import { dumpAllRows } from './helpers/database-dump.ts';
import { createTestDatabase } from './helpers/database.ts';
import { createRule, eventually, setPaused } from './helpers/fixtures.ts';
import { graphqlClient, type GraphqlClient } from './helpers/graphql.ts';
import { startHubSpotContract, uniqueEmail } from './helpers/hubspot-contract.ts';
import { authorize, oauthEnvironment } from './helpers/oauth-connections.ts';
import { followConsent, visitCallback } from './helpers/oauth-contract.ts';
import { startSalesforceContract } from './helpers/salesforce-contract.ts';
import { ADMIN_KEY } from './helpers/server.ts';
import { startSlackContract } from './helpers/slack-contract.ts';

const hubspot = await startHubSpotContract({ rotateRefreshTokens: true, requestsPerTenSeconds: 1000 });
const salesforce = await startSalesforceContract();
const slack = await startSlackContract({ ratePerSecond: 100, burst: 100 });
const databaseUrl = await createTestDatabase();
const env = {
  DATABASE_URL: databaseUrl,
  SWITCHYARD_ADMIN_KEY: ADMIN_KEY,
  // Debug, the most a log says: no token may be in it even so.
  SWITCHYARD_LOG_LEVEL: 'debug',
  ...oauthEnvironment({ hubspot, salesforce, slack }),
};
const api = await spawnSwitchyard({ ...env, SWITCHYARD_ROLE: 'api' });
const workers = await Promise.all([0, 1].map(() => spawnSwitchyard({ ...env, SWITCHYARD_ROLE: 'worker' })));
const processes: SwitchyardProcess[] = [api, ...workers];
const db = new pg.Client(databaseUrl);
await db.connect();
afterAll(async () => {
  await Promise.all(processes.map((process) => process.stop()));
  await db.end();
  await closeHttp();
  await Promise.all([hubspot.close(), salesforce.close(), slack.close()]);
});

let ws: { id: string; secretKey: string; secret: GraphqlClient };
/** Secrets handed to Switchyard directly, which no contract server issued. */
const givenSecrets: string[] = [];

beforeAll(async () => {
  const admin = graphqlClient(`${api.url}/graphql`, ADMIN_KEY);
  const { createWorkspace } = await admin.request(
    `mutation { createWorkspace(input: { name: "oauth-end-to-end", environment: "test" }) {
      ... on CreateWorkspacePayload { workspace { id } secretKey } } }`,
  );
  ws = { id: createWorkspace.workspace.id, secretKey: createWorkspace.secretKey, secret: graphqlClient(`${api.url}/graphql`, createWorkspace.secretKey) };
  givenSecrets.push(ws.secretKey);
});

const CREATE = `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) {
  __typename ... on CreateConnectionPayload { connection { id status statusReason } } ... on Error { message } } }`;

let named = 0;
async function connect(input: Record<string, unknown>): Promise<{ id: string; rowId: string }> {
  const { createConnection } = await ws.secret.request(CREATE, { input: { name: `oauth-${++named}`, retryScheduleSeconds: [0, 0.5, 0.5], ...input } });
  expect(createConnection).toMatchObject({ __typename: 'CreateConnectionPayload', connection: { status: 'NEEDS_REAUTH' } });
  return { id: createConnection.connection.id, rowId: decodeId('Connection', createConnection.connection.id) };
}

async function emitMany(type: string, payloads: Record<string, unknown>[]): Promise<void> {
  for (let start = 0; start < payloads.length; start += 500) {
    const { emitEvents } = await ws.secret.request(
      `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) { __typename ... on Error { message } } }`,
      { input: { events: payloads.slice(start, start + 500).map((payload, index) => ({ type, resource: 'contact', resourceId: `r-${start + index}`, payload })) } },
    );
    expect(emitEvents.__typename).toBe('EmitEventsPayload');
  }
}

/** The connection's deliveries by status, and the connection's own status. */
async function stateOf(rowId: string): Promise<{ status: string; deliveries: Record<string, number> }> {
  const { rows } = await db.query<{ status: string; count: number }>(`select status, count(*)::int as count from deliveries where connection_id = $1 group by status`, [rowId]);
  const { rows: [connection] } = await db.query<{ status: string }>(`select status from connections where id = $1`, [rowId]);
  return { status: connection!.status, deliveries: Object.fromEntries(rows.map((row) => [row.status, row.count])) };
}

const settled = (rowId: string, expected: Record<string, number>, timeoutMs = 60_000) =>
  eventually(async () => {
    const state = await stateOf(rowId);
    return JSON.stringify(state.deliveries) === JSON.stringify(expected) ? state : undefined;
  }, timeoutMs, `deliveries of ${rowId} to be ${JSON.stringify(expected)}`);

async function consent(connectionId: string): Promise<void> {
  const { authorizationUrl } = await authorize(ws.secret, connectionId, 'https://app.example.com/integrations');
  const back = await followConsent(authorizationUrl!);
  expect(Object.fromEntries(new URL(back.location).searchParams)).toEqual({ outcome: 'authorized', connectionId });
}

describe('a HUBSPOT connection authorized through its consent page', () => {
  it('waits NEEDS_REAUTH until a person consents, then delivers what waited', async () => {
    const connection = await connect({ kind: 'HUBSPOT', hubspot: { action: 'SEND_EVENT', eventName: 'pe1234567_order_completed' } });
    await createRule(ws.secret, connection.id, ['order.*']);
    const emails = [uniqueEmail(), uniqueEmail(), uniqueEmail()];
    await emitMany('order.completed', emails.map((email) => ({ email, total: 42 })));
    // Nothing can go out: the deliveries wait for the consent, none fails.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const waiting = await stateOf(connection.rowId);
    expect(waiting.status).toBe('NEEDS_REAUTH');
    expect(waiting.deliveries.SUCCEEDED ?? 0).toBe(0);
    expect(waiting.deliveries.DEAD ?? 0).toBe(0);

    await consent(connection.id);
    await settled(connection.rowId, { SUCCEEDED: 3 });
    expect(hubspot.events.filter((event) => emails.includes(event.email as string))).toHaveLength(3);
  }, 90_000);

  it('makes exactly one refresh call when the token expires under 50 deliveries in flight in two workers, and delivers every one', async () => {
    const connection = await connect({ kind: 'HUBSPOT', hubspot: { action: 'SEND_EVENT', eventName: 'pe1234567_signed_up' } });
    await createRule(ws.secret, connection.id, ['user.*']);
    await consent(connection.id);
    await setPaused(ws.secret, connection.id, true);
    const emails = Array.from({ length: 50 }, () => uniqueEmail('racer'));
    await emitMany('user.signed_up', emails.map((email) => ({ email })));
    // The token lapses at HubSpot while Switchyard still holds it as good: every call answers 401
    // EXPIRED_AUTHENTICATION until one refresh; a slow token endpoint lets callers pile up meanwhile.
    hubspot.oauth.expireAccessTokens();
    hubspot.oauth.delayRefreshes(500);
    const refreshes = hubspot.oauth.calls.refresh_token;
    await setPaused(ws.secret, connection.id, false);
    try {
      await settled(connection.rowId, { SUCCEEDED: 50 });
    } finally {
      hubspot.oauth.delayRefreshes(0);
    }
    expect(hubspot.oauth.calls.refresh_token).toBe(refreshes + 1);
    // Both workers made attempts of this connection: the refresh was shared across processes.
    for (const worker of workers) expect(worker.output()).toContain(`"connection":"${connection.id}"`);
    expect(new Set(hubspot.events.filter((event) => emails.includes(event.email as string)).map((event) => event.email))).toEqual(new Set(emails));
    const { rows: [grant] } = await db.query<{ generation: number }>(`select generation from oauth_grants where connection_id = $1`, [connection.rowId]);
    expect(grant!.generation).toBe(2);
  }, 120_000);
});

describe('a SALESFORCE connection whose refresh token is revoked', () => {
  it('goes NEEDS_REAUTH with nothing dead, and a new consent delivers everything', async () => {
    const connection = await connect({ kind: 'SALESFORCE', salesforce: { sobject: 'Contact', externalIdField: 'External_Id__c' } });
    await createRule(ws.secret, connection.id, ['crm.*'], { transform: '{ "externalId": resourceId, "fields": { "LastName": payload.name } }' });
    await consent(connection.id);
    await emitMany('crm.contact_updated', [{ name: 'Lovelace' }]);
    await settled(connection.rowId, { SUCCEEDED: 1 });

    // The org admin revokes the app: access and refresh tokens are refused from now on.
    salesforce.oauth.revokeGrants();
    await emitMany('crm.contact_updated', Array.from({ length: 5 }, (_, index) => ({ name: `Revoked ${index}` })));
    const refused = await eventually(async () => ((await stateOf(connection.rowId)).status === 'NEEDS_REAUTH' ? stateOf(connection.rowId) : undefined), 30_000, 'NEEDS_REAUTH');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const waiting = await stateOf(connection.rowId);
    expect(refused.status).toBe('NEEDS_REAUTH');
    expect(waiting.deliveries.DEAD ?? 0).toBe(0);
    expect(waiting.deliveries.SUCCEEDED).toBe(1);
    const { rows: [alert] } = await db.query<{ count: number }>(
      `select count(*)::int as count from events where workspace_id = $1 and type = 'switchyard.connection.needs_reauth'`,
      [decodeId('Workspace', ws.id)],
    );
    expect(alert!.count).toBe(1);

    await consent(connection.id);
    await settled(connection.rowId, { SUCCEEDED: 6 });
    expect([...salesforce.records.get('Contact')!.values()].map((record) => record.fields.LastName)).toEqual(expect.arrayContaining(['Revoked 0', 'Revoked 4']));
  }, 90_000);
});

describe('a SLACK connection installed through OAuth', () => {
  it('posts with the install\'s rotating bot token, refreshes it when Slack says it expired, and waits once the install is revoked', async () => {
    const channel = slack.addChannel('deploys');
    const connection = await connect({ kind: 'SLACK', slack: { channel } });
    await createRule(ws.secret, connection.id, ['deploy.*']);
    const { authorizationUrl } = await authorize(ws.secret, connection.id);
    expect(new URL(authorizationUrl!).searchParams.get('scope')).toBe('chat:write,chat:write.public');
    await consent(connection.id);
    await emitMany('deploy.finished', [{ version: '1.0.0' }]);
    await settled(connection.rowId, { SUCCEEDED: 1 });
    expect(slack.messages.filter((message) => message.channel === channel)).toHaveLength(1);

    // Twelve hours on: Slack answers token_expired; one refresh with the rotated refresh token mends it.
    slack.oauth.expireAccessTokens();
    const refreshes = slack.oauth.calls.refresh_token;
    await emitMany('deploy.finished', [{ version: '1.0.1' }]);
    await settled(connection.rowId, { SUCCEEDED: 2 });
    expect(slack.oauth.calls.refresh_token).toBe(refreshes + 1);

    // Uninstalled: the refresh is refused with invalid_refresh_token, and the delivery waits.
    slack.oauth.revokeGrants();
    await emitMany('deploy.finished', [{ version: '1.0.2' }]);
    await eventually(async () => ((await stateOf(connection.rowId)).status === 'NEEDS_REAUTH' ? true : undefined), 30_000, 'NEEDS_REAUTH');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const waiting = (await stateOf(connection.rowId)).deliveries;
    expect(waiting.SUCCEEDED).toBe(2);
    expect(waiting.DEAD ?? 0).toBe(0);
    expect(Object.values(waiting).reduce((sum, count) => sum + count, 0)).toBe(3);
    const { rows: [grant] } = await db.query<{ refusal: string }>(`select refusal from oauth_grants where connection_id = $1`, [connection.rowId]);
    expect(grant!.refusal).toContain('invalid_refresh_token');
  }, 90_000);
});

describe('the consent callback', () => {
  it('changes nothing for a reused or forged state: the connection keeps waiting and no code is exchanged', async () => {
    const waiting = await connect({ kind: 'HUBSPOT', hubspot: {} });
    await createRule(ws.secret, waiting.id, ['lead.*']);
    await emitMany('lead.created', [{ email: uniqueEmail('lead') }]);
    const other = await connect({ kind: 'HUBSPOT', hubspot: {} });
    const { authorizationUrl } = await authorize(ws.secret, other.id);
    await followConsent(authorizationUrl!);
    const exchanges = hubspot.oauth.calls.authorization_code;
    const before = await stateOf(waiting.rowId);

    const state = new URL(authorizationUrl!).searchParams.get('state')!;
    const forged = `${state.slice(0, -2)}${state.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const query of [`code=anything&state=${state}`, `code=anything&state=${forged}`, 'code=anything']) {
      const answer = await visitCallback(`${api.url}/oauth/callback?${query}`);
      expect(answer).toMatchObject({ status: 400, location: '' });
      expect(answer.body).toContain('Nothing was changed');
    }
    expect(hubspot.oauth.calls.authorization_code).toBe(exchanges);
    expect(await stateOf(waiting.rowId)).toEqual(before);
    expect(before.status).toBe('NEEDS_REAUTH');
  });
});

describe('tokens at rest and in logs', () => {
  it('stores no token, code or client secret in plaintext in any table, and writes none to a log line', async () => {
    const salesforceConnection = await connect({ kind: 'SALESFORCE', salesforce: { sobject: 'Account', externalIdField: 'External_Id__c' } });
    const product = { accessToken: '00Dx!product-access-token-e2e', refreshToken: 'product-refresh-token-e2e' };
    givenSecrets.push(product.accessToken, product.refreshToken);
    const { setConnectionCredentials } = await ws.secret.request(
      `mutation ($input: SetConnectionCredentialsInput!) { setConnectionCredentials(input: $input) {
        ... on SetConnectionCredentialsPayload { connection { status } } ... on Error { message } } }`,
      { input: { connectionId: salesforceConnection.id, ...product, instanceUrl: salesforce.loginUrl } },
    );
    expect(setConnectionCredentials).toEqual({ connection: { status: 'ACTIVE' } });

    const providers = [hubspot.oauth, salesforce.oauth, slack.oauth];
    const secrets = [
      ...providers.flatMap((provider) => [...provider.accessTokens, ...provider.refreshTokens, provider.clientSecret]),
      ...givenSecrets,
    ];
    // The test made tokens of every kind: a check over nothing would pass too.
    expect(providers.every((provider) => provider.accessTokens.length >= 1 && provider.refreshTokens.length >= 1)).toBe(true);
    expect(hubspot.oauth.accessTokens.length).toBeGreaterThanOrEqual(3);
    const { dump, tables } = await dumpAllRows(databaseUrl);
    expect(tables).toEqual(expect.arrayContaining(['oauth_grants', 'oauth_states', 'connection_credentials', 'connections']));
    const logs = processes.map((process) => process.output()).join('\n');
    expect(logs).toContain('"level":"debug"');
    for (const secret of secrets) {
      expect(dump.includes(secret), `a database dump holds ${secret.slice(0, 6)}…`).toBe(false);
      expect(logs.includes(secret), `a log holds ${secret.slice(0, 6)}…`).toBe(false);
    }
  }, 60_000);
});
