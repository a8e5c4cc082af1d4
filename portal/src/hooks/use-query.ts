import { useCallback, useEffect, useRef, useState } from 'react';
import { SessionEndedError } from '../api/client.ts';
import type { TypedDocumentString } from '../api/generated.ts';
import { usePortal } from '../portal-context.tsx';

export interface QueryState<R> {
  data: R | null;
  error: string | null;
  /** Reads again; the current data stays on screen meanwhile. */
  reload(): void;
}

/** Runs `document` now and whenever `key` changes; a newer answer always wins over an older one. */
export function useQuery<R, V>(document: TypedDocumentString<R, V>, variables: V, key: string = JSON.stringify(variables)): QueryState<R> {
  const { api } = usePortal();
  const [data, setData] = useState<R | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  const variablesRef = useRef(variables);
  variablesRef.current = variables;
  useEffect(() => {
    const ticket = ++latest.current;
    api.request(document, variablesRef.current).then(
      (result) => {
        if (ticket !== latest.current) return;
        setData(result);
        setError(null);
      },
      (failure: unknown) => {
        if (ticket !== latest.current || failure instanceof SessionEndedError) return;
        setError((failure as Error).message);
      },
    );
  }, [api, document, key, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, error, reload };
}

/** Subscribes while mounted (and again when `key` changes), calling `onData` with each result. */
export function useSubscription<R, V>(document: TypedDocumentString<R, V>, variables: V, onData: (data: R) => void, key: string = JSON.stringify(variables)): void {
  const { api } = usePortal();
  const handler = useRef(onData);
  handler.current = onData;
  const variablesRef = useRef(variables);
  variablesRef.current = variables;
  useEffect(() => api.subscribe(document, variablesRef.current, (data) => handler.current(data)), [api, document, key]);
}

/** `callback` at most once per `ms`, trailing: bursts of live changes cost one reload. */
export function useThrottled(callback: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(callback);
  latest.current = callback;
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  }, [ms]);
}
