import { afterAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './helpers/browser.ts';
import { startTestServer } from './helpers/server.ts';

const server = await startTestServer();
const browser = await launchBrowser();
afterAll(() => browser.close());

describe('GraphiQL', () => {
  it('is served by Switchyard itself and runs a query in a real browser without reaching beyond 127.0.0.1', async () => {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    // Anything the page asks of another host is refused and recorded: a CDN would show here.
    await page.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === '127.0.0.1') return route.continue();
      elsewhere.push(route.request().url());
      return route.abort();
    });
    const query = '{ __typename }';
    await page.goto(`${server.url}?query=${encodeURIComponent(query)}`);
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 20_000 });
    expect(await page.title()).toBe('Switchyard');

    await page.locator('.graphiql-execute-button').click();
    // The editor lays the answer out with non-breaking spaces.
    const answer = async () => (await page.locator('.result-window').innerText()).replace(/\s+/gu, ' ');
    await expect.poll(answer, { timeout: 20_000 }).toContain('"__typename": "Query"');
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 60_000);
});
