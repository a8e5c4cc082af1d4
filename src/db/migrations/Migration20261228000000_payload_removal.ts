import { Migration } from '@mikro-orm/migrations';

/**
 * Why an event's payload is gone: `ERASED` by eraseResource or `EXPIRED` by retention, so a
 * refused replay can say which. A nullable column without a default is added without
 * rewriting the table. `PAYLOAD_REMOVED` is the error class of a delivery that died without a
 * request because its event had no payload left to send.
 */
export class Migration20261228000000_payload_removal extends Migration {
  override name = 'Migration20261228000000_payload_removal';

  override up(): void {
    this.addSql(`create type "payload_removal" as enum ('ERASED', 'EXPIRED');`);
    this.addSql(`alter table "events" add column "payload_removed_by" "payload_removal" null;`);
    this.addSql(`alter type "attempt_error_class" add value if not exists 'PAYLOAD_REMOVED';`);
  }

  override down(): void {
    this.addSql(`alter table "events" drop column "payload_removed_by";`);
    this.addSql(`drop type "payload_removal";`);
  }
}
