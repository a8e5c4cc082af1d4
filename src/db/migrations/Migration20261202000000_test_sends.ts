import { Migration } from '@mikro-orm/migrations';

/**
 * Test sends (`sendTestEvent`): an event written for one connection only, and its delivery, both
 * marked so lists, streams and receivers can tell them from real traffic.
 */
export class Migration20261202000000_test_sends extends Migration {
  override name = 'Migration20261202000000_test_sends';

  override up(): void {
    this.addSql(`alter table "events" add column "test" boolean not null default false;`);
    this.addSql(`alter table "deliveries" add column "test" boolean not null default false;`);
  }

  override down(): void {
    this.addSql(`alter table "deliveries" drop column "test";`);
    this.addSql(`alter table "events" drop column "test";`);
  }
}
