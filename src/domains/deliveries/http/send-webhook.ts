import { parseRetryAfter } from './retry-after.ts';
import { excerptOf, sendRequest, SWITCHYARD_VERSION, type HttpExchange, type SendOptions } from './send-request.ts';
import type { AttemptErrorClass } from '../attempt.entity.ts';

export { closeHttp } from './agent.ts';
export type { SendOptions } from './send-request.ts';

const USER_AGENT = `Switchyard-Webhooks/${SWITCHYARD_VERSION}`;

export interface WebhookRequest {
  /** An absolute http(s) URL. */
  url: string;
  /** The connection's custom headers and the signature headers; names in any case. */
  headers: Record<string, string>;
  /** The exact JSON text that was signed. */
  body: string;
}

export interface SendResult {
  /** The receiver answered 2xx. */
  ok: boolean;
  /** The status the receiver answered; absent when no complete response came. */
  statusCode?: number;
  durationMs: number;
  /** The start of the response body, at most 4096 characters of it, decoded as UTF-8. */
  responseExcerpt?: string;
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
  const headers = requestHeaders(webhook.headers);
  const exchange = await sendRequest({ method: 'POST', url: webhook.url, headers, body: webhook.body }, options);
  const { statusCode, durationMs } = exchange;
  if (statusCode === undefined) return { ok: false, durationMs, errorClass: exchange.errorClass, error: exchange.error, requestHeaders: headers };
  const responseHeaders = receiverHeaders(exchange);
  const ok = statusCode >= 200 && statusCode < 300;
  return {
    ok,
    statusCode,
    requestHeaders: headers,
    durationMs,
    responseExcerpt: excerptOf(exchange.body ?? ''),
    ...((statusCode === 429 || statusCode === 503) && { retryAfterSeconds: parseRetryAfter(responseHeaders?.['retry-after']) }),
    ...(!ok && { errorClass: 'HTTP' as const, error: statusMessage(statusCode, responseHeaders?.location) }),
  };
}

/** Header names lower-cased, so a connection's `Content-Type` cannot send a second one. */
function requestHeaders(custom: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(custom)) headers[name.toLowerCase()] = value;
  headers['content-type'] = 'application/json';
  headers['user-agent'] = USER_AGENT;
  return headers;
}

/** The response headers the retry decision and the attempt's message read, as the receiver sent them. */
type ReceiverHeaders = Partial<Record<'retry-after' | 'location', string>>;

function receiverHeaders({ headers }: HttpExchange): ReceiverHeaders | undefined {
  if (!headers) return undefined;
  const kept = {
    ...(headers['retry-after'] !== undefined && { 'retry-after': headers['retry-after'] }),
    ...(headers.location !== undefined && { location: headers.location }),
  };
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function statusMessage(statusCode: number, location: string | undefined): string {
  if (statusCode >= 300 && statusCode < 400) {
    const to = location ? ` to ${location}` : '';
    return `the receiver answered HTTP ${statusCode}, a redirect${to}; redirects are not followed, so set the connection's URL to where it points`;
  }
  return `the receiver answered HTTP ${statusCode}`;
}
