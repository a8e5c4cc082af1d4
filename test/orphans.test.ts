import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../src/db/processes.ts';
import { descendants, runMain } from './helpers/child-process.ts';
import { createTestDatabase } from './helpers/database.ts';
import { eventually } from './helpers/fixtures.ts';
import { freePort } from './helpers/global-setup.ts';
import { graphqlClient } from './helpers/graphql.ts';
import { ADMIN_KEY } from './helpers/server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-orphans-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('child processes', () => {
  it('end with a Switchyard killed with SIGKILL: its embedded Postgres, the watchdog and the expression workers', async () => {
    const started = runMain({
      SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_EMBEDDED_PG_PORT: String(await freePort()), PORT: '0',
      SWITCHYARD_ADMIN_KEY: ADMIN_KEY, SWITCHYARD_ENCRYPTION_KEYS: '',
    });
    try {
      const [, url] = await started.waitFor(/GraphQL API: (http:\/\/\S+)\/graphql/, 90_000);
      const admin = graphqlClient(`${url}/graphql`, ADMIN_KEY);
      const { createWorkspace } = await admin.request(`mutation { createWorkspace(input: { name: "orphans", environment: "test" }) {
        ... on CreateWorkspacePayload { secretKey } } }`);
      // A function call is evaluated in an expression worker process.
      const { testRule } = await graphqlClient(`${url}/graphql`, createWorkspace.secretKey).request(`{ testRule(input: {
        rule: { eventTypes: ["order.*"], condition: "$count(payload.items) > 0" },
        event: { type: "order.completed", payload: { items: [1] } } }) { ... on TestRulePayload { matched condition { value } } } }`);
      expect(testRule).toEqual({ matched: true, condition: { value: true } });

      const below = descendants(started.child.pid!);
      const kinds = (pattern: RegExp) => below.filter((process) => pattern.test(process.command));
      expect(kinds(/postgres -D/).length).toBe(1);
      expect(kinds(/switchyard-postgres-watchdog/).length).toBe(1);
      expect(kinds(/expression-worker/).length).toBeGreaterThan(0);

      started.child.kill('SIGKILL');
      expect(await started.exited).toBeNull();
      const left = await eventually(async () => {
        const alive = below.filter((process) => isAlive(process.pid));
        return alive.length === 0 ? alive : undefined;
      }, 45_000, 'every child of the killed process to end');
      expect(left).toEqual([]);
    } finally {
      await started.stop('SIGKILL');
    }
    // The data directory is free again: the next start needs no clean-up.
    const next = runMain({ SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_EMBEDDED_PG_PORT: String(await freePort()), PORT: '0', SWITCHYARD_ADMIN_KEY: ADMIN_KEY, SWITCHYARD_ENCRYPTION_KEYS: '' });
    await next.waitFor(/GraphQL API: http/, 90_000);
    expect(next.output()).not.toContain('left running');
    expect(await next.stop('SIGINT')).toBe(0);
  }, 240_000);

  it('end when the process named by SWITCHYARD_PARENT_PID is killed with SIGKILL, as test helpers start them', async () => {
    const parent = spawn('sleep', ['600'], { stdio: 'ignore' });
    const started = runMain({
      DATABASE_URL: await createTestDatabase(), SWITCHYARD_ROLE: 'worker', SWITCHYARD_OPS_PORT: '0',
      SWITCHYARD_PARENT_PID: String(parent.pid),
    });
    try {
      await started.waitFor(/Delivery worker running/);
      parent.kill('SIGKILL');
      expect(await started.exited).toBe(0);
      expect(started.output()).toContain(`Stopping (process ${parent.pid} (SWITCHYARD_PARENT_PID) is gone)`);
      expect(started.output()).toContain('Stopped');
    } finally {
      parent.kill('SIGKILL');
      await started.stop('SIGKILL');
    }
  }, 120_000);
});
