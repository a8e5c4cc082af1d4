import { Migration } from '@mikro-orm/migrations';

/**
 * Retention and erasure. Each workspace keeps payloads (and attempts' response bodies) for
 * `payload_retention_days` and event and delivery records for `delivery_retention_days`; the
 * retention task's place in each workspace's events is kept beside them, so a run starts where
 * the last one stopped instead of stepping over every payload already removed. A removed
 * payload is NULL with the time it was removed. The indexes retention and erasure read events
 * by are built without a long lock in Migration20261228010000_retention_indexes.
 */
export class Migration20261220000000_retention extends Migration {
  override name = 'Migration20261220000000_retention';

  override up(): void {
    this.addSql(`alter table "workspaces"
      add column "payload_retention_days" int not null default 30,
      add column "delivery_retention_days" int not null default 90,
      add column "payloads_removed_through" timestamptz null,
      add column "payloads_removed_through_id" uuid null;`);
    this.addSql(`alter table "workspaces" add constraint "workspaces_retention_check" check (
      "payload_retention_days" between 1 and 3650 and "delivery_retention_days" between 1 and 3650
      and "payload_retention_days" <= "delivery_retention_days");`);
    this.addSql(`alter table "events" alter column "payload" drop not null, add column "payload_removed_at" timestamptz null;`);
  }

  override down(): void {
    this.addSql(`update "events" set "payload" = 'null'::jsonb where "payload" is null;`);
    this.addSql(`alter table "events" alter column "payload" set not null, drop column "payload_removed_at";`);
    this.addSql(`alter table "workspaces" drop constraint "workspaces_retention_check", drop column "payload_retention_days",
      drop column "delivery_retention_days", drop column "payloads_removed_through", drop column "payloads_removed_through_id";`);
  }
}
