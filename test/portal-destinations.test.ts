import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser.ts';
import { startTestServer } from './helpers/server.ts';
import { openPortalSession } from './helpers/portal.ts';
import { createRule, deliveryReaches, emit, eventually } from './helpers/fixtures.ts';
import { startSlackContract } from './helpers/slack-contract.ts';
import { startMailchimpContract } from './helpers/mailchimp-contract.ts';

const slack = await startSlackContract();
const mailchimp = await startMailchimpContract();
const server = await startTestServer({ slackApiUrl: slack.apiUrl, slackWebhookBaseUrl: slack.webhookBaseUrl, mailchimpApiUrl: mailchimp.apiUrl });
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([slack.close(), mailchimp.close()]);
});

async function openPortal(url: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
  await page.goto(url);
  return page;
}

const CONNECTIONS = `{ connections(first: 10) { edges { node { name kind
  slack { mode channel webhookUrlHint } mailchimp { listId dataCenter statusIfNew tags apiKeyHint } } } } }`;

describe('the portal\'s "Add endpoint"', () => {
  it('adds a Slack channel, names a refused webhook URL at its field, and a test event reaches the channel', async () => {
    const ws = await server.seedWorkspace();
    await ws.secret.request(`mutation ($input: UpsertEventTypeInput!) { upsertEventType(input: $input) { __typename } }`, {
      input: { name: 'order.completed', description: 'When an order completes', schema: { type: 'object', properties: { total: { type: 'integer', examples: [42] } } } },
    });
    const channel = slack.addChannel('orders');
    const webhookUrl = slack.addWebhook('orders');
    const page = await openPortal((await openPortalSession(ws.secret)).url);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add endpoint' });
    await dialog.getByRole('radio', { name: /^Slack/ }).check();
    await dialog.getByLabel('Webhook URL').fill('https://hooks.example.com/services/T0/B0/abc');
    await dialog.getByLabel('Name', { exact: true }).fill('Orders channel');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await expect.poll(() => dialog.getByRole('alert').first().textContent(), { timeout: 10_000 }).toContain('must be an incoming webhook URL starting with');

    await dialog.getByLabel('Webhook URL').fill(webhookUrl);
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    const added = page.getByRole('dialog', { name: 'Endpoint added' });
    await expect.poll(() => added.textContent(), { timeout: 10_000 }).toContain('ready');
    await added.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('heading', { name: 'Orders channel' }).waitFor();
    // A Slack endpoint has no signing secret to reveal, and its URL's secret is never shown.
    expect(await page.getByRole('button', { name: 'Reveal' }).count()).toBe(0);
    const secretPart = webhookUrl.slice(webhookUrl.lastIndexOf('/') + 1);
    expect(await page.content()).not.toContain(secretPart);
    await expect.poll(() => page.locator('.endpoint-url').textContent()).toContain(`…${secretPart.slice(-4)}`);

    await page.getByRole('button', { name: 'Send test event' }).click();
    const row = page.locator('table.deliveries tbody tr').first();
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('Succeeded');
    expect(slack.messages.filter((message) => message.channel === channel)).toHaveLength(1);
    const { connections } = await ws.secret.request(CONNECTIONS);
    expect(connections.edges[0].node).toMatchObject({ name: 'Orders channel', kind: 'SLACK', slack: { mode: 'WEBHOOK', channel: null } });
  });

  it('adds a Mailchimp audience with its key, status and tags', async () => {
    const ws = await server.seedWorkspace();
    const apiKey = mailchimp.addAccount('us21');
    const listId = mailchimp.addList(apiKey);
    const page = await openPortal((await openPortalSession(ws.secret)).url);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add endpoint' });
    await dialog.getByRole('radio', { name: /^Mailchimp/ }).check();
    await dialog.getByLabel('API key').fill('not-a-key');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await expect.poll(() => dialog.getByRole('alert').first().textContent()).toContain('data center');
    await dialog.getByLabel('API key').fill(apiKey);
    await dialog.getByLabel('Audience id').fill(listId);
    await dialog.getByLabel('New members are').selectOption('PENDING');
    await dialog.getByLabel('Tags').fill('customer, from portal');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('dialog', { name: 'Endpoint added' }).getByRole('button', { name: 'Done' }).click();
    await page.getByRole('heading', { name: 'Mailchimp' }).waitFor();
    expect(await page.content()).not.toContain(apiKey);
    const { connections } = await ws.secret.request(CONNECTIONS);
    expect(connections.edges[0].node).toMatchObject({
      kind: 'MAILCHIMP',
      mailchimp: { listId, dataCenter: 'us21', statusIfNew: 'PENDING', tags: ['customer', 'from portal'], apiKeyHint: expect.stringMatching(/…\w{4}-us21$/) },
    });
  });

  it('reconnects a Slack bot whose token was revoked with "Edit endpoint", and what waited is delivered', async () => {
    const ws = await server.seedWorkspace();
    const channel = slack.addChannel('deploys');
    const token = slack.addBotToken([channel]);
    const { createConnection } = await ws.secret.request(
      `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { ... on CreateConnectionPayload { connection { id } } } }`,
      { input: { name: 'Deploys', kind: 'SLACK', slack: { botToken: token, channel } } },
    );
    const id = createConnection.connection.id;
    await createRule(ws.secret, id, ['deploy.*']);
    slack.revokeToken(token);
    const { event } = await emit(ws.secret, { type: 'deploy.finished' });
    await eventually(async () => {
      const { connection } = await ws.secret.request(`query ($id: ID!) { connection(id: $id) { ... on Connection { status } } }`, { id });
      return connection.status === 'NEEDS_REAUTH' ? true : undefined;
    }, 10_000, 'NEEDS_REAUTH');

    const session = await openPortalSession(ws.secret);
    const page = await openPortal(session.url);
    await page.getByRole('link', { name: 'Deploys', exact: true }).first().click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('needs reconnecting');
    await page.getByRole('button', { name: 'Edit endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit endpoint' });
    await dialog.getByLabel('New bot token').fill(slack.addBotToken([channel]));
    await dialog.getByRole('button', { name: 'Save' }).click();
    await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'SUCCEEDED');
    expect(slack.messages.filter((message) => message.channel === channel)).toHaveLength(1);
  });
});
