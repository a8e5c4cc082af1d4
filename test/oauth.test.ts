import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { vendorClient } from '../src/domains/destinations/http/vendor-client.ts';
import { accessTokens } from '../src/domains/oauth/access-tokens.ts';
import { oauthProvider } from '../src/domains/oauth/oauth-providers.ts';
import { callTokenEndpoint } from '../src/domains/oauth/token-endpoint.ts';
import { startContractServer, type ContractReply } from './helpers/contract-server.ts';
import { scrape } from '../src/observability/metrics.ts';
import { dumpAllRows } from './helpers/database-dump.ts';
import { followConsent, visitCallback } from './helpers/oauth-contract.ts';
import { authorize as authorizeOn, oauthEnvironment, waitingConnection as waitingOn, startOAuthTestServer } from './helpers/oauth-connections.ts';
import { startHubSpotContract } from './helpers/hubspot-contract.ts';
import { startSalesforceContract } from './helpers/salesforce-contract.ts';
import { spawnSwitchyard } from './helpers/child-process.ts';
import { graphqlClient } from './helpers/graphql.ts';
import { ADMIN_KEY, TEST_ENCRYPTION_KEYS, type SeededWorkspace } from './helpers/server.ts';

const hubspot = await startHubSpotContract({ rotateRefreshTokens: true });
const salesforce = await startSalesforceContract();
const { server, config, db } = await startOAuthTestServer({ hubspot, salesforce });
let ws: SeededWorkspace;

beforeAll(async () => {
  ws = await server.seedWorkspace();
});

const RETURN_URL = 'https://app.example.com/integrations/done?tab=crm';

const waitingConnection = (kind: 'HUBSPOT' | 'SALESFORCE' | 'WEBHOOK', workspaceId = ws.id) => waitingOn(db, workspaceId, kind);
const authorize = (connectionId: string, returnUrl = RETURN_URL, client = ws.secret) => authorizeOn(client, connectionId, returnUrl);

async function connectionRow(id: string) {
  const { rows } = await db.query<{ status: string }>(`select status from connections where id = $1`, [id]);
  const { rows: grants } = await db.query<{ generation: number; sealed_access_token: string }>(`select generation, sealed_access_token from oauth_grants where connection_id = $1`, [id]);
  return { status: rows[0]?.status, generation: grants[0]?.generation ?? null, sealed: grants[0]?.sealed_access_token ?? null };
}

/** Authorizes `connection` at HubSpot through the whole consent, as a person's browser would. */
async function consentedHubSpot(): Promise<{ id: string; publicId: string }> {
  const connection = await waitingConnection('HUBSPOT');
  const { authorizationUrl } = await authorize(connection.publicId);
  const consent = await followConsent(authorizationUrl!);
  expect(new URL(consent.location).searchParams.get('outcome')).toBe('authorized');
  return connection;
}

describe('authorizeConnection and /oauth/callback', () => {
  it('sends the person to the consent page with a state and a PKCE challenge, stores the tokens sealed, and returns them to returnUrl', async () => {
    const connection = await waitingConnection('HUBSPOT');
    const payload = await authorize(connection.publicId);
    const url = new URL(payload.authorizationUrl!);
    expect(`${url.origin}${url.pathname}`).toBe(hubspot.authorizeUrl);
    expect(url.searchParams.get('client_id')).toBe(hubspot.oauth.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(`${server.switchyard.url}/oauth/callback`);
    expect(url.searchParams.get('scope')).toBe('oauth crm.objects.contacts.read crm.objects.contacts.write');
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(new Date(payload.expiresAt!).getTime() - Date.now()).toBeGreaterThan(9 * 60_000);
    const { rows: states } = await db.query<{ state_hash: string }>(`select state_hash from oauth_states where connection_id = $1`, [connection.id]);
    expect(states).toHaveLength(1);
    expect(states[0]!.state_hash).not.toContain(url.searchParams.get('state'));

    const exchanges = hubspot.oauth.calls.authorization_code;
    const consent = await followConsent(payload.authorizationUrl!);
    const back = new URL(consent.location);
    expect(`${back.origin}${back.pathname}`).toBe('https://app.example.com/integrations/done');
    expect(Object.fromEntries(back.searchParams)).toEqual({ tab: 'crm', outcome: 'authorized', connectionId: connection.publicId });
    expect(hubspot.oauth.calls.authorization_code).toBe(exchanges + 1);
    const row = await connectionRow(connection.id);
    expect(row).toMatchObject({ status: 'ACTIVE', generation: 1 });
    expect(row.sealed).toMatch(/^sy1\./);
    expect(row.sealed).not.toContain(hubspot.oauth.accessTokens.at(-1));
  });

  it('refuses a reused state with a page that says so, and changes nothing', async () => {
    const connection = await waitingConnection('HUBSPOT');
    const { authorizationUrl } = await authorize(connection.publicId);
    const page = await fetch(authorizationUrl!);
    expect(page.status).toBe(200);
    const consent = await followConsent(authorizationUrl!);
    expect(new URL(consent.location).searchParams.get('outcome')).toBe('authorized');
    const before = await connectionRow(connection.id);
    const exchanges = hubspot.oauth.calls.authorization_code;

    // The same callback again (a back button, a replayed URL): the state was used.
    const state = new URL(authorizationUrl!).searchParams.get('state')!;
    const again = await visitCallback(`${server.switchyard.url}/oauth/callback?code=whatever&state=${state}`);
    expect(again.status).toBe(400);
    expect(again.location).toBe('');
    expect(again.body).toContain('Authorization refused');
    expect(again.body).toContain('Nothing was changed');
    expect(await connectionRow(connection.id)).toEqual(before);
    expect(hubspot.oauth.calls.authorization_code).toBe(exchanges);
  });

  it('refuses a forged or expired state, and a declined consent leaves the connection waiting', async () => {
    const connection = await waitingConnection('HUBSPOT');
    const exchanges = hubspot.oauth.calls.authorization_code;
    for (const query of ['code=c&state=forged-state-value', 'code=c', `code=c&state=${'x'.repeat(5000)}`]) {
      const answer = await visitCallback(`${server.switchyard.url}/oauth/callback?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('not valid');
    }
    const { authorizationUrl } = await authorize(connection.publicId);
    await db.query(`update oauth_states set expires_at = now() - interval '1 second' where connection_id = $1`, [connection.id]);
    const expired = await followConsent(authorizationUrl!);
    expect(expired.status).toBe(400);
    expect(hubspot.oauth.calls.authorization_code).toBe(exchanges);

    const declined = await followConsent((await authorize(connection.publicId)).authorizationUrl!, 'deny');
    expect(Object.fromEntries(new URL(declined.location).searchParams)).toMatchObject({ outcome: 'denied', error: expect.stringContaining('access_denied') });
    expect(await connectionRow(connection.id)).toEqual({ status: 'NEEDS_REAUTH', generation: null, sealed: null });
  });

  it('names the field at fault, and keeps other workspaces and kinds out', async () => {
    const connection = await waitingConnection('HUBSPOT');
    for (const returnUrl of ['/relative', 'javascript:alert(1)', 'https://user:pw@app.example.com/']) {
      expect(await authorize(connection.publicId, returnUrl)).toMatchObject({ issues: [{ path: ['input', 'returnUrl'], message: expect.stringContaining('absolute http or https URL') }] });
    }
    const webhook = await waitingConnection('WEBHOOK');
    expect(await authorize(webhook.publicId)).toMatchObject({ __typename: 'ConflictError', message: expect.stringContaining('do not authorize through OAuth') });
    const other = await server.seedWorkspace();
    const theirs = await waitingConnection('HUBSPOT', other.id);
    expect(await authorize(theirs.publicId)).toMatchObject({ __typename: 'NotFoundError' });
  });
});

const SET_CREDENTIALS = `mutation ($input: SetConnectionCredentialsInput!) { setConnectionCredentials(input: $input) {
  ... on SetConnectionCredentialsPayload { connection { id status } }
  ... on ValidationError { issues { path message } } ... on Error { __typename message } } }`;

describe('setConnectionCredentials', () => {
  it("takes a product's own tokens, checks a Salesforce instance URL, and releases the connection", async () => {
    const connection = await waitingConnection('SALESFORCE');
    const set = (input: Record<string, unknown>) => ws.secret.request<{ setConnectionCredentials: Record<string, unknown> }>(SET_CREDENTIALS, { input: { connectionId: connection.publicId, ...input } });
    expect((await set({ accessToken: '00Dx!token', instanceUrl: 'https://evil.example.com' })).setConnectionCredentials).toMatchObject({
      issues: [{ path: ['input', 'instanceUrl'], message: expect.stringContaining('not on a Salesforce domain') }],
    });
    expect((await set({ accessToken: 'two words' })).setConnectionCredentials).toMatchObject({ issues: [{ path: ['input', 'accessToken'] }] });
    expect((await set({ accessToken: '00Dx!token', refreshToken: 'r', expiresInSeconds: 0, instanceUrl: 'https://acme.my.salesforce.com' })).setConnectionCredentials).toMatchObject({
      issues: [{ path: ['input', 'expiresInSeconds'] }],
    });
    expect(await connectionRow(connection.id)).toEqual({ status: 'NEEDS_REAUTH', generation: null, sealed: null });
    const done = await set({ accessToken: '00Dx!token-of-the-product', refreshToken: 'product-refresh-token', instanceUrl: 'https://acme.my.salesforce.com' });
    expect(done.setConnectionCredentials).toEqual({ connection: { id: connection.publicId, status: 'ACTIVE' } });
    const { dump } = await dumpAllRows(server.databaseUrl);
    expect(dump).not.toContain('00Dx!token-of-the-product');
    expect(dump).not.toContain('product-refresh-token');
  });
});

describe('another workspace', () => {
  it("cannot give its OAuth connections tokens, through setConnectionCredentials or updateConnection", async () => {
    const other = await server.seedWorkspace();
    const theirSalesforce = await waitingConnection('SALESFORCE', other.id);
    const theirHubSpot = await waitingConnection('HUBSPOT', other.id);
    const planted = await ws.secret.request<{ setConnectionCredentials: Record<string, unknown> }>(SET_CREDENTIALS, {
      input: { connectionId: theirSalesforce.publicId, accessToken: '00Dx!planted-token', refreshToken: 'planted-refresh', instanceUrl: 'https://acme.my.salesforce.com' },
    });
    expect(planted.setConnectionCredentials).toMatchObject({ __typename: 'NotFoundError' });
    const { updateConnection } = await ws.secret.request<{ updateConnection: { __typename: string } }>(
      `mutation ($input: UpdateConnectionInput!) { updateConnection(input: $input) { __typename } }`,
      { input: { id: theirHubSpot.publicId, hubspot: { accessToken: 'pat-na1-0f8e2b5c-1d3a-4e6f-8a9b-0c1d2e3f4a5b' } } },
    );
    expect(updateConnection.__typename).toBe('NotFoundError');
    for (const theirs of [theirSalesforce, theirHubSpot]) expect(await connectionRow(theirs.id)).toEqual({ status: 'NEEDS_REAUTH', generation: null, sealed: null });
    const { rows } = await db.query(`select connection_id from connection_credentials where connection_id = any($1::uuid[])`, [[theirSalesforce.id, theirHubSpot.id]]);
    expect(rows).toEqual([]);
  });
});

/** This process's `switchyard_token_refreshes_total` of HUBSPOT connections with `outcome`, as /metrics shows it. */
async function refreshesCounted(outcome: 'succeeded' | 'failed' | 'refused'): Promise<number> {
  const { body } = await scrape();
  const line = body.split('\n').find((sample) =>
    sample.startsWith('switchyard_token_refreshes_total{') && sample.includes('destination_kind="HUBSPOT"') && sample.includes(`outcome="${outcome}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('access tokens', () => {
  const http = vendorClient({ maxResponseBytes: 65_536, allowPrivateTargets: false });
  const tokensOf = (connectionId: string) => accessTokens(server.switchyard.services.orm.em.fork(), config, http, oauthProvider(config, 'HUBSPOT')!, connectionId);

  it('makes exactly one refresh call for 50 requests in two processes when the token expires, and stores the rotated refresh token', async () => {
    const connection = await consentedHubSpot();
    hubspot.oauth.expireAccessTokens();
    await db.query(`update oauth_grants set expires_at = now() - interval '1 second' where connection_id = $1`, [connection.id]);
    const refreshes = hubspot.oauth.calls.refresh_token;
    // A slow token endpoint: every caller in both processes needs the token while the refresh is out.
    hubspot.oauth.delayRefreshes(500);
    onTestFinished(() => hubspot.oauth.delayRefreshes(0));
    const racer = fileURLToPath(new URL('./helpers/token-racer.ts', import.meta.url));
    const env = {
      ...process.env,
      DATABASE_URL: server.databaseUrl,
      SWITCHYARD_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      HUBSPOT_API_URL: hubspot.apiUrl,
      HUBSPOT_CLIENT_ID: hubspot.oauth.clientId,
      HUBSPOT_CLIENT_SECRET: hubspot.oauth.clientSecret,
      CONNECTION_ID: connection.id,
      CALLS: '25',
    };
    const processes = [0, 1].map(() => {
      const child = spawn(process.execPath, [racer], { env, stdio: ['pipe', 'pipe', 'inherit'] });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const ready = new Promise<void>((resolve) => child.stdout.on('data', () => output.includes('ready') && resolve()));
      const done = new Promise<string>((resolve) => child.once('exit', () => resolve(output)));
      return { child, ready, done };
    });
    await Promise.all(processes.map((racer) => racer.ready));
    for (const { child } of processes) child.stdin.write('go\n');
    const outputs = await Promise.all(processes.map((racer) => racer.done));
    const results = outputs.flatMap((output) => JSON.parse(output.trim().split('\n').at(-1)!) as string[]);
    expect(results).toHaveLength(50);
    expect(new Set(results)).toEqual(new Set([results[0]]));
    expect(results[0]).toMatch(/^2:/);
    expect(hubspot.oauth.calls.refresh_token).toBe(refreshes + 1);

    // The rotated refresh token is the one stored: the next refresh works with it.
    hubspot.oauth.expireAccessTokens();
    const rejected = await tokensOf(connection.id).current();
    expect(rejected.kind).toBe('token');
    const renewed = await tokensOf(connection.id).afterRejection(rejected as never);
    expect(renewed).toMatchObject({ kind: 'token', generation: 3 });
    expect(hubspot.oauth.isLive((renewed as { accessToken: string }).accessToken)).toBe(true);
  }, 60_000);

  it('refreshes once for every caller whose token was refused, and not at all for a token already replaced', async () => {
    const connection = await consentedHubSpot();
    const tokens = tokensOf(connection.id);
    const first = await tokens.current();
    const refreshes = hubspot.oauth.calls.refresh_token;
    const counted = await refreshesCounted('succeeded');
    const again = await Promise.all(Array.from({ length: 10 }, () => tokens.afterRejection(first as never)));
    expect(new Set(again.map((result) => (result as { generation: number }).generation))).toEqual(new Set([2]));
    expect(hubspot.oauth.calls.refresh_token).toBe(refreshes + 1);
    // And /metrics counts the one refresh.
    expect(await refreshesCounted('succeeded')).toBe(counted + 1);
    expect(await tokens.afterRejection(first as never)).toMatchObject({ generation: 2 });
    expect(hubspot.oauth.calls.refresh_token).toBe(refreshes + 1);
  });

  it('turns a revoked refresh token into needs-reauth once, and a new consent into fresh tokens', async () => {
    const connection = await consentedHubSpot();
    hubspot.oauth.revokeGrants();
    await db.query(`update oauth_grants set expires_at = now() - interval '1 second' where connection_id = $1`, [connection.id]);
    const refreshes = hubspot.oauth.calls.refresh_token;
    const counted = await refreshesCounted('refused');
    const refused = await tokensOf(connection.id).current();
    expect(refused).toEqual({ kind: 'needs-reauth', reason: expect.stringContaining('BAD_REFRESH_TOKEN') });
    expect(await tokensOf(connection.id).current()).toEqual(refused);
    expect(hubspot.oauth.calls.refresh_token).toBe(refreshes + 1);
    expect(await refreshesCounted('refused')).toBe(counted + 1);

    await db.query(`update connections set status = 'NEEDS_REAUTH' where id = $1`, [connection.id]);
    const consent = await followConsent((await authorize(connection.publicId)).authorizationUrl!);
    expect(new URL(consent.location).searchParams.get('outcome')).toBe('authorized');
    expect(await tokensOf(connection.id).current()).toMatchObject({ kind: 'token', generation: 2 });
    expect((await connectionRow(connection.id)).status).toBe('ACTIVE');
  });

  it('refreshes a token within SWITCHYARD_OAUTH_REFRESH_AHEAD_SECONDS of its expiry before using it, and not one further off', async () => {
    const connection = await consentedHubSpot();
    const refreshes = hubspot.oauth.calls.refresh_token;
    await db.query(`update oauth_grants set expires_at = now() + interval '1 hour', updated_at = now() - interval '1 hour' where connection_id = $1`, [connection.id]);
    expect(await tokensOf(connection.id).current()).toMatchObject({ kind: 'token', generation: 1 });
    expect(hubspot.oauth.calls.refresh_token).toBe(refreshes);
    // Still good at HubSpot, but within the 300 s ahead: refreshed before any request is refused with it.
    await db.query(`update oauth_grants set expires_at = now() + interval '1 minute' where connection_id = $1`, [connection.id]);
    const renewed = await tokensOf(connection.id).current();
    expect(renewed).toMatchObject({ kind: 'token', generation: 2 });
    expect(hubspot.oauth.isLive((renewed as { accessToken: string }).accessToken)).toBe(true);
    expect(hubspot.oauth.calls.refresh_token).toBe(refreshes + 1);
  });

  it('says a token call that got no answer is worth retrying, and keeps the grant', async () => {
    const connection = await consentedHubSpot();
    await db.query(`update oauth_grants set expires_at = now() - interval '1 second' where connection_id = $1`, [connection.id]);
    const unreachable = accessTokens(server.switchyard.services.orm.em.fork(), { ...config, hubspotApiUrl: 'http://127.0.0.1:9' }, http, oauthProvider({ ...config, hubspotApiUrl: 'http://127.0.0.1:9' }, 'HUBSPOT')!, connection.id);
    expect(await unreachable.current()).toMatchObject({ kind: 'unavailable' });
    expect(await tokensOf(connection.id).current()).toMatchObject({ kind: 'token', generation: 2 });
  });
});

describe('a hostile token endpoint', () => {
  it('takes no grant from an answer too big, not JSON, holding no token, or sending Salesforce calls off its domains', async () => {
    const answers: ContractReply[] = [];
    const hostile = await startContractServer(() => answers.shift() ?? { status: 500 });
    onTestFinished(() => hostile.close());
    const salesforceApp = oauthProvider({ ...config, salesforceLoginUrl: hostile.origin }, 'SALESFORCE')!;
    const http = vendorClient({ maxResponseBytes: 65_536, allowPrivateTargets: false });
    const answer = async (reply: ContractReply, timeoutMs?: number) => {
      answers.push(reply);
      return callTokenEndpoint(salesforceApp, http, { grant_type: 'refresh_token', refresh_token: 'r' }, timeoutMs);
    };
    const granted = (extra: Record<string, unknown>) => ({ status: 200, body: { access_token: '00Dx!good', instance_url: 'https://acme.my.salesforce.com', ...extra } });

    // Past the 1 MiB a vendor's answer is read to: cut off, so no tokens in it.
    expect(await answer({ status: 200, body: JSON.stringify({ access_token: 'x'.repeat(1_200_000) }) })).toMatchObject({ kind: 'unavailable' });
    expect(await answer({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>login</html>' })).toMatchObject({ kind: 'unavailable' });
    expect(await answer(granted({ access_token: 'a'.repeat(5000) }))).toMatchObject({ kind: 'refused', reason: expect.stringContaining('access token that is not one') });
    expect(await answer(granted({ refresh_token: 'line\nbreak' }))).toMatchObject({ kind: 'refused', reason: expect.stringContaining('refresh token that is not one') });
    for (const instanceUrl of ['https://evil.example.com', 'https://acme.salesforce.com.evil.example', 'http://acme.my.salesforce.com', 'https://acme.my.salesforce.com:8443', 'https://acme.my.salesforce.com/path', 'javascript:alert(1)']) {
      expect(await answer(granted({ instance_url: instanceUrl })), instanceUrl).toMatchObject({ kind: 'refused', reason: expect.stringContaining('instance_url') });
    }
    // A redirect says nothing of the grant (a new consent would meet it again) and is not followed.
    const before = hostile.requests.length;
    expect(await answer({ status: 301, headers: { location: `${hostile.origin}/moved` } })).toMatchObject({
      kind: 'unavailable', reason: expect.stringContaining(`HTTP 301 to ${hostile.origin}/moved`) });
    expect(hostile.requests.slice(before).map((request) => request.path)).toEqual(['/services/oauth2/token']);
    // Too slow: given up at the deadline (the refresh holds its grant's lock meanwhile), worth retrying.
    expect(await answer({ ...granted({}), delayMs: 2_000 }, 100)).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('did not answer') });
    // A lifetime no token has (past any date) is taken as none: the token is refreshed when it is refused.
    expect(await answer(granted({ expires_in: 1e20 }))).toEqual({ kind: 'granted', grant: expect.objectContaining({ expiresInSeconds: undefined }) });
    expect(await answer(granted({}))).toMatchObject({ kind: 'granted', grant: { accessToken: '00Dx!good', instanceUrl: 'https://acme.my.salesforce.com' } });
  });
});

describe('tokens in logs', () => {
  it('writes no token, code or client secret to a log line, even at debug level', async () => {
    const child = await spawnSwitchyard({
      DATABASE_URL: server.databaseUrl,
      SWITCHYARD_ADMIN_KEY: ADMIN_KEY,
      SWITCHYARD_LOG_LEVEL: 'debug',
      ...oauthEnvironment({ hubspot }),
    });
    try {
      const client = graphqlClient(`${child.url}/graphql`, ws.secretKey);
      const connection = await waitingConnection('HUBSPOT');
      const { authorizationUrl } = await authorizeOn(client, connection.publicId);
      const consent = await followConsent(authorizationUrl!);
      expect(new URL(consent.location).searchParams.get('outcome')).toBe('authorized');
      const forged = await visitCallback(`${child.url}/oauth/callback?code=leaked-code-value&state=forged`);
      expect(forged.status).toBe(400);
      const output = child.output();
      expect(output.length).toBeGreaterThan(0);
      const state = new URL(authorizationUrl!).searchParams.get('state')!;
      for (const secret of [hubspot.oauth.accessTokens.at(-1)!, hubspot.oauth.clientSecret, state, 'leaked-code-value', ws.secretKey]) {
        expect(output).not.toContain(secret);
      }
    } finally {
      await child.stop();
    }
  }, 60_000);
});

