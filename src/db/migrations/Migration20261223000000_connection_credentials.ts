import { Migration } from '@mikro-orm/migrations';

/**
 * Vendor credentials (bot tokens, API keys, webhook URLs that embed a secret), one row per
 * connection and apart from `connections.config`, which clients see: `secret` is sealed by the
 * secret store, and `hints` holds the masked forms, so listing connections never opens one. The
 * connection is referenced with its workspace, like every reference between rows.
 */
export class Migration20261223000000_connection_credentials extends Migration {
  override name = 'Migration20261223000000_connection_credentials';

  override up(): void {
    this.addSql(`create table "connection_credentials" ("id" uuid not null, "workspace_id" uuid not null, "connection_id" uuid not null,
      "secret" text not null, "hints" jsonb not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "connection_credentials" add constraint "connection_credentials_connection_id_unique" unique ("connection_id");`);
    this.addSql(`alter table "connection_credentials" add constraint "connection_credentials_workspace_id_foreign"
      foreign key ("workspace_id") references "workspaces" ("id") on delete cascade;`);
    this.addSql(`alter table "connection_credentials" add constraint "connection_credentials_connection_id_foreign"
      foreign key ("workspace_id", "connection_id") references "connections" ("workspace_id", "id") on delete cascade;`);
  }

  override down(): void {
    this.addSql(`drop table "connection_credentials";`);
  }
}
