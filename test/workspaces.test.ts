import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestServer } from './helpers/server.ts';

const server = await startTestServer();

const CREATE = `mutation ($input: CreateWorkspaceInput!) { createWorkspace(input: $input) {
  __typename
  ... on CreateWorkspacePayload { workspace { id name environment } secretKey publishableKey }
  ... on ValidationError { issues { path message } }
  ... on ConflictError { path message } } }`;

describe('workspaces', () => {
  it('creates a workspace with a secret and a publishable key', async () => {
    const { createWorkspace } = await server.admin.request(CREATE, { input: { name: 'acme', environment: 'production' } });
    expect(createWorkspace.__typename).toBe('CreateWorkspacePayload');
    expect(createWorkspace.workspace).toMatchObject({ name: 'acme', environment: 'production' });
    expect(createWorkspace.workspace.id).toMatch(/^ws_[0-9a-f]{32}$/);
    expect(createWorkspace.secretKey).toMatch(/^sy_sk_/);
    expect(createWorkspace.publishableKey).toMatch(/^sy_pk_/);

    const { workspace } = await server.as(createWorkspace.secretKey).request('{ workspace { id name } }');
    expect(workspace).toEqual({ id: createWorkspace.workspace.id, name: 'acme' });
  });

  it('refuses a duplicate name in the same environment with a ConflictError', async () => {
    await server.admin.request(CREATE, { input: { name: 'dupe', environment: 'staging' } });
    const { createWorkspace } = await server.admin.request(CREATE, { input: { name: 'dupe', environment: 'staging' } });
    expect(createWorkspace).toMatchObject({ __typename: 'ConflictError', path: ['input', 'name'] });
  });

  it('names every bad field in one ValidationError', async () => {
    const { createWorkspace } = await server.admin.request(CREATE, {
      input: { name: 'x'.repeat(101), environment: 'Not Valid' },
    });
    expect(createWorkspace.__typename).toBe('ValidationError');
    expect(createWorkspace.issues.map((issue: { path: string[] }) => issue.path.join('.')).sort()).toEqual([
      'input.environment',
      'input.name',
    ]);
  });

  it('lets only the admin key create workspaces', async () => {
    const { secretKey } = await server.seedWorkspace();
    const asSecret = await server.as(secretKey).raw(CREATE, { input: { name: 'nope' } });
    expect(asSecret.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await server.as().raw(CREATE, { input: { name: 'nope' } });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const wrongKey = await server.as('sy_sk_not_a_real_key').raw('{ workspace { id } }');
    expect(wrongKey.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('stores no key in plaintext', async () => {
    const { secretKey, publishableKey } = await server.seedWorkspace();
    const client = new pg.Client(server.databaseUrl);
    await client.connect();
    try {
      const dump = await client.query(`select row_to_json(k)::text as row from api_keys k`);
      const everything = dump.rows.map((row) => row.row).join('\n');
      expect(everything).not.toContain(secretKey);
      expect(everything).not.toContain(publishableKey);
      expect(everything).not.toContain(secretKey.slice(10));
    } finally {
      await client.end();
    }
  });
});
