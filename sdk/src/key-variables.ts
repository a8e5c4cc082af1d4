import type { DocumentNode } from 'graphql';

/** How a portal session's token starts (`sy_ps_...`). */
const PORTAL_TOKEN_PREFIX = 'sy_ps_';

/**
 * `variables` with what the kind of key decides, for the operations that declare it: a portal
 * session's token may not read a delivery's rule, so `withRule` (default true) is false for it.
 */
export function withKeyVariables<T extends Record<string, unknown>>(apiKey: string, document: DocumentNode, variables: T): T {
  if (!apiKey.startsWith(PORTAL_TOKEN_PREFIX) || !declares(document, 'withRule')) return variables;
  return { ...variables, withRule: false };
}

function declares(document: DocumentNode, name: string): boolean {
  return document.definitions.some(
    (definition) => definition.kind === 'OperationDefinition' && definition.variableDefinitions?.some((variable) => variable.variable.name.value === name),
  );
}
