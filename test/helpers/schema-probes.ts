import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import { schema } from '../../src/resolvers/index.ts';
import { decodeId, encodeId, type IdType } from '../../src/domains/public-ids.ts';
import type { GraphqlClient } from './graphql.ts';

/**
 * Probes of every root field of the schema that takes an id: the documents and variables that
 * ask each one about a given id, for tests that compare how the API answers ids a caller must
 * not reach with ids that exist nowhere.
 */

/** Server limits wide enough for the probing selections: the GraphQL limits are not what probes test. */
export const PROBE_LIMITS = {
  graphqlMaxAliases: 10_000,
  graphqlMaxTokens: 100_000,
  graphqlMaxDocumentLength: 1_000_000,
  graphqlMaxCost: 1e12,
  graphqlMaxDepth: 20,
};

export const ID_TYPES: IdType[] = ['Workspace', 'ApiKey', 'EventType', 'Connection', 'Rule', 'Event', 'Delivery', 'DeliveryAttempt', 'PortalSession'];
export type Ids = Record<IdType, string>;

export const randomIdOf = (type: IdType) => encodeId(type, [4, 2, 2, 2, 6].map((bytes) => randomBytes(bytes).toString('hex')).join('-'));

/** The resource an id argument most likely names, from its name and where it sits: for the ids not under test. */
function guessType(field: string, path: string[]): IdType {
  const name = path.at(-1)!;
  if (name === 'connectionId') return 'Connection';
  if (name === 'deliveryId') return 'Delivery';
  if (name === 'eventId') return 'Event';
  const context = `${field} ${path.join(' ')}`.toLowerCase();
  for (const type of ['ApiKey', 'EventType', 'PortalSession', 'Connection', 'Rule', 'Delivery', 'Event', 'Workspace'] as const) {
    if (context.includes(type.toLowerCase())) return type;
  }
  return 'Connection';
}

/** A value of `type` that passes validation, with the id at `slot` set to `id` and other ids the asker's `own`. */
export function valueOf(type: GraphQLInputType, field: string, path: string[], slot: string[], id: string, own: Ids): unknown {
  if (isNonNullType(type)) return valueOf(type.ofType, field, path, slot, id, own);
  if (isListType(type)) return [valueOf(type.ofType, field, path, slot, id, own)];
  const named = getNamedType(type) as GraphQLNamedType;
  if (named.name === 'ID') return path.join('.') === slot.join('.') ? id : own[guessType(field, path)];
  if (isEnumType(named)) return named.getValues()[0]!.value;
  if (isInputObjectType(named)) {
    const value: Record<string, unknown> = {};
    for (const input of Object.values(named.getFields())) {
      const inner = [...path, input.name];
      const onSlotPath = slot.slice(0, inner.length).join('.') === inner.join('.');
      if (isNonNullType(input.type) || onSlotPath) value[input.name] = valueOf(input.type, field, inner, slot, id, own);
    }
    return value;
  }
  return { String: 'order.completed', Int: 1, Float: 1, Boolean: true, JSON: {}, DateTime: new Date(0).toISOString(), SafeInt: 1 }[named.name] ?? 'order.completed';
}

/** Every path to an ID among a field's arguments, through input objects. */
export function idSlots(args: readonly (GraphQLArgument | GraphQLInputField)[], path: string[] = [], depth = 0): string[][] {
  const slots: string[][] = [];
  for (const arg of args) {
    const named = getNamedType(arg.type);
    if (named.name === 'ID') slots.push([...path, arg.name]);
    else if (isInputObjectType(named) && depth < 3) slots.push(...idSlots(Object.values(named.getFields()), [...path, arg.name], depth + 1));
  }
  return slots;
}

/** A selection that shows what came back: type names, leaves, and one level below each object. */
function selectionOf(type: GraphQLNamedType, depth = 0): string {
  if (isLeafType(type)) return '';
  const objects: GraphQLObjectType[] = isObjectType(type) ? [type] : [...schema.getPossibleTypes(type as never)];
  const parts = objects.map((object) => {
    const fields = Object.values(object.getFields())
      .filter((field) => field.args.every((arg) => !isNonNullType(arg.type)))
      .map((field) => {
        // Aliased by type: members of a union may have fields of one name and different types.
        const alias = `${object.name}_${field.name}: ${field.name}`;
        const named = getNamedType(field.type);
        if (isLeafType(named)) return alias;
        return depth < 2 ? `${alias} ${selectionOf(named, depth + 1)}` : `${alias} { __typename }`;
      });
    return `... on ${object.name} { __typename ${fields.join(' ')} }`;
  });
  return `{ __typename ${parts.join(' ')} }`;
}

export function operationFor(kind: 'query' | 'mutation' | 'subscription', field: GraphQLField<unknown, unknown>) {
  const variables = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  return `${kind}${variables ? ` (${variables})` : ''} { result: ${field.name}${args ? `(${args})` : ''} ${selectionOf(getNamedType(field.type))} }`;
}

/** The response with the id it was asked about, in both its spellings, replaced. */
const normalised = (response: unknown, id: string, type: IdType) =>
  JSON.stringify(response).replaceAll(id, '<id>').replaceAll(decodeId(type, id), '<id>');

/** Every root field, with the kind of operation it belongs to. */
export const rootFields = (['query', 'mutation', 'subscription'] as const).flatMap((kind) => {
  const root = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() }[kind];
  return Object.values(root?.getFields() ?? {}).map((field) => ({ kind, field }));
});

/** The variables that ask `field` about `id` at `slot`, other ids being `own`; only the arguments on the slot's path or required. */
export function variablesFor(field: GraphQLField<unknown, unknown>, slot: string[], id: string, own: Ids, args = field.args) {
  return Object.fromEntries(args.map((arg) => [arg.name, valueOf(arg.type, field.name, [arg.name], slot, id, own)]));
}

/**
 * Asks `field`, at each of its id slots, about each id of `unreachable` and about a random id of
 * the same type, and expects the same answer, the ids aside: an id the caller must not reach
 * behaves as one that exists nowhere.
 */
export async function expectAnswersAsForNowhere(
  client: GraphqlClient,
  kind: 'query' | 'mutation',
  field: GraphQLField<unknown, unknown>,
  own: Ids,
  unreachable: Partial<Ids>,
): Promise<void> {
  const document = operationFor(kind, field);
  for (const slot of idSlots(field.args)) {
    for (const type of ID_TYPES) {
      const reached = unreachable[type];
      if (!reached) continue;
      const answers = [];
      for (const id of [reached, randomIdOf(type)]) {
        const variables = variablesFor(field, slot, id, own);
        if (!isNonNullType(field.args.find((arg) => arg.name === slot[0])!.type) && variables[slot[0]!] === undefined) continue;
        const response = await client.raw(document, variables);
        // A request the schema refuses would compare two refusals and prove nothing.
        expect(response.errors?.filter((error) => !error.path).map((error) => error.message) ?? []).toEqual([]);
        // An id of the wrong kind is not found either; it is no reason to fail.
        expect(response.errors?.map((error) => error.extensions?.code) ?? []).not.toContain('INTERNAL_SERVER_ERROR');
        answers.push(normalised(response, id, type));
      }
      expect([slot.join('.'), type, answers[0]]).toEqual([slot.join('.'), type, answers[1]]);
    }
  }
}
