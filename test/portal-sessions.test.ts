import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestServer } from './helpers/server.ts';
import { createWebhook, emit } from './helpers/fixtures.ts';
import { openPortalSession } from './helpers/portal.ts';

const server = await startTestServer();
const db = new pg.Client(server.databaseUrl);
await db.connect();
afterAll(() => db.end());

const CONNECTIONS = `{ connections { edges { node { id name } } } }`;
const REVOKE = `mutation ($input: RevokePortalSessionsInput!) { revokePortalSessions(input: $input) {
  ... on RevokePortalSessionsPayload { revokedSessionIds } } }`;

function codeOf(response: { errors?: readonly { extensions?: Record<string, unknown> }[] }): unknown {
  return response.errors?.[0]?.extensions?.code;
}

describe('createPortalSession', () => {
  it('returns a URL with the session id in the path and the token only in the fragment', async () => {
    const ws = await server.seedWorkspace();
    const before = Date.now();
    const session = await openPortalSession(ws.secret);
    const url = new URL(session.url);
    expect(url.pathname).toBe(`/portal/s/${session.sessionId}`);
    expect(url.search).toBe('');
    expect(url.hash).toBe(`#${session.token}`);
    expect(session.token).toMatch(/^sy_ps_[A-Za-z0-9_-]{43}$/);
    expect(session.sessionId).toMatch(/^ps_[0-9a-f]{32}$/);
    expect(session.capabilities).toEqual(['VIEW', 'MANAGE_ENDPOINTS', 'VIEW_SECRETS', 'MANAGE_SECRETS', 'REPLAY', 'SEND_TEST']);
    const lifetime = new Date(session.expiresAt).getTime() - before;
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThan(3610_000);
  });

  it('stores only the hash of the token', async () => {
    const ws = await server.seedWorkspace();
    const session = await openPortalSession(ws.secret);
    const { rows } = await db.query(`select * from portal_sessions where token_hash is not null`);
    expect(JSON.stringify(rows)).not.toContain(session.token);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('always grants VIEW and keeps the capabilities asked for', async () => {
    const ws = await server.seedWorkspace();
    const session = await openPortalSession(ws.secret, { capabilities: ['REPLAY', 'REPLAY'] });
    expect(session.capabilities).toEqual(['VIEW', 'REPLAY']);
  });

  it('refuses a life shorter than 5 minutes or longer than 7 days, naming the field', async () => {
    const ws = await server.seedWorkspace();
    for (const expiresInSeconds of [299, 604_801]) {
      const { createPortalSession } = await ws.secret.request(
        `mutation ($input: CreatePortalSessionInput!) { createPortalSession(input: $input) { __typename ... on ValidationError { issues { path } } } }`,
        { input: { expiresInSeconds } },
      );
      expect(createPortalSession).toEqual({ __typename: 'ValidationError', issues: [{ path: ['input', 'expiresInSeconds'] }] });
    }
  });

  it('refuses a returnUrl that is not http(s)', async () => {
    const ws = await server.seedWorkspace();
    const { createPortalSession } = await ws.secret.request(
      `mutation ($input: CreatePortalSessionInput!) { createPortalSession(input: $input) { __typename ... on ValidationError { issues { path } } } }`,
      { input: { returnUrl: 'javascript:alert(1)' } },
    );
    expect(createPortalSession.issues).toEqual([{ path: ['input', 'returnUrl'] }]);
  });

  it('builds the URL on SWITCHYARD_PUBLIC_URL when it is set', async () => {
    const other = await startTestServer({ publicUrl: 'https://hooks.example.com' });
    const ws = await other.seedWorkspace();
    const session = await openPortalSession(ws.secret);
    expect(session.url).toBe(`https://hooks.example.com/portal/s/${session.sessionId}#${session.token}`);
  });

  it('is refused to publishable keys, portal tokens and the admin key', async () => {
    const ws = await server.seedWorkspace();
    const session = await openPortalSession(ws.secret);
    for (const key of [ws.publishableKey, session.token]) {
      const response = await server.as(key).raw(`mutation { createPortalSession(input: {}) { __typename } }`);
      expect(codeOf(response)).toBe('FORBIDDEN');
    }
    expect(codeOf(await server.admin.raw(`mutation { createPortalSession(input: {}) { __typename } }`))).toBe('FORBIDDEN');
  });
});

describe('a portal token', () => {
  it('reads its workspace, and its session says what it may do', async () => {
    const ws = await server.seedWorkspace();
    await createWebhook(ws.secret, 'https://hooks.example.com/a', { name: 'mine' });
    const session = await openPortalSession(ws.secret, { capabilities: ['VIEW'], returnUrl: 'https://app.example.com/settings' });
    const portal = server.as(session.token);
    const data = await portal.request(`{ connections { edges { node { name } } } portalSession { id capabilities returnUrl } workspace { id } }`);
    expect(data.connections.edges.map((edge: { node: { name: string } }) => edge.node.name)).toEqual(['mine']);
    expect(data.portalSession).toEqual({ id: session.sessionId, capabilities: ['VIEW'], returnUrl: 'https://app.example.com/settings' });
    expect(data.workspace.id).toBe(ws.id);
  });

  it('never emits events, manages keys, rules, settings or sessions, whatever its capabilities', async () => {
    const ws = await server.seedWorkspace();
    const session = await openPortalSession(ws.secret);
    const portal = server.as(session.token);
    const forbidden = [
      `mutation { emitEvent(input: { type: "order.completed", payload: {} }) { __typename } }`,
      `mutation { emitEvents(input: { events: [{ type: "order.completed", payload: {} }] }) { __typename } }`,
      `mutation { createApiKey(input: { name: "x", kind: SECRET }) { __typename } }`,
      `{ apiKeys { edges { node { id } } } }`,
      `{ rules { edges { node { id } } } }`,
      `mutation { upsertEventType(input: { name: "order.completed" }) { __typename } }`,
      `mutation { updatePortalSettings(input: { displayName: "x" }) { __typename } }`,
      `mutation { revokePortalSessions(input: {}) { __typename } }`,
      `mutation { createWorkspace(input: { name: "x" }) { __typename } }`,
    ];
    for (const query of forbidden) expect(codeOf(await portal.raw(query)), query).toBe('FORBIDDEN');
  });

  it('of a [VIEW] session is refused every change', async () => {
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, 'https://hooks.example.com/a');
    const session = await openPortalSession(ws.secret, { capabilities: ['VIEW'] });
    const portal = server.as(session.token);
    const changes = [
      `mutation { createConnection(input: { name: "x", kind: WEBHOOK, webhook: { url: "https://hooks.example.com/b" } }) { __typename } }`,
      `mutation { updateConnection(input: { id: "${hook.id}", name: "y" }) { __typename } }`,
      `mutation { pauseConnection(input: { id: "${hook.id}" }) { __typename } }`,
      `mutation { deleteConnection(input: { id: "${hook.id}" }) { __typename } }`,
      `mutation { revealConnectionSecret(input: { connectionId: "${hook.id}" }) { __typename } }`,
      `mutation { rotateConnectionSecret(input: { connectionId: "${hook.id}" }) { __typename } }`,
      `mutation { replayDeliveries(input: {}) { __typename } }`,
      `mutation { sendTestEvent(input: { connectionId: "${hook.id}", type: "order.completed" }) { __typename } }`,
    ];
    for (const query of changes) {
      const response = await portal.raw(query);
      expect(codeOf(response), query).toBe('FORBIDDEN');
      // It says which capability would do, and what the session has.
      expect(response.errors?.[0]?.message).toMatch(/needs .*a portal session with the [A-Z_]+ capability; this request used a portal session with VIEW$/);
    }
    const { rows } = await db.query(`select name, status from connections where id = $1`, [hook.id.replace(/^conn_(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')]);
    expect(rows).toEqual([{ name: expect.any(String), status: 'ACTIVE' }]);
  });

  it('with one capability may do that and nothing else', async () => {
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, 'https://hooks.example.com/a');
    const session = await openPortalSession(ws.secret, { capabilities: ['VIEW_SECRETS'] });
    const portal = server.as(session.token);
    const { revealConnectionSecret } = await portal.request(
      `mutation ($id: ID!) { revealConnectionSecret(input: { connectionId: $id }) { ... on RevealConnectionSecretPayload { signingSecret } } }`,
      { id: hook.id },
    );
    expect(revealConnectionSecret.signingSecret).toBe(hook.signingSecret);
    expect(codeOf(await portal.raw(`mutation { rotateConnectionSecret(input: { connectionId: "${hook.id}" }) { __typename } }`))).toBe('FORBIDDEN');
  });

  it('of workspace A sees nothing of workspace B', async () => {
    const a = await server.seedWorkspace();
    const b = await server.seedWorkspace();
    const theirs = await createWebhook(b.secret, 'https://hooks.example.com/b', { name: 'theirs' });
    const event = await emit(b.secret, { type: 'order.completed', payload: {} });
    const portal = server.as((await openPortalSession(a.secret)).token);
    expect((await portal.request(CONNECTIONS)).connections.edges).toEqual([]);
    const found = await portal.request(
      `query ($c: ID!, $e: ID!) {
         connection(id: $c) { __typename }
         event(id: $e) { __typename }
         deliveries { edges { node { id } } }
         revealConnectionSecret: connection(id: $c) { __typename } }`,
      { c: theirs.id, e: event.event.id },
    );
    expect(found).toEqual({
      connection: { __typename: 'NotFoundError' },
      event: { __typename: 'NotFoundError' },
      deliveries: { edges: [] },
      revealConnectionSecret: { __typename: 'NotFoundError' },
    });
    const { revealConnectionSecret } = await portal.request(
      `mutation ($id: ID!) { revealConnectionSecret(input: { connectionId: $id }) { __typename } }`,
      { id: theirs.id },
    );
    expect(revealConnectionSecret.__typename).toBe('NotFoundError');
  });

  it('stops working once its session expires', async () => {
    const ws = await server.seedWorkspace();
    const session = await openPortalSession(ws.secret);
    const portal = server.as(session.token);
    await portal.request(CONNECTIONS);
    await db.query(`update portal_sessions set expires_at = now() - interval '1 second' where token_hash = encode(sha256($1::bytea), 'hex')`, [session.token]);
    expect(codeOf(await portal.raw(CONNECTIONS))).toBe('UNAUTHENTICATED');
  });
});

describe('revokePortalSessions', () => {
  it('revokes the sessions named, and leaves the others', async () => {
    const ws = await server.seedWorkspace();
    const first = await openPortalSession(ws.secret);
    const second = await openPortalSession(ws.secret);
    const { revokePortalSessions } = await ws.secret.request(REVOKE, { input: { sessionIds: [first.sessionId] } });
    expect(revokePortalSessions.revokedSessionIds).toEqual([first.sessionId]);
    expect(codeOf(await server.as(first.token).raw(CONNECTIONS))).toBe('UNAUTHENTICATED');
    expect((await server.as(second.token).raw(CONNECTIONS)).errors).toBeUndefined();
  });

  it('revokes every session of the workspace when none is named, and none of another workspace', async () => {
    const ws = await server.seedWorkspace();
    const other = await server.seedWorkspace();
    const mine = [await openPortalSession(ws.secret), await openPortalSession(ws.secret)];
    const theirs = await openPortalSession(other.secret);
    const { revokePortalSessions } = await ws.secret.request(REVOKE, { input: {} });
    expect(revokePortalSessions.revokedSessionIds.sort()).toEqual(mine.map((session) => session.sessionId).sort());
    for (const session of mine) expect(codeOf(await server.as(session.token).raw(CONNECTIONS))).toBe('UNAUTHENTICATED');
    expect((await server.as(theirs.token).raw(CONNECTIONS)).errors).toBeUndefined();
  });

  it("cannot revoke another workspace's session by its id", async () => {
    const ws = await server.seedWorkspace();
    const other = await server.seedWorkspace();
    const theirs = await openPortalSession(other.secret);
    const { revokePortalSessions } = await ws.secret.request(REVOKE, { input: { sessionIds: [theirs.sessionId, 'ps_nonsense'] } });
    expect(revokePortalSessions.revokedSessionIds).toEqual([]);
    expect((await server.as(theirs.token).raw(CONNECTIONS)).errors).toBeUndefined();
  });
});

describe('the SDK', () => {
  it('opens a portal session, sets the portal settings and revokes the session', async () => {
    const { createClient } = await import('../sdk/src/index.ts');
    const ws = await server.seedWorkspace();
    const switchyard = createClient({ url: server.switchyard.url!, apiKey: ws.secretKey });
    const settings = await switchyard.portal.updateSettings({ allowedOrigins: ['https://app.example.com'], displayName: 'Acme' });
    expect(settings).toEqual({ allowedOrigins: ['https://app.example.com'], displayName: 'Acme', brandColor: null, logoUrl: null });
    const session = await switchyard.portal.createSession({ capabilities: ['VIEW', 'REPLAY'], expiresInSeconds: 600 });
    expect(session.capabilities).toEqual(['VIEW', 'REPLAY']);
    expect((await server.as(session.token).raw(CONNECTIONS)).errors).toBeUndefined();
    expect(await switchyard.portal.revokeSessions([session.sessionId])).toEqual([session.sessionId]);
    expect(codeOf(await server.as(session.token).raw(CONNECTIONS))).toBe('UNAUTHENTICATED');
    await switchyard.close();
  });
});

describe('a portal session stream', () => {
  it('is closed with 4403 when its session expires', async () => {
    const { default: WebSocket } = await import('ws');
    const ws = await server.seedWorkspace();
    const session = await openPortalSession(ws.secret);
    await db.query(`update portal_sessions set expires_at = now() + interval '1500 milliseconds' where token_hash = encode(sha256($1::bytea), 'hex')`, [session.token]);
    const socket = new WebSocket(server.url.replace('http', 'ws'), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((resolve) => socket.on('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${session.token}` } }));
    const acked = await new Promise<string>((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)).type)));
    expect(acked).toBe('connection_ack');
    const started = Date.now();
    expect(await closed).toBe(4403);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
