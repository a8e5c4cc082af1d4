import { Migration } from '@mikro-orm/migrations';

export class Migration20261123000212_initial extends Migration {

  override name = 'Migration20261123000212_initial';

  override up(): void | Promise<void> {
    this.addSql(`create type "connection_kind" as enum ('WEBHOOK', 'SLACK', 'HUBSPOT', 'SALESFORCE', 'MAILCHIMP');`);
    this.addSql(`create type "connection_status" as enum ('ACTIVE', 'PAUSED', 'DISABLED', 'NEEDS_REAUTH');`);
    this.addSql(`create type "delivery_status" as enum ('PENDING', 'DELIVERING', 'SUCCEEDED', 'RETRYING', 'DEAD');`);
    this.addSql(`create type "attempt_status" as enum ('SUCCEEDED', 'FAILED');`);
    this.addSql(`create type "attempt_error_class" as enum ('TIMEOUT', 'DNS', 'CONNECT', 'TLS', 'HTTP', 'REFUSED_TARGET', 'EXPRESSION', 'NETWORK');`);
    this.addSql(`create type "api_key_kind" as enum ('ADMIN', 'SECRET', 'PUBLISHABLE');`);
    this.addSql(`create table "workspaces" ("id" uuid not null, "name" varchar(100) not null, "environment" varchar(50) not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "workspaces" add constraint "workspaces_name_environment_unique" unique ("name", "environment");`);

    this.addSql(`create table "event_types" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(200) not null, "description" text not null default '', "schema" jsonb null, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "event_types" add constraint "event_types_workspace_id_name_unique" unique ("workspace_id", "name");`);

    this.addSql(`create table "events" ("id" uuid not null, "workspace_id" uuid not null, "type" varchar(200) not null, "resource" varchar(200) null, "resource_id" varchar(200) null, "payload" jsonb not null, "idempotency_key" varchar(200) null, "sequence" bigint not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "events_workspace_id_created_at_index" on "events" ("workspace_id", "created_at");`);
    this.addSql(`create index "events_workspace_id_type_created_at_index" on "events" ("workspace_id", "type", "created_at");`);
    this.addSql(`alter table "events" add constraint "events_workspace_id_idempotency_key_unique" unique ("workspace_id", "idempotency_key");`);

    this.addSql(`create table "connections" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(100) not null, "kind" "connection_kind" not null, "status" "connection_status" not null default 'ACTIVE', "config" jsonb not null, "retry_schedule_seconds" double precision[] null, "timeout_seconds" double precision not null default 15, "rate_limit_per_second" double precision null, "max_concurrency" int null, "ordered" boolean not null default false, "consecutive_failures" int not null default 0, "failing_since" timestamptz null, "last_failure_reason" text null, "status_reason" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "connections" add constraint "connections_workspace_id_name_unique" unique ("workspace_id", "name");`);

    this.addSql(`create table "rules" ("id" uuid not null, "workspace_id" uuid not null, "connection_id" uuid not null, "name" varchar(100) not null, "event_types" text[] not null, "condition" text null, "transform" text null, "enabled" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "rules" add constraint "rules_workspace_id_name_unique" unique ("workspace_id", "name");`);

    this.addSql(`create table "deliveries" ("id" uuid not null, "workspace_id" uuid not null, "event_id" uuid not null, "connection_id" uuid not null, "rule_id" uuid null, "event_type" varchar(200) not null, "status" "delivery_status" not null default 'PENDING', "chain" int not null default 0, "attempt_count" int not null default 0, "chain_attempts" int not null default 0, "next_attempt_at" timestamptz null, "last_attempt_at" timestamptz null, "last_status_code" int null, "last_error" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "deliveries_workspace_id_status_created_at_index" on "deliveries" ("workspace_id", "status", "created_at");`);
    this.addSql(`create index "deliveries_workspace_id_created_at_index" on "deliveries" ("workspace_id", "created_at");`);
    this.addSql(`create index "deliveries_connection_id_status_created_at_index" on "deliveries" ("connection_id", "status", "created_at");`);
    this.addSql(`create index "deliveries_event_id_index" on "deliveries" ("event_id");`);

    this.addSql(`create table "connection_secrets" ("id" uuid not null, "connection_id" uuid not null, "secret" varchar(200) not null, "hint" varchar(40) not null, "created_at" timestamptz not null, "expires_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "connection_secrets_connection_id_created_at_index" on "connection_secrets" ("connection_id", "created_at");`);

    this.addSql(`create table "attempts" ("id" uuid not null, "workspace_id" uuid not null, "delivery_id" uuid not null, "attempt" int not null, "chain" int not null default 0, "status" "attempt_status" not null, "status_code" int null, "duration_ms" int not null, "request_url" text not null, "response_excerpt" text null, "error_class" "attempt_error_class" null, "error" text null, "started_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "attempts_delivery_id_attempt_index" on "attempts" ("delivery_id", "attempt");`);
    this.addSql(`create index "attempts_workspace_id_started_at_index" on "attempts" ("workspace_id", "started_at");`);

    this.addSql(`create table "api_keys" ("id" uuid not null, "workspace_id" uuid null, "kind" "api_key_kind" not null, "name" varchar(100) not null, "prefix" varchar(32) not null, "hash" varchar(64) not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_hash_unique" unique ("hash");`);
    this.addSql(`create index "api_keys_workspace_id_created_at_index" on "api_keys" ("workspace_id", "created_at");`);

    this.addSql(`alter table "event_types" add constraint "event_types_workspace_id_foreign" foreign key ("workspace_id") references "workspaces" ("id") on delete cascade;`);

    this.addSql(`alter table "events" add constraint "events_workspace_id_foreign" foreign key ("workspace_id") references "workspaces" ("id") on delete cascade;`);

    this.addSql(`alter table "connections" add constraint "connections_workspace_id_foreign" foreign key ("workspace_id") references "workspaces" ("id") on delete cascade;`);

    this.addSql(`alter table "rules" add constraint "rules_workspace_id_foreign" foreign key ("workspace_id") references "workspaces" ("id") on delete cascade;`);
    this.addSql(`alter table "rules" add constraint "rules_connection_id_foreign" foreign key ("connection_id") references "connections" ("id") on delete cascade;`);

    this.addSql(`alter table "deliveries" add constraint "deliveries_workspace_id_foreign" foreign key ("workspace_id") references "workspaces" ("id") on delete cascade;`);
    this.addSql(`alter table "deliveries" add constraint "deliveries_event_id_foreign" foreign key ("event_id") references "events" ("id") on delete cascade;`);
    this.addSql(`alter table "deliveries" add constraint "deliveries_connection_id_foreign" foreign key ("connection_id") references "connections" ("id") on delete cascade;`);
    this.addSql(`alter table "deliveries" add constraint "deliveries_rule_id_foreign" foreign key ("rule_id") references "rules" ("id") on delete set null;`);

    this.addSql(`alter table "connection_secrets" add constraint "connection_secrets_connection_id_foreign" foreign key ("connection_id") references "connections" ("id") on delete cascade;`);

    this.addSql(`alter table "attempts" add constraint "attempts_workspace_id_foreign" foreign key ("workspace_id") references "workspaces" ("id") on delete cascade;`);
    this.addSql(`alter table "attempts" add constraint "attempts_delivery_id_foreign" foreign key ("delivery_id") references "deliveries" ("id") on delete cascade;`);

    this.addSql(`alter table "api_keys" add constraint "api_keys_workspace_id_foreign" foreign key ("workspace_id") references "workspaces" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "event_types" drop constraint "event_types_workspace_id_foreign";`);
    this.addSql(`alter table "events" drop constraint "events_workspace_id_foreign";`);
    this.addSql(`alter table "connections" drop constraint "connections_workspace_id_foreign";`);
    this.addSql(`alter table "rules" drop constraint "rules_workspace_id_foreign";`);
    this.addSql(`alter table "deliveries" drop constraint "deliveries_workspace_id_foreign";`);
    this.addSql(`alter table "attempts" drop constraint "attempts_workspace_id_foreign";`);
    this.addSql(`alter table "api_keys" drop constraint "api_keys_workspace_id_foreign";`);
    this.addSql(`alter table "deliveries" drop constraint "deliveries_event_id_foreign";`);
    this.addSql(`alter table "rules" drop constraint "rules_connection_id_foreign";`);
    this.addSql(`alter table "deliveries" drop constraint "deliveries_connection_id_foreign";`);
    this.addSql(`alter table "connection_secrets" drop constraint "connection_secrets_connection_id_foreign";`);
    this.addSql(`alter table "deliveries" drop constraint "deliveries_rule_id_foreign";`);
    this.addSql(`alter table "attempts" drop constraint "attempts_delivery_id_foreign";`);

    this.addSql(`drop table if exists "workspaces" cascade;`);
    this.addSql(`drop table if exists "event_types" cascade;`);
    this.addSql(`drop table if exists "events" cascade;`);
    this.addSql(`drop table if exists "connections" cascade;`);
    this.addSql(`drop table if exists "rules" cascade;`);
    this.addSql(`drop table if exists "deliveries" cascade;`);
    this.addSql(`drop table if exists "connection_secrets" cascade;`);
    this.addSql(`drop table if exists "attempts" cascade;`);
    this.addSql(`drop table if exists "api_keys" cascade;`);

    this.addSql(`drop type "connection_kind";`);
    this.addSql(`drop type "connection_status";`);
    this.addSql(`drop type "delivery_status";`);
    this.addSql(`drop type "attempt_status";`);
    this.addSql(`drop type "attempt_error_class";`);
    this.addSql(`drop type "api_key_kind";`);
  }

}
