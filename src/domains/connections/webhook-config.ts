import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { ConnectionConfig, WebhookConfig } from './connection.entity.ts';
import { checkTargetUrl } from './target-url.ts';
import { isSensitiveName, maskedHeaders, maskedValue } from '../secrets/masking.ts';
import { openSecret, sealSecret, secretBinding } from '../secrets/secret-store.ts';

/** Most custom headers one webhook connection may send. */
export const MAX_HEADERS = 20;
/** Longest header value. */
const MAX_HEADER_VALUE = 4096;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const VISIBLE_ASCII = /^[\x20-\x7e\t]*$/;

/**
 * Headers Switchyard sets itself or that would corrupt the request (hop-by-hop, framing); a
 * connection may not set them. Every `webhook-*` name is refused too: Standard Webhooks owns them.
 */
const RESERVED = new Set([
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'http2-settings',
]);


function headerProblem(name: string, value: unknown): string | null {
  if (!TOKEN.test(name)) return 'is not a valid header name (letters, digits and !#$%&\'*+.^_`|~-, at most 100)';
  const lower = name.toLowerCase();
  if (RESERVED.has(lower)) return `"${lower}" is set by Switchyard or by HTTP itself and cannot be overridden`;
  if (lower.startsWith('webhook-')) return '"webhook-*" headers are reserved for the Standard Webhooks signature';
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > MAX_HEADER_VALUE) return `must be at most ${MAX_HEADER_VALUE} characters`;
  if (!VISIBLE_ASCII.test(value)) return 'must contain only visible ASCII characters, spaces and tabs';
  return null;
}

/**
 * Parses custom headers: names are stored lowercase (HTTP names are case-insensitive), so two
 * spellings of one name are a conflict. A masked value equal to the mask of the `previous`
 * value of the same header keeps the previous value, so a read-modify-write round trip is safe.
 */
function headersSchema(previous: Record<string, string>) {
  return z.unknown().transform((raw, context) => {
    if (raw === null) return {};
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      context.addIssue({ code: 'custom', message: 'must be an object of header names to string values' });
      return z.NEVER;
    }
    const entries = Object.entries(raw);
    if (entries.length > MAX_HEADERS) {
      context.addIssue({ code: 'custom', message: `must have at most ${MAX_HEADERS} headers` });
      return z.NEVER;
    }
    const headers: Record<string, string> = {};
    for (const [name, given] of entries) {
      const lower = name.toLowerCase();
      const kept = previous[lower];
      const value = kept !== undefined && isSensitiveName(lower) && given === maskedValue(kept) ? kept : given;
      const problem = lower in headers ? 'is given twice (header names are case-insensitive)' : headerProblem(name, value);
      if (problem) context.addIssue({ code: 'custom', path: [name], message: problem });
      else headers[lower] = (value as string).trim();
    }
    return headers;
  });
}

/**
 * The zod schema of a WEBHOOK connection's settings: the target URL (checked by
 * `checkTargetUrl`) and custom headers. `previousHeaders` are the stored headers' real values
 * when updating, so that a masked value sent back keeps its stored one.
 */
export function webhookConfigSchema(options: { allowPrivateTargets: boolean }, previousHeaders: Record<string, string> = {}) {
  return z.object({
    url: z.string().transform((raw, context) => {
      const checked = checkTargetUrl(raw, options);
      if (checked.problem !== undefined) {
        context.addIssue({ code: 'custom', message: checked.problem });
        return z.NEVER;
      }
      return checked.url;
    }),
    headers: headersSchema(previousHeaders).optional(),
  });
}

/** Where a connection's real header values are sealed. */
function headersBinding(connectionId: string): string {
  return secretBinding('connections', 'sealed_headers', connectionId);
}

/** A connection's custom headers with their real values, for sending (and for an update to keep). */
export function webhookHeaders(connection: { id: string; sealedHeaders?: string | null }): Record<string, string> {
  return connection.sealedHeaders ? (JSON.parse(openSecret(connection.sealedHeaders, headersBinding(connection.id))) as Record<string, string>) : {};
}

/**
 * Stores a parsed webhook input on `connection` (whose id must be set): the URL and the masked
 * headers in `config`, the real headers sealed in `sealedHeaders`. Headers left out keep theirs.
 */
export function storeWebhookConfig(
  connection: { id: string; config: ConnectionConfig; sealedHeaders?: string | null },
  parsed: { url: string; headers?: Record<string, string> | undefined },
): void {
  const headers = parsed.headers ?? webhookHeaders(connection);
  connection.config = { url: parsed.url, headers: maskedHeaders(headers) };
  connection.sealedHeaders = Object.keys(headers).length > 0 ? sealSecret(JSON.stringify(headers), headersBinding(connection.id)) : null;
}

/**
 * Seals the headers of connections saved before headers were sealed (their real values still in
 * `config.headers`), leaving the masked form there. Run at start.
 */
export async function sealPlaintextHeaders(em: EntityManager): Promise<void> {
  const rows = await em.execute<{ id: string; config: WebhookConfig }[]>(
    `select id, config from connections where sealed_headers is null and config->'headers' <> '{}'::jsonb`,
  );
  for (const row of rows) {
    const connection: { id: string; config: WebhookConfig; sealedHeaders: string | null } = { ...row, sealedHeaders: null };
    storeWebhookConfig(connection, row.config);
    await em.execute('update connections set config = ?, sealed_headers = ? where id = ? and sealed_headers is null', [
      JSON.stringify(connection.config), connection.sealedHeaders, row.id,
    ]);
  }
}
