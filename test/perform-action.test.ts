import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config.ts';
import { closeHttp } from '../src/domains/deliveries/http/send-webhook.ts';
import { mailchimpKind } from '../src/domains/destinations/mailchimp/mailchimp-kind.ts';
import { performAction, performCall, prepareActions, type ReadyAction, type ActionPlan } from '../src/domains/destinations/perform-action.ts';
import { compileExpression } from '../src/domains/expressions/expression.ts';
import { actionEvent, localVendors, settingsOf } from './helpers/destinations.ts';
import { startMailchimpContract } from './helpers/mailchimp-contract.ts';

const mailchimp = await startMailchimpContract();
afterAll(async () => {
  await closeHttp();
  await mailchimp.close();
});
const config = defaultConfig({ mailchimpApiUrl: mailchimp.apiUrl });

function plans(count: number, transform: string | null, payload: (index: number) => unknown): ActionPlan[] {
  const apiKey = mailchimp.addAccount();
  const { settings } = settingsOf(mailchimpKind, { apiKey, listId: mailchimp.addList(apiKey) }, localVendors({ mailchimpApiUrl: mailchimp.apiUrl }));
  return Array.from({ length: count }, (_, index) => ({
    deliveryId: randomUUID(),
    kind: 'MAILCHIMP',
    config: settings!.config,
    credentials: settings!.credentials,
    signingSecrets: [],
    timeoutSeconds: 5,
    event: actionEvent({ payload: payload(index) }),
    transform,
  }));
}

const stored = async (source: string) => compileExpression(source, 'transform').source;

describe('performing a delivery\'s action', () => {
  it('reports a failing transform as EXPRESSION and a result that does not fit as MAPPING, sending nothing', async () => {
    const before = mailchimp.server.requests.length;
    const [failing] = plans(1, await stored('$error("no")'), () => ({}));
    expect(await performAction(config, failing!)).toMatchObject({ verdict: { kind: 'rejected' }, errorClass: 'EXPRESSION', error: expect.stringContaining('no') });
    const [unfit] = plans(1, await stored('{ "mergeFields": { "FNAME": payload.name } }'), () => ({ name: 'Ada' }));
    expect(await performAction(config, unfit!)).toMatchObject({ verdict: { kind: 'rejected' }, errorClass: 'MAPPING', error: expect.stringContaining('email: is required') });
    const [noEmail] = plans(1, null, () => ({ name: 'Ada' }));
    expect(await performAction(config, noEmail!)).toMatchObject({ errorClass: 'MAPPING', error: expect.stringContaining('payload.email') });
    expect(mailchimp.server.requests).toHaveLength(before);
  });

  it('prepares a backlog with each input\'s batch key, and sends a call of several as one batch, each delivery with its own report', async () => {
    const backlog = plans(4, null, (index) => ({ email: index === 3 ? 'twice@example.com' : index === 0 ? 'TWICE@example.com' : `m${index}@example.com` }));
    const [mapless] = plans(1, null, () => ({}));
    const prepared = await prepareActions(config, [...backlog, { ...mapless!, config: backlog[0]!.config, credentials: backlog[0]!.credentials }]);
    expect(prepared.map((action) => ('key' in action ? action.key : action.report.errorClass))).toEqual(
      ['twice@example.com', 'm1@example.com', 'm2@example.com', 'twice@example.com', 'MAPPING']);
    const ready = prepared.filter((action): action is ReadyAction => 'key' in action);
    const before = mailchimp.server.requests.length;
    const outcomes = await performCall(ready.slice(0, 3));
    expect(outcomes).toEqual([0, 1, 2].map(() => expect.objectContaining({ verdict: { kind: 'success' } })));
    const [call] = mailchimp.server.requests.slice(before);
    expect(JSON.parse(call!.body).members.map((member: { email_address: string }) => member.email_address)).toEqual(['TWICE@example.com', 'm1@example.com', 'm2@example.com']);
    // A call of one is the single upsert: the address the batch created is updated in place.
    const [alone] = await performCall(ready.slice(3));
    expect(alone).toMatchObject({ verdict: { kind: 'success' }, method: 'PUT' });
    expect(mailchimp.server.requests.slice(before).map((request) => request.method)).toEqual(['POST', 'PUT']);
  });
});
