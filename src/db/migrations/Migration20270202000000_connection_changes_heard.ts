import { Migration } from '@mikro-orm/migrations';

/**
 * A change of what decides whether a connection's deliveries may go (its status, its ordering,
 * its cap or rate limit) and its removal are announced to the worker processes, by the name of
 * the connection's pump queue (`switchyard_connection_changes`, see src/db/graphile-worker.ts), at
 * commit: a pump running for it gives back what it claimed ahead (see pump-connection.ts) and
 * looks again. A trigger, so no write path can forget to.
 */
export class Migration20270202000000_connection_changes_heard extends Migration {
  override name = 'Migration20270202000000_connection_changes_heard';

  override up(): void {
    this.addSql(`create function "switchyard_connection_changed"() returns trigger language plpgsql as $$
      begin
        perform pg_notify('switchyard_connection_changes', 'conn_' || replace(coalesce(new."id", old."id")::text, '-', ''));
        return null;
      end $$;`);
    this.addSql(`create trigger "connections_changed" after update of "status", "ordered", "max_concurrency", "rate_limit_per_second" on "connections"
      for each row when (old."status" is distinct from new."status" or old."ordered" is distinct from new."ordered"
                         or old."max_concurrency" is distinct from new."max_concurrency"
                         or old."rate_limit_per_second" is distinct from new."rate_limit_per_second")
      execute function "switchyard_connection_changed"();`);
    this.addSql(`create trigger "connections_removed" after delete on "connections"
      for each row execute function "switchyard_connection_changed"();`);
  }

  override down(): void {
    this.addSql(`drop trigger "connections_removed" on "connections";`);
    this.addSql(`drop trigger "connections_changed" on "connections";`);
    this.addSql(`drop function "switchyard_connection_changed"();`);
  }
}
