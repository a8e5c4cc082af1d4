import chromium from '@sparticuz/chromium';
import { chromium as playwright, type Browser } from 'playwright-core';

/**
 * Flags of the package's serverless defaults that would make a test lie: they turn off the
 * same-origin policy and site isolation, which the portal's frame and origin tests rely on.
 */
const WEAKENING = new Set(['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials', '--single-process']);

/**
 * A headless Chromium for tests that load pages, from the `@sparticuz/chromium` package (a
 * Chromium shipped inside npm, so `npm install` is all a machine needs), driven by playwright-core.
 * Background networking is off, so the browser itself reaches for nothing beyond 127.0.0.1.
 */
export async function launchBrowser(): Promise<Browser> {
  const args = chromium.args
    .filter((arg) => !WEAKENING.has(arg))
    .map((arg) => (arg.startsWith('--disable-features=') ? '--disable-features=AudioServiceOutOfProcess' : arg));
  return playwright.launch({
    executablePath: await chromium.executablePath(),
    args: [...args, '--disable-background-networking'],
    headless: true,
  });
}
