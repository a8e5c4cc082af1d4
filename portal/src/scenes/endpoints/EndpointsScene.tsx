import { useState } from 'react';
import { DeliveryChangesDocument, EndpointsDocument, type EndpointSummaryFragment } from '../../api/generated.ts';
import { useQuery, useSubscription, useThrottled } from '../../hooks/use-query.ts';
import { usePortal } from '../../portal-context.tsx';
import { navigate } from '../../router.ts';
import { Button } from '../../components/Button.tsx';
import { DeliveryBadge, EndpointBadge } from '../../components/Badge.tsx';
import { Link } from '../../components/Link.tsx';
import { Time } from '../../components/Time.tsx';
import { AddEndpointDialog } from './AddEndpointDialog.tsx';
import { endpointTarget, isFailing } from './endpoint-facts.ts';

/** Every endpoint with its status, health and last delivery; live. */
export function EndpointsScene() {
  const { can } = usePortal();
  const { data, error, reload } = useQuery(EndpointsDocument, {});
  const [adding, setAdding] = useState(false);
  useSubscription(DeliveryChangesDocument, {}, useThrottled(reload, 1000));
  const endpoints = data?.connections.edges.map((edge) => edge.node) ?? [];
  const troubled = endpoints.filter((endpoint) => endpoint.status !== 'ACTIVE' || isFailing(endpoint));

  return (
    <section aria-labelledby="endpoints-title">
      <div className="scene-header">
        <h1 id="endpoints-title">Endpoints</h1>
        {can('MANAGE_ENDPOINTS') && (
          <Button variant="primary" onClick={() => setAdding(true)}>
            Add endpoint
          </Button>
        )}
      </div>
      {troubled.length > 0 && (
        <div className="banner banner-warn" role="alert">
          <strong>{troubled.length === 1 ? 'An endpoint needs attention' : `${troubled.length} endpoints need attention`}:</strong>{' '}
          {troubled.map((endpoint, index) => (
            <span key={endpoint.id}>
              {index > 0 && ', '}
              <Link to={{ screen: 'endpoint', id: endpoint.id }}>{endpoint.name}</Link>
            </span>
          ))}
        </div>
      )}
      {error && <p role="alert">Could not load the endpoints: {error}</p>}
      {data && endpoints.length === 0 && (
        <div className="empty">
          <p>No endpoints yet. An endpoint is a URL of yours that receives events as signed HTTP requests.</p>
        </div>
      )}
      {endpoints.length > 0 && (
        <ul className="card-list" aria-label="Endpoints">
          {endpoints.map((endpoint) => (
            <EndpointRow key={endpoint.id} endpoint={endpoint} />
          ))}
        </ul>
      )}
      {!data && !error && <p role="status">Loading…</p>}
      <AddEndpointDialog
        open={adding}
        onClose={() => setAdding(false)}
        onAdded={(id) => {
          reload();
          navigate({ screen: 'endpoint', id });
        }}
      />
    </section>
  );
}

function EndpointRow({ endpoint }: { endpoint: EndpointSummaryFragment }) {
  const last = endpoint.lastDelivery;
  return (
    <li className="card endpoint-row">
      <div className="endpoint-main">
        <Link to={{ screen: 'endpoint', id: endpoint.id }} className="endpoint-name">
          {endpoint.name}
        </Link>
        <span className="endpoint-url mono">{endpointTarget(endpoint)}</span>
        {endpoint.description && <span className="muted">{endpoint.description}</span>}
      </div>
      <dl className="endpoint-facts">
        <div>
          <dt>Status</dt>
          <dd>
            <EndpointBadge status={endpoint.status} failing={isFailing(endpoint)} />
          </dd>
        </div>
        <div>
          <dt>Health</dt>
          <dd>
            {endpoint.consecutiveFailures === 0 ? (
              'No recent failures'
            ) : (
              <>
                {endpoint.consecutiveFailures} failed {endpoint.consecutiveFailures === 1 ? 'attempt' : 'attempts'} in a row
              </>
            )}
          </dd>
        </div>
        <div>
          <dt>Last delivery</dt>
          <dd>
            {last ? (
              <Link to={{ screen: 'delivery', id: last.id }}>
                <DeliveryBadge status={last.status} /> <Time iso={last.lastAttemptAt ?? last.createdAt} />
              </Link>
            ) : (
              'None yet'
            )}
          </dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd>{endpoint.eventTypes.length ? endpoint.eventTypes.join(', ') : 'None'}</dd>
        </div>
      </dl>
    </li>
  );
}
