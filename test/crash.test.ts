import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startTestServer, TEST_ENCRYPTION_KEYS } from './helpers/server.ts';
import { startReceiver } from './helpers/receiver.ts';
import { eventually, workspaceWithWebhook } from './helpers/fixtures.ts';

const root = new URL('..', import.meta.url).pathname;

// The API runs in this process; workers run in child processes so one can be killed outright.
const server = await startTestServer({ allowPrivateTargets: true, role: 'api' });

function startWorkerProcess(): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: server.databaseUrl,
      SWITCHYARD_PARENT_PID: String(process.pid),
      SWITCHYARD_ROLE: 'worker',
      SWITCHYARD_OPS_PORT: '0',
      SWITCHYARD_ALLOW_PRIVATE_TARGETS: 'true',
      SWITCHYARD_STALE_JOB_SECONDS: '2',
      SWITCHYARD_ADMIN_KEY: 'sy_admin_test_key_for_the_suite_only',
      SWITCHYARD_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Delivery worker running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
  return { child, ready };
}

describe('a worker killed mid-flight', () => {
  it('loses nothing: every event is delivered at least once, duplicates share a webhook-id, nothing stays stuck', async () => {
    const receiver = await startReceiver();
    receiver.script(() => ({ status: 200, delayMs: 150 }));
    const { ws } = await workspaceWithWebhook(server, receiver.url('/'), { timeoutSeconds: 1, maxConcurrency: 20 });

    const first = startWorkerProcess();
    await first.ready;
    const total = 300;
    const { emitEvents } = await ws.secret.request(
      `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) {
         ... on EmitEventsPayload { results { event { deliveries { id } } } } } }`,
      { input: { events: Array.from({ length: total }, (_, i) => ({ type: 'order.completed', payload: { i } })) } },
    );
    const deliveryIds: string[] = emitEvents.results.map((r: { event: { deliveries: { id: string }[] } }) => r.event.deliveries[0]!.id);

    await receiver.waitForRequests(40, 20_000);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const deliveredBeforeCrash = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
    expect(deliveredBeforeCrash.size).toBeLessThan(total);

    const second = startWorkerProcess();
    await second.ready;
    try {
      await eventually(async () => {
        const seen = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
        return deliveryIds.every((id) => seen.has(id)) ? true : undefined;
      }, 60_000, 'every delivery to arrive');
      await eventually(async () => {
        const { deliveries } = await ws.secret.request(
          `{ deliveries(first: 1, filter: { status: DELIVERING }) { edges { node { id } } } }`);
        const { pending } = await ws.secret.request(
          `{ pending: deliveries(first: 1, filter: { status: RETRYING }) { edges { node { id } } } }`);
        return deliveries.edges.length === 0 && pending.edges.length === 0 ? true : undefined;
      }, 30_000, 'nothing to stay in flight');
      const { succeeded } = await ws.secret.request(`{ succeeded: deliveries(first: 100, filter: { status: SUCCEEDED }) { edges { node { id } } } }`);
      expect(succeeded.edges).toHaveLength(100);
      const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
      expect([...ids].every((id) => deliveryIds.includes(id as string))).toBe(true);
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((resolve) => second.child.once('exit', resolve));
      await receiver.close();
    }
  }, 120_000);
});
