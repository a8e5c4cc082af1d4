import { useState, type FormEvent } from 'react';
import { EditEndpointDocument, type EndpointSummaryFragment } from '../../api/generated.ts';
import { usePortal } from '../../portal-context.tsx';
import { Button } from '../../components/Button.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { Field } from '../../components/Field.tsx';
import { SecretInput } from '../../components/SecretInput.tsx';
import { fieldErrors, type FieldErrors } from '../../destinations/destination-kind.ts';
import { HeadersEditor, headerRows, headersObject } from '../../destinations/HeadersEditor.tsx';
import { newCredential } from '../../destinations/new-credentials.ts';
import { EventTypesPicker } from '../endpoints/EventTypesPicker.tsx';

interface Props {
  open: boolean;
  endpoint: EndpointSummaryFragment;
  onClose(): void;
  onSaved(): void;
}

/**
 * Edits name, description, URL, headers, a vendor endpoint's credentials and event types. Masked
 * header values sent back keep their stored values; a credential left empty keeps the current one.
 */
export function EditEndpointDialog({ open, endpoint, onClose, onSaved }: Props) {
  return (
    <Dialog title="Edit endpoint" open={open} onClose={onClose}>
      {open && <EditForm endpoint={endpoint} onCancel={onClose} onSaved={onSaved} />}
    </Dialog>
  );
}

function EditForm({ endpoint, onCancel, onSaved }: { endpoint: EndpointSummaryFragment; onCancel(): void; onSaved(): void }) {
  const { api } = usePortal();
  const [name, setName] = useState(endpoint.name);
  const [description, setDescription] = useState(endpoint.description);
  const [url, setUrl] = useState(endpoint.webhook?.url ?? '');
  const [headers, setHeaders] = useState(headerRows(endpoint.webhook?.headers));
  const [eventTypes, setEventTypes] = useState(endpoint.eventTypes);
  const credential = newCredential(endpoint);
  const [secret, setSecret] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const { updateConnection: result } = await api.request(EditEndpointDocument, {
        input: {
          id: endpoint.id,
          name,
          description,
          ...(endpoint.webhook ? { webhook: { url, headers: headersObject(headers) } } : {}),
          ...(credential && secret ? credential.input(secret) : {}),
          ...(eventTypes.length ? { eventTypes } : {}),
        },
      });
      if (result.__typename === 'UpdateConnectionPayload') onSaved();
      else if (result.__typename === 'ValidationError') setErrors(fieldErrors(result.issues));
      else setFailure(result.message);
    } catch (error) {
      setFailure((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="stack" onSubmit={(event) => void submit(event)} noValidate>
      <Field label="Name" error={errors.name}>
        {(props) => <input {...props} required maxLength={100} value={name} onChange={(event) => setName(event.target.value)} />}
      </Field>
      <Field label="Description" error={errors.description}>
        {(props) => <input {...props} maxLength={500} value={description} onChange={(event) => setDescription(event.target.value)} />}
      </Field>
      {endpoint.webhook && (
        <>
          <Field label="URL" error={errors['webhook.url']}>
            {(props) => <input {...props} type="url" required value={url} onChange={(event) => setUrl(event.target.value)} />}
          </Field>
          <HeadersEditor rows={headers} onChange={setHeaders} error={errors['webhook.headers']} />
        </>
      )}
      {credential && (
        <Field
          label={credential.label}
          hint={endpoint.status === 'NEEDS_REAUTH' ? 'The current one was refused: its deliveries wait for a new one.' : 'Leave empty to keep the current one.'}
          error={errors[credential.errorKey]}
        >
          {(props) => <SecretInput {...props} value={secret} onValue={setSecret} />}
        </Field>
      )}
      <EventTypesPicker value={eventTypes} onChange={setEventTypes} error={errors.eventTypes} />
      {failure && <p role="alert" className="field-error">{failure}</p>}
      <div className="actions">
        <Button onClick={onCancel}>Cancel</Button>
        <Button variant="primary" type="submit" busy={busy}>
          Save
        </Button>
      </div>
    </form>
  );
}
