import type { HubSpotAction } from '../api/generated.ts';
import { Field } from '../components/Field.tsx';
import { SecretInput } from '../components/SecretInput.tsx';
import type { DestinationKind, FieldErrors, KindFieldsProps } from './destination-kind.ts';

export interface HubSpotValues {
  action: HubSpotAction;
  eventName: string;
  /** `oauth`: connect through HubSpot's consent page; `token`: a private app token typed here. */
  auth: 'oauth' | 'token';
  accessToken: string;
}

function HubSpotFields({ values, onChange, errors }: KindFieldsProps<HubSpotValues>) {
  return (
    <>
      <Field label="For each event" error={errors['hubspot.action']}>
        {(props) => (
          <select {...props} value={values.action} onChange={(event) => onChange({ ...values, action: event.target.value as HubSpotAction })}>
            <option value="UPSERT_CONTACT">Create or update the contact, by email</option>
            <option value="SEND_EVENT">Send a custom event about the contact</option>
          </select>
        )}
      </Field>
      {values.action === 'SEND_EVENT' && (
        <Field label="Event name" hint='The custom event&apos;s internal name, e.g. "pe1234567_order_completed".' error={errors['hubspot.eventName']}>
          {(props) => <input {...props} className="mono" value={values.eventName} onChange={(event) => onChange({ ...values, eventName: event.target.value.trim() })} />}
        </Field>
      )}
      <fieldset className="fieldset">
        <legend>Connect with</legend>
        <label className="choice">
          <input type="radio" name="hubspot-auth" checked={values.auth === 'oauth'} onChange={() => onChange({ ...values, auth: 'oauth' })} />
          Your HubSpot login <span className="muted">— you approve access on HubSpot&apos;s page next</span>
        </label>
        <label className="choice">
          <input type="radio" name="hubspot-auth" checked={values.auth === 'token'} onChange={() => onChange({ ...values, auth: 'token' })} />
          A private app token <span className="muted">— from Settings › Integrations › Private apps</span>
        </label>
      </fieldset>
      {values.auth === 'token' && (
        <Field label="Private app token" hint='"pat-na1-…", with the contacts (and, for events, behavioral events) scopes.' error={errors['hubspot.accessToken']}>
          {(props) => <SecretInput {...props} value={values.accessToken} onValue={(accessToken) => onChange({ ...values, accessToken })} />}
        </Field>
      )}
    </>
  );
}

/** A HubSpot account: a contact upserted, or a custom event sent, for each event; connected through OAuth or a private app token. */
export const hubspotKind: DestinationKind<HubSpotValues> = {
  kind: 'HUBSPOT',
  label: 'HubSpot',
  description: 'Creates or updates a HubSpot contact, or sends a custom event, for each event.',
  initial: () => ({ action: 'UPSERT_CONTACT', eventName: '', auth: 'oauth', accessToken: '' }),
  Fields: HubSpotFields,
  check(values) {
    const errors: FieldErrors = {};
    if (values.action === 'SEND_EVENT' && !values.eventName) errors['hubspot.eventName'] = 'Enter the custom event\'s internal name';
    if (values.auth === 'token' && !values.accessToken.startsWith('pat-')) errors['hubspot.accessToken'] = 'A private app token starts with "pat-"';
    return errors;
  },
  toInput(values) {
    return {
      kind: 'HUBSPOT',
      hubspot: {
        action: values.action,
        ...(values.action === 'SEND_EVENT' && { eventName: values.eventName }),
        ...(values.auth === 'token' && { accessToken: values.accessToken }),
      },
    };
  },
  suggestName(values) {
    return values.action === 'SEND_EVENT' ? 'HubSpot events' : 'HubSpot contacts';
  },
};
