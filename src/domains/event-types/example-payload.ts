import type { EntityManager } from '@mikro-orm/postgresql';
import { Event } from '../events/event.entity.ts';
import type { EventType } from './event-type.entity.ts';
import { compiledSchemaFor } from './payload-schema.ts';

/** Deepest nesting the generated example follows; deeper parts are left out. */
const MAX_DEPTH = 8;

type Schema = Record<string, unknown>;

/**
 * A payload to start a test event from, the way the portal offers one: the schema's own first
 * example, else the payload of the last event of this type (if it still conforms), else one
 * made from the schema, else `{}`.
 */
export async function examplePayload(em: EntityManager, eventType: EventType): Promise<unknown> {
  const schema = eventType.schema ?? null;
  const check = schema ? await compiledSchemaFor(em, eventType.workspace.id, eventType.name) : null;
  const conforms = (payload: unknown) => !check || check.check(payload).length === 0;
  const declared = Array.isArray(schema?.examples) ? (schema.examples as unknown[])[0] : undefined;
  if (declared !== undefined && conforms(declared)) return declared;
  const last = await em.findOne(
    Event,
    { workspace: eventType.workspace.id, type: eventType.name },
    { orderBy: { id: 'desc' }, fields: ['payload'], disableIdentityMap: true },
  );
  if (last && last.payload !== undefined && conforms(last.payload)) return last.payload;
  return schema ? (exampleOf(schema, 0) ?? {}) : {};
}

/** A value matching the common JSON Schema keywords of `schema`; undefined where it cannot tell. */
export function exampleOf(schema: unknown, depth: number): unknown {
  if (typeof schema !== 'object' || schema === null || depth > MAX_DEPTH) return undefined;
  const s = schema as Schema;
  if ('const' in s) return s.const;
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if ('default' in s) return s.default;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  for (const keyword of ['oneOf', 'anyOf', 'allOf'] as const) {
    const options = s[keyword];
    if (Array.isArray(options) && options.length) return exampleOf(options[0], depth + 1);
  }
  const type = Array.isArray(s.type) ? s.type.find((candidate) => candidate !== 'null') : s.type;
  switch (type ?? (s.properties ? 'object' : undefined)) {
    case 'object':
      return objectExample(s, depth);
    case 'array': {
      const item = exampleOf(s.items, depth + 1);
      const count = typeof s.minItems === 'number' ? Math.max(1, s.minItems) : 1;
      return item === undefined ? [] : Array.from({ length: Math.min(count, 3) }, () => item);
    }
    case 'string':
      return stringExample(s);
    case 'integer':
    case 'number':
      return numberExample(s, type === 'integer');
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return undefined;
  }
}

function objectExample(schema: Schema, depth: number): Record<string, unknown> {
  const example: Record<string, unknown> = {};
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  for (const [name, property] of Object.entries(properties)) {
    const value = exampleOf(property, depth + 1);
    if (value !== undefined) example[name] = value;
  }
  return example;
}

const FORMATS: Record<string, () => string> = {
  'date-time': () => new Date().toISOString(),
  date: () => new Date().toISOString().slice(0, 10),
  time: () => new Date().toISOString().slice(11, 19) + 'Z',
  email: () => 'customer@example.com',
  uri: () => 'https://example.com/',
  url: () => 'https://example.com/',
  uuid: () => '3f2c5d1e-8b7a-4c6d-9e0f-1a2b3c4d5e6f',
  hostname: () => 'example.com',
  ipv4: () => '192.0.2.1',
  ipv6: () => '2001:db8::1',
};

function stringExample(schema: Schema): string {
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  if (format) return format();
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const text = 'string'.padEnd(minLength, 'x');
  return text.slice(0, Math.max(minLength, Math.min(text.length, maxLength)));
}

function numberExample(schema: Schema, integer: boolean): number {
  const at = (keyword: string) => (typeof schema[keyword] === 'number' ? (schema[keyword] as number) : undefined);
  const exclusive = at('exclusiveMinimum');
  let value = at('minimum') ?? (exclusive !== undefined ? exclusive + (integer ? 1 : 0.5) : integer ? 1 : 1.5);
  const maximum = at('maximum');
  if (maximum !== undefined && value > maximum) value = maximum;
  return integer ? Math.ceil(value) : value;
}
