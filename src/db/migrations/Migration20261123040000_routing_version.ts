import { Migration } from '@mikro-orm/migrations';

/**
 * A counter per workspace that moves whenever anything routing reads changes: its rules, its
 * event types, or a connection's status, ordering or concurrency. Triggers move it, so no write
 * path can forget to. Each request reads it together with its API key, which lets a process keep
 * routing data in memory and still see every change, made anywhere, on the very next event.
 */
export class Migration20261123040000_routing_version extends Migration {
  override name = 'Migration20261123040000_routing_version';

  override up(): void {
    this.addSql(`alter table "workspaces" add column "routing_version" int not null default 0;`);
    this.addSql(`create function "switchyard_routing_changed"() returns trigger language plpgsql as $$
      begin
        update "workspaces" set "routing_version" = "routing_version" + 1
        where "id" = coalesce(new."workspace_id", old."workspace_id");
        return null;
      end $$;`);
    this.addSql(`create trigger "rules_routing_changed" after insert or update or delete on "rules"
      for each row execute function "switchyard_routing_changed"();`);
    this.addSql(`create trigger "event_types_routing_changed" after insert or update or delete on "event_types"
      for each row execute function "switchyard_routing_changed"();`);
    this.addSql(`create trigger "connections_routing_changed" after update of "status", "ordered", "max_concurrency" on "connections"
      for each row when (old."status" is distinct from new."status" or old."ordered" is distinct from new."ordered"
                         or old."max_concurrency" is distinct from new."max_concurrency")
      execute function "switchyard_routing_changed"();`);
    this.addSql(`create trigger "connections_routing_removed" after delete on "connections"
      for each row execute function "switchyard_routing_changed"();`);
  }

  override down(): void {
    this.addSql(`drop trigger "connections_routing_removed" on "connections";`);
    this.addSql(`drop trigger "connections_routing_changed" on "connections";`);
    this.addSql(`drop trigger "event_types_routing_changed" on "event_types";`);
    this.addSql(`drop trigger "rules_routing_changed" on "rules";`);
    this.addSql(`drop function "switchyard_routing_changed"();`);
    this.addSql(`alter table "workspaces" drop column "routing_version";`);
  }
}
