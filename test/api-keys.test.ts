import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';

const server = await startTestServer();

const CREATE = `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  __typename ... on CreateApiKeyPayload { key apiKey { id name kind prefix revokedAt } }
  ... on ValidationError { issues { path message } } } }`;
const REVOKE = `mutation ($id: ID!) { revokeApiKey(input: { id: $id }) {
  __typename ... on RevokeApiKeyPayload { apiKey { id revokedAt } } } }`;

describe('API keys', () => {
  it('creates a key shown once, listed afterwards by its prefix only', async () => {
    const ws = await server.seedWorkspace();
    const { createApiKey } = await ws.secret.request(CREATE, { input: { name: 'ci deploys', kind: 'PUBLISHABLE' } });
    expect(createApiKey.key).toMatch(/^sy_pk_[A-Za-z0-9_-]{32}$/);
    expect(createApiKey.apiKey).toMatchObject({ name: 'ci deploys', kind: 'PUBLISHABLE', prefix: createApiKey.key.slice(0, 10), revokedAt: null });

    const { apiKeys } = await ws.secret.request('{ apiKeys(first: 10) { edges { node { id name prefix } } } }');
    expect(apiKeys.edges.map((edge: { node: { name: string } }) => edge.node.name).sort()).toEqual(
      ['ci deploys', 'default publishable key', 'default secret key'],
    );
    expect(JSON.stringify(apiKeys)).not.toContain(createApiKey.key);
  });

  it('refuses a revoked key at once', async () => {
    const ws = await server.seedWorkspace();
    const { createApiKey } = await ws.secret.request(CREATE, { input: { name: 'temporary', kind: 'SECRET' } });
    const temporary = server.as(createApiKey.key);
    expect((await temporary.request('{ workspace { id } }')).workspace.id).toBe(ws.id);

    const { revokeApiKey } = await ws.secret.request(REVOKE, { id: createApiKey.apiKey.id });
    expect(revokeApiKey.apiKey.revokedAt).not.toBeNull();
    const refused = await temporary.raw('{ workspace { id } }');
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await ws.secret.request('{ workspace { id } }')).workspace.id).toBe(ws.id);
  });

  it('names the bad field of a key request', async () => {
    const ws = await server.seedWorkspace();
    const { createApiKey } = await ws.secret.request(CREATE, { input: { name: ' ', kind: 'SECRET' } });
    expect(createApiKey).toEqual({ __typename: 'ValidationError', issues: [{ path: ['input', 'name'], message: 'must be 1 to 100 characters' }] });
    const unknownKind = await ws.secret.raw(CREATE, { input: { name: 'x', kind: 'ADMIN' } });
    expect(unknownKind.errors?.[0]?.message).toContain('ADMIN');
  });

  it('lets a publishable key emit, but not create keys', async () => {
    const ws = await server.seedWorkspace();
    const response = await ws.publishable.raw(CREATE, { input: { name: 'escalate', kind: 'SECRET' } });
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
