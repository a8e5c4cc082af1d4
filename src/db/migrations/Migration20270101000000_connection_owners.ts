import { Migration } from '@mikro-orm/migrations';

/**
 * Who a connection belongs to: the product's `CUSTOMER` (an endpoint they manage in the portal)
 * or the workspace's `OPERATOR` (its own alerting, which portal sessions never see). Connections
 * that a rule routes `switchyard.*` operational events to are the operator's: they are marked so
 * here, as only OPERATOR connections may be such targets from now on. The default makes the
 * column without rewriting the table.
 */
export class Migration20270101000000_connection_owners extends Migration {
  override name = 'Migration20270101000000_connection_owners';

  override up(): void {
    this.addSql(`create type "connection_owner" as enum ('CUSTOMER', 'OPERATOR');`);
    this.addSql(`alter table "connections" add column "owner" "connection_owner" not null default 'CUSTOMER';`);
    this.addSql(`update "connections" c set "owner" = 'OPERATOR'
      where exists (
        select 1 from "rules" r cross join unnest(r."event_types") as pattern
        where r."connection_id" = c."id" and split_part(pattern, '.', 1) = 'switchyard');`);
  }

  override down(): void {
    this.addSql(`alter table "connections" drop column "owner";`);
    this.addSql(`drop type "connection_owner";`);
  }
}
