import { useEffect, useState, type FormEvent } from 'react';
import { EventCatalogDocument, ExamplePayloadDocument, SendTestEventDocument, type EndpointSummaryFragment } from '../../api/generated.ts';
import { useQuery } from '../../hooks/use-query.ts';
import { usePortal } from '../../portal-context.tsx';
import { Button } from '../../components/Button.tsx';
import { Field } from '../../components/Field.tsx';
import { Link } from '../../components/Link.tsx';
// The server's own pattern matcher (pure code), so the page offers exactly the types the endpoint receives.
import { compilePatterns } from '../../../../src/domains/rules/match-pattern.ts';

/**
 * "Send test event": one of the catalog's types this endpoint receives, with an example payload
 * (from the type's schema or its last event) to edit, delivered like any other delivery.
 */
export function SendTestPanel({ endpoint }: { endpoint: EndpointSummaryFragment }) {
  const { api, announce } = usePortal();
  const catalog = useQuery(EventCatalogDocument, {});
  const receives = compilePatterns(endpoint.eventTypes);
  const types = (catalog.data?.eventTypes.edges.map((edge) => edge.node.name) ?? []).filter(receives);
  const [type, setType] = useState('');
  const [payload, setPayload] = useState('{}');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const chosen = type || types[0] || '';

  useEffect(() => {
    if (!chosen) return;
    let current = true;
    void api.request(ExamplePayloadDocument, { name: chosen }).then((result) => {
      if (current && result.eventType.__typename === 'EventType') setPayload(JSON.stringify(result.eventType.examplePayload, null, 2));
    });
    return () => {
      current = false;
    };
  }, [api, chosen]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      setError('The payload is not valid JSON');
      return;
    }
    setError(null);
    setBusy(true);
    try {
      const { sendTestEvent: result } = await api.request(SendTestEventDocument, { input: { connectionId: endpoint.id, type: chosen, payload: parsed } });
      if (result.__typename === 'SendTestEventPayload') {
        setSent(result.delivery.id);
        announce(`Test event ${chosen} sent`);
      } else if (result.__typename === 'ValidationError') {
        setError(result.issues.map((issue) => `${issue.path.slice(1).join('.')}: ${issue.message}`).join('; '));
      } else setError(result.message);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="test-title">
      <h2 id="test-title">Send test event</h2>
      {catalog.data && types.length === 0 ? (
        <p className="muted">This endpoint receives no event type of the catalog.</p>
      ) : (
        <form className="stack" onSubmit={(event) => void submit(event)} noValidate>
          <Field label="Event type">
            {(props) => (
              <select {...props} value={chosen} onChange={(event) => setType(event.target.value)}>
                {types.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Payload" hint="Sent as the event's data; edit it as you like." error={error ?? undefined}>
            {(props) => <textarea {...props} className="mono" rows={8} spellCheck={false} value={payload} onChange={(event) => setPayload(event.target.value)} />}
          </Field>
          <div className="actions actions-start">
            <Button variant="primary" type="submit" busy={busy} disabled={!chosen}>
              Send test event
            </Button>
            {sent && (
              <Link to={{ screen: 'delivery', id: sent }}>See the delivery</Link>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
