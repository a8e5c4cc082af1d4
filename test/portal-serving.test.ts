import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import { openPortalSession, setPortalSettings } from './helpers/portal.ts';

const server = await startTestServer();
const base = server.switchyard.url!;

function bootstrapOf(html: string): unknown {
  const json = html.match(/<script type="application\/json" id="portal-bootstrap">(.*?)<\/script>/)?.[1];
  return json ? JSON.parse(json) : null;
}

describe('serving the portal', () => {
  it("frames a session's page only from the workspace's allowed origins, 'self' when it has none", async () => {
    const ws = await server.seedWorkspace();
    const session = await openPortalSession(ws.secret);
    const page = new URL(session.url);
    const before = await fetch(page);
    expect(before.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    await setPortalSettings(ws.secret, { allowedOrigins: ['https://app.example.com', 'https://*.example.org:8443'] });
    const after = await fetch(page);
    expect(after.status).toBe(200);
    const policy = after.headers.get('content-security-policy')!;
    expect(policy).toContain('frame-ancestors https://app.example.com https://*.example.org:8443');
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(after.headers.get('cache-control')).toBe('no-store');
    expect(after.headers.get('referrer-policy')).toBe('no-referrer');
    expect(bootstrapOf(await after.text())).toEqual({ sessionId: session.sessionId, state: 'ACTIVE' });
  });

  it('tells the page before any script runs that a session was revoked, and frames an unknown one from itself only', async () => {
    const ws = await server.seedWorkspace();
    await setPortalSettings(ws.secret, { allowedOrigins: ['https://app.example.com'] });
    const session = await openPortalSession(ws.secret);
    await ws.secret.request(`mutation { revokePortalSessions(input: {}) { __typename } }`);
    const revoked = await fetch(new URL(session.url));
    expect(revoked.headers.get('content-security-policy')).toContain('frame-ancestors https://app.example.com');
    expect(bootstrapOf(await revoked.text())).toEqual({ sessionId: session.sessionId, state: 'REVOKED' });
    const unknown = await fetch(`${base}/portal/s/ps_0000000000000000000000000000000a`);
    expect(unknown.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    expect(bootstrapOf(await unknown.text())).toMatchObject({ state: 'UNKNOWN' });
  });

  it('serves the app under the session path for its own routes, and hashed assets cached for a year', async () => {
    const ws = await server.seedWorkspace();
    const session = await openPortalSession(ws.secret);
    const deep = await fetch(`${base}/portal/s/${session.sessionId}/deliveries/msg_123`);
    expect(deep.status).toBe(200);
    const html = await deep.text();
    const script = html.match(/src="(\/portal\/assets\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${base}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${base}/portal/assets/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${base}/portal/assets/nothing-here.js`)).status).toBe(404);
    expect((await fetch(`${base}/portal`, { method: 'POST' })).status).toBe(405);
  });
});

describe('updatePortalSettings', () => {
  const UPDATE = `mutation ($input: UpdatePortalSettingsInput!) { updatePortalSettings(input: $input) {
    __typename ... on ValidationError { issues { path message } } } }`;

  it('refuses what is not an origin, a hex colour or an https logo, naming each field', async () => {
    const ws = await server.seedWorkspace();
    const { updatePortalSettings } = await ws.secret.request(UPDATE, {
      input: { allowedOrigins: ['https://app.example.com/path', "'unsafe-inline'"], brandColor: 'red', logoUrl: 'http://cdn.example.com/logo.png', displayName: '' },
    });
    expect(updatePortalSettings.issues.map((issue: { path: string[] }) => issue.path.join('.'))).toEqual([
      'input.allowedOrigins.0',
      'input.allowedOrigins.1',
      'input.displayName',
      'input.brandColor',
      'input.logoUrl',
    ]);
  });

  it('keeps what is left out, clears what is null, and is shown to the portal', async () => {
    const ws = await server.seedWorkspace();
    await setPortalSettings(ws.secret, { displayName: 'Acme', brandColor: '#FF5500', allowedOrigins: ['HTTPS://App.Example.com:443'] });
    const result = await setPortalSettings(ws.secret, { logoUrl: 'https://cdn.example.com/logo.png', displayName: null });
    expect(result.portalSettings).toEqual({
      allowedOrigins: ['https://app.example.com'],
      displayName: null,
      brandColor: '#ff5500',
      logoUrl: 'https://cdn.example.com/logo.png',
    });
    const portal = server.as((await openPortalSession(ws.secret, { capabilities: ['VIEW'] })).token);
    const { workspace } = await portal.request(`{ workspace { portalSettings { brandColor logoUrl } } }`);
    expect(workspace.portalSettings).toEqual({ brandColor: '#ff5500', logoUrl: 'https://cdn.example.com/logo.png' });
  });
});
