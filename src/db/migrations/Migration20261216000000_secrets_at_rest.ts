import { Migration } from '@mikro-orm/migrations';

/**
 * Secrets sealed at rest (src/domains/secrets): signing secrets become ciphertexts longer than
 * their old column allowed, and a connection's custom headers get a sealed copy with their real
 * values, `config.headers` keeping only the masked form. The values themselves are sealed at
 * start by the process, which has the keys; SQL alone cannot.
 */
export class Migration20261216000000_secrets_at_rest extends Migration {
  override name = 'Migration20261216000000_secrets_at_rest';

  override up(): void {
    this.addSql(`alter table "connection_secrets" alter column "secret" type text;`);
    this.addSql(`alter table "connections" add column "sealed_headers" text null;`);
  }

  override down(): void {
    this.addSql(`alter table "connections" drop column "sealed_headers";`);
    this.addSql(`alter table "connection_secrets" alter column "secret" type varchar(200);`);
  }
}
