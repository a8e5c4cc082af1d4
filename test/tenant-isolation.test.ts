import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { secretHint } from '../src/domains/signing/standard-webhooks.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import type { GraphqlClient } from './helpers/graphql.ts';
import { startTestServer, type SeededWorkspace } from './helpers/server.ts';

const server = await startTestServer();

const NOT_FOUND = '__typename ... on NotFoundError { resource missingId: id }';

/** Every query and mutation that takes an id, with the id it takes. */
const byId: Array<{ name: string; resource: string; document: string; variables: (ids: Ids) => Record<string, unknown> }> = [
  { name: 'connection', resource: 'Connection', document: `query ($id: ID!) { result: connection(id: $id) { ${NOT_FOUND} } }`, variables: (ids) => ({ id: ids.connection }) },
  { name: 'rule', resource: 'Rule', document: `query ($id: ID!) { result: rule(id: $id) { ${NOT_FOUND} } }`, variables: (ids) => ({ id: ids.rule }) },
  { name: 'eventType(id)', resource: 'EventType', document: `query ($id: ID!) { result: eventType(id: $id) { ${NOT_FOUND} } }`, variables: (ids) => ({ id: ids.eventType }) },
  {
    name: 'updateConnection',
    resource: 'Connection',
    document: `mutation ($id: ID!) { result: updateConnection(input: { id: $id, name: "taken over" }) { ${NOT_FOUND} } }`,
    variables: (ids) => ({ id: ids.connection }),
  },
  { name: 'deleteConnection', resource: 'Connection', document: `mutation ($id: ID!) { result: deleteConnection(input: { id: $id }) { ${NOT_FOUND} } }`, variables: (ids) => ({ id: ids.connection }) },
  { name: 'pauseConnection', resource: 'Connection', document: `mutation ($id: ID!) { result: pauseConnection(input: { id: $id }) { ${NOT_FOUND} } }`, variables: (ids) => ({ id: ids.connection }) },
  { name: 'resumeConnection', resource: 'Connection', document: `mutation ($id: ID!) { result: resumeConnection(input: { id: $id }) { ${NOT_FOUND} } }`, variables: (ids) => ({ id: ids.connection }) },
  {
    name: 'rotateConnectionSecret',
    resource: 'Connection',
    document: `mutation ($id: ID!) { result: rotateConnectionSecret(input: { connectionId: $id }) { ${NOT_FOUND} } }`,
    variables: (ids) => ({ id: ids.connection }),
  },
  {
    name: 'createRule',
    resource: 'Connection',
    document: `mutation ($id: ID!) { result: createRule(input: { name: "stolen", eventTypes: ["*"], connectionId: $id }) { ${NOT_FOUND} } }`,
    variables: (ids) => ({ id: ids.connection }),
  },
  {
    name: 'updateRule',
    resource: 'Rule',
    document: `mutation ($id: ID!) { result: updateRule(input: { id: $id, enabled: false }) { ${NOT_FOUND} } }`,
    variables: (ids) => ({ id: ids.rule }),
  },
  {
    name: 'updateRule(connectionId)',
    resource: 'Connection',
    document: `mutation ($own: ID!, $id: ID!) { result: updateRule(input: { id: $own, connectionId: $id }) { ${NOT_FOUND} } }`,
    variables: (ids) => ({ id: ids.connection, own: ids.ownRule }),
  },
  { name: 'deleteRule', resource: 'Rule', document: `mutation ($id: ID!) { result: deleteRule(input: { id: $id }) { ${NOT_FOUND} } }`, variables: (ids) => ({ id: ids.rule }) },
  {
    name: 'sendTestEvent',
    resource: 'Connection',
    document: `mutation ($id: ID!) { result: sendTestEvent(input: { connectionId: $id, type: "order.completed" }) { ${NOT_FOUND} } }`,
    variables: (ids) => ({ id: ids.connection }),
  },
  {
    name: 'authorizeConnection',
    resource: 'Connection',
    document: `mutation ($id: ID!) { result: authorizeConnection(input: { connectionId: $id, returnUrl: "https://app.example.com/done" }) { ${NOT_FOUND} } }`,
    variables: (ids) => ({ id: ids.connection }),
  },
  {
    name: 'setConnectionCredentials',
    resource: 'Connection',
    document: `mutation ($id: ID!) { result: setConnectionCredentials(input: { connectionId: $id, accessToken: "a-token-for-someone-else" }) { ${NOT_FOUND} } }`,
    variables: (ids) => ({ id: ids.connection }),
  },
  { name: 'revokeApiKey', resource: 'ApiKey', document: `mutation ($id: ID!) { result: revokeApiKey(input: { id: $id }) { ${NOT_FOUND} } }`, variables: (ids) => ({ id: ids.apiKey }) },
];

interface Ids {
  connection: string;
  rule: string;
  eventType: string;
  apiKey: string;
  /** A rule of the workspace that asks, for mutations that also name another resource. */
  ownRule: string;
}

/** Ids that exist nowhere, in the same format. */
const missing = (own: string): Ids => ({
  connection: 'conn_0193aaaaaaaa7aaa8aaaaaaaaaaaaaaa',
  rule: 'rule_0193aaaaaaaa7aaa8aaaaaaaaaaaaaaa',
  eventType: 'evtype_0193aaaaaaaa7aaa8aaaaaaaaaaaaaaa',
  apiKey: 'key_0193aaaaaaaa7aaa8aaaaaaaaaaaaaaa',
  ownRule: own,
});

let a: SeededWorkspace;
let b: SeededWorkspace;
let ids: Ids;
let secrets: string[];

async function seedResources(client: GraphqlClient, prefix: string) {
  const created = await client.request(
    `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { ... on CreateConnectionPayload { signingSecret connection { id } } } }`,
    { input: { name: `${prefix} endpoint`, kind: 'WEBHOOK', webhook: { url: 'https://hooks.example.com/a', headers: { Authorization: 'Bearer a-long-secret-token-1234' } } } },
  );
  const connection = created.createConnection.connection.id as string;
  const rule = await client.request(
    `mutation ($input: CreateRuleInput!) { createRule(input: $input) { ... on CreateRulePayload { rule { id } } } }`,
    { input: { name: `${prefix} rule`, eventTypes: ['order.*'], connectionId: connection } },
  );
  return { connection, signingSecret: created.createConnection.signingSecret as string, rule: rule.createRule.rule.id as string };
}

beforeAll(async () => {
  a = await server.seedWorkspace();
  b = await server.seedWorkspace();
  const resources = await seedResources(a.secret, 'a');
  const eventType = await a.secret.request(
    `mutation { upsertEventType(input: { name: "order.completed", schema: { type: "object" } }) { ... on UpsertEventTypePayload { eventType { id } } } }`,
  );
  const apiKey = await a.secret.request(
    `mutation { createApiKey(input: { name: "ci", kind: SECRET }) { ... on CreateApiKeyPayload { apiKey { id } } } }`,
  );
  const rotated = await a.secret.request(
    `mutation ($id: ID!) { rotateConnectionSecret(input: { connectionId: $id }) { ... on RotateConnectionSecretPayload { signingSecret } } }`,
    { id: resources.connection },
  );
  const own = await seedResources(b.secret, 'b');
  ids = {
    connection: resources.connection,
    rule: resources.rule,
    eventType: eventType.upsertEventType.eventType.id,
    apiKey: apiKey.createApiKey.apiKey.id,
    ownRule: own.rule,
  };
  secrets = [resources.signingSecret, rotated.rotateConnectionSecret.signingSecret];
});

describe('tenant isolation', () => {
  it.each(byId.map((operation) => [operation.name, operation] as const))(
    '%s with another workspace\'s id is NotFoundError, exactly like a missing id',
    async (_name, operation) => {
      for (const asked of [ids, missing(ids.ownRule)]) {
        const sent = String(operation.variables(asked).id);
        const { result } = await b.secret.request(operation.document, operation.variables(asked));
        expect(result).toEqual({ __typename: 'NotFoundError', resource: operation.resource, missingId: sent });
      }
    },
  );

  it("leaves the other workspace's data as it was", async () => {
    const seen = await a.secret.request(
      `query ($c: ID!, $r: ID!) {
        connection(id: $c) { ... on Connection { name status } }
        rule(id: $r) { ... on Rule { enabled } }
        apiKeys(first: 10) { edges { node { name revokedAt } } } }`,
      { c: ids.connection, r: ids.rule },
    );
    expect(seen.connection).toEqual({ name: 'a endpoint', status: 'ACTIVE' });
    expect(seen.rule).toEqual({ enabled: true });
    expect(seen.apiKeys.edges.find((edge: { node: { name: string } }) => edge.node.name === 'ci').node.revokedAt).toBeNull();
    const db = new pg.Client(server.databaseUrl);
    await db.connect();
    try {
      const { rows } = await db.query(
        `select hint, expires_at is null or expires_at > now() as live from connection_secrets where connection_id = $1 order by created_at, id`,
        [decodeId('Connection', ids.connection)],
      );
      expect(rows).toEqual(secrets.map((signing) => ({ hint: secretHint(signing), live: true })));
    } finally {
      await db.end();
    }
  });

  it("lists only the asking workspace's resources, and an event type name is per workspace", async () => {
    const lists = await b.secret.request(`{
      connections(first: 100) { edges { node { id } } }
      rules(first: 100) { edges { node { id } } }
      eventTypes(first: 100) { edges { node { id } } }
      apiKeys(first: 100) { edges { node { id } } } }`);
    const text = JSON.stringify(lists);
    for (const id of [ids.connection, ids.rule, ids.eventType, ids.apiKey]) expect(text).not.toContain(id);

    const byName = await b.secret.request(`{ eventType(name: "order.completed") { ${NOT_FOUND} } }`);
    expect(byName.eventType).toEqual({ __typename: 'NotFoundError', resource: 'EventType', missingId: 'order.completed' });
    const mine = await b.secret.request(
      `mutation { upsertEventType(input: { name: "order.completed", description: "b's own" }) { ... on UpsertEventTypePayload { eventType { id version } } } }`,
    );
    expect(mine.upsertEventType.eventType.id).not.toBe(ids.eventType);
    const theirs = await a.secret.request(`query ($id: ID!) { eventType(id: $id) { ... on EventType { description version } } }`, { id: ids.eventType });
    expect(theirs.eventType).toEqual({ description: '', version: 1 });
  });

  it('lets a publishable key manage nothing', async () => {
    const operations = [
      '{ connections(first: 1) { edges { node { id } } } }',
      `{ connection(id: "${ids.connection}") { __typename } }`,
      '{ rules(first: 1) { edges { node { id } } } }',
      `{ rule(id: "${ids.rule}") { __typename } }`,
      '{ eventTypes(first: 1) { edges { node { id } } } }',
      `{ eventType(id: "${ids.eventType}") { __typename } }`,
      '{ apiKeys(first: 1) { edges { node { id } } } }',
      'mutation { upsertEventType(input: { name: "x.y" }) { __typename } }',
      'mutation { createConnection(input: { name: "p", kind: WEBHOOK, webhook: { url: "https://p.example.com" } }) { __typename } }',
      `mutation { rotateConnectionSecret(input: { connectionId: "${ids.connection}" }) { __typename } }`,
      'mutation { createApiKey(input: { name: "p", kind: SECRET }) { __typename } }',
      ...byId.filter((operation) => operation.document.startsWith('mutation')).map((operation) => ({ operation })),
    ];
    for (const entry of operations) {
      const [document, variables] = typeof entry === 'string' ? [entry, {}] : [entry.operation.document, entry.operation.variables(ids)];
      const response = await a.publishable.raw(document, variables);
      expect([document, response.errors?.[0]?.extensions?.code]).toEqual([document, 'FORBIDDEN']);
      expect(Object.values(response.data ?? {}).filter((value) => value !== null)).toEqual([]);
    }
  });

  it('never returns a signing secret after it was created', async () => {
    const everything = await a.secret.request(
      `query ($c: ID!) {
        connection(id: $c) { ... on Connection { id name webhook { url headers } signingSecretHint } }
        connections(first: 100) { edges { node { id signingSecretHint webhook { headers } } } }
        rules(first: 100) { edges { node { id connection { signingSecretHint } } } } }`,
      { c: ids.connection },
    );
    const paused = await a.secret.request(
      `mutation ($c: ID!) { pauseConnection(input: { id: $c }) { ... on PauseConnectionPayload { connection { signingSecretHint } } } }`,
      { c: ids.connection },
    );
    const text = JSON.stringify([everything, paused]);
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice('whsec_'.length, -4));
    }
    expect(everything.connection.signingSecretHint).toBe(`whsec_…${secrets[1]!.slice(-4)}`);
    expect(text).not.toContain('a-long-secret-token');
  });
});
