import { z } from 'zod';
import type { WebhookConfig } from './connection.entity.ts';
import { checkTargetUrl } from './target-url.ts';

/** Most custom headers one webhook connection may send. (Default: 20) */
export const MAX_HEADERS = 20;
/** Longest header value. (Default: 4096 characters) */
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

/** Header names whose values are credentials: shown masked after they are saved. */
const SENSITIVE = /authorization|cookie|token|secret|key|password|passwd|signature|session|credential/i;

/** The masked form of a sensitive header value: its last 4 characters when it is long enough to spare them. */
function masked(value: string): string {
  return value.length >= 16 ? `…${value.slice(-4)}` : '…';
}

/**
 * `headers` as a client may see them: values of credential-like headers (authorization,
 * api keys, tokens, cookies ...) masked. Sending a masked value back keeps the stored one.
 */
export function maskedHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, SENSITIVE.test(name) ? masked(value) : value]),
  );
}

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
      const value = kept !== undefined && SENSITIVE.test(lower) && given === masked(kept) ? kept : given;
      const problem = lower in headers ? 'is given twice (header names are case-insensitive)' : headerProblem(name, value);
      if (problem) context.addIssue({ code: 'custom', path: [name], message: problem });
      else headers[lower] = (value as string).trim();
    }
    return headers;
  });
}

/**
 * The zod schema of a WEBHOOK connection's settings: the target URL (checked by
 * `checkTargetUrl`) and custom headers. `previous` is the stored config when updating; headers
 * that are left out keep their stored values.
 */
export function webhookConfigSchema(options: { allowPrivateTargets: boolean }, previous?: WebhookConfig) {
  return z.object({
    url: z.string().transform((raw, context) => {
      const checked = checkTargetUrl(raw, options);
      if (checked.problem !== undefined) {
        context.addIssue({ code: 'custom', message: checked.problem });
        return z.NEVER;
      }
      return checked.url;
    }),
    headers: headersSchema(previous?.headers ?? {}).optional(),
  });
}

/** Resolves a parsed webhook input against the stored config (missing headers keep theirs). */
export function webhookConfig(parsed: { url: string; headers?: Record<string, string> | undefined }, previous?: WebhookConfig): WebhookConfig {
  return { url: parsed.url, headers: parsed.headers ?? previous?.headers ?? {} };
}
