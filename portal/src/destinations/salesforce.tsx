import { Field } from '../components/Field.tsx';
import type { DestinationKind, FieldErrors, KindFieldsProps } from './destination-kind.ts';

export interface SalesforceValues {
  sobject: string;
  externalIdField: string;
}

function SalesforceFields({ values, onChange, errors }: KindFieldsProps<SalesforceValues>) {
  return (
    <>
      <Field label="Object" hint='The object&apos;s API name, e.g. "Contact" or "Order__c".' error={errors['salesforce.sobject']}>
        {(props) => <input {...props} className="mono" value={values.sobject} onChange={(event) => onChange({ ...values, sobject: event.target.value.trim() })} />}
      </Field>
      <Field label="External id field" hint='The field records are matched by, e.g. "External_Id__c".' error={errors['salesforce.externalIdField']}>
        {(props) => <input {...props} className="mono" value={values.externalIdField} onChange={(event) => onChange({ ...values, externalIdField: event.target.value.trim() })} />}
      </Field>
      <p className="muted">You approve access on Salesforce&apos;s page next.</p>
    </>
  );
}

/** A Salesforce org: a record upserted by external id for each event, connected through OAuth. */
export const salesforceKind: DestinationKind<SalesforceValues> = {
  kind: 'SALESFORCE',
  label: 'Salesforce',
  description: 'Creates or updates a Salesforce record, by external id, for each event.',
  initial: () => ({ sobject: 'Contact', externalIdField: '' }),
  Fields: SalesforceFields,
  check(values) {
    const errors: FieldErrors = {};
    if (!values.sobject) errors['salesforce.sobject'] = 'Enter the object\'s API name';
    if (!values.externalIdField) errors['salesforce.externalIdField'] = 'Enter the external id field\'s API name';
    return errors;
  },
  toInput(values) {
    return { kind: 'SALESFORCE', salesforce: { sobject: values.sobject, externalIdField: values.externalIdField } };
  },
  suggestName(values) {
    return values.sobject ? `Salesforce ${values.sobject}` : 'Salesforce';
  },
};
