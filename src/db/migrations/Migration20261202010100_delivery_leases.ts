import { Migration } from '@mikro-orm/migrations';

/**
 * Each claim of a delivery gets a token of its own, which every write that ends the attempt
 * must present: a worker whose lease ran out, and whose delivery was taken over, can then only
 * add its attempt to the history, never overwrite the state a newer attempt left.
 */
export class Migration20261202010100_delivery_leases extends Migration {
  override name = 'Migration20261202010100_delivery_leases';

  override up(): void {
    this.addSql(`alter table "deliveries" add column "lease" uuid null;`);
  }

  override down(): void {
    this.addSql(`alter table "deliveries" drop column "lease";`);
  }
}
