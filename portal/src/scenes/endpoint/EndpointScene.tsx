import { useEffect, useState } from 'react';
import { DeleteEndpointDocument, EndpointDocument, PauseEndpointDocument, ResumeEndpointDocument } from '../../api/generated.ts';
import { useQuery } from '../../hooks/use-query.ts';
import { useAction } from '../../hooks/use-action.ts';
import { usePortal } from '../../portal-context.tsx';
import { navigate } from '../../router.ts';
import { Button } from '../../components/Button.tsx';
import { EndpointBadge } from '../../components/Badge.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { Link } from '../../components/Link.tsx';
import { endpointTarget, isFailing } from '../endpoints/endpoint-facts.ts';
import { DeliveryLog } from '../deliveries/DeliveryLog.tsx';
import { EndpointBanner } from './EndpointBanner.tsx';
import { EditEndpointDialog } from './EditEndpointDialog.tsx';
import { SecretPanel } from './SecretPanel.tsx';
import { SendTestPanel } from './SendTestPanel.tsx';
import { takeConsentOutcome } from '../../destinations/oauth-consent.ts';

/** One endpoint: what it is, how it is doing, its secret, a test send and its deliveries. */
export function EndpointScene({ id }: { id: string }) {
  const { api, can, announce } = usePortal();
  const { data, error, reload } = useQuery(EndpointDocument, { id });
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [busy, run] = useAction();
  const [logQuery, setLogQuery] = useState('');
  const endpoint = data?.connection.__typename === 'Connection' ? data.connection : null;
  const kind = endpoint?.kind;
  // Back from a provider's consent page: say how it went.
  useEffect(() => {
    const outcome = kind ? takeConsentOutcome(kind) : null;
    if (outcome) announce(outcome);
  }, [kind, announce]);

  if (error) return <p role="alert">Could not load the endpoint: {error}</p>;
  if (!data) return <p role="status">Loading…</p>;
  if (!endpoint) {
    return (
      <p role="alert">
        No such endpoint. <Link to={{ screen: 'endpoints' }}>All endpoints</Link>
      </p>
    );
  }

  const setPaused = (paused: boolean) =>
    run(async () => {
      if (paused) await api.request(PauseEndpointDocument, { id });
      else await api.request(ResumeEndpointDocument, { id });
      announce(paused ? 'Endpoint paused' : 'Endpoint resumed');
      reload();
    });
  const remove = () =>
    run(async () => {
      await api.request(DeleteEndpointDocument, { id });
      announce(`Deleted ${endpoint.name}`);
      navigate({ screen: 'endpoints' });
    });

  return (
    <article aria-labelledby="endpoint-title" className="stack">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={{ screen: 'endpoints' }}>Endpoints</Link> / <span>{endpoint.name}</span>
      </nav>
      <div className="scene-header">
        <div>
          <h1 id="endpoint-title">{endpoint.name}</h1>
          <p className="mono endpoint-url">{endpointTarget(endpoint)}</p>
          {endpoint.description && <p className="muted">{endpoint.description}</p>}
        </div>
        <EndpointBadge status={endpoint.status} failing={isFailing(endpoint)} />
      </div>
      <EndpointBanner endpoint={endpoint} onChanged={reload} />
      {can('MANAGE_ENDPOINTS') && (
        <div className="actions actions-start">
          <Button onClick={() => setEditing(true)}>Edit endpoint</Button>
          {endpoint.status === 'ACTIVE' ? (
            <Button busy={busy} onClick={() => void setPaused(true)}>
              Pause endpoint
            </Button>
          ) : (
            <Button busy={busy} onClick={() => void setPaused(false)}>
              Resume endpoint
            </Button>
          )}
          <Button variant="danger" onClick={() => setDeleting(true)}>
            Delete endpoint
          </Button>
        </div>
      )}
      <section className="panel" aria-labelledby="events-title">
        <h2 id="events-title">Event types</h2>
        <p>{endpoint.eventTypes.length ? endpoint.eventTypes.map((pattern) => (pattern === '*' ? 'All event types' : pattern)).join(', ') : 'None: this endpoint receives nothing.'}</p>
        {endpoint.webhook && Object.keys(endpoint.webhook.headers as object).length > 0 && (
          <>
            <h3>Custom headers</h3>
            <ul className="plain-list mono">
              {Object.entries(endpoint.webhook.headers as Record<string, string>).map(([name, value]) => (
                <li key={name}>
                  {name}: {value}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      {/* Only webhooks sign their requests; a vendor's endpoint has credentials, never shown again. */}
      {endpoint.kind === 'WEBHOOK' && <SecretPanel endpoint={endpoint} onRotated={reload} />}
      {can('SEND_TEST') && <SendTestPanel endpoint={endpoint} />}
      <section className="panel" aria-labelledby="endpoint-log-title">
        <h2 id="endpoint-log-title">Deliveries</h2>
        <DeliveryLog query={logQuery} onQueryChange={setLogQuery} endpointId={endpoint.id} />
      </section>
      {can('MANAGE_ENDPOINTS') && (
        <EditEndpointDialog
          open={editing}
          endpoint={endpoint}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            announce('Endpoint saved');
            reload();
          }}
        />
      )}
      <Dialog title="Delete endpoint" open={deleting} onClose={() => setDeleting(false)}>
        <div className="stack">
          <p>
            Delete <strong>{endpoint.name}</strong>? Its delivery history goes with it, and nothing more is sent to it.
          </p>
          <div className="actions">
            <Button onClick={() => setDeleting(false)}>Cancel</Button>
            <Button variant="danger" busy={busy} onClick={() => void remove()}>
              Delete
            </Button>
          </div>
        </div>
      </Dialog>
    </article>
  );
}
