import type { EntityManager } from '@mikro-orm/postgresql';

type Load<T> = (ids: readonly string[]) => Promise<Map<string, T>>;

/**
 * A per-request loader: the ids asked for while one response is being built are collected and
 * `load`ed in one query, once the current tick's resolvers have all asked.
 */
function batched<T>(load: Load<T>): (id: string) => Promise<T | undefined> {
  let batch: { ids: Set<string>; values: Promise<Map<string, T>> } | null = null;
  return async (id) => {
    if (!batch) {
      const ids = new Set<string>();
      const values = new Promise<Map<string, T>>((resolve, reject) => {
        setImmediate(() => {
          batch = null;
          load([...ids]).then(resolve, reject);
        });
      });
      batch = { ids, values };
    }
    batch.ids.add(id);
    return (await batch.values).get(id);
  };
}

const loaders = new WeakMap<EntityManager, Map<Load<unknown>, (id: string) => Promise<unknown>>>();

/**
 * `load(em, ids)` batched per entity manager (that is, per request): every resolver of one
 * response that asks through the same `load` shares its query.
 */
export function loadBatched<T>(em: EntityManager, load: (em: EntityManager, ids: readonly string[]) => Promise<Map<string, T>>, id: string): Promise<T | undefined> {
  let byLoad = loaders.get(em);
  if (!byLoad) loaders.set(em, (byLoad = new Map()));
  const key = load as unknown as Load<unknown>;
  let loader = byLoad.get(key);
  if (!loader) byLoad.set(key, (loader = batched((ids) => load(em, ids))));
  return loader(id) as Promise<T | undefined>;
}
