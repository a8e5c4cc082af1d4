import { useState, type FormEvent } from 'react';
import { AddEndpointDocument } from '../../api/generated.ts';
import { usePortal } from '../../portal-context.tsx';
import { Button } from '../../components/Button.tsx';
import { CopyButton } from '../../components/CopyButton.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { Field } from '../../components/Field.tsx';
import { DESTINATIONS, type SomeDestination } from '../../destinations/index.ts';
import { fieldErrors, type DestinationKind, type FieldErrors } from '../../destinations/destination-kind.ts';
import { startConsent } from '../../destinations/oauth-consent.ts';
import { ALL_EVENT_TYPES, EventTypesPicker } from './EventTypesPicker.tsx';

interface Props {
  open: boolean;
  onClose(): void;
  /** After the customer has seen the new secret. */
  onAdded(id: string): void;
}

/** "Add endpoint": a kind, its fields, a name, a description and the event types; then the secret, once. */
export function AddEndpointDialog({ open, onClose, onAdded }: Props) {
  // Only endpoints that sign their requests (webhooks) come with a secret.
  const [created, setCreated] = useState<{ id: string; secret: string | null } | null>(null);
  const close = () => {
    const id = created?.id;
    setCreated(null);
    onClose();
    if (id) onAdded(id);
  };
  return (
    <Dialog title={created ? 'Endpoint added' : 'Add endpoint'} open={open} onClose={close}>
      {created ? (
        <div className="stack">
          {created.secret ? (
            <>
              <p>Requests to this endpoint are signed with this secret. Verify them with it (any Standard Webhooks library does).</p>
              <div className="secret-box">
                <code className="mono">{created.secret}</code>
                <CopyButton value={created.secret} what="signing secret" />
              </div>
            </>
          ) : (
            <p>The endpoint is ready: matching events are delivered to it from now on.</p>
          )}
          <Button variant="primary" onClick={close}>
            Done
          </Button>
        </div>
      ) : (
        open && <AddEndpointForm onCreated={(id, secret) => setCreated({ id, secret })} onCancel={close} />
      )}
    </Dialog>
  );
}

function AddEndpointForm({ onCreated, onCancel }: { onCreated(id: string, secret: string | null): void; onCancel(): void }) {
  const [kind, setKind] = useState<SomeDestination>(DESTINATIONS[0]);
  return (
    <div className="stack">
      {DESTINATIONS.length > 1 && (
        <fieldset className="fieldset">
          <legend>Destination</legend>
          {DESTINATIONS.map((option) => (
            <label className="choice" key={option.kind}>
              <input type="radio" name="kind" checked={option === kind} onChange={() => setKind(option)} />
              {option.label} <span className="muted">— {option.description}</span>
            </label>
          ))}
        </fieldset>
      )}
      {/* Each kind's form holds values of its own shape; the union of kinds is one kind of unknown values here. */}
      <KindForm key={kind.kind} kind={kind as DestinationKind<unknown>} onCreated={onCreated} onCancel={onCancel} />
    </div>
  );
}

function KindForm<V>({ kind, onCreated, onCancel }: { kind: DestinationKind<V>; onCreated(id: string, secret: string | null): void; onCancel(): void }) {
  const { api, announce } = usePortal();
  const [values, setValues] = useState<V>(kind.initial);
  const [name, setName] = useState('');
  const [nameTouched, setNameTouched] = useState(false);
  const [description, setDescription] = useState('');
  const [eventTypes, setEventTypes] = useState<string[]>([ALL_EVENT_TYPES]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const shownName = nameTouched ? name : (kind.suggestName(values) ?? name);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const local = kind.check(values);
    if (!shownName.trim()) local.name = 'Give the endpoint a name';
    if (eventTypes.length === 0) local.eventTypes = 'Choose at least one event type';
    setErrors(local);
    setFailure(null);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const { createConnection: result } = await api.request(AddEndpointDocument, {
        input: { ...kind.toInput(values), name: shownName.trim(), description, eventTypes },
      });
      if (result.__typename === 'CreateConnectionPayload' && result.connection.status === 'NEEDS_REAUTH') {
        // An OAuth endpoint waits for its consent: on to the provider's page, which sends the customer back to it.
        const problem = await startConsent(api, result.connection.id);
        if (problem) {
          announce(`The endpoint was added but could not be connected: ${problem}`);
          onCreated(result.connection.id, null);
        }
      } else if (result.__typename === 'CreateConnectionPayload') onCreated(result.connection.id, result.signingSecret);
      else if (result.__typename === 'ValidationError') setErrors(fieldErrors(result.issues));
      else if (result.__typename === 'ConflictError') setErrors({ name: result.message });
      else setFailure(result.message);
    } catch (error) {
      setFailure((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const Fields = kind.Fields;
  return (
    <form className="stack" onSubmit={(event) => void submit(event)} noValidate>
      <Fields values={values} onChange={setValues} errors={errors} />
      <Field label="Name" hint="Unique among your endpoints." error={errors.name}>
        {(props) => (
          <input
            {...props}
            required
            maxLength={100}
            value={shownName}
            onChange={(event) => {
              setNameTouched(true);
              setName(event.target.value);
            }}
          />
        )}
      </Field>
      <Field label="Description" hint="Optional: what this endpoint is for." error={errors.description}>
        {(props) => <input {...props} maxLength={500} value={description} onChange={(event) => setDescription(event.target.value)} />}
      </Field>
      <EventTypesPicker value={eventTypes} onChange={setEventTypes} error={errors.eventTypes} />
      {failure && <p role="alert" className="field-error">{failure}</p>}
      <div className="actions">
        <Button onClick={onCancel}>Cancel</Button>
        <Button variant="primary" type="submit" busy={busy}>
          Add endpoint
        </Button>
      </div>
    </form>
  );
}
