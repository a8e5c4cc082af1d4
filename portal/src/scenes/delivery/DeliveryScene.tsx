import { DeliveryChangesDocument, DeliveryDocument, ReplayDocument } from '../../api/generated.ts';
import { useQuery, useSubscription } from '../../hooks/use-query.ts';
import { useAction } from '../../hooks/use-action.ts';
import { usePortal } from '../../portal-context.tsx';
import { Button } from '../../components/Button.tsx';
import { DeliveryBadge } from '../../components/Badge.tsx';
import { CopyButton } from '../../components/CopyButton.tsx';
import { Link } from '../../components/Link.tsx';
import { Time } from '../../components/Time.tsx';
import { AttemptView } from './AttemptView.tsx';

/** One delivery: its event, endpoint and status, "Replay", and every attempt, live. */
export function DeliveryScene({ id }: { id: string }) {
  const { api, can, announce } = usePortal();
  const { data, error, reload } = useQuery(DeliveryDocument, { id });
  const [busy, run] = useAction();
  const delivery = data?.delivery.__typename === 'Delivery' ? data.delivery : null;
  const scope = delivery ? { filter: { eventId: delivery.event.id, connectionId: delivery.connection.id } } : { filter: { eventId: 'none' } };
  // Every attempt, replay or stop of this delivery is a change of it.
  useSubscription(DeliveryChangesDocument, scope, ({ deliveryUpdated }) => {
    if (deliveryUpdated.id === id) reload();
  });

  if (error) return <p role="alert">Could not load the delivery: {error}</p>;
  if (!data) return <p role="status">Loading…</p>;
  if (!delivery) {
    return (
      <p role="alert">
        No such delivery. <Link to={{ screen: 'deliveries', query: '' }}>The delivery log</Link>
      </p>
    );
  }

  const replay = () =>
    run(async () => {
      const { replayDelivery: result } = await api.request(ReplayDocument, { id });
      announce(result.__typename === 'ReplayDeliveryPayload' ? 'Delivery replayed' : result.message);
      reload();
    });
  const inFlight = delivery.status === 'PENDING' || delivery.status === 'DELIVERING';
  const attempts = [...delivery.attempts].reverse();

  return (
    <article aria-labelledby="delivery-title" className="stack">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={{ screen: 'deliveries', query: '' }}>Delivery log</Link> / <span className="mono">{delivery.id}</span>
      </nav>
      <div className="scene-header">
        <h1 id="delivery-title" className="mono">
          {delivery.eventType}
        </h1>
        <DeliveryBadge status={delivery.status} />
      </div>
      <dl className="facts">
        <div>
          <dt>Endpoint</dt>
          <dd>
            <Link to={{ screen: 'endpoint', id: delivery.connection.id }}>{delivery.connection.name}</Link>
          </dd>
        </div>
        <div>
          <dt>webhook-id</dt>
          <dd className="mono">
            {delivery.id} <CopyButton value={delivery.id} what="webhook-id" />
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Time iso={delivery.createdAt} />
          </dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>
            {delivery.attemptCount}
            {delivery.replays > 0 && ` across ${delivery.replays + 1} chains (replayed ${delivery.replays}×)`}
          </dd>
        </div>
        {delivery.nextAttemptAt && (
          <div>
            <dt>Next attempt</dt>
            <dd>
              <Time iso={delivery.nextAttemptAt} />
            </dd>
          </div>
        )}
      </dl>
      {can('REPLAY') && (
        <div className="actions actions-start">
          <Button variant="primary" busy={busy} disabled={inFlight} onClick={() => void replay()}>
            Replay
          </Button>
          {inFlight && <span className="muted">It is being sent now.</span>}
        </div>
      )}
      <section aria-labelledby="attempts-title" className="stack">
        <h2 id="attempts-title">Attempts</h2>
        {attempts.length === 0 && <p className="muted">No attempt yet{delivery.paused ? ': the endpoint is paused.' : '.'}</p>}
        <ol className="attempt-list" reversed>
          {attempts.map((attempt, index) => (
            <li key={attempt.id}>
              <AttemptView attempt={attempt} open={index === 0} />
            </li>
          ))}
        </ol>
      </section>
    </article>
  );
}
