import type { EntityManager } from '@mikro-orm/postgresql';
import type { AnyDestinationKind } from '../destinations/destination-kinds.ts';
import type { SettingsContext, StoredSettings } from '../destinations/destination-kind.ts';
import type { Issue } from '../errors.ts';
import { openSecret, sealSecret, secretBinding } from '../secrets/secret-store.ts';
import { ConnectionCredentials } from './connection-credentials.entity.ts';
import type { Connection, ConnectionConfig, ConnectionKind, WebhookConfig } from './connection.entity.ts';
import { storeWebhookConfig, webhookHeaders } from './webhook-config.ts';

/** The input fields that carry a kind's settings, one per kind that has any. */
export const SETTINGS_FIELDS = ['webhook', 'slack', 'mailchimp', 'hubspot', 'salesforce'] as const;
export type SettingsField = (typeof SETTINGS_FIELDS)[number];

/**
 * A kind's settings parsed from a create or update input, or the issues with them, their paths
 * starting at `input`. Other kinds' settings fields are refused by name, so a MAILCHIMP
 * connection given `slack: {...}` says so instead of ignoring it.
 */
export function parseSettings(
  kind: AnyDestinationKind,
  input: Partial<Record<SettingsField, unknown>>,
  context: SettingsContext,
  previous: StoredSettings<unknown, unknown> | undefined,
): { settings?: StoredSettings<unknown, unknown>; issues: Issue[] } {
  const issues: Issue[] = [];
  for (const field of SETTINGS_FIELDS) {
    if (field !== kind.inputField && input[field] != null) {
      issues.push({ path: ['input', field], message: `is for ${field.toUpperCase()} connections; this is a ${kind.kind} connection (use ${kind.inputField})` });
    }
  }
  const given = input[kind.inputField as SettingsField];
  if (given == null) {
    if (!previous) issues.push({ path: ['input', kind.inputField], message: `is required for a ${kind.kind} connection` });
    return { issues };
  }
  const parsed = kind.settingsSchema(context, previous).safeParse(given);
  if (!parsed.success) {
    issues.push(...parsed.error.issues.map((issue) => ({ path: ['input', kind.inputField, ...issue.path.map(String)], message: issue.message })));
    return { issues };
  }
  return { settings: parsed.data, issues };
}

/** Where a connection's vendor credentials are sealed: bound to the connection, so they open nowhere else. */
export function credentialsBinding(connectionId: string): string {
  return secretBinding('connection_credentials', 'secret', connectionId);
}

/** Sealed credentials as the plan of an attempt reads them, opened; null for a kind that keeps none. */
export function openCredentials(connectionId: string, sealed: string | null): unknown {
  return sealed ? (JSON.parse(openSecret(sealed, credentialsBinding(connectionId))) as unknown) : null;
}

/**
 * A connection's credentials opened, as an attempt's plan reads them from its row: a webhook's
 * real headers (sealed on the connection), another kind's credentials row; null when it has none.
 */
export function planCredentials(kind: ConnectionKind, connectionId: string, sealed: { headers: string | null; credentials: string | null }): unknown {
  if (kind === 'WEBHOOK') return { headers: webhookHeaders({ id: connectionId, sealedHeaders: sealed.headers }) };
  return openCredentials(connectionId, sealed.credentials);
}

/**
 * A connection's settings as stored, its credentials opened, for an update to start from: a
 * webhook's real headers (sealed on the connection), or another kind's credentials row.
 */
export async function storedSettings(em: EntityManager, connection: Connection): Promise<StoredSettings<unknown, unknown>> {
  const row = connection.kind === 'WEBHOOK'
    ? null
    : await em.findOne(ConnectionCredentials, { connection: connection.id }, { fields: ['secret'], disableIdentityMap: true });
  const credentials = planCredentials(connection.kind, connection.id, { headers: connection.sealedHeaders ?? null, credentials: row?.secret ?? null });
  return { config: connection.config, credentials };
}

/**
 * Stores `settings` on `connection` (whose id must be set), its credentials sealed: a webhook's
 * headers on the connection itself, another kind's credentials in their own row with their
 * masked `hints`, replacing any before. Returns whether the credentials differ from those stored.
 * Flushing is the caller's.
 */
export async function storeSettings(
  em: EntityManager,
  connection: Connection,
  settings: StoredSettings<unknown, unknown>,
  hints: Record<string, string>,
): Promise<boolean> {
  if (connection.kind === 'WEBHOOK') {
    const { url } = settings.config as WebhookConfig;
    storeWebhookConfig(connection, { url, headers: (settings.credentials as { headers: Record<string, string> }).headers });
    return false;
  }
  connection.config = settings.config as ConnectionConfig;
  const plaintext = JSON.stringify(settings.credentials);
  const secret = sealSecret(plaintext, credentialsBinding(connection.id));
  const existing = await em.findOne(ConnectionCredentials, { connection: connection.id });
  if (!existing) {
    em.create(ConnectionCredentials, { workspace: connection.workspace, connection, secret, hints });
    return true;
  }
  const changed = JSON.stringify(openCredentials(connection.id, existing.secret)) !== plaintext;
  existing.secret = secret;
  existing.hints = hints;
  return changed;
}

/** The masked credentials of each connection, in one query; nothing sealed is opened. */
export async function credentialHints(em: EntityManager, connectionIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const rows = await em.find(ConnectionCredentials, { connection: { $in: [...connectionIds] } }, { fields: ['hints', 'connection'], disableIdentityMap: true });
  return new Map(rows.map((row) => [row.connection.id, row.hints]));
}
