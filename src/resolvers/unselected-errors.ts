import SchemaBuilder, { BasePlugin, typeBrandKey, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import {
  getDirectiveValues,
  getNamedType,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isUnionType,
  Kind,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';
import type { ConflictError, NotFoundError, ValidationError } from '../domains/errors.ts';
import { publicIdOf } from '../domains/public-ids.ts';

/**
 * Expected failures are data (a field's result union holds its error types), which a client
 * sees only if it selects them. A mutation sent without `... on Error { message }` would answer
 * `{}` and look like a success. This plugin turns such an unselected error into a top-level
 * GraphQL error instead, carrying the same details in `extensions`: a client that selects the
 * errors gets them as data, as before, and one that does not still cannot miss them (the
 * fallback that "errors as data" designs such as Yelp's and The Guild's recommend).
 */
export class UnselectedErrorsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (!fieldConfig.extensions?.pothosErrors) return resolver;
    return async (parent, args, context, info) => {
      const result: unknown = await resolver(parent, args, context, info);
      const error = expectedError(result);
      if (error) {
        const type = errorType(info, error);
        if (type && !info.fieldNodes.some((node) => node.selectionSet && selects(node.selectionSet, type, info))) {
          throw topLevelError(error, info.fieldName);
        }
      }
      return result;
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      unselectedErrors: UnselectedErrorsPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('unselectedErrors', UnselectedErrorsPlugin);

type ExpectedError = ValidationError | NotFoundError | ConflictError;
const EXPECTED = new Set(['ValidationError', 'NotFoundError', 'ConflictError']);

/**
 * The expected error a resolver returned as data. The errors plugin hands it on as a proxy
 * branded with its type, whose prototype chain `instanceof` cannot follow; its fields read
 * through, so the brand and the name tell it.
 */
function expectedError(result: unknown): ExpectedError | null {
  if (typeof result !== 'object' || result === null || (result as { [typeBrandKey]?: unknown })[typeBrandKey] === undefined) return null;
  return EXPECTED.has(String((result as { name?: unknown }).name)) ? (result as ExpectedError) : null;
}

/** The member of the field's result union that `error` resolves to (error types are named after their class). */
function errorType(info: GraphQLResolveInfo, error: Error): GraphQLObjectType | null {
  const union = getNamedType(info.returnType);
  return isUnionType(union) ? (union.getTypes().find((member) => member.name === error.name) ?? null) : null;
}

/** Whether the selection asks anything of `type`, `__typename` included, after @skip and @include. */
function selects(selectionSet: SelectionSetNode, type: GraphQLObjectType, info: GraphQLResolveInfo): boolean {
  return selectionSet.selections.some((selection) => {
    if (getDirectiveValues(GraphQLSkipDirective, selection, info.variableValues)?.if === true) return false;
    if (getDirectiveValues(GraphQLIncludeDirective, selection, info.variableValues)?.if === false) return false;
    if (selection.kind === Kind.FIELD) return true;
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : info.fragments[selection.name.value];
    if (!fragment) return false;
    const condition = fragment.typeCondition?.name.value;
    return (!condition || appliesTo(condition, type, info)) && selects(fragment.selectionSet, type, info);
  });
}

function appliesTo(condition: string, type: GraphQLObjectType, info: GraphQLResolveInfo): boolean {
  if (condition === type.name || type.getInterfaces().some((face) => face.name === condition)) return true;
  const named = info.schema.getType(condition);
  return isUnionType(named) && named.getTypes().includes(type);
}

function topLevelError(error: ExpectedError, fieldName: string): GraphQLError {
  const details =
    error.name === 'ValidationError' ? { code: 'VALIDATION', issues: (error as ValidationError).issues }
    : error.name === 'NotFoundError' ? { code: 'NOT_FOUND', resource: (error as NotFoundError).resource, id: publicIdOf(error as NotFoundError) }
    : { code: 'CONFLICT', path: (error as ConflictError).path };
  const message = error.name === 'NotFoundError' ? `${(error as NotFoundError).resource} ${publicIdOf(error as NotFoundError)} not found` : error.message;
  return new GraphQLError(`${message} (select "... on Error { message }" in ${fieldName} to get this as data)`, {
    extensions: { ...details, type: error.name },
  });
}
