import { print } from 'graphql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { SwitchyardAuthError, SwitchyardError, SwitchyardNetworkError, errorFromGraphql, type GraphqlErrorBody } from './errors.ts';
import { withKeyVariables } from './key-variables.ts';

/**
 * A live stream: read it with `for await`; `break` or `close()` ends the subscription. Every item
 * has a `cursor`; a dropped socket is reopened and the stream resumes after the last item it
 * gave, so it neither misses nor repeats a change.
 */
export interface Stream<T> extends AsyncIterableIterator<T> {
  /** Ends the subscription. Safe to call more than once. */
  close(): Promise<void>;
  /** The cursor of the last item read (or the one the stream started after): pass it as `after` to resume elsewhere. */
  readonly cursor: string | null;
}

export interface SubscriptionOptions {
  /** The graphql-ws endpoint, e.g. `wss://switchyard.example.com/graphql`. */
  url: string;
  apiKey: string;
  /** A WebSocket class where the runtime has no global one (Node before 22: the `ws` package). */
  webSocketImpl?: unknown;
  /** Reconnects in a row, with no item or connection in between, before a stream fails. (Default: 5) */
  retryAttempts?: number;
  /** Delay before the first reconnect in ms; it doubles with each one, with jitter, up to 30 s. (Default: 500) */
  retryDelayMs?: number;
}

/** The socket closed with 4403: the server refused the key in `connectionParams`. */
const FORBIDDEN_CLOSE_CODE = 4403;
/** Close codes that another try cannot change (graphql-ws's own list of fatal ones, and ours). */
const FATAL_CLOSE_CODES = new Set([FORBIDDEN_CLOSE_CODE, 4400, 4401, 4404, 4406, 4409, 4429, 4500]);
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * One graphql-ws socket per SDK client, opened on the first stream and closed when the last one
 * ends (graphql-ws's lazy mode); all of the client's streams share it. graphql-ws does not
 * reconnect by itself here: it would subscribe again with the first cursor; each stream does,
 * with its last one.
 */
export function createSubscriptions(options: SubscriptionOptions) {
  const retryAttempts = options.retryAttempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 500;
  let socket: WsClient | null = null;
  let disposed = false;
  let connections = 0;
  const connect = () =>
    (socket ??= createWsClient({
      url: options.url,
      connectionParams: { authorization: `Bearer ${options.apiKey}` },
      lazy: true,
      retryAttempts: 0,
      on: { connected: () => void connections++ },
      ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    }));

  return {
    /**
     * Subscribes with `document` from `variables.after` and yields `pick(data)` for each event,
     * resubscribing after the last item's cursor when the socket drops or the server ends the
     * stream (it does when it stops, or when the stream fell too far behind).
     */
    stream<TData, TVariables extends { after?: string | null }, T extends { cursor: string | null }>(
      document: TypedDocumentNode<TData, TVariables>,
      variables: TVariables,
      pick: (data: TData) => T,
    ): Stream<T> {
      const query = print(document);
      let after = variables.after ?? null;
      let source: AsyncIterableIterator<{ data?: TData | null; errors?: readonly unknown[] }> | null = null;
      let closed = false;
      let failures = 0;
      let connectionsSeen = connections;

      const start = () => {
        connectionsSeen = connections;
        source = connect().iterate<TData>({ query, variables: withKeyVariables(options.apiKey, document, { ...variables, after }) });
      };
      const finished = () => closed || disposed;
      const drop = async () => {
        const current = source;
        source = null;
        await current?.return?.();
      };
      /** Waits before the next try, or says the stream has tried often enough. */
      const again = async (): Promise<boolean> => {
        if (connections > connectionsSeen) failures = 0;
        if (++failures > retryAttempts) return false;
        const delay = Math.min(MAX_RETRY_DELAY_MS, retryDelayMs * 2 ** (failures - 1) * (0.5 + Math.random() / 2));
        await new Promise((resolve) => setTimeout(resolve, delay));
        return !finished();
      };

      const stream: Stream<T> = {
        get cursor() {
          return after;
        },
        async next() {
          for (;;) {
            if (finished()) return { value: undefined, done: true };
            if (!source) start();
            let result;
            try {
              result = await source!.next();
            } catch (error) {
              source = null;
              if (finished()) return { value: undefined, done: true };
              if (resumable(error) && (await again())) continue;
              closed = true;
              throw streamError(error);
            }
            if (result.done) {
              source = null;
              if (finished() || !(await again())) {
                closed = true;
                return { value: undefined, done: true };
              }
              continue;
            }
            if (result.value.errors?.length) {
              await drop();
              const error = errorFromGraphql(result.value.errors as GraphqlErrorBody[]);
              if (error.code === 'STREAM_FAILED' && (await again())) continue;
              closed = true;
              throw error;
            }
            if (result.value.data == null) continue;
            failures = 0;
            const value = pick(result.value.data);
            if (value.cursor) after = value.cursor;
            return { value, done: false };
          }
        },
        async return() {
          await stream.close();
          return { value: undefined, done: true };
        },
        async close() {
          closed = true;
          await drop();
        },
        [Symbol.asyncIterator]() {
          return stream;
        },
      };
      // Subscribed now, not on the first read: the server starts following (and catching up) at once.
      start();
      return stream;
    },
    /** Closes the socket and ends every stream. */
    async dispose() {
      disposed = true;
      await socket?.dispose();
      socket = null;
    },
  };
}

function closeCode(event: unknown): number | undefined {
  const code = (event as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A dropped socket or a network failure is worth another try; a refusal of the key or the query is not. */
function resumable(error: unknown): boolean {
  if (Array.isArray(error)) return (error as GraphqlErrorBody[]).some((entry) => entry.extensions?.code === 'STREAM_FAILED');
  const code = closeCode(error);
  return code === undefined ? !(error instanceof SwitchyardError) : !FATAL_CLOSE_CODES.has(code);
}

/** graphql-ws fails a stream with a close event, an array of GraphQL errors, or an Error. */
function streamError(error: unknown): SwitchyardError {
  if (Array.isArray(error)) return errorFromGraphql(error as GraphqlErrorBody[]);
  const code = closeCode(error);
  if (code === FORBIDDEN_CLOSE_CODE) {
    return new SwitchyardAuthError('The API refused the key and closed the socket (4403)', 'UNAUTHENTICATED');
  }
  if (code !== undefined) {
    const reason = (error as { reason?: unknown }).reason;
    return new SwitchyardNetworkError(`The subscription socket closed (${code}${reason ? `: ${String(reason)}` : ''})`, { cause: error });
  }
  if (error instanceof SwitchyardError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SwitchyardNetworkError(`The subscription failed: ${message}`, { cause: error });
}
