import { useState } from 'react';
import { DeliveriesDocument, ReplayAllFailedDocument, type DeliveriesQueryVariables, type DeliveryRowFragment } from '../../api/generated.ts';
import { useAction } from '../../hooks/use-action.ts';
import { skippedNote } from './skipped-note.ts';
import { usePortal } from '../../portal-context.tsx';
import { Button } from '../../components/Button.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { DeliveryFilters } from './DeliveryFilters.tsx';
import { DeliveryTable } from './DeliveryTable.tsx';
import { apiFilter, logFilterQuery, parseLogFilter, type LogFilter } from './log-filter.ts';
import { useLiveDeliveries } from './use-live-deliveries.ts';

interface Props {
  query: string;
  onQueryChange(query: string): void;
  /** Shows one endpoint's deliveries only, without the endpoint filter. */
  endpointId?: string;
}

/**
 * The delivery log: filters, the deliveries newest first (new ones and new attempts appear as
 * they happen), more on demand, and "Replay all failed" for exactly the current filter.
 */
export function DeliveryLog({ query, onQueryChange, endpointId }: Props) {
  const { can } = usePortal();
  const filter = { ...parseLogFilter(query), ...(endpointId ? { endpoint: endpointId } : {}) };
  const variables = { filter: apiFilter(filter) };
  const key = logFilterQuery(filter);
  // Changes are followed for the endpoint and type filtered on; status and time are checked here,
  // as a delivery's status is what changes.
  const streamed = { ...(filter.endpoint ? { connectionId: filter.endpoint } : {}), ...(filter.eventType ? { eventType: filter.eventType } : {}) };
  const { data, error, live } = useLiveDeliveries(variables, streamed, key);
  const [more, setMore] = useState<DeliveryRowFragment[]>([]);
  const [cursor, setCursor] = useState<{ key: string; after: string | null; hasNext: boolean } | null>(null);
  const [replaying, setReplaying] = useState(false);

  const loaded = data && cursor?.key === key ? [...data.deliveries.edges.map((edge) => edge.node), ...more] : (data?.deliveries.edges.map((edge) => edge.node) ?? []);
  const rows = merge(loaded, live, filter);
  const pageInfo = cursor?.key === key ? cursor : data ? { key, after: data.deliveries.pageInfo.endCursor ?? null, hasNext: data.deliveries.pageInfo.hasNextPage } : null;

  const setFilter = (next: LogFilter) => {
    setMore([]);
    setCursor(null);
    onQueryChange(logFilterQuery(endpointId ? { ...next, endpoint: '' } : next));
  };

  return (
    <div className="stack">
      <DeliveryFilters filter={filter} onChange={setFilter} hideEndpoint={Boolean(endpointId)} />
      {can('REPLAY') && (
        <div className="actions actions-start">
          <Button onClick={() => setReplaying(true)} disabled={filter.status !== '' && filter.status !== 'DEAD'}>
            Replay all failed
          </Button>
        </div>
      )}
      {error && <p role="alert">Could not load deliveries: {error}</p>}
      {data && <DeliveryTable rows={rows} showEndpoint={!endpointId} />}
      {!data && !error && <p role="status">Loading…</p>}
      {pageInfo?.hasNext && (
        <LoadMore
          variables={{ ...variables, after: pageInfo.after }}
          onLoaded={(rowsLoaded, next) => {
            setMore((current) => [...(cursor?.key === key ? current : []), ...rowsLoaded]);
            setCursor({ key, ...next });
          }}
        />
      )}
      <ReplayAllFailedDialog open={replaying} onClose={() => setReplaying(false)} filter={filter} />
    </div>
  );
}

/** Live changes over the loaded rows: updated in place, new matching ones on top. */
function merge(loaded: DeliveryRowFragment[], live: Map<string, DeliveryRowFragment>, filter: LogFilter): DeliveryRowFragment[] {
  const since = apiFilter(filter).since;
  const until = apiFilter(filter).until;
  const known = new Set(loaded.map((row) => row.id));
  const fresh = [...live.values()]
    .filter((row) => !known.has(row.id))
    .filter((row) => (!filter.status || row.status === filter.status) && (!since || row.createdAt >= since) && (!until || row.createdAt < until))
    .sort((a, b) => (a.id < b.id ? 1 : -1));
  return [...fresh, ...loaded.map((row) => live.get(row.id) ?? row)];
}

function LoadMore({ variables, onLoaded }: { variables: DeliveriesQueryVariables; onLoaded(rows: DeliveryRowFragment[], page: { after: string | null; hasNext: boolean }): void }) {
  const { api } = usePortal();
  const [busy, run] = useAction();
  const load = () =>
    run(async () => {
      const { deliveries } = await api.request(DeliveriesDocument, variables);
      onLoaded(deliveries.edges.map((edge) => edge.node), { after: deliveries.pageInfo.endCursor ?? null, hasNext: deliveries.pageInfo.hasNextPage });
    });
  return (
    <Button busy={busy} onClick={() => void load()}>
      Show older deliveries
    </Button>
  );
}

function ReplayAllFailedDialog({ open, onClose, filter }: { open: boolean; onClose(): void; filter: LogFilter }) {
  const { api, announce } = usePortal();
  const [busy, run] = useAction();
  const replay = () =>
    run(async () => {
      const { replayDeliveries: result } = await api.request(ReplayAllFailedDocument, { filter: { ...apiFilter(filter), status: 'DEAD' } });
      announce(result.__typename === 'ReplayDeliveriesPayload'
        ? `Replaying ${result.count} failed ${result.count === 1 ? 'delivery' : 'deliveries'}${skippedNote(result.skipped)}`
        : result.message);
      onClose();
    });
  return (
    <Dialog title="Replay all failed" open={open} onClose={onClose}>
      <div className="stack">
        <p>Every failed delivery that matches the filters shown (not just this page) is sent again, each once, with its original webhook-id.</p>
        <div className="actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" busy={busy} onClick={() => void replay()}>
            Replay all failed
          </Button>
        </div>
      </div>
    </Dialog>
  );
}
