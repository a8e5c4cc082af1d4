import { readFileSync } from 'node:fs';
import { request } from 'undici';
import type { AttemptErrorClass } from '../attempt.entity.ts';
import { dispatcherFor } from './agent.ts';
import { classifyError, timeoutMessage } from './classify-error.ts';
import { parseRetryAfter } from './retry-after.ts';
import { refusedLiteralHost } from './ssrf-guard.ts';

export { closeHttp } from './agent.ts';

/** Characters of the response body kept on the attempt. (Default: 4096) */
export const EXCERPT_CHARACTERS = 4096;

const { version } = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
const USER_AGENT = `Switchyard-Webhooks/${version}`;

/** Response headers kept on the result, for the retry decision and the attempt's message. */
const KEPT_HEADERS = ['retry-after', 'location'] as const;

/** Room undici's own timers leave our deadline, so the deadline is what fires. (Default: 1000 ms) */
const BACKSTOP_MS = 1_000;

export interface WebhookRequest {
  /** An absolute http(s) URL. */
  url: string;
  /** The connection's custom headers and the signature headers; names in any case. */
  headers: Record<string, string>;
  /** The exact JSON text that was signed. */
  body: string;
}

export interface SendOptions {
  /** Deadline of the whole attempt: DNS, connect, TLS, headers and body. */
  timeoutMs: number;
  /** Most response bytes read; the rest is discarded unread and the socket closed. */
  maxResponseBytes: number;
  /** Deliver to private, loopback and link-local addresses (`SWITCHYARD_ALLOW_PRIVATE_TARGETS`). */
  allowPrivateTargets: boolean;
}

export interface SendResult {
  /** The receiver answered 2xx. */
  ok: boolean;
  /** The status the receiver answered; absent when no complete response came. */
  statusCode?: number;
  durationMs: number;
  /** The start of the response body, at most 4096 characters of it, decoded as UTF-8. */
  responseExcerpt?: string;
  /** `retry-after` and `location`, as the receiver sent them, when it did. */
  responseHeaders?: Partial<Record<(typeof KEPT_HEADERS)[number], string>>;
  /** What `Retry-After` asked for on a 429 or 503, in seconds (never negative). */
  retryAfterSeconds?: number;
  /** Set exactly when `ok` is false. */
  errorClass?: AttemptErrorClass;
  /** One line for people saying what went wrong; set exactly when `ok` is false. */
  error?: string;
  /** The headers of the request, as sent (or as they would have been, had the target not been refused). */
  requestHeaders: Record<string, string>;
}

/**
 * POSTs one webhook and says what happened. Never throws: network failures, timeouts, refused
 * targets and non-2xx answers all come back classified. Redirects are not followed (a 3xx is a
 * failed attempt), and the deadline covers the body too, so a receiver that trickles its answer
 * cannot hold a worker past `timeoutMs`.
 */
export async function sendWebhook(webhook: WebhookRequest, options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const headers = requestHeaders(webhook.headers);
  const failed = (errorClass: AttemptErrorClass, error: string): SendResult => ({
    ok: false,
    durationMs: elapsed(),
    errorClass,
    error,
    requestHeaders: headers,
  });

  let target: URL;
  try {
    target = new URL(webhook.url);
  } catch {
    return failed('REFUSED_TARGET', `${webhook.url} is not an absolute URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return failed('REFUSED_TARGET', `${target.protocol} URLs are not delivered to; use http or https`);
  }
  const refused = options.allowPrivateTargets ? null : refusedLiteralHost(target);
  if (refused) return failed('REFUSED_TARGET', refused.message);

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  let statusCode: number | undefined;
  try {
    const response = await request(target, {
      method: 'POST',
      headers,
      body: webhook.body,
      dispatcher: dispatcherFor(options.allowPrivateTargets),
      signal: deadline.signal,
      headersTimeout: options.timeoutMs + BACKSTOP_MS,
      bodyTimeout: options.timeoutMs + BACKSTOP_MS,
    });
    statusCode = response.statusCode;
    const responseExcerpt = await readExcerpt(response.body, options.maxResponseBytes);
    const responseHeaders = keptHeaders(response.headers);
    const ok = statusCode >= 200 && statusCode < 300;
    return {
      ok,
      statusCode,
      requestHeaders: headers,
      durationMs: elapsed(),
      responseExcerpt,
      ...(responseHeaders && { responseHeaders }),
      ...((statusCode === 429 || statusCode === 503) && { retryAfterSeconds: parseRetryAfter(responseHeaders?.['retry-after']) }),
      ...(!ok && { errorClass: 'HTTP' as const, error: statusMessage(statusCode, responseHeaders?.location) }),
    };
  } catch (error) {
    if (deadline.signal.aborted) return failed('TIMEOUT', timeoutMessage(target, options.timeoutMs, statusCode));
    const { errorClass, error: message } = classifyError(error, target);
    return failed(errorClass, errorClass === 'TIMEOUT' ? timeoutMessage(target, options.timeoutMs, statusCode) : message);
  } finally {
    clearTimeout(timer);
  }
}

/** Header names lower-cased, so a connection's `Content-Type` cannot send a second one. */
function requestHeaders(custom: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(custom)) headers[name.toLowerCase()] = value;
  headers['content-type'] = 'application/json';
  headers['user-agent'] = USER_AGENT;
  return headers;
}

function keptHeaders(headers: Record<string, string | string[] | undefined>): SendResult['responseHeaders'] {
  const kept: NonNullable<SendResult['responseHeaders']> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) kept[name] = first;
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function statusMessage(statusCode: number, location: string | undefined): string {
  if (statusCode >= 300 && statusCode < 400) {
    const to = location ? ` to ${location}` : '';
    return `the receiver answered HTTP ${statusCode}, a redirect${to}; redirects are not followed, so set the connection's URL to where it points`;
  }
  return `the receiver answered HTTP ${statusCode}`;
}

/**
 * Reads at most `maxBytes` of a body, then destroys it (and its socket) rather than read the rest.
 * NUL characters become U+FFFD: Postgres text columns cannot hold them.
 */
async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): void }, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= maxBytes) {
      body.destroy();
      break;
    }
  }
  const text = new TextDecoder('utf-8').decode(Buffer.concat(chunks).subarray(0, maxBytes)).replaceAll('\u0000', '\uFFFD');
  if (text.length <= EXCERPT_CHARACTERS) return text;
  // Cutting between the halves of a surrogate pair would leave half a character.
  const lastCode = text.charCodeAt(EXCERPT_CHARACTERS - 1);
  return text.slice(0, lastCode >= 0xd800 && lastCode <= 0xdbff ? EXCERPT_CHARACTERS - 1 : EXCERPT_CHARACTERS);
}
