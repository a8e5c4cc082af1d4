import { Migration } from '@mikro-orm/migrations';

/**
 * A row that points at another points at one of its own workspace: every such foreign key
 * includes `workspace_id`, against a `(workspace_id, id)` key of the row pointed at, so no code
 * path (a bug, a forged id) can link a delivery to another tenant's event, connection or rule.
 * They replace the single-column keys, with the same actions; `on delete set null (rule_id)`
 * (Postgres 15 and later) clears only the rule when a rule goes. Signing secrets get the
 * workspace column they lacked.
 */
/** Each reference between rows: the child's column, the parent, and the delete action before and after. */
const REFERENCES: [child: string, column: string, parent: string, action: string, formerAction: string][] = [
  ['rules', 'connection_id', 'connections', 'on delete cascade', 'on delete cascade'],
  ['connection_secrets', 'connection_id', 'connections', 'on delete cascade', 'on delete cascade'],
  ['deliveries', 'event_id', 'events', 'on delete cascade', 'on delete cascade'],
  ['deliveries', 'connection_id', 'connections', 'on delete cascade', 'on delete cascade'],
  ['deliveries', 'rule_id', 'rules', 'on delete set null ("rule_id")', 'on delete set null'],
  ['attempts', 'delivery_id', 'deliveries', 'on delete cascade', 'on delete cascade'],
];

const PARENTS = ['connections', 'events', 'rules', 'deliveries'];

export class Migration20261216010000_tenant_references extends Migration {
  override name = 'Migration20261216010000_tenant_references';

  override up(): void {
    this.addSql(`alter table "connection_secrets" add column "workspace_id" uuid null;`);
    this.addSql(`update "connection_secrets" s set "workspace_id" = c."workspace_id" from "connections" c where c."id" = s."connection_id";`);
    this.addSql(`alter table "connection_secrets" alter column "workspace_id" set not null;`);
    this.addSql(`alter table "connection_secrets" add constraint "connection_secrets_workspace_id_foreign" foreign key ("workspace_id") references "workspaces" ("id") on delete cascade;`);

    for (const table of PARENTS) {
      this.addSql(`alter table "${table}" add constraint "${table}_workspace_id_id_unique" unique ("workspace_id", "id");`);
    }
    for (const [child, column, parent, action] of REFERENCES) {
      this.addSql(`alter table "${child}" drop constraint "${child}_${column}_foreign";`);
      this.addSql(
        `alter table "${child}" add constraint "${child}_${column}_foreign" foreign key ("workspace_id", "${column}") references "${parent}" ("workspace_id", "id") ${action};`,
      );
    }
  }

  override down(): void {
    for (const [child, column, parent, , formerAction] of REFERENCES) {
      this.addSql(`alter table "${child}" drop constraint "${child}_${column}_foreign";`);
      this.addSql(`alter table "${child}" add constraint "${child}_${column}_foreign" foreign key ("${column}") references "${parent}" ("id") ${formerAction};`);
    }
    for (const table of PARENTS) {
      this.addSql(`alter table "${table}" drop constraint "${table}_workspace_id_id_unique";`);
    }
    this.addSql(`alter table "connection_secrets" drop column "workspace_id";`);
  }
}
