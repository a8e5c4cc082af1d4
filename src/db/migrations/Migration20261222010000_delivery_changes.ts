import { Migration } from '@mikro-orm/migrations';

/**
 * The delivery change log behind resumable streams (`deliveryAttempts` and `deliveryUpdated`
 * with `after:`): one row per new attempt and per replay, written by triggers, so no write path
 * of the engine has to remember it, in the transaction that makes the change.
 *
 * Each row's place is (txid, position): the id of the transaction that wrote it, then a counter
 * within it. Neither is in commit order, so a reader takes only rows whose transaction is older
 * than every transaction still running (`pg_snapshot_xmin`): no row can later appear before one
 * it has handed out, which a cursor on an id or a timestamp alone cannot promise. The primary key
 * is the one index, in reading order. Rows hold ids and a status only; no foreign key checks the
 * workspace on each insert, and a workspace's rows go with it by a trigger. The triggers notify
 * nobody: the writes that make these changes announce them already (delivery-notifications.ts),
 * and only where some API process streams the workspace.
 */
export class Migration20261222010000_delivery_changes extends Migration {
  override name = 'Migration20261222010000_delivery_changes';

  override up(): void {
    this.addSql(`create table "delivery_changes" (
      "workspace_id" uuid not null,
      "txid" xid8 not null default pg_current_xact_id(),
      "position" bigint generated always as identity,
      "delivery_id" uuid not null,
      "attempt_id" uuid null,
      "status" "delivery_status" not null,
      "created_at" timestamptz not null default now(),
      primary key ("workspace_id", "txid", "position"));`);

    // Statement-level, over the inserted rows at once: the grouped success write inserts hundreds
    // of attempts in one statement, and the deliveries' new status (set by the same statement) is
    // visible here, since AFTER triggers run once the whole statement is done.
    this.addSql(`create function "switchyard_attempts_changed"() returns trigger language plpgsql as $$
      begin
        insert into "delivery_changes" ("workspace_id", "delivery_id", "attempt_id", "status")
        select a."workspace_id", a."delivery_id", a."id", d."status"
        from inserted a join "deliveries" d on d."id" = a."delivery_id"
        order by a."id";
        return null;
      end $$;`);
    this.addSql(`create trigger "attempts_changed" after insert on "attempts"
      referencing new table as inserted for each statement execute function "switchyard_attempts_changed"();`);

    // A replay starts a new attempt chain; nothing else moves "chain", so the hot updates (claims,
    // outcomes) do not even call this.
    this.addSql(`create function "switchyard_delivery_replayed"() returns trigger language plpgsql as $$
      begin
        insert into "delivery_changes" ("workspace_id", "delivery_id", "status") values (new."workspace_id", new."id", new."status");
        return null;
      end $$;`);
    this.addSql(`create trigger "deliveries_replayed" after update of "chain" on "deliveries"
      for each row when (old."chain" is distinct from new."chain") execute function "switchyard_delivery_replayed"();`);

    this.addSql(`create function "switchyard_workspace_changes_removed"() returns trigger language plpgsql as $$
      begin
        delete from "delivery_changes" where "workspace_id" in (select "id" from removed);
        return null;
      end $$;`);
    this.addSql(`create trigger "workspaces_changes_removed" after delete on "workspaces"
      referencing old table as removed for each statement execute function "switchyard_workspace_changes_removed"();`);
  }

  override down(): void {
    this.addSql(`drop trigger "workspaces_changes_removed" on "workspaces";`);
    this.addSql(`drop function "switchyard_workspace_changes_removed"();`);
    this.addSql(`drop trigger "deliveries_replayed" on "deliveries";`);
    this.addSql(`drop function "switchyard_delivery_replayed"();`);
    this.addSql(`drop trigger "attempts_changed" on "attempts";`);
    this.addSql(`drop function "switchyard_attempts_changed"();`);
    this.addSql(`drop table "delivery_changes";`);
  }
}
