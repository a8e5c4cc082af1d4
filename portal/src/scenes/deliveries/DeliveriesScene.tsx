import { navigate } from '../../router.ts';
import { DeliveryLog } from './DeliveryLog.tsx';

/** The workspace's delivery log, its filters in the address. */
export function DeliveriesScene({ query }: { query: string }) {
  return (
    <section aria-labelledby="log-title" className="stack">
      <h1 id="log-title">Delivery log</h1>
      <DeliveryLog query={query} onQueryChange={(next) => navigate({ screen: 'deliveries', query: next }, { replace: true })} />
    </section>
  );
}
