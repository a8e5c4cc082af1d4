import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser.ts';
import { deliveryReaches, emit, eventually } from './helpers/fixtures.ts';
import { startHubSpotContract, uniqueEmail } from './helpers/hubspot-contract.ts';
import { AUTHORIZE, startOAuthTestServer } from './helpers/oauth-connections.ts';
import { openPortalSession, setPortalSettings } from './helpers/portal.ts';
import { startSlackContract } from './helpers/slack-contract.ts';
import type { SeededWorkspace } from './helpers/server.ts';
import { decodeId } from '../src/domains/public-ids.ts';

const hubspot = await startHubSpotContract();
const slack = await startSlackContract();
const { server, db } = await startOAuthTestServer({ hubspot, slack });
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

async function openPortal(url: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
  await page.goto(url);
  return page;
}

const CONNECTION = `query ($id: ID!) { connection(id: $id) { ... on Connection { id name status hubspot { auth action } slack { mode channel } } } }`;

/** On the provider's consent page (served by its contract server on 127.0.0.1), presses Allow. */
async function consentOnProviderPage(page: Page, provider: { server: { origin: string } }): Promise<void> {
  await page.waitForURL((url) => url.origin === provider.server.origin, { timeout: 15_000 });
  await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
  await page.getByRole('button', { name: 'Allow' }).click();
}

async function endpointShownActive(page: Page, name: string, said: string): Promise<string> {
  await page.waitForURL((url) => url.pathname.includes('/endpoints/'), { timeout: 15_000 });
  await page.getByRole('heading', { name }).waitFor();
  await expect.poll(() => page.locator('[role="status"][aria-live="polite"]').textContent(), { timeout: 10_000 }).toContain(said);
  await expect.poll(() => page.locator('.scene-header').textContent()).toContain('Active');
  // The outcome is said once, and taken off the address.
  expect(new URL(page.url()).search).toBe('');
  return decodeURIComponent(new URL(page.url()).pathname.split('/endpoints/')[1]!);
}

describe('OAuth endpoints in the portal', () => {
  it('adds a HubSpot endpoint through HubSpot\'s consent page, comes back to it ACTIVE, and delivers to it', async () => {
    const ws = await server.seedWorkspace();
    const page = await openPortal((await openPortalSession(ws.secret)).url);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add endpoint' });
    await dialog.getByRole('radio', { name: /^HubSpot/ }).check();
    await dialog.getByRole('radio', { name: /^Your HubSpot login/ }).check();
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();

    await consentOnProviderPage(page, hubspot);
    const id = await endpointShownActive(page, 'HubSpot contacts', 'Connected to HubSpot');
    const { connection } = await ws.secret.request(CONNECTION, { id });
    expect(connection).toMatchObject({ name: 'HubSpot contacts', status: 'ACTIVE', hubspot: { auth: 'OAUTH', action: 'UPSERT_CONTACT' } });

    const email = uniqueEmail('portal');
    const { event } = await emit(ws.secret, { type: 'customer.created', payload: { email, firstName: 'Grace' } });
    await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED', 15_000);
    expect(hubspot.contacts.get(email)?.properties.firstname).toBe('Grace');
  });

  it('offers "Reconnect" on an endpoint whose grant was revoked, and what waited goes out after the new consent', async () => {
    const ws = await server.seedWorkspace();
    const page = await openPortal((await openPortalSession(ws.secret)).url);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add endpoint' });
    await dialog.getByRole('radio', { name: /^Slack/ }).check();
    await dialog.getByRole('radio', { name: /^Add to Slack/ }).check();
    const channel = slack.addChannel('portal-alerts');
    await dialog.getByRole('textbox', { name: 'Channel' }).fill(channel);
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await consentOnProviderPage(page, slack);
    const id = await endpointShownActive(page, `Slack ${channel}`, 'Connected to Slack');

    // The workspace uninstalls the app: the next delivery finds its tokens refused.
    slack.oauth.revokeGrants();
    const { event } = await emit(ws.secret, { type: 'deploy.finished' });
    await eventually(async () => ((await ws.secret.request(CONNECTION, { id })).connection.status === 'NEEDS_REAUTH' ? true : undefined), 15_000, 'NEEDS_REAUTH');

    await page.reload();
    const banner = page.getByRole('alert').filter({ hasText: 'needs reconnecting' });
    await expect.poll(() => banner.textContent(), { timeout: 10_000 }).toContain('once it is reconnected to Slack');
    expect(await banner.getByRole('button', { name: 'Resume' }).count()).toBe(0);
    await banner.getByRole('button', { name: 'Reconnect' }).click();
    await consentOnProviderPage(page, slack);
    await endpointShownActive(page, `Slack ${channel}`, 'Connected to Slack');
    await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED', 15_000);
    expect(slack.messages.filter((message) => message.channel === channel)).toHaveLength(1);
  });

  it('shows no "Reconnect" to a read-only session', async () => {
    const ws = await server.seedWorkspace();
    const { createConnection } = await ws.secret.request(
      `mutation { createConnection(input: { name: "CRM", kind: HUBSPOT, hubspot: {} }) { ... on CreateConnectionPayload { connection { id } } } }`,
    );
    const page = await openPortal((await openPortalSession(ws.secret, { capabilities: ['VIEW'] })).url);
    await page.getByRole('link', { name: 'CRM', exact: true }).first().click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('reconnected to HubSpot');
    expect(await page.getByRole('button', { name: 'Reconnect' }).count()).toBe(0);
    expect(createConnection.connection.id).toMatch(/^conn_/);
  });
});

describe('authorizeConnection from a portal session', () => {
  let ws: SeededWorkspace;
  let connectionId: string;
  beforeAll(async () => {
    ws = await server.seedWorkspace();
    const { createConnection } = await ws.secret.request(
      `mutation { createConnection(input: { name: "CRM", kind: HUBSPOT, hubspot: {} }) { ... on CreateConnectionPayload { connection { id } } } }`,
    );
    connectionId = createConnection.connection.id;
    await setPortalSettings(ws.secret, { allowedOrigins: ['https://app.example.com', 'https://*.customers.example.com'] });
  });
  const asPortal = async (capabilities?: string[]) => server.as((await openPortalSession(ws.secret, capabilities ? { capabilities } : {})).token);
  const ask = async (client: Awaited<ReturnType<typeof asPortal>>, returnUrl: string, id = connectionId) =>
    (await client.raw<{ authorizeConnection: Record<string, unknown> }>(AUTHORIZE, { input: { connectionId: id, returnUrl } }));

  it('leads back only to the portal or to an origin the workspace allows, never to a foreign host', async () => {
    const portal = await asPortal();
    const ownUrl = server.switchyard.url!;
    const portalUrl = `${ownUrl}/portal/s/x/endpoints/${connectionId}`;
    for (const allowed of [portalUrl, 'https://app.example.com/settings?tab=crm', 'https://acme.customers.example.com/integrations']) {
      expect((await ask(portal, allowed)).data?.authorizeConnection, allowed).toMatchObject({ authorizationUrl: expect.stringContaining(hubspot.authorizeUrl) });
    }
    for (const foreign of [
      'https://evil.example.net/phish',
      'https://app.example.com.evil.example.net/',
      'http://app.example.com/settings',
      'https://customers.example.com/',
      `${ownUrl}/graphql`,
      `${ownUrl.replace('127.0.0.1', 'localhost')}/portal/`,
    ]) {
      expect((await ask(portal, foreign)).data?.authorizeConnection, foreign).toMatchObject({
        issues: [{ path: ['input', 'returnUrl'], message: expect.stringContaining('must lead back to the portal') }],
      });
    }
    // Nothing was started for the refused ones: only the three allowed consents are pending.
    const { rows } = await db.query(`select count(*)::int as n from oauth_states where connection_id = $1`, [decodeId('Connection', connectionId)]);
    expect(rows[0].n).toBe(3);
    // The product's own secret key chooses its own pages.
    expect((await ask(ws.secret, 'https://elsewhere.example.org/done')).data?.authorizeConnection).toMatchObject({ authorizationUrl: expect.any(String) });
  });

  it('needs MANAGE_ENDPOINTS, and keeps another workspace\'s connections out', async () => {
    const readOnly = await ask(await asPortal(['VIEW', 'REPLAY']), `${server.switchyard.url!}/portal/`);
    expect(readOnly.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const other = await server.seedWorkspace();
    const { createConnection } = await other.secret.request(
      `mutation { createConnection(input: { name: "Theirs", kind: HUBSPOT, hubspot: {} }) { ... on CreateConnectionPayload { connection { id } } } }`,
    );
    const theirs = await ask(await asPortal(), `${server.switchyard.url!}/portal/`, createConnection.connection.id);
    expect(theirs.data?.authorizeConnection).toMatchObject({ __typename: 'NotFoundError' });
    const credentials = await (await asPortal()).raw(
      `mutation ($input: SetConnectionCredentialsInput!) { setConnectionCredentials(input: $input) { __typename } }`,
      { input: { connectionId, accessToken: 'CJ-portal-token' } },
    );
    expect(credentials.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
