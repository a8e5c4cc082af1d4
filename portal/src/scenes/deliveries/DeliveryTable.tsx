import type { DeliveryRowFragment } from '../../api/generated.ts';
import { DeliveryBadge } from '../../components/Badge.tsx';
import { Link } from '../../components/Link.tsx';
import { Time } from '../../components/Time.tsx';

/** Deliveries as rows; under 640 px each row stacks into a card (styles.css). */
export function DeliveryTable({ rows, showEndpoint }: { rows: DeliveryRowFragment[]; showEndpoint: boolean }) {
  if (rows.length === 0) return <p className="empty">No deliveries match these filters yet.</p>;
  return (
    <table className="table deliveries">
      <caption className="visually-hidden">Deliveries, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Status</th>
          {showEndpoint && <th scope="col">Endpoint</th>}
          <th scope="col">Attempts</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id} data-delivery={row.id}>
            <td data-label="Event">
              <Link to={{ screen: 'delivery', id: row.id }} className="mono">
                {row.eventType}
              </Link>
              {row.test && <span className="badge badge-info">Test</span>}
            </td>
            <td data-label="Status">
              <DeliveryBadge status={row.status} />
              {row.paused && <span className="muted"> waiting</span>}
              {row.status === 'RETRYING' && row.nextAttemptAt && (
                <span className="muted">
                  {' '}
                  next <Time iso={row.nextAttemptAt} />
                </span>
              )}
            </td>
            {showEndpoint && <td data-label="Endpoint">{row.connection.name}</td>}
            <td data-label="Attempts">
              {row.attemptCount}
              {row.lastStatusCode != null && <span className="muted"> (last: HTTP {row.lastStatusCode})</span>}
            </td>
            <td data-label="Created">
              <Time iso={row.createdAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
