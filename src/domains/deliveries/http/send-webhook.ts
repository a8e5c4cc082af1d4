import { Agent, request } from 'undici';
import type { AttemptErrorClass } from '../attempt.entity.ts';
import { classifyError } from './classify-error.ts';
import { parseRetryAfter } from './retry-after.ts';
import { guardedLookup, refusedLiteralHost } from './ssrf-guard.ts';

/** Characters of the response body kept on the attempt. (Default: 4096) */
export const EXCERPT_CHARACTERS = 4096;

const USER_AGENT = 'Switchyard-Webhooks/0.1 (+https://www.standardwebhooks.com)';

export interface WebhookRequest {
  url: string;
  /** The connection's custom headers and the signature headers. */
  headers: Record<string, string>;
  body: string;
}

export interface SendOptions {
  /** Deadline of the whole attempt: connect, headers and body. */
  timeoutMs: number;
  /** Most response bytes read; the rest is discarded unread. */
  maxResponseBytes: number;
  allowPrivateTargets: boolean;
}

export interface SendResult {
  /** The receiver answered 2xx. */
  ok: boolean;
  statusCode?: number;
  durationMs: number;
  responseExcerpt?: string;
  /** What `Retry-After` asked for on a 429 or 503, in seconds. */
  retryAfterSeconds?: number;
  errorClass?: AttemptErrorClass;
  error?: string;
}

/**
 * One pool set per SSRF policy, kept alive across attempts: connections to a receiver are reused,
 * as keep-alive per origin is what makes high delivery rates cheap.
 */
const agents = new Map<boolean, Agent>();

function agentFor(allowPrivateTargets: boolean): Agent {
  let agent = agents.get(allowPrivateTargets);
  if (!agent) {
    agent = new Agent({
      connections: 128,
      keepAliveTimeout: 30_000,
      connect: allowPrivateTargets ? { timeout: 10_000 } : { timeout: 10_000, lookup: guardedLookup },
    });
    agents.set(allowPrivateTargets, agent);
  }
  return agent;
}

/** Closes the keep-alive pools; call on shutdown. */
export async function closeHttp(): Promise<void> {
  const closing = [...agents.values()].map((agent) => agent.close());
  agents.clear();
  await Promise.all(closing);
}

/**
 * POSTs one webhook. Never throws for the receiver's failures: they come back classified.
 * Redirects are not followed (a 3xx is a failed attempt), and the deadline covers the body too,
 * so a receiver that trickles its answer cannot hold a worker past `timeoutMs`.
 */
export async function sendWebhook(webhook: WebhookRequest, options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const target = new URL(webhook.url);
  const refused = options.allowPrivateTargets ? null : refusedLiteralHost(target);
  if (refused) return { ok: false, durationMs: elapsed(), errorClass: 'REFUSED_TARGET', error: refused.message };

  const deadline = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await request(target, {
      method: 'POST',
      headers: { ...webhook.headers, 'content-type': 'application/json', 'user-agent': USER_AGENT },
      body: webhook.body,
      dispatcher: agentFor(options.allowPrivateTargets),
      signal: deadline,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const excerpt = await readExcerpt(response.body, options.maxResponseBytes);
    const { statusCode } = response;
    return {
      ok: statusCode >= 200 && statusCode < 300,
      statusCode,
      durationMs: elapsed(),
      responseExcerpt: excerpt,
      retryAfterSeconds: statusCode === 429 || statusCode === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined,
      errorClass: statusCode >= 200 && statusCode < 300 ? undefined : 'HTTP',
    };
  } catch (error) {
    if (deadline.aborted) {
      return { ok: false, durationMs: elapsed(), errorClass: 'TIMEOUT', error: `no complete response within ${options.timeoutMs / 1000} s` };
    }
    return { ok: false, durationMs: elapsed(), ...classifyError(error, target) };
  }
}

/** Reads at most `maxBytes` of a body, then drops the connection's remainder unread. */
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
  const text = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks).subarray(0, maxBytes));
  return text.slice(0, EXCERPT_CHARACTERS);
}
