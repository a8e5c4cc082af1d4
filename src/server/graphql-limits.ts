import type { Plugin } from '@envelop/core';
import type { Plugin as YogaPlugin } from 'graphql-yoga';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type ValidationContext,
} from 'graphql';
import type { Config } from '../config.ts';
import { variables } from '../config.ts';
import type { Principal } from '../domains/auth/principal.ts';

/**
 * What every GraphQL operation must stay within, on HTTP, SSE and graphql-ws alike, checked
 * before anything executes:
 * - before parsing: the document's length, then its tokens as the parser reads them (a 10,000
 *   levels deep literal never reaches the recursion that would overflow the stack);
 * - when validating (graphql-armor): depth, aliases, directives and a cost estimate;
 * - callers without a valid key get no introspection and no "Did you mean ..." suggestions:
 *   the schema is documentation for customers, not a map for whoever finds the endpoint.
 *
 * A refusal is a GraphQL error with `extensions.code` QUERY_LIMIT_EXCEEDED and `extensions.limit`
 * naming the setting, e.g. SWITCHYARD_GRAPHQL_MAX_DEPTH.
 */

/** What these checks read of the request's context: the caller, authenticated before parsing. */
export interface LimitsContext {
  principal?: Principal | null;
}

type Limit = 'graphqlMaxDocumentLength' | 'graphqlMaxTokens' | 'graphqlMaxDepth' | 'graphqlMaxAliases' | 'graphqlMaxCost' | 'graphqlMaxDirectives';

/** The refusal of one limit, for people and for programs. */
export function limitError(limit: Limit, detail: string): GraphQLError {
  return new GraphQLError(`${detail} (${variables[limit]})`, {
    extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: variables[limit] },
  });
}

/** graphql-armor phrases its refusals as syntax errors; ours say which setting applies. */
function armorDetail(error: GraphQLError): string {
  return error.message.replace(/^Syntax Error: /, '').replace(/\.$/, '');
}

/** Reports a graphql-armor refusal as our typed error: from a validation rule, or from the parser (no context). */
function reject(limit: Limit) {
  return [
    (context: ValidationContext | null, error: GraphQLError) => {
      const typed = limitError(limit, armorDetail(error));
      if (!context) throw typed;
      context.reportError(typed);
    },
  ];
}

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

function withoutSuggestions<T extends GraphQLError>(errors: readonly T[]): GraphQLError[] {
  return errors.map((error) => {
    const message = error.message.replace(SUGGESTION, '');
    return message === error.message ? error : new GraphQLError(message, { nodes: error.nodes, extensions: error.extensions });
  });
}

const INTROSPECTION_NEEDS_KEY = 'Introspection needs a valid key: send "Authorization: Bearer <key>"';

function introspectionRefusals(schema: GraphQLSchema, document: DocumentNode): GraphQLError[] {
  return validate(schema, document, [NoSchemaIntrospectionCustomRule]).map(
    (error) => new GraphQLError(INTROSPECTION_NEEDS_KEY, { nodes: error.nodes, extensions: { code: 'UNAUTHENTICATED' } }),
  );
}

/**
 * The caller-dependent half: introspection and suggestions only for callers with a valid key.
 * Decided at execution and on the final result, not while validating: yoga caches validation
 * results by document, and this decision depends on the caller, not on the document.
 */
function keyedSchemaDiscovery(): YogaPlugin<LimitsContext, LimitsContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if ((args.contextValue as LimitsContext).principal) return;
      const refused = introspectionRefusals(args.schema, args.document);
      if (refused.length > 0) setResultAndStopExecution({ errors: refused });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      if ((args.contextValue as LimitsContext).principal) return;
      const refused = introspectionRefusals(args.schema, args.document);
      if (refused.length > 0) setResultAndStopExecution({ errors: refused });
    },
    onResultProcess({ serverContext, result, setResult }) {
      if (serverContext.principal || Array.isArray(result) || Symbol.asyncIterator in result) return;
      const single = result as ExecutionResult;
      if (single.errors?.length) setResult({ ...single, errors: withoutSuggestions(single.errors) });
    },
  };
}

/** Refuses an over-long document before the parser sees it, and a stack overflow inside it as a limit. */
function documentLength(config: Config): Plugin<LimitsContext> {
  return {
    onParse({ params }) {
      const length = typeof params.source === 'string' ? params.source.length : params.source.body.length;
      if (length > config.graphqlMaxDocumentLength) {
        throw limitError('graphqlMaxDocumentLength', `The document is ${length} characters long; the limit is ${config.graphqlMaxDocumentLength}`);
      }
      return ({ result, replaceParseResult }) => {
        if (result instanceof RangeError) replaceParseResult(limitError('graphqlMaxTokens', 'The document is nested too deeply to parse'));
      };
    },
  };
}

/** The envelop plugins that enforce the limits of `config`; order matters only in that length comes first. */
export function graphqlLimits(config: Config): Array<Plugin<LimitsContext> | YogaPlugin<LimitsContext, LimitsContext>> {
  return [
    documentLength(config),
    EnvelopArmorPlugin<LimitsContext>({
      // Suggestions are hidden per caller above, not for everyone.
      blockFieldSuggestion: { enabled: false },
      maxTokens: { n: config.graphqlMaxTokens, propagateOnRejection: false, onReject: reject('graphqlMaxTokens') },
      // Inline fragments (`... on Payload`) are how every typed result is read: they add no depth or cost of their own.
      maxDepth: { n: config.graphqlMaxDepth, flattenFragments: true, propagateOnRejection: false, onReject: reject('graphqlMaxDepth') },
      maxAliases: { n: config.graphqlMaxAliases, propagateOnRejection: false, onReject: reject('graphqlMaxAliases') },
      costLimit: { maxCost: config.graphqlMaxCost, flattenFragments: true, propagateOnRejection: false, onReject: reject('graphqlMaxCost') },
      maxDirectives: { n: config.graphqlMaxDirectives, propagateOnRejection: false, onReject: reject('graphqlMaxDirectives') },
    }),
    keyedSchemaDiscovery(),
  ];
}
