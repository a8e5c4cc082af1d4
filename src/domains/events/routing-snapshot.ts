import type { EntityManager } from '@mikro-orm/postgresql';
import { compiledSchemaFor, type PayloadSchema } from '../event-types/payload-schema.ts';
import { LruCache } from '../lru-cache.ts';
import { loadEventCatalog, type EventCatalog } from './event-catalog.ts';
import { loadRouteRows, routesMatching, type Route, type RouteRow } from './routes.ts';

/** What emitting into one workspace reads about its routing: matching rules, payload checks, the catalog. */
export interface RoutingSnapshot {
  /** The routing version it holds; null when read fresh, with no version to hold to. */
  version: number | null;
  routesFor(type: string): Promise<Route[]>;
  schemaFor(type: string): Promise<PayloadSchema | null>;
  catalog(): Promise<EventCatalog>;
}

interface Entry {
  version: number;
  rows: Promise<RouteRow[]> | null;
  routes: Map<string, Route[]>;
  schemas: Map<string, Promise<PayloadSchema | null>>;
  catalog: Promise<EventCatalog> | null;
}

const entries = new LruCache<string, Entry>(10_000);

/**
 * The routing of `workspaceId` as of `version` (its routing version read with the request's API
 * key) or newer. Database triggers move that version on every change to rules, event types, a
 * connection's routing settings or the workspace's `strictEventTypes`, so a process can keep what it read in memory and still see a
 * change made by any process on the very next event. Without a version (an operational event
 * emitted by the worker) everything is read fresh.
 */
export function routingSnapshot(em: EntityManager, workspaceId: string, version: number | null): RoutingSnapshot {
  let entry = version === null ? undefined : entries.get(workspaceId);
  if (!entry || entry.version < version!) {
    entry = { version: version ?? -1, rows: null, routes: new Map(), schemas: new Map(), catalog: null };
    if (version !== null) entries.set(workspaceId, entry);
  }
  const current = entry;
  return {
    version: version === null ? null : current.version,
    async routesFor(type) {
      let routes = current.routes.get(type);
      if (!routes) {
        current.rows ??= loadRouteRows(em, workspaceId).catch((error: unknown) => {
          current.rows = null;
          throw error;
        });
        routes = routesMatching(await current.rows, type);
        current.routes.set(type, routes);
      }
      return routes;
    },
    schemaFor(type) {
      let schema = current.schemas.get(type);
      if (!schema) {
        schema = compiledSchemaFor(em, workspaceId, type).catch((error: unknown) => {
          current.schemas.delete(type);
          throw error;
        });
        current.schemas.set(type, schema);
      }
      return schema;
    },
    catalog() {
      current.catalog ??= loadEventCatalog(em, workspaceId).catch((error: unknown) => {
        current.catalog = null;
        throw error;
      });
      return current.catalog;
    },
  };
}
