import type { MailchimpStatusIfNew } from '../api/generated.ts';
import { Field } from '../components/Field.tsx';
import { SecretInput } from '../components/SecretInput.tsx';
import type { DestinationKind, FieldErrors, KindFieldsProps } from './destination-kind.ts';

export interface MailchimpValues {
  apiKey: string;
  listId: string;
  statusIfNew: MailchimpStatusIfNew;
  /** Comma-separated, as typed. */
  tags: string;
}

const STATUSES: { value: MailchimpStatusIfNew; label: string }[] = [
  { value: 'SUBSCRIBED', label: 'Subscribed' },
  { value: 'PENDING', label: 'Pending (Mailchimp asks them to confirm)' },
  { value: 'TRANSACTIONAL', label: 'Transactional (not subscribed to campaigns)' },
];

function tagsOf(text: string): string[] {
  return text.split(',').map((tag) => tag.trim()).filter(Boolean);
}

function MailchimpFields({ values, onChange, errors }: KindFieldsProps<MailchimpValues>) {
  return (
    <>
      <Field label="API key" hint='From Account > Extras > API keys, e.g. "0123…-us21".' error={errors['mailchimp.apiKey']}>
        {(props) => <SecretInput {...props} value={values.apiKey} onValue={(apiKey) => onChange({ ...values, apiKey })} />}
      </Field>
      <Field label="Audience id" hint="Audience > Settings > Audience name and defaults." error={errors['mailchimp.listId']}>
        {(props) => <input {...props} className="mono" value={values.listId} onChange={(event) => onChange({ ...values, listId: event.target.value.trim() })} />}
      </Field>
      <Field label="New members are" error={errors['mailchimp.statusIfNew']}>
        {(props) => (
          <select {...props} value={values.statusIfNew} onChange={(event) => onChange({ ...values, statusIfNew: event.target.value as MailchimpStatusIfNew })}>
            {STATUSES.map((status) => (
              <option key={status.value} value={status.value}>
                {status.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Tags" hint="Optional, separated by commas: every member gets them." error={errors['mailchimp.tags']}>
        {(props) => <input {...props} value={values.tags} onChange={(event) => onChange({ ...values, tags: event.target.value })} />}
      </Field>
    </>
  );
}

/** A Mailchimp audience: each event adds or updates one member. */
export const mailchimpKind: DestinationKind<MailchimpValues> = {
  kind: 'MAILCHIMP',
  label: 'Mailchimp',
  description: 'Adds or updates a member of a Mailchimp audience for each event.',
  initial: () => ({ apiKey: '', listId: '', statusIfNew: 'SUBSCRIBED', tags: '' }),
  Fields: MailchimpFields,
  check(values) {
    const errors: FieldErrors = {};
    if (!/^[A-Za-z0-9]+-[a-z]+[0-9]+$/.test(values.apiKey)) errors['mailchimp.apiKey'] = 'An API key ends with its data center, e.g. "-us21"';
    if (!values.listId) errors['mailchimp.listId'] = 'Enter the audience id';
    return errors;
  },
  toInput(values) {
    const tags = tagsOf(values.tags);
    return { kind: 'MAILCHIMP', mailchimp: { apiKey: values.apiKey, listId: values.listId, statusIfNew: values.statusIfNew, ...(tags.length ? { tags } : {}) } };
  },
  suggestName() {
    return 'Mailchimp';
  },
};
