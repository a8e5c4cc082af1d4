import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { secretHint } from '../src/domains/signing/standard-webhooks.ts';
import { checkTargetUrl } from '../src/domains/connections/target-url.ts';
import { webhookHeaders } from '../src/domains/connections/webhook-config.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import type { GraphqlClient } from './helpers/graphql.ts';
import { startTestServer } from './helpers/server.ts';

const server = await startTestServer();
const db = new pg.Client(server.databaseUrl);
await db.connect();
afterAll(() => db.end());

const FIELDS = `id name kind status statusReason webhook { url headers } retryScheduleSeconds timeoutSeconds
  rateLimitPerSecond maxConcurrency ordered consecutiveFailures failingSince lastFailureReason signingSecretHint`;

const ERRORS = `... on ValidationError { issues { path message } } ... on ConflictError { path message }
  ... on NotFoundError { resource missingId: id }`;

const CREATE = `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) {
  __typename ... on CreateConnectionPayload { signingSecret connection { ${FIELDS} } } ${ERRORS} } }`;

const UPDATE = `mutation ($input: UpdateConnectionInput!) { updateConnection(input: $input) {
  __typename ... on UpdateConnectionPayload { connection { ${FIELDS} } } ${ERRORS} } }`;

const GET = `query ($id: ID!) { connection(id: $id) { __typename ... on Connection { ${FIELDS} } ... on NotFoundError { resource missingId: id } } }`;

const webhook = (url = 'https://hooks.example.com/switchyard', headers: Record<string, string> = {}) => ({ url, headers });

async function create(client: GraphqlClient, input: Record<string, unknown>) {
  const { createConnection } = await client.request(CREATE, { input: { kind: 'WEBHOOK', webhook: webhook(), ...input } });
  return createConnection;
}

async function rows(table: 'connections' | 'connection_secrets', workspaceId: string): Promise<number> {
  const where = table === 'connections' ? 'workspace_id = $1' : 'connection_id in (select id from connections where workspace_id = $1)';
  const result = await db.query(`select count(*)::int as n from ${table} where ${where}`, [decodeId('Workspace', workspaceId)]);
  return result.rows[0].n;
}

const paths = (result: { issues: Array<{ path: string[] }> }) => result.issues.map((issue) => issue.path.join('.'));

describe('createConnection', () => {
  it('creates a webhook connection with defaults and returns its signing secret once', async () => {
    const { secret } = await server.seedWorkspace();
    const created = await create(secret, { name: 'orders endpoint', webhook: webhook(undefined, { 'X-Team': 'billing' }) });
    expect(created.__typename).toBe('CreateConnectionPayload');
    expect(created.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.connection).toMatchObject({
      name: 'orders endpoint',
      kind: 'WEBHOOK',
      status: 'ACTIVE',
      webhook: { url: 'https://hooks.example.com/switchyard', headers: { 'x-team': 'billing' } },
      retryScheduleSeconds: [0, 5, 300, 1800, 7200, 18000, 36000, 36000],
      timeoutSeconds: 15,
      rateLimitPerSecond: null,
      maxConcurrency: null,
      ordered: false,
      consecutiveFailures: 0,
      signingSecretHint: `whsec_…${created.signingSecret.slice(-4)}`,
    });
    expect(created.connection.id).toMatch(/^conn_[0-9a-f]{32}$/);
  });

  it('keeps a delivery policy that is given', async () => {
    const { secret } = await server.seedWorkspace();
    const created = await create(secret, {
      name: 'tuned',
      retryScheduleSeconds: [1, 2.5, 60],
      timeoutSeconds: 7.5,
      rateLimitPerSecond: 20,
      maxConcurrency: 4,
      ordered: true,
    });
    expect(created.connection).toMatchObject({
      retryScheduleSeconds: [1, 2.5, 60],
      timeoutSeconds: 7.5,
      rateLimitPerSecond: 20,
      maxConcurrency: 4,
      ordered: true,
    });
  });

  it('refuses invalid and private target URLs with a ValidationError at the url, and saves nothing', async () => {
    const { id, secret } = await server.seedWorkspace();
    const cases: Array<[string, string]> = [
      ['not a url', 'absolute http:// or https:// URL'],
      ['ftp://files.example.com/in', 'must use http or https, not "ftp"'],
      ['https://user:pass@hooks.example.com/', 'must not contain credentials'],
      [`https://hooks.example.com/${'a'.repeat(2048)}`, 'at most 2048 characters'],
      ['http://localhost:3000/hook', 'SWITCHYARD_ALLOW_PRIVATE_TARGETS=true'],
      ['http://app.localhost/hook', 'SWITCHYARD_ALLOW_PRIVATE_TARGETS=true'],
      ['http://127.0.0.1/hook', 'private, loopback or link-local'],
      ['http://0x7f.1/hook', 'private, loopback or link-local'],
      ['http://[::1]/hook', 'private, loopback or link-local'],
      ['http://[::ffff:127.0.0.1]/hook', 'private, loopback or link-local'],
      ['http://169.254.169.254/latest/meta-data', 'private, loopback or link-local'],
      ['http://10.1.2.3/hook', 'private, loopback or link-local'],
      ['http://192.168.1.10/hook', 'private, loopback or link-local'],
      ['http://[fd00::1]/hook', 'private, loopback or link-local'],
    ];
    for (const [url, reason] of cases) {
      const result = await create(secret, { name: 'bad target', webhook: webhook(url) });
      expect([url, result.__typename, paths(result)]).toEqual([url, 'ValidationError', ['input.webhook.url']]);
      expect(result.issues[0].message).toContain(reason);
    }
    expect(await rows('connections', id)).toBe(0);
    expect(await rows('connection_secrets', id)).toBe(0);
  });

  it('refuses a kind without its settings at their field, and unknown kinds as GraphQL errors', async () => {
    const { id, secret } = await server.seedWorkspace();
    const hubspot = await create(secret, { name: 'hubspot', kind: 'HUBSPOT', webhook: null });
    expect(hubspot.__typename).toBe('ValidationError');
    expect(hubspot.issues).toEqual([{ path: ['input', 'hubspot'], message: 'is required for a HUBSPOT connection' }]);
    const unknown = await secret.raw(CREATE, { input: { name: 'pigeon', kind: 'PIGEON', webhook: webhook() } });
    expect(unknown.errors?.[0]?.message).toContain('PIGEON');
    const missing = await create(secret, { name: 'no target', webhook: null });
    expect(paths(missing)).toEqual(['input.webhook']);
    expect(await rows('connections', id)).toBe(0);
  });

  it('refuses reserved and malformed headers, naming each one', async () => {
    const { id, secret } = await server.seedWorkspace();
    const result = await create(secret, {
      name: 'headers',
      webhook: webhook(undefined, {
        Host: 'evil.example.com',
        'Content-Length': '1',
        'Transfer-Encoding': 'chunked',
        Connection: 'close',
        'webhook-signature': 'v1,forged',
        'Bad Name': 'x',
        'X-Injected': 'a\r\nX-Other: b',
        'X-Fine': 'ok',
      }),
    });
    expect(result.__typename).toBe('ValidationError');
    expect(paths(result).sort()).toEqual(
      ['Bad Name', 'Connection', 'Content-Length', 'Host', 'Transfer-Encoding', 'X-Injected', 'webhook-signature'].map(
        (name) => `input.webhook.headers.${name}`,
      ).sort(),
    );
    const twice = await create(secret, { name: 'headers', webhook: webhook(undefined, { 'X-A': '1', 'x-a': '2' }) });
    expect(twice.issues[0]).toMatchObject({ path: ['input', 'webhook', 'headers', 'x-a'] });
    const notAnObject = await secret.request(CREATE, { input: { name: 'h', kind: 'WEBHOOK', webhook: { url: 'https://a.example.com', headers: ['x'] } } });
    expect(paths(notAnObject.createConnection)).toEqual(['input.webhook.headers']);
    expect(await rows('connections', id)).toBe(0);
  });

  it('refuses a delivery policy out of bounds, naming every field', async () => {
    const { secret } = await server.seedWorkspace();
    const result = await create(secret, {
      name: 'x'.repeat(101),
      retryScheduleSeconds: [5, -1, 7 * 86400 + 1],
      timeoutSeconds: 61,
      rateLimitPerSecond: 0,
      maxConcurrency: 1001,
    });
    expect(paths(result).sort()).toEqual([
      'input.maxConcurrency',
      'input.name',
      'input.rateLimitPerSecond',
      'input.retryScheduleSeconds.1',
      'input.retryScheduleSeconds.2',
      'input.timeoutSeconds',
    ]);
    expect(paths(await create(secret, { name: 'a', retryScheduleSeconds: [] }))).toEqual(['input.retryScheduleSeconds']);
    expect(paths(await create(secret, { name: 'b', retryScheduleSeconds: Array(21).fill(1) }))).toEqual(['input.retryScheduleSeconds']);
  });

  it('refuses a duplicate name with a ConflictError and keeps one row', async () => {
    const { id, secret } = await server.seedWorkspace();
    await create(secret, { name: 'primary' });
    const again = await create(secret, { name: 'primary' });
    expect(again).toMatchObject({ __typename: 'ConflictError', path: ['input', 'name'] });
    expect(await rows('connections', id)).toBe(1);
    expect(await rows('connection_secrets', id)).toBe(1);
  });

  it('accepts private targets when the server allows them', async () => {
    const permissive = await startTestServer({ allowPrivateTargets: true });
    const { secret } = await permissive.seedWorkspace();
    const local = await create(secret, { name: 'local receiver', webhook: webhook('http://127.0.0.1:9999/hook') });
    expect(local.connection.webhook.url).toBe('http://127.0.0.1:9999/hook');
    expect(checkTargetUrl('http://localhost:8080/hook', { allowPrivateTargets: true })).toEqual({ url: 'http://localhost:8080/hook' });
    expect(checkTargetUrl('http://10.0.0.7/hook', { allowPrivateTargets: true })).toEqual({ url: 'http://10.0.0.7/hook' });
    expect(checkTargetUrl('HTTPS://Hooks.Example.com', { allowPrivateTargets: false })).toEqual({ url: 'https://hooks.example.com/' });
  });
});

describe('updateConnection', () => {
  it('changes only the fields given and restores defaults on null', async () => {
    const { secret } = await server.seedWorkspace();
    const { connection } = await create(secret, { name: 'before', retryScheduleSeconds: [1], timeoutSeconds: 3, rateLimitPerSecond: 5 });
    const { updateConnection } = await secret.request(UPDATE, {
      input: { id: connection.id, name: 'after', retryScheduleSeconds: null, timeoutSeconds: null, maxConcurrency: 2 },
    });
    expect(updateConnection.connection).toMatchObject({
      name: 'after',
      retryScheduleSeconds: [0, 5, 300, 1800, 7200, 18000, 36000, 36000],
      timeoutSeconds: 15,
      rateLimitPerSecond: 5,
      maxConcurrency: 2,
      webhook: connection.webhook,
    });
  });

  it('masks credential headers, keeps them when left out, and keeps them when the masked value comes back', async () => {
    const { secret } = await server.seedWorkspace();
    const token = 'Bearer 0123456789abcdefWXYZ';
    const { connection } = await create(secret, { name: 'auth', webhook: webhook(undefined, { Authorization: token, 'X-Api-Key': 'short', 'X-Env': 'prod' }) });
    expect(connection.webhook.headers).toEqual({ authorization: '…WXYZ', 'x-api-key': '…', 'x-env': 'prod' });

    const moved = await secret.request(UPDATE, { input: { id: connection.id, webhook: { url: 'https://new.example.com/hook' } } });
    expect(moved.updateConnection.connection.webhook).toEqual({ url: 'https://new.example.com/hook', headers: connection.webhook.headers });

    // A read-modify-write round trip: the client sends back what it read, plus one new header.
    const headers = { ...moved.updateConnection.connection.webhook.headers, 'x-extra': '1' };
    await secret.request(UPDATE, { input: { id: connection.id, webhook: { url: 'https://new.example.com/hook', headers } } });
    // Stored masked, the real values sealed beside them; the engine opens them to send.
    const id = decodeId('Connection', connection.id);
    const stored = await db.query('select config, sealed_headers from connections where id = $1', [id]);
    expect(stored.rows[0].config.headers).toEqual({ authorization: '…WXYZ', 'x-api-key': '…', 'x-env': 'prod', 'x-extra': '1' });
    expect(JSON.stringify(stored.rows[0])).not.toContain('0123456789abcdef');
    expect(webhookHeaders({ id, sealedHeaders: stored.rows[0].sealed_headers })).toEqual({ authorization: token, 'x-api-key': 'short', 'x-env': 'prod', 'x-extra': '1' });

    const cleared = await secret.request(UPDATE, { input: { id: connection.id, webhook: { url: 'https://new.example.com/hook', headers: null } } });
    expect(cleared.updateConnection.connection.webhook.headers).toEqual({});
  });

  it('refuses a name taken by another connection and bad fields, changing nothing', async () => {
    const { secret } = await server.seedWorkspace();
    await create(secret, { name: 'taken' });
    const { connection } = await create(secret, { name: 'mine' });
    const conflict = await secret.request(UPDATE, { input: { id: connection.id, name: 'taken' } });
    expect(conflict.updateConnection).toMatchObject({ __typename: 'ConflictError', path: ['input', 'name'] });
    const invalid = await secret.request(UPDATE, { input: { id: connection.id, timeoutSeconds: 0, webhook: { url: 'http://127.0.0.1' } } });
    expect(paths(invalid.updateConnection).sort()).toEqual(['input.timeoutSeconds', 'input.webhook.url']);
    expect((await secret.request(GET, { id: connection.id })).connection).toEqual({ __typename: 'Connection', ...connection });
  });
});

describe('connection lifecycle', () => {
  it('pauses, and resumes a disabled connection with a fresh failure count', async () => {
    const { secret } = await server.seedWorkspace();
    const { connection } = await create(secret, { name: 'flaky' });
    const pause = `mutation ($id: ID!) { pauseConnection(input: { id: $id }) { ... on PauseConnectionPayload { connection { status statusReason } } } }`;
    expect((await secret.request(pause, { id: connection.id })).pauseConnection.connection).toEqual({
      status: 'PAUSED',
      statusReason: 'paused through the API',
    });

    await db.query(
      `update connections set status = 'DISABLED', status_reason = 'failing for 5 days', consecutive_failures = 42,
       failing_since = now() - interval '5 days', last_failure_reason = 'HTTP 500' where id = $1`,
      [decodeId('Connection', connection.id)],
    );
    const resume = `mutation ($id: ID!) { resumeConnection(input: { id: $id }) { ... on ResumeConnectionPayload { connection { ${FIELDS} } } } }`;
    expect((await secret.request(resume, { id: connection.id })).resumeConnection.connection).toMatchObject({
      status: 'ACTIVE',
      statusReason: null,
      consecutiveFailures: 0,
      failingSince: null,
      lastFailureReason: 'HTTP 500',
    });
  });

  it('lists connections newest first, filtered by status', async () => {
    const { secret } = await server.seedWorkspace();
    const first = await create(secret, { name: 'one' });
    await create(secret, { name: 'two' });
    await secret.request(`mutation ($id: ID!) { pauseConnection(input: { id: $id }) { __typename } }`, { id: first.connection.id });
    const list = async (status?: string) =>
      (await secret.request(`query ($status: ConnectionStatus) { connections(first: 10, status: $status) { edges { node { name } } } }`, { status }))
        .connections.edges.map((edge: { node: { name: string } }) => edge.node.name);
    expect(await list()).toEqual(['two', 'one']);
    expect(await list('PAUSED')).toEqual(['one']);
    expect(await list('DISABLED')).toEqual([]);
  });

  it('deletes a connection with its secrets and rules', async () => {
    const { id, secret } = await server.seedWorkspace();
    const { connection } = await create(secret, { name: 'gone soon' });
    await secret.request(`mutation ($input: CreateRuleInput!) { createRule(input: $input) { __typename } }`, {
      input: { name: 'to gone', eventTypes: ['*'], connectionId: connection.id },
    });
    const del = `mutation ($id: ID!) { deleteConnection(input: { id: $id }) { __typename ... on DeleteConnectionPayload { deletedId } ${ERRORS} } }`;
    expect((await secret.request(del, { id: connection.id })).deleteConnection).toEqual({
      __typename: 'DeleteConnectionPayload',
      deletedId: connection.id,
    });
    expect((await secret.request(GET, { id: connection.id })).connection).toEqual({
      __typename: 'NotFoundError',
      resource: 'Connection',
      missingId: connection.id,
    });
    expect((await secret.request(del, { id: connection.id })).deleteConnection.__typename).toBe('NotFoundError');
    expect(await rows('connection_secrets', id)).toBe(0);
    const rules = await db.query('select count(*)::int as n from rules where workspace_id = $1', [decodeId('Workspace', id)]);
    expect(rules.rows[0].n).toBe(0);
  });
});

describe('rotateConnectionSecret', () => {
  const ROTATE = `mutation ($input: RotateConnectionSecretInput!) { rotateConnectionSecret(input: $input) {
    __typename ... on RotateConnectionSecretPayload { signingSecret connection { signingSecretHint } } ${ERRORS} } }`;

  /** The connection's secrets, oldest first, as hints and the seconds each has left (null: no end). */
  const storedSecrets = async (connectionId: string) =>
    (await db.query<{ hint: string; left: number | null }>(
      `select hint, round(extract(epoch from expires_at - now()))::int as left from connection_secrets
       where connection_id = $1 order by created_at, id`, [connectionId])).rows;

  it('keeps the old secret for the overlap asked for, and ends it at once when asked', async () => {
    const { secret } = await server.seedWorkspace();
    const created = await create(secret, { name: 'rotating' });
    const connectionId = decodeId('Connection', created.connection.id);

    const { rotateConnectionSecret } = await secret.request(ROTATE, { input: { connectionId: created.connection.id } });
    expect(rotateConnectionSecret.signingSecret).toMatch(/^whsec_/);
    expect(rotateConnectionSecret.signingSecret).not.toBe(created.signingSecret);
    expect(rotateConnectionSecret.connection.signingSecretHint).toBe(`whsec_…${rotateConnectionSecret.signingSecret.slice(-4)}`);
    const [old, current] = await storedSecrets(connectionId);
    expect([old!.hint, current!.hint]).toEqual([secretHint(created.signingSecret), secretHint(rotateConnectionSecret.signingSecret)]);
    expect(old!.left).toBeGreaterThan(86_390);
    expect(old!.left).toBeLessThanOrEqual(86_400);
    expect(current!.left).toBeNull();

    const now = await secret.request(ROTATE, { input: { connectionId: created.connection.id, expireCurrentInSeconds: 0 } });
    const after = await storedSecrets(connectionId);
    expect(after.map((row) => row.hint)).toEqual([created, rotateConnectionSecret, now.rotateConnectionSecret].map((r) => secretHint(r.signingSecret)));
    expect(after.map((row) => row.left === null || row.left <= 0)).toEqual([true, true, true]);
    expect(after.at(-1)!.left).toBeNull();
  });

  it('refuses an overlap beyond 7 days or below 0', async () => {
    const { secret } = await server.seedWorkspace();
    const { connection } = await create(secret, { name: 'bounded' });
    for (const expireCurrentInSeconds of [-1, 7 * 86400 + 1]) {
      const { rotateConnectionSecret } = await secret.request(ROTATE, { input: { connectionId: connection.id, expireCurrentInSeconds } });
      expect(paths(rotateConnectionSecret)).toEqual(['input.expireCurrentInSeconds']);
    }
  });
});
