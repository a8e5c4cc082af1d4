import { getArgumentValues, getOperationAST, Kind, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { pushIterator, type Sink } from './push-iterator.ts';

type Results = AsyncIterableIterator<ExecutionResult>;

interface Shared {
  listeners: Set<Sink<ExecutionResult>>;
  source: Results;
}

/** Results one subscriber may have waiting before its stream ends with an overflow error. */
const MAX_WAITING = 1000;

function isStream(value: unknown): value is Results {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Subscriptions that would execute alike share one execution: same workspace and kind of key,
 * same document, variables and operation name (a team's dashboards mostly send the same one).
 * Each change is then executed once per process and its result sent to every socket that shares
 * it, instead of executed once per socket. A subscriber that joins gets the results from then
 * on; the execution stops when the last one leaves.
 */
export function sharedSubscriptions() {
  const byKey = new Map<string, Shared>();

  const pump = async (key: string, shared: Shared) => {
    try {
      for await (const result of shared.source) {
        for (const listener of shared.listeners) listener.push(result);
      }
      for (const listener of shared.listeners) listener.end();
    } catch (error) {
      for (const listener of shared.listeners) listener.end(error as Error);
    } finally {
      if (byKey.get(key) === shared) byKey.delete(key);
    }
  };

  const join = (key: string, shared: Shared): Results => {
    const { subscriber, iterable } = pushIterator<ExecutionResult>(MAX_WAITING, () => {
      shared.listeners.delete(subscriber);
      if (shared.listeners.size === 0 && byKey.get(key) === shared) {
        byKey.delete(key);
        void shared.source.return?.();
      }
    });
    shared.listeners.add(subscriber);
    return iterable;
  };

  return {
    /**
     * The results for a subscriber whose execution is described by `key`: the running execution
     * of that key, or a new one from `start` (whose error result, if any, is not shared).
     */
    async subscribe(key: string, start: () => Promise<unknown> | unknown): Promise<Results | ExecutionResult> {
      const running = byKey.get(key);
      if (running) return join(key, running);
      const started = await start();
      if (!isStream(started)) return started as ExecutionResult;
      // Another subscriber of the same key may have started one meanwhile: join that instead.
      const raced = byKey.get(key);
      if (raced) {
        await started.return?.();
        return join(key, raced);
      }
      const shared: Shared = { listeners: new Set(), source: started };
      byKey.set(key, shared);
      const results = join(key, shared);
      void pump(key, shared);
      return results;
    },
  };
}

/**
 * Whether a subscription resumes from a cursor (a root field given `after:`). Such a stream
 * first sends what it missed, so it cannot join an execution that is already past that point;
 * it runs on its own, even beside another with the same cursor.
 */
export function resumesFromCursor(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | null | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  const rootType = schema.getSubscriptionType();
  if (!operation || !rootType) return false;
  return operation.selectionSet.selections.some((selection) => {
    if (selection.kind !== Kind.FIELD) return false;
    const field = rootType.getFields()[selection.name.value];
    if (!field?.args.some((arg) => arg.name === 'after')) return false;
    try {
      return getArgumentValues(field, selection, variables ?? {}).after != null;
    } catch {
      return true;
    }
  });
}
