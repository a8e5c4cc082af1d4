import { Migration } from '@mikro-orm/migrations';

/**
 * Two things nothing reads any more: a key's `last_used_at`, never written (each request would
 * have paid a write for it), and routing's interest in a connection's `ordered`, which only its
 * pump reads now (both kinds share one pump job), so switching it no longer moves the routing
 * version.
 */
export class Migration20261221000000_routing_and_keys extends Migration {
  override name = 'Migration20261221000000_routing_and_keys';

  override up(): void {
    this.addSql(`alter table "api_keys" drop column "last_used_at";`);
    this.addSql(`drop trigger "connections_routing_changed" on "connections";`);
    this.addSql(`create trigger "connections_routing_changed" after update of "status" on "connections"
      for each row when (old."status" is distinct from new."status")
      execute function "switchyard_routing_changed"();`);
  }

  override down(): void {
    this.addSql(`drop trigger "connections_routing_changed" on "connections";`);
    this.addSql(`create trigger "connections_routing_changed" after update of "status", "ordered" on "connections"
      for each row when (old."status" is distinct from new."status" or old."ordered" is distinct from new."ordered")
      execute function "switchyard_routing_changed"();`);
    this.addSql(`alter table "api_keys" add column "last_used_at" timestamptz null;`);
  }
}
