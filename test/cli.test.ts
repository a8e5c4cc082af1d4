import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/database.ts';
import { freePort } from './helpers/global-setup.ts';
import { runMain } from './helpers/child-process.ts';
import { emit, eventually, workspaceWithWebhook } from './helpers/fixtures.ts';
import { startReceiver } from './helpers/receiver.ts';
import { ADMIN_KEY, startTestServer, TEST_ENCRYPTION_KEYS } from './helpers/server.ts';

const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const server = await startTestServer({ allowPrivateTargets: true });
const base = server.switchyard.url!;
const receiver = await startReceiver();
afterAll(() => receiver.close());

/** Runs `switchyard ...args`; resolves with its exit code and output. */
function switchyard(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, SWITCHYARD_URL: base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const json = (stdout: string) => JSON.parse(stdout) as Record<string, any>;

describe('the switchyard CLI', () => {
  it('has --help on every command, and exits 2 on a bad command line', async () => {
    for (const command of [[], ['start'], ['migrate'], ['doctor'], ['workspace', 'create'], ['key', 'create'], ['key', 'revoke'], ['tail'], ['replay'], ['send-test']]) {
      const { code, stdout } = await switchyard([...command, '--help']);
      expect([command.join(' '), code]).toEqual([command.join(' '), 0]);
      expect(stdout).toContain('Usage: switchyard');
    }
    expect((await switchyard(['frobnicate'])).code).toBe(2);
    expect((await switchyard(['replay', '--since', 'yesterday'], { SWITCHYARD_API_KEY: 'sy_sk_x' })).code).toBe(2);
  }, 120_000);

  it('creates a workspace and keys, revokes one, and exits 4 on a refused key and 5 on a missing one', async () => {
    const created = await switchyard(['--json', 'workspace', 'create', '--name', 'from-the-cli'], { SWITCHYARD_ADMIN_KEY: ADMIN_KEY });
    expect(created.code).toBe(0);
    const workspace = json(created.stdout);
    expect(workspace.secretKey).toMatch(/^sy_sk_/);
    expect(workspace.workspace.name).toBe('from-the-cli');

    const key = await switchyard(['--json', '--key', workspace.secretKey, 'key', 'create', '--name', 'ci', '--kind', 'publishable']);
    expect(key.code).toBe(0);
    const { id, key: publishable } = json(key.stdout);
    expect(publishable).toMatch(/^sy_pk_/);
    expect((await switchyard(['--key', workspace.secretKey, 'key', 'revoke', id])).code).toBe(0);
    const refused = await switchyard(['key', 'create', '--name', 'x'], { SWITCHYARD_API_KEY: publishable });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^switchyard: /);
    expect((await switchyard(['key', 'revoke', 'key_00000000000000000000000000000000'], { SWITCHYARD_API_KEY: workspace.secretKey })).code).toBe(5);
    expect((await switchyard(['workspace', 'create', '--name', 'x'])).code).toBe(2);
  }, 60_000);

  it('tails attempts live, sends a test event, and replays dead deliveries', async () => {
    const ws = await server.seedWorkspace();
    const { hook } = await workspaceWithWebhook({ seedWorkspace: async () => ws }, receiver.url('/cli'), { retryScheduleSeconds: [0] });
    receiver.script({ '/cli': { status: 500 } });
    const tail = runMain({ SWITCHYARD_URL: base, SWITCHYARD_API_KEY: ws.secretKey }, [CLI, '--json', 'tail']);
    await tail.waitFor(/./, 1000).catch(() => undefined);
    // The subscription has no acknowledgement: emit until the tail shows an attempt.
    await eventually(async () => {
      await emit(ws.secret, { type: 'order.completed', payload: {} });
      return /"status":"FAILED"/.test(tail.output()) ? true : undefined;
    }, 20_000, 'tail to show a failed attempt').catch((error: Error) => Promise.reject(new Error(`${error.message}:\n${tail.output()}`)));
    const line = tail.output().split('\n').find((text) => text.includes('"FAILED"'))!;
    expect(JSON.parse(line)).toMatchObject({ status: 'FAILED', statusCode: 500, delivery: { connection: { id: hook.id } } });
    receiver.script({ '/cli': { status: 200 } });

    const sent = await switchyard(['--json', 'send-test', '--connection', hook.id, '--type', 'order.completed', '--payload', '{"n":1}'], { SWITCHYARD_API_KEY: ws.secretKey });
    expect(sent.code).toBe(0);
    expect(json(sent.stdout).delivery).toMatch(/^msg_/);

    const dead = await eventually(async () => {
      const { deliveries } = await ws.secret.request('{ deliveries(filter: { status: DEAD }) { edges { node { id } } } }');
      return deliveries.edges.length >= 1 ? deliveries.edges.length as number : undefined;
    }, 20_000, 'dead deliveries');
    const replayed = await switchyard(['--json', 'replay', '--status', 'DEAD', '--since', '1h'], { SWITCHYARD_API_KEY: ws.secretKey });
    expect(replayed.code).toBe(0);
    expect(json(replayed.stdout).count).toBeGreaterThanOrEqual(dead);
    await eventually(async () => {
      const { deliveries } = await ws.secret.request('{ deliveries(filter: { status: DEAD }) { edges { node { id } } } }');
      return deliveries.edges.length === 0 ? true : undefined;
    }, 20_000, 'the replays to succeed');
    expect(await tail.stop('SIGINT')).toBe(0);
  }, 90_000);

  it('starts the service in the role asked for, and stops on Ctrl-C with exit 0', async () => {
    const started = runMain({ DATABASE_URL: await createTestDatabase(), SWITCHYARD_ADMIN_KEY: ADMIN_KEY, SWITCHYARD_OPS_PORT: '0' }, [CLI, 'start', '--role', 'worker']);
    try {
      await started.waitFor(/Delivery worker running/);
      const [, ops] = await started.waitFor(/Operations server: (http:\/\/\S+) /);
      expect((await fetch(`${ops}/readyz`)).status).toBe(200);
      // A worker only: no API, no GraphQL line.
      expect(started.output()).not.toContain('GraphQL API');
    } finally {
      expect(await started.stop('SIGINT')).toBe(0);
    }
    expect(started.output()).toContain('Stopped');
  }, 90_000);

  it('migrates and doctors a database, and names what is out of reach', async () => {
    const databaseUrl = await createTestDatabase();
    const migrated = await switchyard(['--json', 'migrate'], { DATABASE_URL: databaseUrl });
    expect(migrated.code).toBe(0);
    expect(json(migrated.stdout).migrations).toBeGreaterThan(0);

    const healthy = await switchyard(['--json', 'doctor'], { DATABASE_URL: databaseUrl, SWITCHYARD_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS });
    expect(healthy.code).toBe(0);
    expect(json(healthy.stdout).checks.map((check: { name: string; ok: boolean }) => [check.name, check.ok])).toEqual([
      ['configuration', true], ['encryption', true], ['postgres', true], ['migrations', true], ['secrets', true], ['clock', true],
    ]);
    const closed = await switchyard(['doctor'], { DATABASE_URL: `postgres://app:pw@127.0.0.1:${await freePort()}/x` });
    expect(closed.code).toBe(3);
    expect(closed.stdout).toMatch(/✗ postgres: .*DATABASE_URL.*connection refused/);
    const invalid = await switchyard(['doctor'], { SWITCHYARD_ROLE: 'everything' });
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toContain('SWITCHYARD_ROLE');
  }, 90_000);

  it('doctors the encryption keys: a wrong or missing key is named by its id, and no key is ever printed', async () => {
    // The server's database holds a sealed signing secret under the suite's key "test".
    const ws = await server.seedWorkspace();
    await workspaceWithWebhook({ seedWorkspace: async () => ws }, receiver.url('/doctor'));
    const checked = (stdout: string) => Object.fromEntries(json(stdout).checks.map((check: { name: string; ok: boolean; detail: string }) => [check.name, check]));
    const otherKey = randomBytes(32).toString('base64');

    const right = await switchyard(['--json', 'doctor'], { DATABASE_URL: server.databaseUrl, SWITCHYARD_ENCRYPTION_KEYS: `k2:${otherKey},${TEST_ENCRYPTION_KEYS}` });
    expect(right.code).toBe(0);
    expect(checked(right.stdout).encryption.detail).toMatch(/keys k2 \(seals new secrets\), test from SWITCHYARD_ENCRYPTION_KEYS/);
    expect(checked(right.stdout).secrets.detail).toMatch(/open every stored secret; some are sealed with an older key/);

    const sameIdOtherKey = await switchyard(['doctor'], { DATABASE_URL: server.databaseUrl, SWITCHYARD_ENCRYPTION_KEYS: `test:${otherKey}` });
    expect(sameIdOtherKey.code).toBe(3);
    expect(sameIdOtherKey.stdout).toMatch(/✗ secrets: Key "test" in SWITCHYARD_ENCRYPTION_KEYS does not open the secrets sealed under that id/);
    const missingId = await switchyard(['doctor'], { DATABASE_URL: server.databaseUrl, SWITCHYARD_ENCRYPTION_KEYS: `k9:${otherKey}` });
    expect(missingId.code).toBe(3);
    expect(missingId.stdout).toMatch(/✗ secrets: The database holds secrets sealed with key "test", which SWITCHYARD_ENCRYPTION_KEYS does not have/);
    const unset = await switchyard(['doctor'], { DATABASE_URL: server.databaseUrl, SWITCHYARD_ENCRYPTION_KEYS: '' });
    expect(unset.code).toBe(3);
    expect(unset.stdout).toMatch(/✗ encryption: SWITCHYARD_ENCRYPTION_KEYS is not set; it is required with DATABASE_URL/);
    for (const run of [right, sameIdOtherKey, missingId, unset]) {
      for (const key of [otherKey, TEST_ENCRYPTION_KEYS.split(':')[1]!]) expect(run.stdout + run.stderr).not.toContain(key);
    }
  }, 90_000);
});
