import { useEffect, useRef, useState } from 'react';
import { SessionEndedError } from '../../api/client.ts';
import {
  DeliveriesDocument,
  DeliveryChangesDocument,
  StreamCursorDocument,
  type DeliveriesQuery,
  type DeliveriesQueryVariables,
  type DeliveryFilter,
  type DeliveryRowFragment,
} from '../../api/generated.ts';
import { usePortal } from '../../portal-context.tsx';

export interface LiveDeliveries {
  /** The first page, as read once the stream was anchored; null until then. */
  data: DeliveriesQuery | null;
  error: string | null;
  /** Each delivery as its latest streamed change left it, by id: new ones and changed ones alike. */
  live: Map<string, DeliveryRowFragment>;
}

/**
 * The first page of the deliveries `variables` select, then every change to deliveries that
 * `streamed` selects, live. The stream starts at a cursor taken before the page is read, so a
 * delivery created or changed between the two is streamed, not lost; one the page already
 * shows comes again, and the stream's order leaves each row as its last change did. Everything
 * starts over when `key` changes.
 */
export function useLiveDeliveries(variables: DeliveriesQueryVariables, streamed: DeliveryFilter, key: string): LiveDeliveries {
  const { api } = usePortal();
  const [state, setState] = useState<LiveDeliveries & { key: string }>({ key, data: null, error: null, live: new Map() });
  const args = useRef({ variables, streamed });
  args.current = { variables, streamed };

  useEffect(() => {
    let cancelled = false;
    let stop = () => {};
    const fail = (failure: unknown) => {
      if (!cancelled && !(failure instanceof SessionEndedError)) setState((current) => ({ ...current, error: (failure as Error).message }));
    };
    setState({ key, data: null, error: null, live: new Map() });
    api.request(StreamCursorDocument).then(({ deliveryStreamCursor }) => {
      if (cancelled) return;
      stop = api.follow(
        DeliveryChangesDocument,
        { filter: args.current.streamed, after: deliveryStreamCursor },
        (data) => data.deliveryUpdated.cursor,
        ({ deliveryUpdated }) => {
          if (!cancelled) setState((current) => ({ ...current, live: new Map(current.live).set(deliveryUpdated.id, deliveryUpdated) }));
        },
      );
      return api.request(DeliveriesDocument, args.current.variables).then((data) => {
        if (!cancelled) setState((current) => ({ ...current, data, error: null }));
      });
    }).catch(fail);
    return () => {
      cancelled = true;
      stop();
    };
  }, [api, key]);

  return state.key === key ? state : { data: null, error: null, live: new Map() };
}
