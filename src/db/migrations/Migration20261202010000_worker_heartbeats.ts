import { Migration } from '@mikro-orm/migrations';

/**
 * Each worker process's heartbeat, under the id its graphile-worker pool locks jobs with. The
 * sweep that takes over a crashed worker's jobs goes by it: a worker whose heartbeat stopped is
 * dead, one whose heartbeat goes on is alive however long its job runs.
 */
export class Migration20261202010000_worker_heartbeats extends Migration {
  override name = 'Migration20261202010000_worker_heartbeats';

  override up(): void {
    this.addSql(`create table "worker_heartbeats" ("worker_id" text not null, "started_at" timestamptz not null default now(),
      "beat_at" timestamptz not null default now(), primary key ("worker_id"));`);
  }

  override down(): void {
    this.addSql(`drop table "worker_heartbeats";`);
  }
}
