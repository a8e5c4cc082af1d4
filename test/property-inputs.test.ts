import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type SeededWorkspace } from './helpers/server.ts';

const server = await startTestServer();

let ws: SeededWorkspace;
let connectionId: string;
let ruleId: string;

beforeAll(async () => {
  ws = await server.seedWorkspace();
  const created = await ws.secret.request(
    'mutation { createConnection(input: { name: "target", kind: WEBHOOK, webhook: { url: "https://hooks.example.com/in" } }) { ... on CreateConnectionPayload { connection { id } } } }',
  );
  connectionId = created.createConnection.connection.id;
  const rule = await ws.secret.request(
    'mutation ($c: ID!) { createRule(input: { name: "base", eventTypes: ["*"], connectionId: $c }) { ... on CreateRulePayload { rule { id } } } }',
    { c: connectionId },
  );
  ruleId = rule.createRule.rule.id;
});

/** JSON nested `depth` levels deep, in objects or arrays. */
const nested = fc.tuple(fc.integer({ min: 1, max: 200 }), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) value = arrays ? [value] : { n: value };
  return value;
});

/** Strings of any UTF-16 code units (NUL and lone surrogates included), and of readable text. */
const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 300 }), fc.constantFrom('', ' ', '\u0000', '\ud800', 'a'.repeat(5000)));

/** Anything JSON can carry, as any input field might receive it. */
const anything = fc.oneof(
  anyString,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 1e308, -1e308),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 4 }),
  fc.array(anyString, { maxLength: 5 }),
  nested,
);

/** Each mutation with its input: valid defaults, any of whose fields the property replaces. */
const mutations: Array<{ name: string; type: string; base: () => Record<string, unknown>; fields: string[] }> = [
  { name: 'emitEvent', type: 'EmitEventInput', base: () => ({ type: 'order.placed' }), fields: ['type', 'resource', 'resourceId', 'payload', 'idempotencyKey'] },
  {
    name: 'emitEvents',
    type: 'EmitEventsInput',
    base: () => ({ events: [{ type: 'order.placed' }] }),
    fields: ['events'],
  },
  {
    name: 'createConnection',
    type: 'CreateConnectionInput',
    base: () => ({ name: `c-${Math.random()}`, kind: 'WEBHOOK', webhook: { url: 'https://hooks.example.com/x' } }),
    fields: ['name', 'kind', 'webhook', 'retryScheduleSeconds', 'timeoutSeconds', 'rateLimitPerSecond', 'maxConcurrency', 'ordered'],
  },
  {
    name: 'updateConnection',
    type: 'UpdateConnectionInput',
    base: () => ({ id: connectionId }),
    fields: ['name', 'webhook', 'retryScheduleSeconds', 'timeoutSeconds', 'rateLimitPerSecond', 'maxConcurrency', 'ordered'],
  },
  {
    name: 'createRule',
    type: 'CreateRuleInput',
    base: () => ({ name: `r-${Math.random()}`, eventTypes: ['order.*'], connectionId }),
    fields: ['name', 'eventTypes', 'condition', 'transform', 'enabled'],
  },
  { name: 'updateRule', type: 'UpdateRuleInput', base: () => ({ id: ruleId }), fields: ['name', 'eventTypes', 'condition', 'transform', 'enabled'] },
  { name: 'upsertEventType', type: 'UpsertEventTypeInput', base: () => ({ name: 'order.placed' }), fields: ['name', 'description', 'schema'] },
];

/** Nested input objects get random fields of their own too. */
const nestedFields: Record<string, fc.Arbitrary<unknown>> = {
  webhook: fc.oneof(anything, fc.record({ url: fc.oneof(anyString, fc.constant('https://hooks.example.com/y')), headers: anything }, { requiredKeys: [] })),
  events: fc.oneof(anything, fc.array(fc.record({ type: fc.oneof(anyString, fc.constant('a.b')), payload: anything, resourceId: anything }, { requiredKeys: [] }), { maxLength: 3 })),
};

describe('every input field of emit, connections, rules and event types', () => {
  it.each(mutations.map((mutation) => [mutation.name, mutation] as const))(
    '%s answers random input with success or a typed error, never an internal error, and keeps answering',
    async (_name, mutation) => {
      const document = `mutation ($input: ${mutation.type}!) { result: ${mutation.name}(input: $input) { __typename ... on Error { message } } }`;
      const overrides = fc.record(Object.fromEntries(mutation.fields.map((field) => [field, nestedFields[field] ?? anything])), { requiredKeys: [] });
      await fc.assert(
        fc.asyncProperty(overrides, async (fields) => {
          const response = await fetch(server.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${ws.secretKey}` },
            body: JSON.stringify({ query: document, variables: { input: { ...mutation.base(), ...fields } } }),
          });
          expect(response.status).toBeLessThan(500);
          const body = (await response.json()) as { data?: { result?: { __typename: string } } | null; errors?: { extensions?: { code?: string } }[] };
          const codes = (body.errors ?? []).map((error) => error.extensions?.code);
          expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
          expect(codes.every((code) => typeof code === 'string')).toBe(true);
          if (!body.errors?.length) expect(body.data?.result?.__typename).toMatch(/Payload$|Error$/);
          const next = await ws.secret.request('{ workspace { id } }');
          expect(next.workspace.id).toBe(ws.id);
        }),
        { numRuns: 40 },
      );
    },
    120_000,
  );
});
