import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import type { GraphqlClient } from './helpers/graphql.ts';

const server = await startTestServer();

const EMIT_MANY = `mutation ($input: EmitEventsInput!) { emitEvents(input: $input) {
  __typename
  ... on EmitEventsPayload { results { unknownType duplicate event { type } } }
  ... on ValidationError { issues { path message } } } }`;

const EMIT_ONE = `mutation ($input: EmitEventInput!) { emitEvent(input: $input) {
  __typename
  ... on EmitEventPayload { unknownType event { id } }
  ... on ValidationError { issues { path message } } } }`;

const SETTINGS = `mutation ($input: UpdateWorkspaceSettingsInput!) { updateWorkspaceSettings(input: $input) {
  __typename
  ... on UpdateWorkspaceSettingsPayload { workspace { settings { strictEventTypes } } }
  ... on ValidationError { issues { path message } } } }`;

const declare = (client: GraphqlClient, name: string) =>
  client.request('mutation ($name: String!) { upsertEventType(input: { name: $name }) { __typename } }', { name });

const emitOne = async (client: GraphqlClient, type: string) => (await client.request(EMIT_ONE, { input: { type } })).emitEvent;

describe('the event type catalog on emit', () => {
  it('accepts a type outside a non-empty catalog, answering unknownType: true', async () => {
    const ws = await server.seedWorkspace();
    // An empty catalog declares nothing, so nothing is unknown.
    expect(await emitOne(ws.publishable, 'ordr.completed')).toMatchObject({ __typename: 'EmitEventPayload', unknownType: false });

    await declare(ws.secret, 'order.completed');
    expect(await emitOne(ws.publishable, 'ordr.completed')).toMatchObject({ __typename: 'EmitEventPayload', unknownType: true });
    expect(await emitOne(ws.publishable, 'order.completed')).toMatchObject({ unknownType: false });
    const { emitEvents } = await ws.secret.request(EMIT_MANY, { input: { events: [{ type: 'order.completed' }, { type: 'order.complete' }] } });
    expect(emitEvents.results.map((result: { unknownType: boolean }) => result.unknownType)).toEqual([false, true]);
  });

  it('refuses such a type in a strict workspace, naming the field and the type it likely meant', async () => {
    const ws = await server.seedWorkspace();
    const empty = await ws.secret.request(SETTINGS, { input: { strictEventTypes: true } });
    expect(empty.updateWorkspaceSettings.issues).toEqual([{ path: ['input', 'strictEventTypes'], message: expect.stringContaining('catalog is empty') }]);

    await declare(ws.secret, 'order.completed');
    const strict = await ws.secret.request(SETTINGS, { input: { strictEventTypes: true } });
    expect(strict.updateWorkspaceSettings).toEqual({ __typename: 'UpdateWorkspaceSettingsPayload', workspace: { settings: { strictEventTypes: true } } });

    const refused = await emitOne(ws.publishable, 'ordr.completed');
    expect(refused.__typename).toBe('ValidationError');
    expect(refused.issues).toEqual([{ path: ['input', 'type'], message: expect.stringContaining('did you mean "order.completed"?') }]);
    const { emitEvents } = await ws.secret.request(EMIT_MANY, { input: { events: [{ type: 'order.completed' }, { type: 'user.created' }] } });
    expect(emitEvents.issues.map((issue: { path: string[] }) => issue.path.join('.'))).toEqual(['input.events.1.type']);
    expect(await emitOne(ws.publishable, 'order.completed')).toMatchObject({ __typename: 'EmitEventPayload', unknownType: false });
    const { events } = await ws.secret.request('{ events { edges { node { type } } } }');
    expect(events.edges).toEqual([{ node: { type: 'order.completed' } }]);

    // A new type declared anywhere is accepted on the next emit; turning strict off accepts the rest again.
    await declare(ws.secret, 'user.created');
    expect(await emitOne(ws.publishable, 'user.created')).toMatchObject({ __typename: 'EmitEventPayload' });
    await ws.secret.request(SETTINGS, { input: { strictEventTypes: false } });
    expect(await emitOne(ws.publishable, 'ordr.completed')).toMatchObject({ __typename: 'EmitEventPayload', unknownType: true });
  });

  it("keeps the settings to the workspace's own secret key", async () => {
    const ws = await server.seedWorkspace();
    const denied = await ws.publishable.raw(SETTINGS, { input: { strictEventTypes: false } });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const hidden = await ws.publishable.raw('{ workspace { name settings { strictEventTypes } } }');
    expect(hidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await ws.secret.request('{ workspace { settings { strictEventTypes } } }')).workspace.settings).toEqual({ strictEventTypes: false });
  });
});
