import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const sdk = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
// npm stays on this machine: no update check, no registry but a closed local port.
const npmEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
const npm = (args: string[]) => run('npm', [...args, '--offline', '--registry', 'http://127.0.0.1:9/'], { cwd: sdk, env: npmEnv, maxBuffer: 16 * 1024 * 1024 });
const consumer = mkdtempSync(join(tmpdir(), 'switchyard-sdk-consumer-'));
afterAll(() => rmSync(consumer, { recursive: true, force: true }));

describe('the @switchyard/sdk package', () => {
  it('passes npm publish --dry-run, packing its build with type declarations for every export', async () => {
    // The same checks npm makes before a real publish, and the file list of the tarball it would send.
    const { stdout } = await npm(['publish', '--dry-run', '--json']);
    const { files: listed } = (JSON.parse(stdout.slice(stdout.indexOf('{'))) as Record<string, { files: { path: string }[] }>)['@switchyard/sdk']!;
    const files = new Set(listed.map((file) => file.path));
    const manifest = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };
    for (const target of Object.values(manifest.exports)) {
      expect(files).toContain(target.types.replace(/^\.\//, ''));
      expect(files).toContain(target.default.replace(/^\.\//, ''));
    }
    expect(files).toContain('README.md');
    expect([...files].filter((file) => file.startsWith('test/'))).toEqual([]);
  }, 120_000);

  it('loads as built, and type-checks in a project that installed it', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `
      const sdk = await import(${JSON.stringify(join(sdk, 'dist/index.js'))});
      const verify = await import(${JSON.stringify(join(sdk, 'dist/verify.js'))});
      console.log(JSON.stringify([typeof sdk.createClient, typeof sdk.verifyWebhook, typeof verify.verifyWebhook]));`]);
    expect(JSON.parse(stdout)).toEqual(['function', 'function', 'function']);

    mkdirSync(join(consumer, 'node_modules/@switchyard'), { recursive: true });
    symlinkSync(sdk, join(consumer, 'node_modules/@switchyard/sdk'));
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: [] },
      files: ['use.ts'],
    }));
    writeFileSync(join(consumer, 'use.ts'), `
      import { createClient, type DeliveryAttempt, type SwitchyardClient } from '@switchyard/sdk';
      import { verifyWebhook, WebhookVerificationError } from '@switchyard/sdk/verify';
      const client: SwitchyardClient = createClient({ url: 'http://127.0.0.1:4000', apiKey: 'sy_sk_x' });
      export const status = (attempt: DeliveryAttempt): 'SUCCEEDED' | 'FAILED' => attempt.status;
      export const emitted = client.emit({ type: 'order.completed' }).then((result) => ('deliveries' in result.event ? result.event.sequence + 1 : null));
      // @ts-expect-error: a publishable key's duplicate may have nothing but the id
      export const unchecked = client.emit({ type: 'order.completed' }).then((result) => result.event.sequence);
      export const body: { id: string } = verifyWebhook<{ id: string }>('{}', {}, 'whsec_eA==');
      export const reason = (error: WebhookVerificationError) => error.reason;
      // @ts-expect-error: emit needs a type
      void client.emit({});
    `);
    const checked = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', consumer]).catch((error: { stdout: string }) => error);
    expect('stdout' in checked ? checked.stdout : '').toBe('');
  }, 120_000);
});
