import { beforeAll, describe, expect, it } from 'vitest';
import type { ActionTarget } from '../src/domains/destinations/destination-kind.ts';
import { hubspotKind } from '../src/domains/destinations/hubspot/hubspot-kind.ts';
import type { HubSpotConfig, HubSpotCredentials, HubSpotSettings } from '../src/domains/destinations/hubspot/hubspot-settings.ts';
import { vendorClient } from '../src/domains/destinations/http/vendor-client.ts';
import { MappingError } from '../src/domains/destinations/mapping.ts';
import { accessTokens } from '../src/domains/oauth/access-tokens.ts';
import { oauthProvider } from '../src/domains/oauth/oauth-providers.ts';
import { actionEvent, localVendors, settingsOf, targetOf } from './helpers/destinations.ts';
import { hubspotError, hubspotRateLimited, startHubSpotContract, uniqueEmail } from './helpers/hubspot-contract.ts';
import { consentTo, waitingConnection, startOAuthTestServer } from './helpers/oauth-connections.ts';
import type { SeededWorkspace } from './helpers/server.ts';

const hubspot = await startHubSpotContract();
const { server, config, db } = await startOAuthTestServer({ hubspot });
const vendors = localVendors({ hubspotApiUrl: hubspot.apiUrl });
let ws: SeededWorkspace;

beforeAll(async () => {
  ws = await server.seedWorkspace();
});

function settings(input: unknown, previous?: HubSpotSettings): HubSpotSettings {
  const { settings: parsed, issues } = settingsOf(hubspotKind, input, vendors, previous);
  if (!parsed) throw new Error(JSON.stringify(issues));
  return parsed;
}

const privateApp = (extra: Record<string, unknown> = {}) => targetOf(settings({ accessToken: hubspot.addPrivateAppToken(), ...extra }), vendors);

/** A target whose tokens are an OAuth connection's, authorized through a real consent. */
async function oauthTarget(): Promise<ActionTarget<HubSpotConfig, HubSpotCredentials>> {
  const connection = await waitingConnection(db, ws.id, 'HUBSPOT', { action: 'UPSERT_CONTACT', eventName: null, auth: 'OAUTH' });
  await consentTo(ws.secret, connection.publicId);
  const http = vendorClient({ maxResponseBytes: 65_536, allowPrivateTargets: false });
  return { ...targetOf(settings({}), vendors), tokens: accessTokens(server.switchyard.services.orm.em.fork(), config, http, oauthProvider(config, 'HUBSPOT')!, connection.id) };
}

const contactEvent = (email: string, extra: Record<string, unknown> = {}) => actionEvent({ payload: { email, firstName: 'Ada', last_name: 'Lovelace', phone: 5550100, company: 'Analytical', total: 42, ...extra } });

describe('HUBSPOT settings', () => {
  it('takes a private app token, or none for OAuth, and shows the token masked', () => {
    const token = 'pat-na1-0f8e2b5c-1d3a-4e6f-8a9b-0c1d2e3f4a5b';
    const withToken = settings({ accessToken: token });
    expect(withToken).toEqual({ config: { action: 'UPSERT_CONTACT', eventName: null, auth: 'PRIVATE_APP' }, credentials: { accessToken: token } });
    expect(hubspotKind.credentialHints(withToken.credentials)).toEqual({ accessToken: 'pat-na1-…4a5b' });
    expect(settings({ accessToken: 'pat-na1-…4a5b' }, withToken)).toEqual(withToken);
    expect(settings({ accessToken: null }, withToken)).toEqual({ config: { action: 'UPSERT_CONTACT', eventName: null, auth: 'OAUTH' }, credentials: {} });
    expect(settings({ action: 'SEND_EVENT', eventName: 'pe1234567_order_completed' })).toEqual({
      config: { action: 'SEND_EVENT', eventName: 'pe1234567_order_completed', auth: 'OAUTH' },
      credentials: {},
    });
  });

  it('names the field at fault', () => {
    const issues = (input: unknown) => settingsOf(hubspotKind, input, vendors).issues;
    expect(issues({ accessToken: 'not-a-token' })).toEqual([{ path: 'accessToken', message: expect.stringContaining('private app token') }]);
    expect(issues({ action: 'SEND_EVENT' })).toEqual([{ path: 'eventName', message: expect.stringContaining('is required with action SEND_EVENT') }]);
    expect(issues({ action: 'SEND_EVENT', eventName: 'Order Completed' })).toEqual([{ path: 'eventName', message: expect.stringContaining('internal name') }]);
    expect(issues({ eventName: 'pe1_x' })).toEqual([{ path: 'eventName', message: expect.stringContaining('is for action SEND_EVENT') }]);
    expect(issues({ action: 'DELETE' })).toEqual([{ path: 'action', message: expect.stringContaining('UPSERT_CONTACT, SEND_EVENT') }]);
  });

  it('defaults to 10 requests a second per connection', () => {
    expect(hubspotKind.policy.rateLimitPerSecond).toBe(10);
  });
});

describe('the HUBSPOT action input', () => {
  const contact = settings({}).config;
  const events = settings({ action: 'SEND_EVENT', eventName: 'pe1_order_completed' }).config;

  it('maps the payload to a contact by default: email, names, phone and company', () => {
    expect(hubspotKind.actionInput(contactEvent('ada@example.com'), null, contact)).toEqual({
      action: 'UPSERT_CONTACT',
      email: 'ada@example.com',
      properties: { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', phone: '5550100', company: 'Analytical' },
    });
    const event = contactEvent('ada@example.com', { nested: { no: true } });
    expect(hubspotKind.actionInput(event, null, events)).toEqual({
      action: 'SEND_EVENT',
      email: 'ada@example.com',
      properties: { firstName: 'Ada', last_name: 'Lovelace', phone: '5550100', company: 'Analytical', total: '42' },
      occurredAt: event.createdAt.toISOString(),
    });
  });

  it("fails with MAPPING naming the field when the payload has no email or the transform's result does not fit", () => {
    const mapped = (value: unknown, transformed = true) => {
      try {
        hubspotKind.actionInput(actionEvent({ payload: { name: 'x' } }), transformed ? { value, json: JSON.stringify(value) } : null, contact);
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(MappingError);
        return (error as MappingError).field;
      }
    };
    expect(mapped(null, false)).toBe('payload.email');
    expect(mapped({ properties: {} })).toBe('email');
    expect(mapped({ email: 'ada@example.com', properties: { nested: { a: 1 } } })).toBe('properties.nested');
    expect(mapped({ email: 'ada@example.com', extra: 1 })).toBe('');
    expect(hubspotKind.actionInput(actionEvent(), { value: { email: 'b@example.com', properties: { lifecyclestage: 'lead', score: 3 } }, json: '' }, contact)).toEqual({
      action: 'UPSERT_CONTACT',
      email: 'b@example.com',
      properties: { email: 'b@example.com', lifecyclestage: 'lead', score: '3' },
    });
  });
});

describe('performing HUBSPOT actions', () => {
  it('upserts a contact by email, traced by the delivery id', async () => {
    const email = uniqueEmail('ada');
    const target = privateApp();
    const report = await hubspotKind.perform(hubspotKind.actionInput(contactEvent(email), null, target.config), target);
    expect(report).toMatchObject({ verdict: { kind: 'success' }, method: 'POST', url: `${hubspot.apiUrl}/crm/v3/objects/contacts/batch/upsert`, statusCode: 200 });
    expect(hubspot.contacts.get(email)?.properties).toMatchObject({ firstname: 'Ada', lastname: 'Lovelace' });
    const sent = JSON.parse(hubspot.batchCalls.at(-1)!.body) as { inputs: { id: string; idProperty: string; objectWriteTraceId: string }[] };
    expect(sent.inputs).toEqual([expect.objectContaining({ id: email, idProperty: 'email', objectWriteTraceId: target.deliveryId })]);
  });

  it('sends a custom event, where 204 is success', async () => {
    const target = privateApp({ action: 'SEND_EVENT', eventName: 'pe1234_order_completed' });
    const email = uniqueEmail('event');
    const report = await hubspotKind.perform(hubspotKind.actionInput(contactEvent(email), null, target.config), target);
    expect(report).toMatchObject({ verdict: { kind: 'success' }, statusCode: 204, url: `${hubspot.apiUrl}/events/v3/send` });
    expect(hubspot.events.at(-1)).toMatchObject({ eventName: 'pe1234_order_completed', email, properties: { total: '42' } });
  });

  it('rejects what HubSpot refuses, retries what it asks to, waits for its quota as long as the 429 says, and needs new credentials for missing scopes', async () => {
    const target = privateApp();
    const input = () => hubspotKind.actionInput(contactEvent(uniqueEmail()), null, target.config);
    const bad = await hubspotKind.perform(hubspotKind.actionInput(actionEvent(), { value: { email: 'ada@localhost' }, json: '' }, target.config), target);
    expect(bad).toMatchObject({ verdict: { kind: 'rejected' }, errorClass: 'REJECTED', vendorCode: 'VALIDATION_ERROR', error: expect.stringContaining('"ada@localhost" is invalid') });

    hubspot.failNext(1, hubspotError(400, 'VALIDATION_ERROR', 'Property values were not valid'));
    expect(await hubspotKind.perform(input(), target)).toMatchObject({ verdict: { kind: 'rejected' }, errorClass: 'REJECTED', error: expect.stringContaining('Property values were not valid') });
    hubspot.failNext(1, hubspotError(423, 'LOCKED', 'The contact is locked'));
    expect(await hubspotKind.perform(input(), target)).toMatchObject({ verdict: { kind: 'retry', retryAfterSeconds: 2 }, statusCode: 423 });
    hubspot.failNext(1, hubspotRateLimited('TEN_SECONDLY_ROLLING'));
    expect(await hubspotKind.perform(input(), target)).toMatchObject({
      verdict: { kind: 'throttle', quota: { seconds: 10, daily: false, reason: "HubSpot's TEN_SECONDLY_ROLLING limit is spent" } },
      errorClass: 'RATE_LIMITED',
      vendorCode: 'TEN_SECONDLY_ROLLING',
    });
    hubspot.failNext(1, hubspotRateLimited('SECONDLY', { 'retry-after': '3' }));
    expect(await hubspotKind.perform(input(), target)).toMatchObject({ verdict: { kind: 'throttle', quota: { seconds: 3, daily: false } }, vendorCode: 'SECONDLY' });
    hubspot.failNext(1, hubspotRateLimited('SECONDLY'));
    expect(await hubspotKind.perform(input(), target)).toMatchObject({ verdict: { kind: 'throttle', quota: { seconds: 1 } } });
    hubspot.failNext(1, { ...hubspotRateLimited('TEN_SECONDLY_ROLLING'), headers: {} });
    expect(await hubspotKind.perform(input(), target)).toMatchObject({ verdict: { kind: 'throttle', quota: { seconds: 10 } } });
    hubspot.failNext(1, hubspotRateLimited('DAILY'));
    const daily = await hubspotKind.perform(input(), target);
    // Its reset is at the account's midnight, in a time zone the API does not say: no seconds, the connection probes.
    expect(daily).toMatchObject({ verdict: { kind: 'throttle', quota: { daily: true, reason: "HubSpot's DAILY limit of API requests is spent" } }, vendorCode: 'DAILY', error: expect.stringContaining('daily limit') });
    expect(daily.verdict).not.toHaveProperty('quota.seconds');
    hubspot.failNext(1, hubspotError(502, 'BAD_GATEWAY', 'upstream'));
    expect(await hubspotKind.perform(input(), target)).toMatchObject({ verdict: { kind: 'retry' }, errorClass: 'HTTP' });

    const narrow = targetOf(settings({ accessToken: hubspot.addPrivateAppToken(['crm.objects.contacts.read']) }), vendors);
    expect(await hubspotKind.perform(input(), narrow)).toMatchObject({
      verdict: { kind: 'wait' },
      connection: { kind: 'needs-reauth', reason: expect.stringContaining('MISSING_SCOPES') },
      errorClass: 'AUTH',
    });
  });

  it('refreshes an expired OAuth token once and sends again before the attempt counts', async () => {
    const target = await oauthTarget();
    hubspot.oauth.expireAccessTokens();
    const refreshes = hubspot.oauth.calls.refresh_token;
    const email = uniqueEmail('refreshed');
    const report = await hubspotKind.perform(hubspotKind.actionInput(contactEvent(email), null, target.config), target);
    expect(report).toMatchObject({ verdict: { kind: 'success' } });
    expect(hubspot.oauth.calls.refresh_token).toBe(refreshes + 1);
    expect(hubspot.contacts.has(email)).toBe(true);

    hubspot.oauth.revokeGrants();
    const refused = await hubspotKind.perform(hubspotKind.actionInput(contactEvent(uniqueEmail()), null, target.config), target);
    expect(refused).toMatchObject({ verdict: { kind: 'wait' }, connection: { kind: 'needs-reauth', reason: expect.stringContaining('BAD_REFRESH_TOKEN') }, errorClass: 'AUTH' });
  });
});

describe('HUBSPOT batches', () => {
  it('records each input of a 207 on its own delivery: one bad contact fails alone', async () => {
    const target = privateApp();
    const emails = [uniqueEmail('a'), 'not-an-email@nowhere', uniqueEmail('c')];
    const inputs = emails.map((email) => hubspotKind.actionInput(actionEvent(), { value: { email }, json: '' }, target.config));
    const reports = await hubspotKind.batch!.perform(inputs, target, ['d1', 'd2', 'd3']);
    expect(reports.map((report) => report !== 'unbatched' && report.verdict.kind)).toEqual(['success', 'rejected', 'success']);
    expect(reports[1]).toMatchObject({ statusCode: 207, vendorCode: 'VALIDATION_ERROR', error: expect.stringContaining('not-an-email@nowhere') });
    expect(hubspot.contacts.has(emails[0]!)).toBe(true);
    expect(hubspot.contacts.has(emails[2]!)).toBe(true);
  });

  it('keeps two deliveries for one email out of one batch, and sends events one by one', () => {
    expect(hubspotKind.batch!.maxItems).toBe(100);
    const config = settings({}).config;
    const [a, b] = ['Ada@Example.com', 'ada@example.com'].map((email) => hubspotKind.actionInput(actionEvent(), { value: { email }, json: '' }, config));
    expect(hubspotKind.batch!.key(a!)).toBe(hubspotKind.batch!.key(b!));
  });
});
