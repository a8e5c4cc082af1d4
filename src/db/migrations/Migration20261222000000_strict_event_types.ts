import { Migration } from '@mikro-orm/migrations';

/**
 * A workspace can refuse emits of event types its catalog does not list. Emit reads the setting
 * with the rest of the routing, kept in memory per routing version, so changing it moves the
 * version like a change to the catalog does.
 */
export class Migration20261222000000_strict_event_types extends Migration {
  override name = 'Migration20261222000000_strict_event_types';

  override up(): void {
    this.addSql(`alter table "workspaces" add column "strict_event_types" boolean not null default false;`);
    this.addSql(`create function "switchyard_workspace_routing_changed"() returns trigger language plpgsql as $$
      begin
        new."routing_version" := old."routing_version" + 1;
        return new;
      end $$;`);
    this.addSql(`create trigger "workspaces_routing_changed" before update of "strict_event_types" on "workspaces"
      for each row when (old."strict_event_types" is distinct from new."strict_event_types")
      execute function "switchyard_workspace_routing_changed"();`);
  }

  override down(): void {
    this.addSql(`drop trigger "workspaces_routing_changed" on "workspaces";`);
    this.addSql(`drop function "switchyard_workspace_routing_changed"();`);
    this.addSql(`alter table "workspaces" drop column "strict_event_types";`);
  }
}
