import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { Browser, Page } from 'playwright-core';
import pg from 'pg';
import { launchBrowser } from './helpers/browser.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { startTestServer } from './helpers/server.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { createRule, createWebhook, deliveryReaches, emit, eventually, getDelivery, setPaused } from './helpers/fixtures.ts';
import { openPortalSession, setPortalSettings } from './helpers/portal.ts';

const server = await startTestServer({ allowPrivateTargets: true });
let browser: Browser;
let receiver: Receiver;
beforeAll(async () => {
  browser = await launchBrowser();
  receiver = await startReceiver();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await receiver?.close();
});

/**
 * Screenshots for the README: `SWITCHYARD_SCREENSHOTS=docs/screenshots` (npm run screenshots)
 * writes them there; otherwise they go to a temporary folder, taken and checked all the same.
 */
const screenshots = process.env.SWITCHYARD_SCREENSHOTS ?? join(tmpdir(), `switchyard-screenshots-${process.pid}`);
mkdirSync(screenshots, { recursive: true });

async function shoot(page: Page, name: string): Promise<void> {
  const png = await page.screenshot({ fullPage: true });
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  writeFileSync(join(screenshots, `${name}.png`), png);
}

async function openPortal(url: string, options: { width?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1100, height: 800 }, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

const ownSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

async function catalog(secret: { request: (query: string, variables?: Record<string, unknown>) => Promise<unknown> }, names: string[]) {
  for (const name of names) {
    await secret.request(
      `mutation ($input: UpsertEventTypeInput!) { upsertEventType(input: $input) { __typename } }`,
      { input: { name, description: `When ${name.split('.')[0]} happens`, schema: { type: 'object', properties: { total: { type: 'integer', examples: [42] } } } } },
    );
  }
}

describe('the portal in a browser', () => {
  it("adds an endpoint with the customer's own secret, sends a test event, shows it arrive live and its attempt; the receiver verifies the signature", async () => {
    const ws = await server.seedWorkspace();
    await catalog(ws.secret, ['order.completed', 'invoice.paid']);
    const session = await openPortalSession(ws.secret);
    const page = await openPortal(session.url);
    await expect.poll(() => page.url()).not.toContain('#');
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(session.token);

    const secret = ownSecret();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add endpoint' });
    await dialog.getByLabel('URL', { exact: true }).fill(receiver.url('/portal-hook'));
    await dialog.getByLabel('Name').fill('Order sync');
    await dialog.getByRole('radio', { name: 'Use my own secret' }).check();
    await dialog.getByLabel('Your signing secret').fill(secret);
    await dialog.getByRole('checkbox', { name: 'All event types' }).uncheck();
    await dialog.getByRole('checkbox', { name: /order\.completed/ }).check();
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    const added = page.getByRole('dialog', { name: 'Endpoint added' });
    await expect.poll(() => added.textContent()).toContain(secret);
    await added.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('heading', { name: 'Order sync' }).waitFor();
    await page.getByRole('button', { name: 'Reveal' }).click();
    await expect.poll(() => page.getByLabel('Signing secret', { exact: true }).and(page.locator('code')).textContent()).toBe(secret);

    await page.getByRole('button', { name: 'Send test event' }).click();
    // The delivery appears in the endpoint's log without a reload, and succeeds.
    const row = page.locator('table.deliveries tbody tr').first();
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('Succeeded');
    const [request] = await receiver.waitForRequests(1);
    const verified = new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>) as { type: string; test?: boolean; data: unknown };
    expect(verified).toMatchObject({ type: 'order.completed', test: true, data: { total: 42 } });

    await row.getByRole('link', { name: 'order.completed' }).click();
    await page.getByRole('heading', { name: 'Attempts' }).waitFor();
    const attempt = page.locator('details.attempt').first();
    await expect.poll(() => attempt.textContent()).toContain('HTTP 200');
    expect(await attempt.getByLabel('Request headers').textContent()).toContain(`webhook-signature: ${request!.headers['webhook-signature']}`);
    expect(JSON.parse((await attempt.getByLabel('Request body').textContent())!)).toEqual(JSON.parse(request!.body));
  });

  it('replays a failed delivery from the page, and "Replay all failed" replays exactly the filter', async () => {
    const ws = await server.seedWorkspace();
    receiver.script({ '/fails': { status: 500, body: 'down for maintenance' } });
    const hook = await createWebhook(ws.secret, receiver.url('/fails'), { name: 'flaky', retryScheduleSeconds: [0] });
    await createRule(ws.secret, hook.id, ['*']);
    const orders = [await emit(ws.secret, { type: 'order.completed', payload: {} }), await emit(ws.secret, { type: 'order.completed', payload: {} })];
    const invoice = await emit(ws.secret, { type: 'invoice.paid', payload: {} });
    const ids = [...orders, invoice].map((emitted) => emitted.event.deliveries[0]!.id);
    for (const id of ids) await deliveryReaches(ws.secret, id, 'DEAD');

    const page = await openPortal((await openPortalSession(ws.secret)).url);
    await page.goto(`${new URL(page.url()).origin}${new URL(page.url()).pathname}/deliveries/${ids[2]}`);
    await page.getByRole('button', { name: 'Replay' }).click();
    await eventually(async () => ((await getDelivery(ws.secret, ids[2]!)).replays === 1 ? true : undefined), 10_000, 'the replay');
    await expect.poll(() => page.locator('details.attempt').count(), { timeout: 10_000 }).toBe(2);

    await page.getByRole('link', { name: 'Delivery log' }).first().click();
    await page.getByLabel('Event type').fill('order.completed');
    await page.getByLabel('Status').selectOption('DEAD');
    await expect.poll(() => page.locator('table.deliveries tbody tr').count()).toBe(2);
    expect(page.url()).toContain('eventType=order.completed');
    await page.getByRole('button', { name: 'Replay all failed' }).click();
    await page.getByRole('dialog', { name: 'Replay all failed' }).getByRole('button', { name: 'Replay all failed' }).click();
    await page.getByText('Replaying 2 failed deliveries').first().waitFor();
    for (const id of ids.slice(0, 2)) {
      await eventually(async () => ((await getDelivery(ws.secret, id)).replays === 1 ? true : undefined), 10_000, `replay of ${id}`);
    }
    expect((await getDelivery(ws.secret, ids[2]!)).replays).toBe(1);
  });

  it("shows new deliveries live in the log, a paused endpoint's too, as its filters select them, and a delivery erasure stopped as failed", async () => {
    const ws = await server.seedWorkspace();
    const paused = await createWebhook(ws.secret, receiver.url('/paused-live'), { name: 'Paused sink' });
    await setPaused(ws.secret, paused.id, true);
    await createRule(ws.secret, paused.id, ['*']);
    const page = await openPortal((await openPortalSession(ws.secret)).url);
    await page.goto(`${new URL(page.url()).origin}${new URL(page.url()).pathname}/deliveries?eventType=order.completed`);
    await page.getByText('No deliveries match these filters yet.').waitFor();
    await page.evaluate(() => ((window as unknown as { unreloaded: boolean }).unreloaded = true));

    const rows = page.locator('table.deliveries tbody tr');
    const order = await emit(ws.secret, { type: 'order.completed', resource: 'customer', resourceId: 'cus_live', payload: {} });
    await emit(ws.secret, { type: 'invoice.paid', payload: {} });
    const row = page.locator(`tr[data-delivery="${order.event.deliveries[0]!.id}"]`);
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('Pending waiting');
    await emit(ws.secret, { type: 'order.completed', payload: {} });
    await expect.poll(() => rows.count()).toBe(2);
    // The invoice is not of the type filtered on: it is not shown.
    expect(await page.getByRole('link', { name: 'invoice.paid' }).count()).toBe(0);

    await ws.secret.request('mutation { eraseResource(input: { resource: "customer", resourceId: "cus_live" }) { __typename } }');
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('Failed');

    // With "Failed" selected, a new delivery joins the list once it fails, not while it is pending.
    await page.getByLabel('Status').selectOption('DEAD');
    await expect.poll(() => rows.count()).toBe(1);
    const next = await emit(ws.secret, { type: 'order.completed', resource: 'customer', resourceId: 'cus_next', payload: {} });
    await ws.secret.request('mutation { eraseResource(input: { resource: "customer", resourceId: "cus_next" }) { __typename } }');
    await page.locator(`tr[data-delivery="${next.event.deliveries[0]!.id}"]`).filter({ hasText: 'Failed' }).waitFor({ timeout: 10_000 });
    expect(await rows.count()).toBe(2);
    expect(await page.evaluate(() => (window as unknown as { unreloaded?: boolean }).unreloaded)).toBe(true);
  });

  it("lists no connection of the workspace's operator, and shows none of its deliveries in the log", async () => {
    const ws = await server.seedWorkspace();
    receiver.script({ '/shop-down': { status: 500, body: 'down' }, '/pager': { status: 200 } });
    const shop = await createWebhook(ws.secret, receiver.url('/shop-down'), { name: 'Shop orders', retryScheduleSeconds: [0] });
    await createRule(ws.secret, shop.id, ['order.*']);
    const pager = await createWebhook(ws.secret, receiver.url('/pager'), { name: 'Ops pager', owner: 'OPERATOR' });
    await createRule(ws.secret, pager.id, ['switchyard.**']);
    await createRule(ws.secret, pager.id, ['order.*']);
    const { event } = await emit(ws.secret, { type: 'order.completed', payload: {} });
    // The order reaches both; the shop's failure is reported to the pager as well.
    await eventually(async () => {
      const { deliveries } = await ws.secret.request(`query ($id: ID!) { deliveries(filter: { connectionId: $id, status: SUCCEEDED }) { edges { node { id } } } }`, { id: pager.id });
      return deliveries.edges.length === 2 ? true : undefined;
    }, 15_000, "the pager's two deliveries");
    await deliveryReaches(ws.secret, event.deliveries.find((delivery) => delivery.connection.id === shop.id)!.id, 'DEAD');

    const page = await openPortal((await openPortalSession(ws.secret)).url);
    await page.getByRole('link', { name: 'Shop orders' }).waitFor();
    expect(await page.getByText('Ops pager').count()).toBe(0);
    await page.getByRole('link', { name: 'Delivery log' }).first().click();
    const rows = page.locator('table.deliveries tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('Shop orders');
    expect(await page.getByLabel('Endpoint').locator('option').allTextContents()).toEqual(['Any endpoint', 'Shop orders']);
    expect(await page.locator('body').textContent()).not.toMatch(/Ops pager|switchyard\./);
  });

  it('filters the log by endpoint and by time, preset or custom', async () => {
    const ws = await server.seedWorkspace();
    receiver.script({ '/times': { status: 200 } });
    const early = await createWebhook(ws.secret, receiver.url('/times'), { name: 'Early bird' });
    await createRule(ws.secret, early.id, ['order.*']);
    const late = await createWebhook(ws.secret, receiver.url('/times'), { name: 'Night owl' });
    await createRule(ws.secret, late.id, ['invoice.*']);
    const old = await emit(ws.secret, { type: 'order.completed', payload: {} });
    const recent = await emit(ws.secret, { type: 'invoice.paid', payload: {} });
    await deliveryReaches(ws.secret, old.event.deliveries[0]!.id, 'SUCCEEDED');
    await deliveryReaches(ws.secret, recent.event.deliveries[0]!.id, 'SUCCEEDED');
    // Made two hours ago, as far as the log's time filter can tell.
    const db = new pg.Client(server.databaseUrl);
    await db.connect();
    await db.query(`update deliveries set created_at = now() - interval '2 hours' where id = $1`, [decodeId('Delivery', old.event.deliveries[0]!.id)]);
    await db.end();

    const page = await openPortal((await openPortalSession(ws.secret)).url);
    await page.getByRole('link', { name: 'Delivery log' }).first().click();
    const shown = async (count: number) => {
      const rows = page.locator('table.deliveries tbody tr');
      await expect.poll(() => rows.count()).toBe(count);
      return (await rows.allTextContents()).map((text) => (text.includes('Early bird') ? 'early' : 'late'));
    };
    expect(await shown(2)).toEqual(['late', 'early']);
    await page.getByLabel('Endpoint').selectOption({ label: 'Early bird' });
    expect(await shown(1)).toEqual(['early']);
    await page.getByLabel('Endpoint').selectOption({ label: 'Any endpoint' });
    await page.getByLabel('Time').selectOption({ label: 'Last hour' });
    expect(await shown(1)).toEqual(['late']);
    await page.getByLabel('Time').selectOption({ label: 'Last 24 hours' });
    expect(await shown(2)).toEqual(['late', 'early']);
    await page.getByLabel('Time').selectOption({ label: 'Custom' });
    // datetime-local takes the browser's local time: three hours ago to one hour ago.
    const local = (hoursAgo: number) =>
      page.evaluate((hours) => {
        const at = new Date(Date.now() - hours * 3_600_000);
        return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      }, hoursAgo);
    await page.getByLabel('From', { exact: true }).fill(await local(3));
    await page.getByLabel('To', { exact: true }).fill(await local(1));
    expect(await shown(1)).toEqual(['early']);
    expect(page.url()).toContain('range=custom');
  });

  it('rotates the secret with a grace period, in which requests carry both signatures, and copies the new one', async () => {
    const ws = await server.seedWorkspace();
    receiver.script({ '/rotating': { status: 200 } });
    const hook = await createWebhook(ws.secret, receiver.url('/rotating'), { name: 'Rotating' });
    await createRule(ws.secret, hook.id, ['order.*']);
    const page = await openPortal((await openPortalSession(ws.secret)).url);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('link', { name: 'Rotating' }).click();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate secret' });
    await dialog.getByLabel('Keep the current secret signing for').selectOption({ label: '1 hour' });
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    const shownSecret = page.getByLabel('Signing secret', { exact: true }).and(page.locator('code'));
    // The new secret in full, where the hint ("whsec_…Xk9=") was.
    await expect.poll(() => shownSecret.textContent()).toMatch(/^whsec_[A-Za-z0-9+/]{30,}={0,2}$/);
    const next = (await shownSecret.textContent())!;
    expect(next).not.toBe(hook.signingSecret);
    await page.getByRole('button', { name: 'Copy signing secret' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(next);

    const before = receiver.requests.length;
    await emit(ws.secret, { type: 'order.completed', payload: {} });
    const request = (await receiver.waitForRequests(before + 1)).at(-1)!;
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [hook.signingSecret, next]) {
      expect(new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).toBeTruthy();
    }
  });

  it("shows the workspace's name, logo and brand colour, and keeps the theme the customer picks", async () => {
    const ws = await server.seedWorkspace();
    const logoUrl = 'https://127.0.0.1:9/globex.png';
    await setPortalSettings(ws.secret, { displayName: 'Globex hooks', brandColor: '#b91c1c', logoUrl });
    const page = await openPortal((await openPortalSession(ws.secret)).url, { colorScheme: 'light' });
    await page.getByText('Globex hooks').waitFor();
    expect(await page.locator('img.brand-logo').getAttribute('src')).toBe(logoUrl);
    const primary = page.getByRole('button', { name: 'Add endpoint' });
    expect(await primary.evaluate((button) => getComputedStyle(button).backgroundColor)).toBe('rgb(185, 28, 28)');
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    expect(await theme()).toBe('light');
    await page.getByLabel('Theme').selectOption({ label: 'Dark' });
    expect(await theme()).toBe('dark');
    // Kept in this browser: a reload opens dark again, and "System" follows the system's light.
    await page.reload();
    await page.getByText('Globex hooks').waitFor();
    expect([await theme(), await page.getByLabel('Theme').inputValue()]).toEqual(['dark', 'dark']);
    await page.getByLabel('Theme').selectOption({ label: 'System' });
    expect(await theme()).toBe('light');
  });

  it('says at the top that an endpoint is disabled and why, and resumes it and replays what failed', async () => {
    const ws = await server.seedWorkspace();
    receiver.script({ '/gone': { status: 500, body: 'down' } });
    const hook = await createWebhook(ws.secret, receiver.url('/gone'), { name: 'Gone away', retryScheduleSeconds: [0] });
    await createRule(ws.secret, hook.id, ['order.*']);
    const failed = (await emit(ws.secret, { type: 'order.completed', payload: {} })).event.deliveries[0]!.id;
    await deliveryReaches(ws.secret, failed, 'DEAD');
    receiver.script({ '/gone': { status: 410, body: 'gone' } });
    const waiting = (await emit(ws.secret, { type: 'order.completed', payload: {} })).event.deliveries[0]!.id;
    const status = async () => (await ws.secret.request(`query ($id: ID!) { connection(id: $id) { ... on Connection { status } } }`, { id: hook.id })).connection.status;
    await eventually(async () => ((await status()) === 'DISABLED' ? true : undefined), 10_000, 'the endpoint to be disabled');
    receiver.script({ '/gone': { status: 200 } });

    const page = await openPortal((await openPortalSession(ws.secret)).url);
    await page.getByRole('link', { name: 'Gone away' }).first().click();
    const banner = page.getByRole('alert').filter({ hasText: 'This endpoint is disabled' });
    expect(await banner.textContent()).toContain('410');
    await banner.getByRole('button', { name: 'Resume and replay what failed' }).click();
    // What failed while it was failing is replayed, and what waited while it was disabled goes out.
    await deliveryReaches(ws.secret, failed, 'SUCCEEDED');
    await deliveryReaches(ws.secret, waiting, 'SUCCEEDED');
    expect(await status()).toBe('ACTIVE');
    await banner.waitFor({ state: 'detached' });
  });

  it('edits, pauses, resumes and deletes an endpoint', async () => {
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, receiver.url('/edit'), { name: 'to edit' });
    const page = await openPortal((await openPortalSession(ws.secret)).url);
    await page.getByRole('link', { name: 'to edit' }).click();
    await page.getByRole('button', { name: 'Edit endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit endpoint' });
    await dialog.getByLabel('Name').fill('edited');
    await dialog.getByLabel('Description').fill('now with a description');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'edited' }).waitFor();
    await page.getByRole('button', { name: 'Pause endpoint' }).click();
    await page.getByRole('alert').filter({ hasText: 'This endpoint is paused' }).waitFor();
    const read = () => ws.secret.request(`query ($id: ID!) { connection(id: $id) { ... on Connection { name description status } } }`, { id: hook.id });
    expect((await read()).connection).toEqual({ name: 'edited', description: 'now with a description', status: 'PAUSED' });
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await page.getByRole('button', { name: 'Pause endpoint' }).waitFor();
    expect((await read()).connection.status).toBe('ACTIVE');
    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByRole('dialog', { name: 'Delete endpoint' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Endpoints', level: 1 }).waitFor();
    // Gone: a query that selects only the connection gets the NotFoundError as a top-level error.
    const gone = await ws.secret.raw(`query ($id: ID!) { connection(id: $id) { ... on Connection { name } } }`, { id: hook.id });
    expect(gone.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', resource: 'Connection', id: hook.id });
  });

  it('shows a [VIEW] session no edit control, and the API refuses its token a mutation', async () => {
    const ws = await server.seedWorkspace();
    const hook = await createWebhook(ws.secret, receiver.url('/view'), { name: 'read only' });
    const session = await openPortalSession(ws.secret, { capabilities: ['VIEW'] });
    const page = await openPortal(session.url);
    await page.getByRole('link', { name: 'read only' }).click();
    await page.getByRole('heading', { name: 'Signing secret' }).waitFor();
    for (const name of ['Add endpoint', 'Edit endpoint', 'Pause endpoint', 'Delete endpoint', 'Reveal', 'Rotate secret', 'Send test event', 'Replay all failed']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    const token = await page.evaluate(() => Object.values(sessionStorage).find((value) => value.startsWith('sy_ps_')));
    const response = await server.as(token).raw(`mutation ($id: ID!) { pauseConnection(input: { id: $id }) { __typename } }`, { id: hook.id });
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('shows "Session expired" for an expired or revoked session, and a session of workspace A nothing of B', async () => {
    const a = await server.seedWorkspace();
    const b = await server.seedWorkspace();
    await createWebhook(a.secret, receiver.url('/a'), { name: 'ours' });
    const theirs = await createWebhook(b.secret, receiver.url('/b'), { name: 'theirs' });
    const session = await openPortalSession(a.secret, { expiresInSeconds: 300 });
    const page = await openPortal(session.url);
    await page.getByRole('link', { name: 'ours' }).waitFor();
    expect(await page.getByText('theirs').count()).toBe(0);
    await page.goto(`${new URL(session.url).origin}/portal/s/${session.sessionId}/endpoints/${theirs.id}`);
    await page.getByText('No such endpoint').waitFor();

    await a.secret.request(`mutation ($ids: [ID!]) { revokePortalSessions(input: { sessionIds: $ids }) { __typename } }`, { ids: [session.sessionId] });
    await page.reload();
    await page.getByRole('heading', { name: 'Session expired' }).waitFor();

    const expired = await openPortalSession(a.secret);
    const expiredPage = await openPortal(expired.url);
    await expiredPage.getByRole('link', { name: 'ours' }).waitFor();
    await server.switchyard.services.orm.em.fork().getConnection().execute(`update portal_sessions set expires_at = now() where id = ?`, [
      expired.sessionId.replace(/^ps_(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
    ]);
    await expiredPage.getByRole('link', { name: 'Delivery log' }).first().click();
    await expiredPage.getByRole('heading', { name: 'Session expired' }).waitFor();
  });

  it('loads in an iframe of an allowed origin, tells it its height, and is blocked in an iframe of another', async () => {
    const ws = await server.seedWorkspace();
    await createWebhook(ws.secret, receiver.url('/framed'), { name: 'framed endpoint' });
    const session = await openPortalSession(ws.secret);
    const host = (portalUrl: string) => `<!doctype html><title>Product</title>
      <script>window.heights = []; addEventListener('message', (event) => { if (event.data && event.data.type === 'switchyard:portal:height') heights.push(event.data.height); });</script>
      <iframe id="portal" src="${portalUrl}" style="width: 100%; height: 600px"></iframe>`;
    const product = await listen((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(host(session.url)));
    const stranger = await listen((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(host(session.url)));
    try {
      const allowed = `http://127.0.0.1:${port(product)}`;
      await setPortalSettings(ws.secret, { allowedOrigins: [allowed], displayName: 'Acme webhooks' });

      const page = await openPortal(`${allowed}/`);
      const frame = page.frameLocator('#portal');
      await frame.getByRole('link', { name: 'framed endpoint' }).waitFor();
      // The first post may go before the content lays out; the one after it arrives as a later message.
      await expect.poll(() => page.evaluate(() => (window as unknown as { heights: number[] }).heights.at(-1) ?? 0)).toBeGreaterThan(100);

      const blocked = await openPortal(`http://localhost:${port(stranger)}/`);
      await blocked.waitForTimeout(1500);
      const portalFrame = blocked.frames().find((candidate) => candidate !== blocked.mainFrame());
      // Chromium replaces a frame its frame-ancestors refuses with its own error page.
      expect(portalFrame?.url()).toMatch(/^chrome-error:/);
      expect(await blocked.evaluate(() => (window as unknown as { heights: number[] }).heights.length)).toBe(0);
    } finally {
      product.close();
      stranger.close();
    }
  });

  it('reads at 360 px wide, names every control, and works from the keyboard', async () => {
    const ws = await server.seedWorkspace();
    await catalog(ws.secret, ['order.completed']);
    await createWebhook(ws.secret, receiver.url('/narrow'), { name: 'narrow endpoint' });
    const page = await openPortal((await openPortalSession(ws.secret)).url, { width: 360 });
    await page.getByRole('link', { name: 'narrow endpoint' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

    await page.keyboard.press('Tab');
    let reached = false;
    for (let presses = 0; presses < 15 && !reached; presses++) {
      reached = (await page.evaluate(() => document.activeElement?.textContent)) === 'Add endpoint';
      if (!reached) await page.keyboard.press('Tab');
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Add endpoint' });
    await dialog.getByLabel('URL', { exact: true }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    const unnamed = (await page.locator('body').ariaSnapshot()).split('\n').filter((line) => /- (button|link|textbox|combobox|checkbox|radio)\s*(\[.*\])?:?\s*$/.test(line));
    expect(unnamed).toEqual([]);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);

    for (const link of ['narrow endpoint', 'Delivery log']) {
      await page.getByRole('link', { name: link }).first().click();
      await page.getByRole('heading', { level: 1 }).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth), link).toBeLessThanOrEqual(360);
    }
  });

  it('takes screenshots of the endpoints, the delivery log and an attempt, light and dark', async () => {
    const ws = await server.seedWorkspace();
    await catalog(ws.secret, ['order.completed', 'invoice.paid']);
    await setPortalSettings(ws.secret, { displayName: 'Acme webhooks', brandColor: '#0f766e' });
    receiver.script({ '/billing': { status: 503, body: '{"error":"maintenance"}' }, '/orders': { status: 200, body: '{"ok":true}' } });
    const orders = await createWebhook(ws.secret, receiver.url('/orders'), { name: 'Order sync', headers: { authorization: 'Bearer a-very-long-private-token' } });
    await createRule(ws.secret, orders.id, ['order.*']);
    const billing = await createWebhook(ws.secret, receiver.url('/billing'), { name: 'Billing', retryScheduleSeconds: [0, 0, 0] });
    await createRule(ws.secret, billing.id, ['invoice.*']);
    const delivered = await emit(ws.secret, { type: 'order.completed', resourceId: 'ord_1042', payload: { total: 4200, currency: 'EUR' } });
    const failed = await emit(ws.secret, { type: 'invoice.paid', resourceId: 'inv_77', payload: { amount: 990 } });
    await deliveryReaches(ws.secret, delivered.event.deliveries[0]!.id, 'SUCCEEDED');
    await deliveryReaches(ws.secret, failed.event.deliveries[0]!.id, 'DEAD');
    const session = await openPortalSession(ws.secret);
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await openPortal(session.url, { colorScheme });
      await page.getByRole('link', { name: 'Order sync' }).waitFor();
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(colorScheme);
      await shoot(page, `endpoints-${colorScheme}`);
      expect(await page.getByText('Acme webhooks').count()).toBe(1);
      await page.getByRole('link', { name: 'Billing' }).first().click();
      await page.getByRole('heading', { name: 'Send test event' }).waitFor();
      expect(await page.getByRole('alert').filter({ hasText: 'This endpoint is failing' }).textContent()).toContain('This endpoint is failing. The receiver answered HTTP 503.');
      await shoot(page, `endpoint-${colorScheme}`);
      await page.getByRole('link', { name: 'Delivery log' }).first().click();
      await expect.poll(() => page.locator('table.deliveries tbody tr').count()).toBe(2);
      await shoot(page, `delivery-log-${colorScheme}`);
      await page.getByRole('link', { name: 'invoice.paid' }).click();
      await expect.poll(() => page.locator('details.attempt').count()).toBe(3);
      await shoot(page, `attempt-${colorScheme}`);
      await page.context().close();
    }
  });
});

function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  return new Promise((resolve) => {
    const listening = createServer(handler!);
    listening.listen(0, '127.0.0.1', () => resolve(listening));
  });
}

function port(listening: Server): number {
  return (listening.address() as { port: number }).port;
}
