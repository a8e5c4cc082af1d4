import { Migration } from '@mikro-orm/migrations';

/**
 * Each unordered connection's pump looks for its due retries, oldest due first, and for the
 * time of its next one: a small index over the deliveries that wait for a retry. Routing no
 * longer reads a connection's concurrency cap (its pump does), so changing it no longer moves
 * the routing version.
 */
export class Migration20261201000000_connection_pumps extends Migration {
  override name = 'Migration20261201000000_connection_pumps';

  override up(): void {
    this.addSql(`create index "deliveries_retry_due_index" on "deliveries" ("connection_id", "next_attempt_at")
      where "status" = 'RETRYING' and "parked_at" is null;`);
    this.addSql(`drop trigger "connections_routing_changed" on "connections";`);
    this.addSql(`create trigger "connections_routing_changed" after update of "status", "ordered" on "connections"
      for each row when (old."status" is distinct from new."status" or old."ordered" is distinct from new."ordered")
      execute function "switchyard_routing_changed"();`);
    // Deliveries that waited out a crash or a pause now need a time to be due at.
    this.addSql(`update "deliveries" set "next_attempt_at" = now() where "status" = 'RETRYING' and "next_attempt_at" is null;`);
  }

  override down(): void {
    this.addSql(`drop trigger "connections_routing_changed" on "connections";`);
    this.addSql(`create trigger "connections_routing_changed" after update of "status", "ordered", "max_concurrency" on "connections"
      for each row when (old."status" is distinct from new."status" or old."ordered" is distinct from new."ordered"
                         or old."max_concurrency" is distinct from new."max_concurrency")
      execute function "switchyard_routing_changed"();`);
    this.addSql(`drop index "deliveries_retry_due_index";`);
  }
}
