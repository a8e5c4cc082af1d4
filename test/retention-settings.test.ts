import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, SwitchyardValidationError } from '../sdk/src/index.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import { applyRetention } from '../src/domains/retention/apply-retention.ts';
import { openPortalSession } from './helpers/portal.ts';
import { startTestServer } from './helpers/server.ts';

const server = await startTestServer();
const db = new pg.Pool({ connectionString: server.databaseUrl, max: 2 });
afterAll(() => db.end());

const SETTINGS = `{ workspace { settings { strictEventTypes payloadRetentionDays deliveryRetentionDays } } }`;
const UPDATE = `mutation ($input: UpdateWorkspaceSettingsInput!) { updateWorkspaceSettings(input: $input) {
  __typename
  ... on UpdateWorkspaceSettingsPayload { workspace { settings { payloadRetentionDays deliveryRetentionDays } } }
  ... on ValidationError { issues { path message } } } }`;

describe('retention settings', () => {
  it('keeps payloads 30 days and records 90 unless the workspace says otherwise, and changes each alone', async () => {
    const ws = await server.seedWorkspace();
    expect((await ws.secret.request(SETTINGS)).workspace.settings).toEqual({ strictEventTypes: false, payloadRetentionDays: 30, deliveryRetentionDays: 90 });

    const { updateWorkspaceSettings: changed } = await ws.secret.request(UPDATE, { input: { payloadRetentionDays: 7 } });
    expect(changed.workspace.settings).toEqual({ payloadRetentionDays: 7, deliveryRetentionDays: 90 });
    const { updateWorkspaceSettings: both } = await ws.secret.request(UPDATE, { input: { payloadRetentionDays: 400, deliveryRetentionDays: 3650 } });
    expect(both.workspace.settings).toEqual({ payloadRetentionDays: 400, deliveryRetentionDays: 3650 });
    // Left out: unchanged.
    await ws.secret.request(UPDATE, { input: { strictEventTypes: false } });
    expect((await ws.secret.request(SETTINGS)).workspace.settings).toMatchObject({ payloadRetentionDays: 400, deliveryRetentionDays: 3650 });

    // Through the SDK's settings fragment, as a user would.
    const sdk = createClient({ url: server.switchyard.url!, apiKey: ws.secretKey });
    try {
      expect((await sdk.workspace.updateSettings({ deliveryRetentionDays: 500 })).settings).toEqual({
        strictEventTypes: false, payloadRetentionDays: 400, deliveryRetentionDays: 500,
      });
      await expect(sdk.workspace.updateSettings({ deliveryRetentionDays: 100 })).rejects.toThrow(SwitchyardValidationError);
    } finally {
      await sdk.close();
    }
  });

  it('refuses ages out of range, and payloads kept longer than their records, naming the field and changing nothing', async () => {
    const ws = await server.seedWorkspace();
    const refusal = async (input: Record<string, unknown>) => (await ws.secret.request(UPDATE, { input })).updateWorkspaceSettings;
    expect(await refusal({ payloadRetentionDays: 0 })).toEqual({
      __typename: 'ValidationError', issues: [{ path: ['input', 'payloadRetentionDays'], message: 'must be from 1 to 3650 days' }],
    });
    expect((await refusal({ deliveryRetentionDays: 3651 })).issues).toEqual([{ path: ['input', 'deliveryRetentionDays'], message: 'must be from 1 to 3650 days' }]);
    expect((await refusal({ payloadRetentionDays: 91 })).issues).toEqual([{
      path: ['input', 'payloadRetentionDays'],
      message: 'payloads cannot be kept longer than their records: 91 days of payloads, 90 days of records',
    }]);
    expect((await refusal({ deliveryRetentionDays: 10 })).issues[0].path).toEqual(['input', 'deliveryRetentionDays']);
    // Not an Int at all: GraphQL itself refuses it, naming the variable's field.
    const fractional = await ws.secret.raw(UPDATE, { input: { payloadRetentionDays: 1.5 } });
    expect(fractional.errors?.[0]?.message).toMatch(/payloadRetentionDays/);
    expect((await ws.secret.request(SETTINGS)).workspace.settings).toMatchObject({ payloadRetentionDays: 30, deliveryRetentionDays: 90 });
  });

  it('is for the secret key of the workspace alone: publishable keys and portal sessions are refused, other workspaces untouched', async () => {
    const ws = await server.seedWorkspace();
    const other = await server.seedWorkspace();
    const forPublishable = await ws.publishable.raw(UPDATE, { input: { payloadRetentionDays: 1 } });
    expect(forPublishable.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const portal = await openPortalSession(ws.secret);
    const forPortal = await server.as(portal.token).raw(UPDATE, { input: { payloadRetentionDays: 1 } });
    expect(forPortal.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const erasedByPortal = await server.as(portal.token).raw('mutation { eraseResource(input: { resource: "customer", resourceId: "c1" }) { __typename } }');
    expect(erasedByPortal.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const readByPortal = await server.as(portal.token).raw(SETTINGS);
    expect(readByPortal.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    await ws.secret.request(UPDATE, { input: { payloadRetentionDays: 2, deliveryRetentionDays: 3 } });
    expect((await other.secret.request(SETTINGS)).workspace.settings).toMatchObject({ payloadRetentionDays: 30, deliveryRetentionDays: 90 });
    expect((await ws.secret.request(SETTINGS)).workspace.settings).toMatchObject({ payloadRetentionDays: 2, deliveryRetentionDays: 3 });
  });

  it("has the retention task follow each workspace's own ages", async () => {
    const short = await server.seedWorkspace();
    const standard = await server.seedWorkspace();
    await short.secret.request(UPDATE, { input: { payloadRetentionDays: 1, deliveryRetentionDays: 5 } });
    for (const [ws, ageDays] of [[short, 2], [short, 6], [standard, 2], [standard, 6]] as const) {
      await db.query(
        `insert into events (id, workspace_id, type, payload, sequence, created_at, operational)
         values (gen_random_uuid(), $1, 'order.completed', '{"total": 1}', $2::int, now() - make_interval(days => $2::int), false)`,
        [decodeId('Workspace', ws.id), ageDays],
      );
    }
    await applyRetention(server.switchyard.services.orm.em.fork());
    const left = async (ws: { id: string }) => (await db.query(
      `select extract(day from now() - created_at)::int as age, payload is not null as kept, payload_removed_by as removed_by
       from events where workspace_id = $1 order by created_at desc`, [decodeId('Workspace', ws.id)])).rows;
    // Payloads past one day go, records past five days go.
    expect(await left(short)).toEqual([{ age: 2, kept: false, removed_by: 'EXPIRED' }]);
    expect(await left(standard)).toEqual([{ age: 2, kept: true, removed_by: null }, { age: 6, kept: true, removed_by: null }]);
  });
});
