import { useState, type FormEvent } from 'react';
import { navigate } from '../../router.ts';
import { Button } from '../../components/Button.tsx';
import { DeliveryLog } from './DeliveryLog.tsx';

/** The workspace's delivery log, its filters in the address, and a jump to one delivery by its webhook-id. */
export function DeliveriesScene({ query }: { query: string }) {
  const [webhookId, setWebhookId] = useState('');
  const find = (event: FormEvent) => {
    event.preventDefault();
    if (webhookId.trim()) navigate({ screen: 'delivery', id: webhookId.trim() });
  };
  return (
    <section aria-labelledby="log-title" className="stack">
      <div className="scene-header">
        <h1 id="log-title">Delivery log</h1>
        <form className="find" role="search" aria-label="Find a delivery" onSubmit={find}>
          <input
            aria-label="webhook-id"
            placeholder="webhook-id (msg_...)"
            spellCheck={false}
            value={webhookId}
            onChange={(event) => setWebhookId(event.target.value)}
          />
          <Button type="submit">Find</Button>
        </form>
      </div>
      <DeliveryLog query={query} onQueryChange={(next) => navigate({ screen: 'deliveries', query: next }, { replace: true })} />
    </section>
  );
}
