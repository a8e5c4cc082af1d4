import { Field } from '../components/Field.tsx';
import { SecretInput } from '../components/SecretInput.tsx';
import { HeadersEditor, headersObject, type HeaderRow } from './HeadersEditor.tsx';
import type { DestinationKind, FieldErrors, KindFieldsProps } from './destination-kind.ts';

export interface WebhookValues {
  url: string;
  headers: HeaderRow[];
  secret: { mode: 'generate' } | { mode: 'own'; value: string };
}

const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

function WebhookFields({ values, onChange, errors }: KindFieldsProps<WebhookValues>) {
  const own = values.secret.mode === 'own';
  return (
    <>
      <Field label="URL" hint="Where the signed POST requests go, http or https." error={errors['webhook.url']}>
        {(props) => (
          <input
            {...props}
            type="url"
            required
            inputMode="url"
            placeholder="https://example.com/webhooks"
            value={values.url}
            onChange={(event) => onChange({ ...values, url: event.target.value })}
          />
        )}
      </Field>
      <fieldset className="fieldset">
        <legend>Signing secret</legend>
        <label className="choice">
          <input type="radio" name="secret-mode" checked={!own} onChange={() => onChange({ ...values, secret: { mode: 'generate' } })} />
          Generate one for me
        </label>
        <label className="choice">
          <input
            type="radio"
            name="secret-mode"
            checked={own}
            onChange={() => onChange({ ...values, secret: { mode: 'own', value: '' } })}
          />
          Use my own secret
        </label>
        {own && (
          <Field
            label="Your signing secret"
            hint='"whsec_" followed by the base64 of 24 to 64 random bytes, as Standard Webhooks libraries expect.'
            error={errors.signingSecret}
          >
            {(props) => (
              <SecretInput
                {...props}
                value={values.secret.mode === 'own' ? values.secret.value : ''}
                onValue={(value) => onChange({ ...values, secret: { mode: 'own', value } })}
              />
            )}
          </Field>
        )}
      </fieldset>
      <HeadersEditor rows={values.headers} onChange={(headers) => onChange({ ...values, headers })} error={errors['webhook.headers']} />
    </>
  );
}

/** A URL that receives Standard Webhooks requests, signed with the endpoint's secret. */
export const webhookKind: DestinationKind<WebhookValues> = {
  kind: 'WEBHOOK',
  label: 'Webhook',
  description: 'An HTTPS URL that receives signed POST requests (Standard Webhooks).',
  initial: () => ({ url: '', headers: [], secret: { mode: 'generate' } }),
  Fields: WebhookFields,
  check(values) {
    const errors: FieldErrors = {};
    if (!URL.canParse(values.url) || !/^https?:$/.test(new URL(values.url).protocol)) errors['webhook.url'] = 'Enter an http or https URL';
    if (values.secret.mode === 'own' && !SECRET.test(values.secret.value)) {
      errors.signingSecret = 'A signing secret starts with "whsec_", followed by base64';
    }
    return errors;
  },
  toInput(values) {
    return {
      kind: 'WEBHOOK',
      webhook: { url: values.url.trim(), headers: headersObject(values.headers) },
      ...(values.secret.mode === 'own' ? { signingSecret: values.secret.value } : {}),
    };
  },
  suggestName(values) {
    return URL.canParse(values.url) ? new URL(values.url).host : null;
  },
};
