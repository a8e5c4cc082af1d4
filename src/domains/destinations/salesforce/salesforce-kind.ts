import { instanceBase } from '../../oauth/salesforce-instance.ts';
import type { DestinationKind } from '../destination-kind.ts';
import { sendAuthorized } from '../http/authorized-call.ts';
import { JSON_HEADERS } from '../http/vendor-client.ts';
import { deadline, reportOf } from '../report.ts';
import { classifySalesforceAnswer, refusesSession } from './salesforce-answers.ts';
import { defaultSalesforceRecord, salesforceRecordFrom, type SalesforceRecord } from './salesforce-record.ts';
import { salesforceSettingsSchema, type SalesforceConfig, type SalesforceCredentials } from './salesforce-settings.ts';

/** The REST API version every call names. */
export const SALESFORCE_API_VERSION = 'v62.0';

/**
 * SALESFORCE: a record upserted by external id, `PATCH {instance_url}/services/data/v62.0/
 * sobjects/{sobject}/{externalIdField}/{value}`, with the OAuth grant's token and instance URL.
 * The action input is `{ externalId, fields }`; without a transform, the event's resourceId and
 * the payload's top-level scalar values.
 */
export const salesforceKind: DestinationKind<SalesforceConfig, SalesforceCredentials, SalesforceRecord> = {
  kind: 'SALESFORCE',
  inputField: 'salesforce',
  policy: {},
  signsRequests: false,
  oauth: { needsAuthorization: () => true },

  settingsSchema: salesforceSettingsSchema,
  credentialHints: () => ({}),

  actionInput(event, transformed) {
    return transformed ? salesforceRecordFrom(transformed.value) : defaultSalesforceRecord(event);
  },

  async perform(record, target) {
    const { sobject, externalIdField } = target.config;
    const path = `/services/data/${SALESFORCE_API_VERSION}/sobjects/${encodeURIComponent(sobject)}/${encodeURIComponent(externalIdField)}/${encodeURIComponent(record.externalId)}`;
    const login = target.vendors.salesforceLogin;
    const sent = await sendAuthorized({
      http: target.http,
      tokens: target.tokens,
      call: (token) => {
        // The grant's instance URL was checked when it was stored: a Salesforce domain or the login URL's host.
        const base = instanceBase(token.instanceUrl ?? login.url, login);
        return { method: 'PATCH', url: `${base.url}${path}`, headers: { ...JSON_HEADERS, authorization: `Bearer ${token.accessToken}` }, body: JSON.stringify(record.fields), base };
      },
      shown: { method: 'PATCH', url: `{instance_url}${path}` },
      refused: refusesSession,
      timeoutMs: deadline(target.timeoutMs),
    });
    return 'report' in sent ? sent.report : reportOf(sent.exchange, classifySalesforceAnswer(sent.exchange));
  },
};
