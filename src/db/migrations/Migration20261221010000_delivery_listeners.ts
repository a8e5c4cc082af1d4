import { Migration } from '@mikro-orm/migrations';

/**
 * The workspaces some API process streams delivery changes to right now, by the Postgres backend
 * of the connection that listens for them. A write announces a change only when its workspace has
 * a row here: on durable Postgres every transaction that notifies holds one lock through its
 * commit, so notifying commits go one at a time, and with nobody streaming there is nobody to tell.
 * No foreign key: one registration of a workspace deleted meanwhile must not fail a listener's
 * others; rows go with their listener's connection.
 */
export class Migration20261221010000_delivery_listeners extends Migration {
  override name = 'Migration20261221010000_delivery_listeners';

  override up(): void {
    this.addSql(`create table "delivery_listeners" ("workspace_id" uuid not null, "listener_pid" int not null,
      "since" timestamptz not null default now(), primary key ("workspace_id", "listener_pid"));`);
  }

  override down(): void {
    this.addSql(`drop table "delivery_listeners";`);
  }
}
