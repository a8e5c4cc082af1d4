import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded-postgres.ts';
import { freePort } from './helpers/global-setup.ts';
import { spawnSwitchyard, type SwitchyardProcess } from './helpers/child-process.ts';
import { eventually } from './helpers/fixtures.ts';
import { ADMIN_KEY } from './helpers/server.ts';

// A Postgres of this file's own: the test stops it, which the suite's shared one must never be.
const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-health-'));
const port = await freePort();
let cluster: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir, port, ephemeral: true });
const env = { DATABASE_URL: cluster.url, SWITCHYARD_ADMIN_KEY: ADMIN_KEY, SWITCHYARD_LOG_LEVEL: 'error' };
const api: SwitchyardProcess = await spawnSwitchyard({ ...env, SWITCHYARD_ROLE: 'api' });
const worker: SwitchyardProcess = await spawnSwitchyard({ ...env, SWITCHYARD_ROLE: 'worker' });
const workerOps = worker.output().match(/Operations server: (http:\/\/\S+)/)![1]!;

afterAll(async () => {
  await Promise.all([api.stop(), worker.stop()]);
  await cluster.stop();
});

async function readiness(base: string) {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, { status: string; reason?: string }> } };
}

describe('health endpoints', () => {
  it('say ready with every check of each role while Postgres answers', async () => {
    const apiReady = await readiness(api.url!);
    expect(apiReady).toEqual({ status: 200, body: { status: 'ready', phase: 'ready', checks: { postgres: { status: 'ok' }, migrations: { status: 'ok' }, listener: { status: 'ok' } } } });
    const workerReady = await readiness(workerOps);
    expect(workerReady).toEqual({ status: 200, body: { status: 'ready', phase: 'ready', checks: { postgres: { status: 'ok' }, migrations: { status: 'ok' }, worker: { status: 'ok' } } } });
    expect((await fetch(`${workerOps}/healthz`)).status).toBe(200);
    // A worker-only process has no API, but its operations server has /metrics.
    expect(await (await fetch(`${workerOps}/metrics`)).text()).toMatch(/^switchyard_worker_slots 50$/m);
    expect((await fetch(`${workerOps}/graphql`)).status).toBe(404);
  });

  it('go 503 with the reason when Postgres stops, and back to ready when it returns, while /healthz stays 200', async () => {
    await cluster.stop();
    for (const base of [api.url!, workerOps]) {
      const down = await eventually(async () => {
        const report = await readiness(base);
        return report.status === 503 && report.body.checks.postgres?.status === 'failing' ? report : undefined;
      }, 20_000, `${base} to report Postgres down`);
      expect(down.body.status).toBe('unavailable');
      expect(down.body.checks.postgres!.reason).toBeTruthy();
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    }

    cluster = await startEmbeddedPostgres({ dataDir, port, ephemeral: true });
    for (const base of [api.url!, workerOps]) {
      await eventually(async () => ((await readiness(base)).status === 200 ? true : undefined), 30_000, `${base} to be ready again`);
    }
    // Neither process gave up meanwhile.
    expect([api.child.exitCode, worker.child.exitCode]).toEqual([null, null]);
  }, 90_000);

  it('go 503 naming the migration that is missing', async () => {
    const db = new pg.Client(cluster.url);
    await db.connect();
    try {
      const { rows: [last] } = await db.query<{ id: number; name: string }>('select id, name from switchyard_migrations order by id desc limit 1');
      await db.query('delete from switchyard_migrations where id = $1', [last!.id]);
      const report = await readiness(api.url!);
      expect(report.status).toBe(503);
      expect(report.body.checks.migrations).toEqual({ status: 'failing', reason: `1 migration(s) not applied: ${last!.name}` });
      await db.query('insert into switchyard_migrations (id, name, executed_at) values ($1, $2, now())', [last!.id, last!.name]);
      expect((await readiness(api.url!)).status).toBe(200);
    } finally {
      await db.end();
    }
  });
});
