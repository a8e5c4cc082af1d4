import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { SwitchyardError, SwitchyardNetworkError, errorFromGraphql, type GraphqlErrorBody } from './errors.ts';
import { withKeyVariables } from './key-variables.ts';

/**
 * When a failed request may be sent again:
 * - `always`: the operation is safe to repeat (reads, and emits, which carry an idempotency key);
 * - `unsent`: only when the request cannot have reached the server (connection refused).
 */
export type RetryPolicy = 'always' | 'unsent';

export interface TransportOptions {
  /** The GraphQL endpoint, e.g. `https://switchyard.example.com/graphql`. */
  endpoint: string;
  apiKey: string;
  fetch: typeof globalThis.fetch;
  /** Retries after the first try. */
  retries: number;
  /** Delay before the first retry in ms; it doubles with each retry, with jitter. */
  retryDelayMs: number;
  headers: Record<string, string>;
}

export type Request = <TData, TVariables extends Record<string, unknown>>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  retry: RetryPolicy,
) => Promise<TData>;

/** HTTP statuses that mean "try again later", not "your request is wrong". */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
/** Errors that prove the request never left this machine or never reached a listening server. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
const MAX_RETRY_DELAY_MS = 30_000;

const printed = new WeakMap<object, string>();

/** GraphQL over HTTP POST with bounded, jittered retries on network failures and 429/5xx. */
export function createTransport(options: TransportOptions): Request {
  return async (document, variables, retry) => {
    let query = printed.get(document);
    if (query === undefined) printed.set(document, (query = print(document)));
    const body = JSON.stringify({ query, variables: withKeyVariables(options.apiKey, document, variables) });

    for (let attempt = 0; ; attempt++) {
      let outcome: Outcome;
      try {
        outcome = await send(options, body);
      } catch (error) {
        if (error instanceof SwitchyardError) throw error;
        outcome = { kind: 'network', error, unsent: wasUnsent(error) };
      }
      if (outcome.kind === 'ok') return outcome.data as never;
      const retryable = outcome.kind === 'status' || (outcome.kind === 'network' && (retry === 'always' || outcome.unsent));
      // A 429/503 is refused before any work is done, so it is safe to repeat under either policy.
      if (!retryable || attempt >= options.retries) throw toError(outcome);
      const backoff = options.retryDelayMs * 2 ** attempt * (0.5 + Math.random() / 2);
      const retryAfter = outcome.kind === 'status' ? outcome.retryAfterMs : undefined;
      await sleep(Math.min(MAX_RETRY_DELAY_MS, Math.max(backoff, retryAfter ?? 0)));
    }
  };
}

type Outcome =
  | { kind: 'ok'; data: unknown }
  | { kind: 'status'; status: number; retryAfterMs: number | undefined }
  | { kind: 'network'; error: unknown; unsent: boolean };

async function send(options: TransportOptions, body: string): Promise<Outcome> {
  const response = await options.fetch(options.endpoint, {
    method: 'POST',
    headers: {
      ...options.headers,
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      authorization: `Bearer ${options.apiKey}`,
    },
    body,
  });
  if (RETRYABLE_STATUSES.has(response.status)) {
    // Not awaited: the body is not needed, and a cancel can wait on other readers of the stream.
    void response.body?.cancel().catch(() => {});
    return { kind: 'status', status: response.status, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
  }
  const text = await response.text();
  let parsed: { data?: unknown; errors?: GraphqlErrorBody[] };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new SwitchyardError(`The API answered ${response.status} without a GraphQL response: ${text.slice(0, 200)}`, `HTTP_${response.status}`);
  }
  if (parsed.errors?.length) throw errorFromGraphql(parsed.errors);
  if (parsed.data == null) throw new SwitchyardError(`The API answered ${response.status} without data`, `HTTP_${response.status}`);
  return { kind: 'ok', data: parsed.data };
}

function toError(outcome: Exclude<Outcome, { kind: 'ok' }>): SwitchyardNetworkError {
  if (outcome.kind === 'status') {
    return new SwitchyardNetworkError(`The API answered ${outcome.status}`, { status: outcome.status });
  }
  const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
  return new SwitchyardNetworkError(`The API could not be reached: ${reason}`, { cause: outcome.error });
}

function wasUnsent(error: unknown): boolean {
  // fetch wraps the socket error: TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }).
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNSENT_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
