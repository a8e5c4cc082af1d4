import { Migration } from '@mikro-orm/migrations';

/**
 * `deliveries.unbatched`: the vendor handed the delivery back from a batch call (a Mailchimp
 * member it already has, a HubSpot event), so its claims send it in a call of its own instead of
 * batching it again. A column with a constant default is added without rewriting the table.
 */
export class Migration20261230000000_unbatched_deliveries extends Migration {
  override name = 'Migration20261230000000_unbatched_deliveries';

  override up(): void {
    this.addSql(`alter table "deliveries" add column "unbatched" boolean not null default false;`);
  }

  override down(): void {
    this.addSql(`alter table "deliveries" drop column "unbatched";`);
  }
}
