import type { EntityManager } from '@mikro-orm/postgresql';
import { closestName } from '../closest-name.ts';
import type { Issue } from '../errors.ts';

/** What emit checks an event's type against: the workspace's catalog and whether it is strict. */
export interface EventCatalog {
  names: ReadonlySet<string>;
  /** Types not in the catalog are refused (`strictEventTypes`), not just flagged. */
  strict: boolean;
}

/** The catalog's names and the workspace's setting, in one query. */
export async function loadEventCatalog(em: EntityManager, workspaceId: string): Promise<EventCatalog> {
  const [row] = await em.execute<{ strict: boolean; names: string[] }[]>(
    `select w.strict_event_types as strict, array(select t.name from event_types t where t.workspace_id = w.id) as names
     from workspaces w where w.id = ?`,
    [workspaceId],
  );
  return { strict: row?.strict ?? false, names: new Set(row?.names ?? []) };
}

/**
 * Whether `type` is outside a catalog that lists anything: emit accepts such an event but
 * answers `unknownType: true`, since it is more often a typo ("ordr.completed") than new.
 */
export function isUnknownType(catalog: EventCatalog, type: string): boolean {
  return catalog.names.size > 0 && !catalog.names.has(type);
}

/** The refusal of an uncataloged type by a strict workspace, naming the field and a likely match. */
export function uncatalogedTypeIssues(catalog: EventCatalog, type: string, path: string[]): Issue[] {
  if (!catalog.strict || catalog.names.has(type)) return [];
  const meant = closestName(type, catalog.names);
  return [{
    path: [...path, 'type'],
    message:
      `"${type}" is not in the workspace's event type catalog, and the workspace accepts cataloged types only (strictEventTypes)` +
      `${meant ? `: did you mean "${meant}"?` : ''}; declare it with upsertEventType to emit it`,
  }];
}
