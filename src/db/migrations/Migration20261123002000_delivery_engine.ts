import { Migration } from '@mikro-orm/migrations';

/**
 * State the delivery engine keeps outside graphile-worker's tables: the lease of an attempt in
 * flight, deliveries parked while their connection is paused or disabled, and each connection's
 * token bucket for its rate limit.
 */
export class Migration20261123002000_delivery_engine extends Migration {
  override name = 'Migration20261123002000_delivery_engine';

  override up(): void {
    this.addSql(`alter table "deliveries" add column "claimed_until" timestamptz null, add column "parked_at" timestamptz null;`);
    this.addSql(`create index "deliveries_claimed_until_index" on "deliveries" ("claimed_until") where "status" = 'DELIVERING';`);
    this.addSql(`create index "deliveries_parked_index" on "deliveries" ("connection_id", "id") where "parked_at" is not null;`);
    this.addSql(`alter table "connections" add column "rate_tokens" double precision null, add column "rate_refilled_at" timestamptz null;`);
    this.addSql(`alter table "events" add column "operational" boolean not null default false;`);
  }

  override down(): void {
    this.addSql(`alter table "events" drop column "operational";`);
    this.addSql(`alter table "connections" drop column "rate_tokens", drop column "rate_refilled_at";`);
    this.addSql(`drop index "deliveries_parked_index";`);
    this.addSql(`drop index "deliveries_claimed_until_index";`);
    this.addSql(`alter table "deliveries" drop column "claimed_until", drop column "parked_at";`);
  }
}
