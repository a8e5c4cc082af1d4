import { afterAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { closeHttp } from '../src/domains/deliveries/http/send-webhook.ts';
import { vendorClient } from '../src/domains/destinations/http/vendor-client.ts';
import { webhookKind } from '../src/domains/destinations/webhook/webhook-kind.ts';
import { generateSecret } from '../src/domains/signing/standard-webhooks.ts';
import { actionEvent, localVendors, settingsOf, targetOf } from './helpers/destinations.ts';
import { startReceiver } from './helpers/receiver.ts';

const receiver = await startReceiver();
afterAll(async () => {
  await closeHttp();
  await receiver.close();
});
const vendors = localVendors({});
const secret = generateSecret();

function target(path: string) {
  const { settings } = settingsOf(webhookKind, { url: receiver.url(path), headers: { 'X-Tenant': 'acme' } }, vendors, undefined, true);
  return { ...targetOf(settings!, vendors), signingSecrets: [secret], http: vendorClient({ maxResponseBytes: 65536, allowPrivateTargets: true }) };
}

describe('the WEBHOOK kind', () => {
  it('sends the default body signed with every live secret, and succeeds on 2xx', async () => {
    receiver.script({ '/ok': { status: 204 } });
    const hook = target('/ok');
    const event = actionEvent();
    const report = await webhookKind.perform(webhookKind.actionInput(event, null, hook.config), hook);
    expect(report).toMatchObject({ verdict: { kind: 'success' }, method: 'POST', url: receiver.url('/ok'), statusCode: 204 });
    const [request] = receiver.requests.filter((r) => r.path === '/ok');
    expect(JSON.parse(request!.body)).toEqual({
      id: event.publicId, type: 'order.completed', timestamp: '2026-12-01T10:00:00.000Z', resource: 'order', resourceId: 'o_42', sequence: 7, data: event.payload,
    });
    expect(request!.headers['x-tenant']).toBe('acme');
    expect(new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>)).toEqual(JSON.parse(request!.body));
    expect(request!.headers['webhook-id']).toBe(hook.deliveryId);
  });

  it('sends a transform\'s result exactly as it produced it', async () => {
    receiver.script({ '/shaped': { status: 200 } });
    const hook = target('/shaped');
    await webhookKind.perform(webhookKind.actionInput(actionEvent(), { value: { a: 1 }, json: '{"a":1}' }, hook.config), hook);
    expect(receiver.requests.filter((r) => r.path === '/shaped').map((r) => r.body)).toEqual(['{"a":1}']);
  });

  it('waits and disables the connection on 410 Gone; retries anything else, after Retry-After', async () => {
    receiver.script({ '/gone': { status: 410 }, '/busy': { status: 429, headers: { 'retry-after': '9' } }, '/bad': { status: 400 } });
    const body = { body: '{}', rebuildable: true };
    expect(await webhookKind.perform(body, target('/gone'))).toMatchObject({
      verdict: { kind: 'wait' },
      connection: { kind: 'disable', reason: `the receiver answered 410 Gone at ${receiver.url('/gone')}` },
      errorClass: 'HTTP',
    });
    expect(await webhookKind.perform(body, target('/busy'))).toMatchObject({ verdict: { kind: 'retry', retryAfterSeconds: 9 }, statusCode: 429 });
    expect(await webhookKind.perform(body, target('/bad'))).toMatchObject({ verdict: { kind: 'retry' }, statusCode: 400, errorClass: 'HTTP' });
  });
});
