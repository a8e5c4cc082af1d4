import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';

const server = await startTestServer();

describe('FORBIDDEN', () => {
  it('names the kind of key the field needs and the kind that was sent', async () => {
    const ws = await server.seedWorkspace();
    const publishable = await ws.publishable.raw('{ connections { edges { node { id } } } }');
    expect(publishable.errors?.[0]).toMatchObject({
      message:
        'connections needs a secret key of the workspace (sy_sk_...) or a portal session with the VIEW capability; ' +
        'this request used a publishable key (sy_pk_...), which may only emit events',
      extensions: { code: 'FORBIDDEN', requiredKeyKinds: ['SECRET', 'PORTAL'], keyKind: 'PUBLISHABLE' },
    });

    const admin = await server.admin.raw('mutation { emitEvent(input: { type: "a.b" }) { __typename } }');
    expect(admin.errors?.[0]?.message).toMatch(/^emitEvent needs a secret or publishable key of the workspace .*; this request used the admin key, which manages workspaces only$/);
    expect(admin.errors?.[0]?.extensions).toMatchObject({ requiredKeyKinds: ['SECRET', 'PUBLISHABLE'], keyKind: 'ADMIN' });

    const secret = await ws.secret.raw('{ workspaces { edges { node { id } } } }');
    expect(secret.errors?.[0]).toMatchObject({
      message: 'workspaces needs the admin key (SWITCHYARD_ADMIN_KEY); this request used a secret key',
      extensions: { requiredKeyKinds: ['ADMIN'], keyKind: 'SECRET' },
    });
  });

  it('names the type and field when a publishable key reaches further than it may', async () => {
    const ws = await server.seedWorkspace();
    const response = await ws.publishable.raw(
      'mutation { emitEvent(input: { type: "a.b" }) { ... on EmitEventPayload { event { deliveries { id connection { timeoutSeconds } } } } } }',
    );
    expect(response.errors?.map((error) => error.message) ?? []).toEqual([]);
    const deeper = await ws.publishable.raw('mutation { emitEvent(input: { type: "a.b" }) { ... on EmitEventPayload { event { deliveries { lastError } } } } }');
    expect(deeper.data).toBeTruthy();
    const rule = await ws.publishable.raw('{ workspace { settings { strictEventTypes } } }');
    expect(rule.errors?.[0]?.message).toMatch(/^Workspace\.settings needs a secret key/);
  });
});

describe('an expected error the query does not select', () => {
  const invalid = { input: { type: 'Not A Type' } };

  it('comes back as a top-level error with its details, not as an empty object', async () => {
    const ws = await server.seedWorkspace();
    const response = await ws.secret.raw(
      'mutation ($input: EmitEventInput!) { emitEvent(input: $input) { ... on EmitEventPayload { duplicate } } }',
      invalid,
    );
    expect(response.data).toBeNull();
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^input\.type: /),
        path: ['emitEvent'],
        extensions: { code: 'VALIDATION', type: 'ValidationError', issues: [{ path: ['input', 'type'], message: expect.any(String) }] },
      }),
    ]);
    expect(response.errors?.[0]?.message).toContain('select "... on Error { message }" in emitEvent');

    const missing = await ws.secret.raw('query ($id: ID!) { connection(id: $id) { ... on Connection { id } } }', { id: 'conn_0193aaaaaaaa7aaa8aaaaaaaaaaaaaaa' });
    expect(missing.errors?.[0]?.extensions).toEqual({
      code: 'NOT_FOUND', type: 'NotFoundError', resource: 'Connection', id: 'conn_0193aaaaaaaa7aaa8aaaaaaaaaaaaaaa',
    });
  });

  it('stays data whenever the query selects anything of it: the Error interface, the type, a fragment or __typename', async () => {
    const ws = await server.seedWorkspace();
    const selections = [
      '... on Error { message }',
      '... on ValidationError { issues { path } }',
      '...Failure',
      '__typename',
    ];
    for (const selection of selections) {
      const fragment = selection === '...Failure' ? 'fragment Failure on EmitEventResult { ... on ValidationError { message } }' : '';
      const response = await ws.secret.raw(
        `mutation ($input: EmitEventInput!) { emitEvent(input: $input) { ... on EmitEventPayload { duplicate } ${selection} } } ${fragment}`,
        invalid,
      );
      expect([selection, response.errors]).toEqual([selection, undefined]);
      expect(Object.keys(response.data!.emitEvent as object).length).toBeGreaterThan(0);
    }
    // A selection skipped by a directive selects nothing.
    const skipped = await ws.secret.raw(
      'mutation ($input: EmitEventInput!, $skip: Boolean!) { emitEvent(input: $input) { ... on Error @skip(if: $skip) { message } } }',
      { ...invalid, skip: true },
    );
    expect(skipped.errors?.[0]?.extensions?.code).toBe('VALIDATION');
  });
});
