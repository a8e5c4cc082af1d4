import { Migration } from '@mikro-orm/migrations';

/**
 * OAuth for HubSpot, Salesforce and Slack connections.
 * - `oauth_states`: one pending consent each, looked up by the SHA-256 of its `state` (the value
 *   itself travels only in the provider's redirect), deleted when used or expired; the PKCE
 *   verifier is sealed by the secret store.
 * - `oauth_grants`: one grant per connection, its tokens sealed. `generation` counts refreshes,
 *   so a process that saw a token refused can tell whether another one already replaced it;
 *   `refused_at` marks a grant the provider refused to refresh, so nobody asks again until the
 *   connection is authorized anew.
 * Both reference the connection with its workspace, like every reference between rows.
 */
export class Migration20261224000000_oauth extends Migration {
  override name = 'Migration20261224000000_oauth';

  override up(): void {
    this.addSql(`create table "oauth_states" (
      "id" uuid not null primary key,
      "workspace_id" uuid not null,
      "connection_id" uuid not null,
      "state_hash" varchar(64) not null unique,
      "sealed_verifier" text null,
      "return_url" text not null,
      "created_at" timestamptz not null default now(),
      "expires_at" timestamptz not null,
      foreign key ("workspace_id", "connection_id") references "connections" ("workspace_id", "id") on delete cascade);`);
    this.addSql(`create index "oauth_states_connection_id_index" on "oauth_states" ("connection_id");`);
    this.addSql(`create table "oauth_grants" (
      "id" uuid not null primary key,
      "workspace_id" uuid not null,
      "connection_id" uuid not null unique,
      "sealed_access_token" text not null,
      "sealed_refresh_token" text null,
      "expires_at" timestamptz null,
      "instance_url" text null,
      "scope" text null,
      "generation" integer not null default 1,
      "refused_at" timestamptz null,
      "refusal" text null,
      "updated_at" timestamptz not null default now(),
      foreign key ("workspace_id", "connection_id") references "connections" ("workspace_id", "id") on delete cascade);`);
  }

  override down(): void {
    this.addSql(`drop table "oauth_grants";`);
    this.addSql(`drop table "oauth_states";`);
  }
}
