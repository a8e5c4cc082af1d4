import { Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { LruCache } from '../domains/lru-cache.ts';

/** The root fields whose resolvers check the caller's key in their own write. */
const SELF_CHECKING_FIELDS = new Set(['emitEvent', 'emitEvents', '__typename']);

const verdicts = new LruCache<string, boolean>(1000);
/** Emits are short documents; a longer one is not taken for one (nor cached). */
const LONGEST_EMIT = 4096;

/**
 * Whether a request is nothing but emits: a mutation whose root fields are all `emitEvent`,
 * `emitEvents` (or `__typename`), with no fragment at the root. Such a request may start from the
 * principal this process remembers for its key, since the emit's write checks the key again and
 * nothing else runs before it (see `principalCache`). Anything else, a document that does not
 * parse included, is not: it looks its key up as usual, and yoga reports what is wrong with it.
 */
export function isEmitOnly(params: { query?: string | null; operationName?: string | null } | undefined): boolean {
  const query = params?.query;
  if (!query || query.length > LONGEST_EMIT) return false;
  const key = `${params.operationName ?? ''}\n${query}`;
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = emitsOnly(query, params.operationName ?? null);
    verdicts.set(key, verdict);
  }
  return verdict;
}

function emitsOnly(query: string, operationName: string | null): boolean {
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return false;
  }
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName === null ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === operationName);
  if (!operation || operation.operation !== 'mutation') return false;
  return operation.selectionSet.selections.every((selection) => selection.kind === Kind.FIELD && SELF_CHECKING_FIELDS.has(selection.name.value));
}
