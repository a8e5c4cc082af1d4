import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { compilePattern, patternProblem } from '../src/domains/rules/match-pattern.ts';
import { routingSnapshot } from '../src/domains/events/routing-snapshot.ts';
import { Rule } from '../src/domains/rules/rule.entity.ts';
import { decodeId } from '../src/domains/public-ids.ts';
import type { GraphqlClient } from './helpers/graphql.ts';
import { startTestServer } from './helpers/server.ts';

const server = await startTestServer();
const db = new pg.Client(server.databaseUrl);
await db.connect();
afterAll(() => db.end());

const RULE = 'id name eventTypes condition transform enabled connection { id name }';
const ERRORS = `... on ValidationError { issues { path message } } ... on ConflictError { path message }
  ... on NotFoundError { resource missingId: id }`;
const CREATE = `mutation ($input: CreateRuleInput!) { createRule(input: $input) {
  __typename ... on CreateRulePayload { rule { ${RULE} } } ${ERRORS} } }`;
const UPDATE = `mutation ($input: UpdateRuleInput!) { updateRule(input: $input) {
  __typename ... on UpdateRulePayload { rule { ${RULE} } } ${ERRORS} } }`;
const DELETE = `mutation ($id: ID!) { deleteRule(input: { id: $id }) { __typename ... on DeleteRulePayload { deletedId } ${ERRORS} } }`;

async function connectionIn(client: GraphqlClient, name = 'receiver', owner = 'CUSTOMER'): Promise<string> {
  const { createConnection } = await client.request(
    `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { ... on CreateConnectionPayload { connection { id } } } }`,
    { input: { name, kind: 'WEBHOOK', webhook: { url: 'https://hooks.example.com/in' }, owner } },
  );
  return createConnection.connection.id;
}

async function ruleRows(workspaceId: string): Promise<number> {
  const result = await db.query('select count(*)::int as n from rules where workspace_id = $1', [decodeId('Workspace', workspaceId)]);
  return result.rows[0].n;
}

const paths = (result: { issues: Array<{ path: string[] }> }) => result.issues.map((issue) => issue.path.join('.'));

describe('event-type patterns', () => {
  it.each([
    ['order.completed', 'order.completed', true],
    ['order.completed', 'order.refunded', false],
    ['order.*', 'order.completed', true],
    ['order.*', 'order.item.added', false],
    ['order.**', 'order.item.added', true],
    ['order.**', 'order.completed', true],
    ['order.**', 'invoice.paid', false],
    ['*.completed', 'order.completed', true],
    ['*', 'order.item.added', true],
    ['**', 'order.completed', true],
    ['*', 'switchyard.connection.failing', false],
    ['*.*.*', 'switchyard.connection.failing', false],
    ['switchyard.**', 'switchyard.connection.failing', true],
    ['switchyard.connection.*', 'switchyard.connection.disabled', true],
  ])('%s matches %s: %s', (pattern, eventType, expected) => {
    expect(patternProblem(pattern)).toBeNull();
    expect(compilePattern(pattern)(eventType)).toBe(expected);
  });

  it('explains what is wrong with a pattern', () => {
    expect(patternProblem('order.**.added')).toBe('"**" may only be the last segment');
    expect(patternProblem('Order.*')).toContain('segment "Order"');
    expect(patternProblem('order..x')).toContain('segment ""');
  });
});

describe('createRule', () => {
  it('creates a rule with patterns, a condition and a transform', async () => {
    const { secret } = await server.seedWorkspace();
    const connectionId = await connectionIn(secret);
    const { createRule } = await secret.request(CREATE, {
      input: {
        name: 'big orders',
        eventTypes: ['order.*', 'order.*', 'invoice.paid'],
        connectionId,
        condition: 'payload.total > 100',
        transform: '{ "text": "Order " & resourceId }',
      },
    });
    expect(createRule).toMatchObject({
      __typename: 'CreateRulePayload',
      rule: {
        name: 'big orders',
        eventTypes: ['order.*', 'invoice.paid'],
        condition: 'payload.total > 100',
        transform: '{ "text": "Order " & resourceId }',
        enabled: true,
        connection: { id: connectionId, name: 'receiver' },
      },
    });
    expect(createRule.rule.id).toMatch(/^rule_[0-9a-f]{32}$/);
  });

  it('refuses malformed JSONata, naming the field and the position, and saves nothing', async () => {
    const { id, secret } = await server.seedWorkspace();
    const connectionId = await connectionIn(secret);
    const { createRule } = await secret.request(CREATE, {
      input: { name: 'broken', eventTypes: ['*'], connectionId, condition: 'payload.total >', transform: '{ "a": }' },
    });
    expect(createRule.__typename).toBe('ValidationError');
    expect(createRule.issues).toEqual([
      { path: ['input', 'condition'], message: expect.stringMatching(/^is not a valid JSONata expression: .* at position 15 \(S\d{4}\)$/) },
      { path: ['input', 'transform'], message: expect.stringContaining('at position 8') },
    ]);
    expect(await ruleRows(id)).toBe(0);
  });

  it('refuses a runaway expression within about the time limit', async () => {
    const { id, secret } = await server.seedWorkspace();
    const connectionId = await connectionIn(secret);
    const started = performance.now();
    const { createRule } = await secret.request(CREATE, {
      input: { name: 'runaway', eventTypes: ['*'], connectionId, transform: '($f := function($x){ $f($x) }; $f(1))' },
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(createRule.issues).toEqual([
      { path: ['input', 'transform'], message: expect.stringMatching(/^does not finish on a sample event: .*\((D1011|D1012)\)$/) },
    ]);
    expect(await ruleRows(id)).toBe(0);
  });

  it('refuses bad patterns, each at its index', async () => {
    const { secret } = await server.seedWorkspace();
    const connectionId = await connectionIn(secret);
    const bad = await secret.request(CREATE, { input: { name: 'bad', eventTypes: ['order.*', 'Order.*', 'order.**.x'], connectionId } });
    expect(paths(bad.createRule)).toEqual(['input.eventTypes.1', 'input.eventTypes.2']);
    const none = await secret.request(CREATE, { input: { name: 'none', eventTypes: [], connectionId } });
    expect(paths(none.createRule)).toEqual(['input.eventTypes']);
    const many = await secret.request(CREATE, { input: { name: 'many', eventTypes: Array.from({ length: 51 }, (_, i) => `t.e${i}`), connectionId } });
    expect(paths(many.createRule)).toEqual(['input.eventTypes']);
  });

  it('refuses an unknown connection with NotFoundError and a duplicate name with ConflictError', async () => {
    const { id, secret } = await server.seedWorkspace();
    const connectionId = await connectionIn(secret);
    const missing = 'conn_0193aaaaaaaa7aaa8aaaaaaaaaaaaaaa';
    const unknown = await secret.request(CREATE, { input: { name: 'r', eventTypes: ['*'], connectionId: missing } });
    expect(unknown.createRule).toEqual({ __typename: 'NotFoundError', resource: 'Connection', missingId: missing });
    const malformed = await secret.request(CREATE, { input: { name: 'r', eventTypes: ['*'], connectionId: 'nope' } });
    expect(malformed.createRule).toEqual({ __typename: 'NotFoundError', resource: 'Connection', missingId: 'nope' });

    await secret.request(CREATE, { input: { name: 'r', eventTypes: ['*'], connectionId } });
    const again = await secret.request(CREATE, { input: { name: 'r', eventTypes: ['x.y'], connectionId } });
    expect(again.createRule).toMatchObject({ __typename: 'ConflictError', path: ['input', 'name'] });
    expect(await ruleRows(id)).toBe(1);
  });
});

describe('updateRule and deleteRule', () => {
  it('changes the fields given and removes a condition on null', async () => {
    const { secret } = await server.seedWorkspace();
    const first = await connectionIn(secret, 'first');
    const second = await connectionIn(secret, 'second');
    const { createRule } = await secret.request(CREATE, {
      input: { name: 'r', eventTypes: ['order.*'], connectionId: first, condition: 'payload.ok', transform: 'payload' },
    });
    const { updateRule } = await secret.request(UPDATE, {
      input: { id: createRule.rule.id, condition: null, connectionId: second, enabled: false },
    });
    expect(updateRule.rule).toMatchObject({
      eventTypes: ['order.*'],
      condition: null,
      transform: 'payload',
      enabled: false,
      connection: { id: second, name: 'second' },
    });
    const bad = await secret.request(UPDATE, { input: { id: createRule.rule.id, transform: '$$$(' } });
    expect(paths(bad.updateRule)).toEqual(['input.transform']);
  });

  it('deletes a rule, after which it is not found', async () => {
    const { secret } = await server.seedWorkspace();
    const connectionId = await connectionIn(secret);
    const { createRule } = await secret.request(CREATE, { input: { name: 'r', eventTypes: ['*'], connectionId } });
    expect((await secret.request(DELETE, { id: createRule.rule.id })).deleteRule).toEqual({
      __typename: 'DeleteRulePayload',
      deletedId: createRule.rule.id,
    });
    expect((await secret.request(DELETE, { id: createRule.rule.id })).deleteRule.__typename).toBe('NotFoundError');
    const get = await secret.request(`query ($id: ID!) { rule(id: $id) { __typename } }`, { id: createRule.rule.id });
    expect(get.rule.__typename).toBe('NotFoundError');
  });

  it('lists rules newest first, optionally for one connection', async () => {
    const { secret } = await server.seedWorkspace();
    const first = await connectionIn(secret, 'first');
    const second = await connectionIn(secret, 'second');
    for (const [name, connectionId] of [['a', first], ['b', second], ['c', first]] as const) {
      await secret.request(CREATE, { input: { name, eventTypes: ['*'], connectionId } });
    }
    const list = async (connectionId?: string) =>
      (await secret.request(`query ($c: ID) { rules(first: 10, connectionId: $c) { edges { node { name connection { name } } } } }`, { c: connectionId }))
        .rules.edges.map((edge: { node: { name: string; connection: { name: string } } }) => `${edge.node.name}->${edge.node.connection.name}`);
    expect(await list()).toEqual(['c->first', 'b->second', 'a->first']);
    expect(await list(first)).toEqual(['c->first', 'a->first']);
  });
});

describe('routing an event type', () => {
  it('finds the enabled matching rules, compiled, and sees every change at once', async () => {
    const { id, secret } = await server.seedWorkspace();
    const workspaceId = decodeId('Workspace', id);
    // The operator's: only its connections may receive switchyard.* events.
    const connectionId = await connectionIn(secret, 'receiver', 'OPERATOR');
    const em = server.switchyard.services.orm.em.fork();
    // As a request sees them: the workspace's routing version first, then the process's snapshot.
    const routes = async (type: string) => {
      const [row] = await em.execute<{ routing_version: number }[]>('select routing_version from workspaces where id = ?', [workspaceId]);
      return routingSnapshot(em, workspaceId, row!.routing_version).routesFor(type);
    };
    const names = async (type: string) => {
      const rules = await em.fork().find(Rule, { id: { $in: (await routes(type)).map((route) => route.ruleId) } }, { orderBy: { id: 'asc' } });
      return rules.map((rule) => rule.name);
    };

    const orders = (await secret.request(CREATE, { input: { name: 'orders', eventTypes: ['order.*'], connectionId, condition: 'payload.total > 1' } })).createRule.rule;
    await secret.request(CREATE, { input: { name: 'everything', eventTypes: ['*'], connectionId } });
    await secret.request(CREATE, { input: { name: 'alerts', eventTypes: ['switchyard.**'], connectionId } });
    await secret.request(CREATE, { input: { name: 'off', eventTypes: ['*'], connectionId, enabled: false } });

    expect(await names('order.completed')).toEqual(['orders', 'everything']);
    expect(await names('switchyard.connection.failing')).toEqual(['alerts']);
    const [matched] = await routes('order.completed');
    expect(matched).toMatchObject({ connection: { id: decodeId('Connection', connectionId), status: 'ACTIVE' } });
    expect(matched?.condition?.source).toBe('payload.total > 1');

    await secret.request(UPDATE, { input: { id: orders.id, eventTypes: ['invoice.*'] } });
    expect(await names('order.completed')).toEqual(['everything']);
    expect(await names('invoice.paid')).toEqual(['orders', 'everything']);

    await secret.request(`mutation ($id: ID!) { pauseConnection(input: { id: $id }) { __typename } }`, { id: connectionId });
    expect((await routes('invoice.paid')).map((route) => route.connection.status)).toEqual(['PAUSED', 'PAUSED']);
    // A change made outside this process's requests, straight in the database, counts as well.
    await em.execute('update rules set enabled = false where workspace_id = ? and name = ?', [workspaceId, 'everything']);
    expect(await names('invoice.paid')).toEqual(['orders']);
    await em.execute('update rules set enabled = true where workspace_id = ? and name = ?', [workspaceId, 'everything']);

    await secret.request(DELETE, { id: orders.id });
    expect(await names('invoice.paid')).toEqual(['everything']);

    await secret.request(`mutation ($id: ID!) { deleteConnection(input: { id: $id }) { __typename } }`, { id: connectionId });
    expect(await names('invoice.paid')).toEqual([]);
  });
});
