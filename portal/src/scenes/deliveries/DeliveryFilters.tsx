import { useId } from 'react';
import { EndpointsDocument, EventCatalogDocument, type DeliveryStatus } from '../../api/generated.ts';
import { useQuery } from '../../hooks/use-query.ts';
import { deliveryStatusLabel } from '../../components/Badge.tsx';
import { RANGES, type LogFilter, type RangeValue } from './log-filter.ts';

const STATUSES: DeliveryStatus[] = ['SUCCEEDED', 'DEAD', 'RETRYING', 'PENDING', 'DELIVERING'];

/** Status, event type, endpoint and time range; every change applies at once. */
export function DeliveryFilters({ filter, onChange, hideEndpoint }: { filter: LogFilter; onChange(filter: LogFilter): void; hideEndpoint: boolean }) {
  const catalog = useQuery(EventCatalogDocument, {});
  const endpoints = useQuery(EndpointsDocument, {});
  const listId = useId();
  const set = <K extends keyof LogFilter>(key: K, value: LogFilter[K]) => onChange({ ...filter, [key]: value });
  return (
    <form className="filters" aria-label="Filter deliveries" onSubmit={(event) => event.preventDefault()}>
      <label>
        Status
        <select value={filter.status} onChange={(event) => set('status', event.target.value as LogFilter['status'])}>
          <option value="">Any status</option>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {deliveryStatusLabel(status)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Event type
        {/* Free text with the catalog as suggestions: events of types outside the catalog are in the log too. */}
        <input
          list={listId}
          value={filter.eventType}
          placeholder="Any event type"
          spellCheck={false}
          onChange={(event) => set('eventType', event.target.value.trim())}
        />
        <datalist id={listId}>
          {catalog.data?.eventTypes.edges.map(({ node }) => <option key={node.id} value={node.name} />)}
        </datalist>
      </label>
      {!hideEndpoint && (
        <label>
          Endpoint
          <select value={filter.endpoint} onChange={(event) => set('endpoint', event.target.value)}>
            <option value="">Any endpoint</option>
            {endpoints.data?.connections.edges.map(({ node }) => (
              <option key={node.id} value={node.id}>
                {node.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        Time
        <select value={filter.range} onChange={(event) => set('range', event.target.value as RangeValue)}>
          {RANGES.map((range) => (
            <option key={range.value} value={range.value}>
              {range.label}
            </option>
          ))}
        </select>
      </label>
      {filter.range === 'custom' && (
        <>
          <label>
            From
            <input type="datetime-local" value={filter.from} onChange={(event) => set('from', event.target.value)} />
          </label>
          <label>
            To
            <input type="datetime-local" value={filter.to} onChange={(event) => set('to', event.target.value)} />
          </label>
        </>
      )}
    </form>
  );
}
