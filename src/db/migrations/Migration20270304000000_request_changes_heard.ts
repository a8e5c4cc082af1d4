import { Migration } from '@mikro-orm/migrations';

/**
 * A pump that claims ahead holds deliveries with what their requests are made of as it read them
 * (see attempt-plan.ts): the URL and the kind's settings, the headers, the timeout, the retry
 * schedule and the live signing secrets. A change of any of them is now announced as a change of
 * status or cap is (Migration20270202000000_connection_changes_heard), so a pump gives back what
 * it holds and claims it again as the connection now is: once it hears that an endpoint moved or
 * a secret was rotated or ended, no request it had not started yet goes out the old way.
 */
export class Migration20270304000000_request_changes_heard extends Migration {
  override name = 'Migration20270304000000_request_changes_heard';

  override up(): void {
    this.addSql(`drop trigger "connections_changed" on "connections";`);
    this.addSql(`create trigger "connections_changed" after update of "status", "ordered", "max_concurrency", "rate_limit_per_second",
        "config", "sealed_headers", "timeout_seconds", "retry_schedule_seconds" on "connections"
      for each row when (old."status" is distinct from new."status" or old."ordered" is distinct from new."ordered"
                         or old."max_concurrency" is distinct from new."max_concurrency"
                         or old."rate_limit_per_second" is distinct from new."rate_limit_per_second"
                         or old."config" is distinct from new."config" or old."sealed_headers" is distinct from new."sealed_headers"
                         or old."timeout_seconds" is distinct from new."timeout_seconds"
                         or old."retry_schedule_seconds" is distinct from new."retry_schedule_seconds")
      execute function "switchyard_connection_changed"();`);
    this.addSql(`create function "switchyard_connection_secrets_changed"() returns trigger language plpgsql as $$
      begin
        perform pg_notify('switchyard_connection_changes',
          'conn_' || replace(coalesce(new."connection_id", old."connection_id")::text, '-', ''));
        return null;
      end $$;`);
    this.addSql(`create trigger "connection_secrets_changed" after insert or update or delete on "connection_secrets"
      for each row execute function "switchyard_connection_secrets_changed"();`);
  }

  override down(): void {
    this.addSql(`drop trigger "connection_secrets_changed" on "connection_secrets";`);
    this.addSql(`drop function "switchyard_connection_secrets_changed"();`);
    this.addSql(`drop trigger "connections_changed" on "connections";`);
    this.addSql(`create trigger "connections_changed" after update of "status", "ordered", "max_concurrency", "rate_limit_per_second" on "connections"
      for each row when (old."status" is distinct from new."status" or old."ordered" is distinct from new."ordered"
                         or old."max_concurrency" is distinct from new."max_concurrency"
                         or old."rate_limit_per_second" is distinct from new."rate_limit_per_second")
      execute function "switchyard_connection_changed"();`);
  }
}
