import type { Plugin } from '@envelop/core';
import { GraphQLError, type ExecutionResult } from 'graphql';

/**
 * Errors about the request itself (a variable of the wrong type, say) that graphql-js reports
 * before resolving anything carry no `path` and no code; they get BAD_USER_INPUT, as Apollo's
 * servers give them, so every error a client sees has a code it can act on.
 */
function withCodes(result: ExecutionResult, setResult: (result: ExecutionResult) => void): void {
  if (!result.errors?.some((error) => !error.path && error.extensions?.code === undefined)) return;
  setResult({
    ...result,
    errors: result.errors.map((error) =>
      !error.path && error.extensions?.code === undefined
        ? new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, originalError: error.originalError, extensions: { ...error.extensions, code: 'BAD_USER_INPUT' } })
        : error,
    ),
  });
}

export function requestErrorCodes(): Plugin {
  return {
    onExecute: () => ({ onExecuteDone: ({ result, setResult }) => (Symbol.asyncIterator in result ? undefined : withCodes(result, setResult)) }),
    onSubscribe: () => ({ onSubscribeResult: ({ result, setResult }) => (Symbol.asyncIterator in result ? undefined : withCodes(result, setResult)) }),
  };
}
