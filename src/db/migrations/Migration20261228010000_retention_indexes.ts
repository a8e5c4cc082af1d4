import { Migration } from '@mikro-orm/migrations';

/**
 * The indexes retention and erasure walk events by, built with `CREATE INDEX CONCURRENTLY`: on a
 * large events table a plain build would hold a lock that stops every emit for as long as it
 * takes. A concurrent build cannot run inside a transaction, so this migration runs outside one
 * (`isTransactional`), each statement on its own; every step is safe to repeat, and an index a
 * failed build left invalid is dropped and built again.
 *
 * - `events_workspace_id_created_at_id_index`: the retention task's cursor, `(created_at, id)`
 *   after the workspace's place, read as one range of the index; it replaces the
 *   `(workspace_id, created_at)` index, which it covers.
 * - `events_workspace_id_resource_index`: erasure's walk over the events about one resource.
 */
export class Migration20261228010000_retention_indexes extends Migration {
  override name = 'Migration20261228010000_retention_indexes';

  override isTransactional(): boolean {
    return false;
  }

  override async up(): Promise<void> {
    await this.build('events_workspace_id_created_at_id_index', `on "events" ("workspace_id", "created_at", "id")`);
    await this.build('events_workspace_id_resource_index', `on "events" ("workspace_id", "resource", "resource_id", "id") where "resource_id" is not null`);
    this.addSql(`drop index concurrently if exists "events_workspace_id_created_at_index";`);
  }

  override async down(): Promise<void> {
    await this.build('events_workspace_id_created_at_index', `on "events" ("workspace_id", "created_at")`);
    this.addSql(`drop index concurrently if exists "events_workspace_id_created_at_id_index";`);
  }

  /** Builds index `name` unless a valid one exists; drops an invalid one first. */
  private async build(name: string, definition: string): Promise<void> {
    const [index] = await this.execute(
      `select i.indisvalid as valid from pg_class c join pg_index i on i.indexrelid = c.oid
       where c.relname = ? and c.relnamespace = current_schema()::regnamespace`,
      [name],
    );
    if (index?.valid) return;
    if (index) this.addSql(`drop index concurrently if exists "${name}";`);
    this.addSql(`create index concurrently "${name}" ${definition};`);
  }
}
