import { Migration } from '@mikro-orm/migrations';

/**
 * A connection waits as a whole while its vendor's quota for the account is spent (HubSpot's
 * 429s, Salesforce's `REQUEST_LIMIT_EXCEEDED`): until `throttled_until` no claim takes anything
 * of it, and `throttle_reason` says which quota. Nullable columns without defaults are added
 * without rewriting the table.
 */
export class Migration20261231000000_quota_waits extends Migration {
  override name = 'Migration20261231000000_quota_waits';

  override up(): void {
    this.addSql(`alter table "connections" add column "throttled_until" timestamptz null, add column "throttle_reason" text null;`);
  }

  override down(): void {
    this.addSql(`alter table "connections" drop column "throttled_until", drop column "throttle_reason";`);
  }
}
