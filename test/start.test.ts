import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/database.ts';
import { ADMIN_KEY, TEST_ENCRYPTION_KEYS } from './helpers/server.ts';
import { graphqlClient } from './helpers/graphql.ts';
import { freePort } from './helpers/global-setup.ts';

const root = new URL('..', import.meta.url).pathname;

/** Runs the built entry point until it prints its GraphQL URL; resolves with that URL. */
function startBuilt(env: Record<string, string>) {
  const child = spawn(process.execPath, ['dist/main.js'], { cwd: root, env: { ...process.env, SWITCHYARD_PARENT_PID: String(process.pid), ...env } });
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), 45_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/GraphQL API: (\S+)/);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, url, exited, output: () => output };
}

describe('the built service', () => {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root });

  it('starts on an embedded Postgres, prints the admin key once and reuses its data after Ctrl-C', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-start-'));
    const env = { SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_EMBEDDED_PG_PORT: String(await freePort()), PORT: '0' };

    const first = startBuilt(env);
    const url = await first.url;
    const adminKey = first.output().match(/Admin key[^:]*: (sy_admin_[\w-]+)/)?.[1];
    expect(adminKey).toBeDefined();
    // Secrets are sealed with a key made on the first start, kept beside the data, for this user only.
    expect(first.output()).toContain(`Generated an encryption key for secrets in ${join(dataDir, 'encryption-keys')}`);
    expect(statSync(join(dataDir, 'encryption-keys')).mode & 0o777).toBe(0o600);
    const created = await graphqlClient(url, adminKey).request(
      'mutation { createWorkspace(input: { name: "kept" }) { ... on CreateWorkspacePayload { secretKey } } }',
    );
    first.child.kill('SIGINT');
    expect([await first.exited, first.output()]).toEqual([0, expect.any(String)]);

    const second = startBuilt(env);
    const secondUrl = await second.url;
    expect(second.output()).not.toContain('Admin key');
    expect(second.output()).not.toContain('Generated an encryption key');
    const { workspace } = await graphqlClient(secondUrl, created.createWorkspace.secretKey).request('{ workspace { name } }');
    expect(workspace.name).toBe('kept');
    second.child.kill('SIGINT');
    expect([await second.exited, second.output()]).toEqual([0, expect.any(String)]);
  }, 120_000);

  it('uses DATABASE_URL instead when it is set', async () => {
    const started = startBuilt({ DATABASE_URL: await createTestDatabase(), SWITCHYARD_ADMIN_KEY: ADMIN_KEY, SWITCHYARD_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, PORT: '0' });
    const url = await started.url;
    expect(started.output()).not.toContain('Embedded Postgres');
    const { workspaces } = await graphqlClient(url, ADMIN_KEY).request('{ workspaces { edges { node { id } } } }');
    expect(workspaces.edges).toEqual([]);
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
  }, 60_000);

  it('lists every configuration problem at once and exits', () => {
    let stderr = '';
    try {
      execFileSync(process.execPath, ['dist/main.js'], {
        cwd: root,
        env: { ...process.env, PORT: 'not-a-port', SWITCHYARD_ROLE: 'everything', SWITCHYARD_ALLOW_PRIVATE_TARGETS: 'maybe' },
        stdio: 'pipe',
      });
    } catch (error) {
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('SWITCHYARD_ROLE');
    expect(stderr).toContain('SWITCHYARD_ALLOW_PRIVATE_TARGETS');
  });
});
