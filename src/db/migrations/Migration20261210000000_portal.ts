import { Migration } from '@mikro-orm/migrations';

/**
 * The customer portal: portal sessions (a third kind of principal, stored as the SHA-256 of its
 * token like an API key), each workspace's portal settings, a description on connections, and
 * the request an attempt sent (its headers, credentials masked, and its body where a transform
 * made it: the default body is rebuilt from the event, so it is not stored twice).
 */
export class Migration20261210000000_portal extends Migration {
  override name = 'Migration20261210000000_portal';

  override up(): void {
    this.addSql(`create table "portal_sessions" (
      "id" uuid not null primary key,
      "workspace_id" uuid not null references "workspaces" ("id") on delete cascade,
      "token_hash" varchar(64) not null unique,
      "capabilities" text[] not null,
      "return_url" text null,
      "created_at" timestamptz not null,
      "expires_at" timestamptz not null,
      "revoked_at" timestamptz null);`);
    this.addSql(`create index "portal_sessions_workspace_id_index" on "portal_sessions" ("workspace_id");`);
    this.addSql(`create table "portal_settings" (
      "workspace_id" uuid not null primary key references "workspaces" ("id") on delete cascade,
      "allowed_origins" text[] not null default '{}',
      "display_name" varchar(100) null,
      "brand_color" varchar(7) null,
      "logo_url" text null,
      "updated_at" timestamptz not null);`);
    this.addSql(`alter table "connections" add column "description" text not null default '';`);
    this.addSql(`alter table "attempts" add column "request_headers" jsonb null, add column "request_body" text null;`);
  }

  override down(): void {
    this.addSql(`alter table "attempts" drop column "request_headers", drop column "request_body";`);
    this.addSql(`alter table "connections" drop column "description";`);
    this.addSql(`drop table "portal_settings";`);
    this.addSql(`drop table "portal_sessions";`);
  }
}
