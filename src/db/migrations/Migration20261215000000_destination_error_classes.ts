import { Migration } from '@mikro-orm/migrations';

/**
 * The error classes of destination kinds' answers: REJECTED, AUTH, RATE_LIMITED, MAPPING. Added
 * values cannot be removed from a Postgres enum, so `down` leaves them; nothing else depends on them.
 */
export class Migration20261215000000_destination_error_classes extends Migration {
  override name = 'Migration20261215000000_destination_error_classes';

  override up(): void {
    for (const value of ['REJECTED', 'AUTH', 'RATE_LIMITED', 'MAPPING']) {
      this.addSql(`alter type "attempt_error_class" add value if not exists '${value}';`);
    }
  }

  override down(): void {}
}
