import type { EntityManager } from '@mikro-orm/postgresql';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { EventType } from './event-type.entity.ts';
import type { Issue } from '../errors.ts';
import { LruCache } from '../lru-cache.ts';

/** Largest JSON Schema accepted, as JSON. */
export const MAX_SCHEMA_BYTES = 64 * 1024;

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/** Compiled payload validators kept per process, one per event type. */
const CACHE_SIZE = 10_000;

/**
 * One Ajv instance per schema: schemas of different workspaces may declare the same `$id`, which
 * one shared instance would refuse or, worse, resolve across tenants.
 */
function compile(schema: object): ValidateFunction {
  const ajv = new Ajv2020({
    allErrors: true,
    logger: false,
    // Unknown keywords and formats are refused, so a typo such as "requried" is caught when saved;
    // the type checks that only warn are off to keep logs quiet.
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
  });
  ajvFormats.default(ajv);
  return ajv.compile(schema);
}

/**
 * Why `schema` is not a usable JSON Schema (draft 2020-12), or null when it is. Compiling it is
 * the check: that also catches unresolvable `$ref`s and unknown formats.
 */
export function jsonSchemaProblem(schema: unknown): string | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return 'must be a JSON Schema object, e.g. { "type": "object" }';
  }
  if (Buffer.byteLength(JSON.stringify(schema)) > MAX_SCHEMA_BYTES) {
    return `must be at most ${MAX_SCHEMA_BYTES} bytes as JSON`;
  }
  const declared = (schema as { $schema?: unknown }).$schema;
  if (declared !== undefined && declared !== DRAFT_2020_12 && declared !== `${DRAFT_2020_12}#`) {
    return `only JSON Schema draft 2020-12 is supported: set "$schema" to "${DRAFT_2020_12}" or leave it out`;
  }
  try {
    compile(schema);
    return null;
  } catch (error) {
    return `is not a valid JSON Schema: ${(error as Error).message}`;
  }
}

/** The schema check of one event type version, ready to run on payloads. */
export interface PayloadSchema {
  eventTypeId: string;
  version: number;
  /** Problems of `payload` as issues under `path`; none when it conforms or there is no schema. */
  check(payload: unknown, path?: string[]): Issue[];
}

function issueOf(error: ErrorObject, path: string[]): Issue {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  const missing = error.keyword === 'required' ? [String(error.params.missingProperty)] : [];
  return { path: [...path, ...segments, ...missing], message: error.message ?? 'does not match the schema' };
}

function payloadSchema(eventTypeId: string, version: number, schema: object | null): PayloadSchema {
  const validate = schema ? compile(schema) : null;
  return {
    eventTypeId,
    version,
    check(payload, path = ['input', 'payload']) {
      if (!validate || validate(payload)) return [];
      return (validate.errors ?? []).map((error) => issueOf(error, path));
    },
  };
}

const cache = new LruCache<string, PayloadSchema>(CACHE_SIZE);

/**
 * The payload check of `workspaceId`'s event type `name`, or null when the type is not in the
 * catalog. Costs one indexed lookup of (id, version); the schema is loaded and compiled only
 * when this process has not seen that version yet, so an upsert anywhere takes effect at once.
 */
export async function compiledSchemaFor(em: EntityManager, workspaceId: string, name: string): Promise<PayloadSchema | null> {
  const current = await em.findOne(
    EventType,
    { workspace: workspaceId, name },
    { fields: ['id', 'version'], disableIdentityMap: true },
  );
  if (!current) return null;
  const cached = cache.get(current.id);
  if (cached && cached.version === current.version) return cached;
  const row = await em.findOne(EventType, { id: current.id }, { fields: ['version', 'schema'], disableIdentityMap: true });
  if (!row) return null;
  const compiled = payloadSchema(current.id, row.version, row.schema ?? null);
  cache.set(current.id, compiled);
  return compiled;
}
