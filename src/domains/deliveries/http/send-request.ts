import { readFileSync } from 'node:fs';
import type { AttemptErrorClass } from '../attempt.entity.ts';
import { dispatcherFor } from './agent.ts';
import { CappedResponse } from './capped-response.ts';
import { classifyError, timeoutMessage } from './classify-error.ts';
import { refusedLiteralHost } from './ssrf-guard.ts';

/** Characters of a response body kept on an attempt. */
export const EXCERPT_CHARACTERS = 4096;

const { version } = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The version every outbound request names in its `user-agent`. */
export const SWITCHYARD_VERSION = version;

/**
 * Response headers kept on the result: for retry decisions, messages and parsing the body
 * (HubSpot's rate window's length says how long a 429 without Retry-After waits).
 */
const KEPT_HEADERS = ['retry-after', 'location', 'content-type', 'x-hubspot-ratelimit-interval-milliseconds'] as const;
export type KeptHeader = (typeof KEPT_HEADERS)[number];

/** Response bodies are decoded whole (invalid sequences become U+FFFD); NUL becomes U+FFFD too, as Postgres text cannot hold it. */
const utf8 = new TextDecoder('utf-8');

/** Room undici's own timers leave our deadline, so the deadline is what fires. */
const BACKSTOP_MS = 1_000;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** An absolute http(s) URL. */
  url: string;
  /** Every header to send, names lowercase. */
  headers: Record<string, string>;
  body?: string;
}

export interface SendOptions {
  /** Deadline of the whole attempt: DNS, connect, TLS, headers and body. */
  timeoutMs: number;
  /** Most response bytes read; the rest is discarded unread and the socket closed. */
  maxResponseBytes: number;
  /** Deliver to private, loopback and link-local addresses (`SWITCHYARD_ALLOW_PRIVATE_TARGETS`). */
  allowPrivateTargets: boolean;
}

/** What came back from one request, whatever it was. */
export interface HttpExchange {
  /** The status answered; absent when no complete response came. */
  statusCode?: number;
  durationMs: number;
  /** The response body, at most `maxResponseBytes` of it, decoded as UTF-8 (NUL as U+FFFD). */
  body?: string;
  /** `retry-after`, `location` and `content-type`, as sent, when they were. */
  headers?: Partial<Record<KeptHeader, string>>;
  /** Set exactly when no complete response came: why. */
  errorClass?: AttemptErrorClass;
  /** One line for people saying what went wrong; set exactly with `errorClass`. */
  error?: string;
}

/**
 * Makes one HTTP request and says what came back. Never throws: refused targets, network
 * failures and timeouts come back classified, and any complete response, whatever its status, as
 * it is. Redirects are not followed, and the deadline covers the body too, so a server that
 * trickles its answer cannot hold a worker past `timeoutMs`. Sockets come from the shared
 * keep-alive pools, whose lookups pass the SSRF guard.
 */
export async function sendRequest(outbound: HttpRequest, options: SendOptions): Promise<HttpExchange> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const failed = (errorClass: AttemptErrorClass, error: string): HttpExchange => ({ durationMs: elapsed(), errorClass, error });

  let target: URL;
  try {
    target = new URL(outbound.url);
  } catch {
    return failed('REFUSED_TARGET', `${outbound.url} is not an absolute URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return failed('REFUSED_TARGET', `${target.protocol} URLs are not delivered to; use http or https`);
  }
  const refused = options.allowPrivateTargets ? null : refusedLiteralHost(target);
  if (refused) return failed('REFUSED_TARGET', refused.message);

  const response = new CappedResponse(options.maxResponseBytes);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    response.abort(new Error(`no complete response within ${options.timeoutMs} ms`));
  }, options.timeoutMs);
  try {
    dispatcherFor(options.allowPrivateTargets).dispatch(
      {
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: outbound.method,
        headers: outbound.headers,
        body: outbound.body,
        headersTimeout: options.timeoutMs + BACKSTOP_MS,
        bodyTimeout: options.timeoutMs + BACKSTOP_MS,
      },
      response,
    );
    const { statusCode, headers: received, body } = await response.result;
    const headers = keptHeaders(received);
    return { statusCode, durationMs: elapsed(), body: utf8.decode(body).replaceAll('\u0000', '\uFFFD'), ...(headers && { headers }) };
  } catch (error) {
    if (timedOut) return failed('TIMEOUT', timeoutMessage(target, options.timeoutMs, response.statusCode));
    const { errorClass, error: message } = classifyError(error, target);
    return failed(errorClass, errorClass === 'TIMEOUT' ? timeoutMessage(target, options.timeoutMs, response.statusCode) : message);
  } finally {
    clearTimeout(timer);
  }
}

function keptHeaders(headers: Record<string, string | string[] | undefined>): HttpExchange['headers'] {
  const kept: NonNullable<HttpExchange['headers']> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) kept[name] = first;
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** The start of `text` an attempt keeps: at most 4096 characters, never half a character. */
export function excerptOf(text: string): string {
  if (text.length <= EXCERPT_CHARACTERS) return text;
  // Cutting between the halves of a surrogate pair would leave half a character.
  const lastCode = text.charCodeAt(EXCERPT_CHARACTERS - 1);
  return text.slice(0, lastCode >= 0xd800 && lastCode <= 0xdbff ? EXCERPT_CHARACTERS - 1 : EXCERPT_CHARACTERS);
}
