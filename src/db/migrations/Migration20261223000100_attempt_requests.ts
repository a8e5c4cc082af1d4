import { Migration } from '@mikro-orm/migrations';

/**
 * What an attempt records of its request and of the vendor's answer beside the URL and status:
 * the method (a Mailchimp upsert is a PUT) and the vendor's own error code or title. Attempts
 * made before were all webhook POSTs.
 */
export class Migration20261223000100_attempt_requests extends Migration {
  override name = 'Migration20261223000100_attempt_requests';

  override up(): void {
    this.addSql(`alter table "attempts" add column "request_method" text not null default 'POST', add column "vendor_code" text null;`);
  }

  override down(): void {
    this.addSql(`alter table "attempts" drop column "request_method", drop column "vendor_code";`);
  }
}
