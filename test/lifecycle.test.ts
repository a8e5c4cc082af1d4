import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runningPostmaster } from '../src/db/embedded-postgres.ts';
import { freePort } from './helpers/global-setup.ts';
import { descendants, runMain } from './helpers/child-process.ts';
import { graphqlClient } from './helpers/graphql.ts';
import { ADMIN_KEY } from './helpers/server.ts';
import { startReceiver } from './helpers/receiver.ts';
import { emit, workspaceWithWebhook } from './helpers/fixtures.ts';

/** A workspace made through `admin`, with clients for its keys. */
async function seedWorkspace(admin: ReturnType<typeof graphqlClient>, url: string) {
  const { createWorkspace } = await admin.request(`mutation { createWorkspace(input: { name: "calm-${Date.now()}" }) {
    ... on CreateWorkspacePayload { workspace { id } secretKey publishableKey } } }`);
  return { id: createWorkspace.workspace.id as string, secret: graphqlClient(url, createWorkspace.secretKey), publishable: graphqlClient(url, createWorkspace.publishableKey) };
}

const READY = /GraphQL API: (http:\/\/\S+?)\/graphql/;

async function embeddedEnv() {
  return {
    SWITCHYARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'switchyard-lifecycle-')),
    SWITCHYARD_EMBEDDED_PG_PORT: String(await freePort()),
    PORT: '0',
  };
}

/** The output's lines that are not blank. */
const linesOf = (output: string) => output.split('\n').filter((line) => line.trim());

const listening: Server[] = [];
afterAll(async () => {
  for (const server of listening) await new Promise((resolve) => server.close(resolve));
});

describe('starting and stopping', () => {
  it('stops on Ctrl-C with a few calm lines and exit 0, after delivering, and keeps Postgres\'s log in the data directory', async () => {
    const env = await embeddedEnv();
    const first = runMain({ ...env, SWITCHYARD_ADMIN_KEY: ADMIN_KEY, SWITCHYARD_ALLOW_PRIVATE_TARGETS: 'true' });
    const [, url] = await first.waitFor(READY);
    // Deliveries made, so the pools hold connections when the signal comes.
    const receiver = await startReceiver();
    const server = { seedWorkspace: () => seedWorkspace(graphqlClient(`${url}/graphql`, ADMIN_KEY), `${url}/graphql`) };
    const { ws } = await workspaceWithWebhook(server, receiver.url('/hook'));
    receiver.script({ '/hook': { status: 200 } });
    for (let i = 0; i < 5; i++) await emit(ws.secret, { type: 'order.completed', payload: { i } });
    await receiver.waitForRequests(5);
    await receiver.close();

    expect(await first.stop('SIGINT')).toBe(0);
    const output = first.output();
    expect(output).toContain('Stopping (SIGINT)');
    expect(linesOf(output).at(-1)).toContain('Stopped');
    expect(output).not.toMatch(/terminating connection|administrator command|\n\s+at |error/i);
    expect(linesOf(output).length).toBeLessThanOrEqual(6);
    const postgresLog = readFileSync(join(env.SWITCHYARD_DATA_DIR, 'postgres.log'), 'utf8');
    expect(postgresLog).toContain('database system is ready to accept connections');
    expect(postgresLog).toContain('database system is shut down');
    expect(runningPostmaster(env.SWITCHYARD_DATA_DIR)).toBeNull();
    expect(existsSync(join(env.SWITCHYARD_DATA_DIR, 'switchyard.pid'))).toBe(false);
  }, 120_000);

  it('refuses a second instance on the same data directory in one line, printing no admin key', async () => {
    const env = await embeddedEnv();
    const first = runMain(env);
    const [, url] = await first.waitFor(READY);
    try {
      const second = runMain({ ...env, PORT: '0' });
      expect(await second.exited).toBe(3);
      const lines = linesOf(second.output());
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/another Switchyard \(pid \d+\) is running on the data directory .*SWITCHYARD_DATA_DIR/);
      expect(second.output()).not.toContain('sy_admin_');
      // The first one is untouched.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
    }
  }, 120_000);

  it('refuses a taken HTTP port in one line before starting anything, leaving nothing behind', async () => {
    const env = await embeddedEnv();
    const taken = createServer();
    listening.push(taken);
    const port = await new Promise<number>((resolve) => taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)));
    const started = runMain({ ...env, PORT: String(port) });
    expect(await started.exited).toBe(3);
    const lines = linesOf(started.output());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`PORT ${port} is already in use on 127.0.0.1`);
    expect(started.output()).not.toContain('sy_admin_');
    expect(runningPostmaster(env.SWITCHYARD_DATA_DIR)).toBeNull();
    expect(existsSync(join(env.SWITCHYARD_DATA_DIR, 'switchyard.pid'))).toBe(false);
    expect(existsSync(join(env.SWITCHYARD_DATA_DIR, 'pg'))).toBe(false);
  }, 60_000);

  it('names SWITCHYARD_EMBEDDED_PG_PORT when the embedded Postgres port is taken', async () => {
    const env = await embeddedEnv();
    const taken = createServer();
    listening.push(taken);
    await new Promise<void>((resolve) => taken.listen(Number(env.SWITCHYARD_EMBEDDED_PG_PORT), '127.0.0.1', resolve));
    const started = runMain(env);
    expect(await started.exited).toBe(3);
    expect(linesOf(started.output()).at(-1)).toContain(`SWITCHYARD_EMBEDDED_PG_PORT ${env.SWITCHYARD_EMBEDDED_PG_PORT} is already in use`);
    expect(started.output()).not.toContain('sy_admin_');
    expect(existsSync(join(env.SWITCHYARD_DATA_DIR, 'switchyard.pid'))).toBe(false);
  }, 120_000);

  it('says which setting and which host failed when DATABASE_URL is unreachable, without its password', async () => {
    const closed = await freePort();
    const started = runMain({ DATABASE_URL: `postgres://app:hunter2-secret@127.0.0.1:${closed}/switchyard`, PORT: '0' });
    expect(await started.exited).toBe(3);
    const lines = linesOf(started.output());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`DATABASE_URL at app@127.0.0.1:${closed}/switchyard: connection refused`);
    expect(started.output()).not.toContain('hunter2');
  }, 60_000);

  it('stops a Postgres that a killed instance left running, and starts on the same data', async () => {
    const env = await embeddedEnv();
    const killed = runMain(env);
    const [, url] = await killed.waitFor(READY);
    const adminKey = killed.output().match(/Admin key[^:]*: (sy_admin_[\w-]+)/)?.[1];
    await graphqlClient(`${url}/graphql`, adminKey).request('mutation { createWorkspace(input: { name: "survivor" }) { __typename } }');
    // Its watchdog would stop the Postgres (test/orphans.test.ts): killed first, as a whole
    // machine's crash would leave things, the Postgres stays.
    const watchdog = descendants(killed.child.pid!).find((child) => child.command.includes('switchyard-postgres-watchdog'));
    process.kill(watchdog!.pid, 'SIGKILL');
    await killed.stop('SIGKILL');
    const orphan = runningPostmaster(env.SWITCHYARD_DATA_DIR);
    expect(orphan).not.toBeNull();

    const next = runMain(env);
    const [, nextUrl] = await next.waitFor(READY);
    try {
      expect(next.output()).toContain(`Stopping a Postgres (pid ${orphan}) left running`);
      expect(next.output()).not.toContain('sy_admin_');
      const { workspaces } = await graphqlClient(`${nextUrl}/graphql`, adminKey).request('{ workspaces { edges { node { name } } } }');
      expect(workspaces.edges.map((edge: { node: { name: string } }) => edge.node.name)).toEqual(['survivor']);
    } finally {
      expect(await next.stop('SIGINT')).toBe(0);
    }
  }, 180_000);
});

