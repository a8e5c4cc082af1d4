import { beforeAll, describe, expect, it } from 'vitest';
import type { ActionTarget } from '../src/domains/destinations/destination-kind.ts';
import { vendorClient } from '../src/domains/destinations/http/vendor-client.ts';
import { MappingError } from '../src/domains/destinations/mapping.ts';
import { salesforceKind } from '../src/domains/destinations/salesforce/salesforce-kind.ts';
import type { SalesforceConfig, SalesforceCredentials } from '../src/domains/destinations/salesforce/salesforce-settings.ts';
import { accessTokens } from '../src/domains/oauth/access-tokens.ts';
import { oauthProvider } from '../src/domains/oauth/oauth-providers.ts';
import { actionEvent, localVendors, settingsOf, targetOf } from './helpers/destinations.ts';
import { consentTo, waitingConnection, startOAuthTestServer } from './helpers/oauth-connections.ts';
import { salesforceError, startSalesforceContract } from './helpers/salesforce-contract.ts';
import type { SeededWorkspace } from './helpers/server.ts';

const salesforce = await startSalesforceContract();
const { server, config, db } = await startOAuthTestServer({ salesforce });
const vendors = localVendors({ salesforceLoginUrl: salesforce.loginUrl });
let ws: SeededWorkspace;
let target: ActionTarget<SalesforceConfig, SalesforceCredentials>;

beforeAll(async () => {
  ws = await server.seedWorkspace();
  const connection = await waitingConnection(db, ws.id, 'SALESFORCE', { sobject: 'Contact', externalIdField: 'External_Id__c' });
  await consentTo(ws.secret, connection.publicId);
  const http = vendorClient({ maxResponseBytes: 65_536, allowPrivateTargets: false });
  const { settings } = settingsOf(salesforceKind, { sobject: 'Contact', externalIdField: 'External_Id__c' }, vendors);
  target = { ...targetOf(settings!, vendors), tokens: accessTokens(server.switchyard.services.orm.em.fork(), config, http, oauthProvider(config, 'SALESFORCE')!, connection.id) };
});

const record = (externalId: string, fields: Record<string, unknown>) => salesforceKind.actionInput(actionEvent(), { value: { externalId, fields }, json: '' }, target.config);

describe('SALESFORCE settings and action input', () => {
  it('takes an object and its external id field by API name, naming the field at fault', () => {
    expect(settingsOf(salesforceKind, { sobject: 'Order__c', externalIdField: 'Order_Number__c' }, vendors).settings).toEqual({
      config: { sobject: 'Order__c', externalIdField: 'Order_Number__c' },
      credentials: {},
    });
    expect(settingsOf(salesforceKind, { sobject: 'Contact' }, vendors).issues).toEqual([{ path: 'externalIdField', message: expect.stringContaining('is required') }]);
    expect(settingsOf(salesforceKind, { sobject: 'Con tact', externalIdField: 'x/../y' }, vendors).issues.map((issue) => issue.path)).toEqual(['sobject', 'externalIdField']);
  });

  it('maps the resource id and the payload scalars by default, and checks a transform', () => {
    const event = actionEvent({ resourceId: 'cus_42', payload: { LastName: 'Lovelace', Email: 'ada@example.com', nested: { no: 1 }, 'not a field': 1 } });
    expect(salesforceKind.actionInput(event, null, target.config)).toEqual({ externalId: 'cus_42', fields: { LastName: 'Lovelace', Email: 'ada@example.com' } });
    expect(() => salesforceKind.actionInput(actionEvent({ resourceId: null }), null, target.config)).toThrow(MappingError);
    try {
      record('', {});
    } catch (error) {
      expect((error as MappingError).field).toBe('externalId');
    }
  });
});

describe('performing SALESFORCE upserts', () => {
  it('creates, then updates, a record by external id on the instance URL of the grant', async () => {
    const created = await salesforceKind.perform(record('ext-1', { LastName: 'Lovelace', FirstName: 'Ada' }), target);
    expect(created).toMatchObject({ verdict: { kind: 'success' }, statusCode: 201, method: 'PATCH', url: `${salesforce.loginUrl}/services/data/v62.0/sobjects/Contact/External_Id__c/ext-1` });
    const updated = await salesforceKind.perform(record('ext-1', { Title: 'Countess' }), target);
    expect(updated).toMatchObject({ verdict: { kind: 'success' }, statusCode: 200 });
    expect(salesforce.records.get('Contact')!.get('ext-1')!.fields).toMatchObject({ LastName: 'Lovelace', Title: 'Countess' });
  });

  it('rejects multiple matches and bad fields with the message, retries locks and 5xx, and waits out the org limit', async () => {
    salesforce.duplicate('Contact', 'dup');
    expect(await salesforceKind.perform(record('dup', { LastName: 'X' }), target)).toMatchObject({
      verdict: { kind: 'rejected' },
      statusCode: 300,
      error: expect.stringContaining('several records'),
    });
    expect(await salesforceKind.perform(record('ext-2', { Shoe_Size__c: 9 }), target)).toMatchObject({
      verdict: { kind: 'rejected' },
      vendorCode: 'INVALID_FIELD',
      error: expect.stringContaining("No such column 'Shoe_Size__c'"),
    });
    expect(await salesforceKind.perform(record('ext-3', { FirstName: 'Only' }), target)).toMatchObject({ verdict: { kind: 'rejected' }, vendorCode: 'REQUIRED_FIELD_MISSING' });
    salesforce.failNext(1, salesforceError(400, 'UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record'));
    expect(await salesforceKind.perform(record('ext-4', { LastName: 'L' }), target)).toMatchObject({ verdict: { kind: 'retry' }, vendorCode: 'UNABLE_TO_LOCK_ROW' });
    salesforce.failNext(1, salesforceError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
    expect(await salesforceKind.perform(record('ext-4', { LastName: 'L' }), target)).toMatchObject({
      verdict: { kind: 'throttle', quota: { seconds: 900, daily: true, reason: "the Salesforce org's API request limit is spent" } },
      errorClass: 'RATE_LIMITED',
    });
    salesforce.failNext(1, { status: 503, body: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'busy' }] });
    expect(await salesforceKind.perform(record('ext-4', { LastName: 'L' }), target)).toMatchObject({ verdict: { kind: 'retry' }, errorClass: 'HTTP' });
  });

  it('refreshes a refused session once, keeping the refresh token Salesforce does not send again', async () => {
    salesforce.oauth.expireAccessTokens();
    const refreshes = salesforce.oauth.calls.refresh_token;
    expect(await salesforceKind.perform(record('ext-5', { LastName: 'Refreshed' }), target)).toMatchObject({ verdict: { kind: 'success' } });
    salesforce.oauth.expireAccessTokens();
    expect(await salesforceKind.perform(record('ext-6', { LastName: 'Again' }), target)).toMatchObject({ verdict: { kind: 'success' } });
    expect(salesforce.oauth.calls.refresh_token).toBe(refreshes + 2);
    salesforce.oauth.revokeGrants();
    expect(await salesforceKind.perform(record('ext-7', { LastName: 'Revoked' }), target)).toMatchObject({
      verdict: { kind: 'wait' },
      connection: { kind: 'needs-reauth', reason: expect.stringContaining('invalid_grant') },
    });
  });
});
