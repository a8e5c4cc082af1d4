import { Migration } from '@mikro-orm/migrations';

/**
 * The pumps that linger in their job for new work, by their job's key, until when at the latest:
 * an emit write share-locks such a row as it share-locks a waiting job, and adds no job while it
 * is there (see `shareOrAddJobsCtes` in src/db/graphile-worker.ts).
 */
export class Migration20270303000000_lingering_pumps extends Migration {
  override name = 'Migration20270303000000_lingering_pumps';

  override up(): void {
    this.addSql(`create table "lingering_pumps" ("job_key" text primary key, "until" timestamptz not null);`);
  }

  override down(): void {
    this.addSql(`drop table "lingering_pumps";`);
  }
}
