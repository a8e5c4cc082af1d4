import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookVerificationError, type WebhookVerificationFailure } from '../src/index.ts';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify({ id: 'evt_1', type: 'order.completed', data: { total: 42, note: 'naïve ☃' } });
const id = 'msg_0193c5a1b2c3d4e5f60718293a4b5c6d';

/** Headers signed by the reference implementation, with `secrets` (several while rotating). */
function referenceHeaders(secrets: string[], at = new Date()) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' '),
  };
}

function failure(run: () => unknown): WebhookVerificationFailure {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return (error as WebhookVerificationError).reason;
  }
  throw new Error('expected verification to fail');
}

describe('verifyWebhook', () => {
  it('accepts a webhook signed by the standardwebhooks reference package and returns its body', () => {
    const secret = newSecret();
    expect(verifyWebhook(body, referenceHeaders([secret]), secret)).toEqual(JSON.parse(body));
  });

  it('produces verdicts the reference package agrees with, for good and tampered webhooks', () => {
    const secret = newSecret();
    const headers = referenceHeaders([secret]);
    const reference = new Webhook(secret);
    expect(reference.verify(body, headers)).toEqual(verifyWebhook(body, headers, secret));

    const tampered = body.replace('42', '43');
    expect(() => reference.verify(tampered, headers)).toThrow();
    expect(failure(() => verifyWebhook(tampered, headers, secret))).toBe('NO_MATCHING_SIGNATURE');
  });

  it('accepts any of several v1 signatures, as sent during a secret rotation', () => {
    const [previous, next] = [newSecret(), newSecret()];
    const headers = referenceHeaders([next, previous]);
    expect(verifyWebhook(body, headers, previous)).toBeTruthy();
    expect(verifyWebhook(body, headers, next)).toBeTruthy();
  });

  it('accepts a list of secrets when any of them signed the webhook', () => {
    const [signer, other] = [newSecret(), newSecret()];
    expect(verifyWebhook(body, referenceHeaders([signer]), [other, signer])).toBeTruthy();
    expect(failure(() => verifyWebhook(body, referenceHeaders([signer]), [other]))).toBe('NO_MATCHING_SIGNATURE');
  });

  it('ignores signatures of other versions and malformed entries', () => {
    const secret = newSecret();
    const headers = referenceHeaders([secret]);
    const v1 = headers['webhook-signature'].slice(3);
    headers['webhook-signature'] = `v1a,${v1} garbage v1, v1,${v1.slice(0, 10)}`;
    expect(failure(() => verifyWebhook(body, headers, secret))).toBe('NO_MATCHING_SIGNATURE');
  });

  it('refuses a stale timestamp and one from the future, within a configurable tolerance', () => {
    const secret = newSecret();
    const old = referenceHeaders([secret], new Date(Date.now() - 301_000));
    const ahead = referenceHeaders([secret], new Date(Date.now() + 301_000));
    expect(failure(() => verifyWebhook(body, old, secret))).toBe('TIMESTAMP_TOO_OLD');
    expect(failure(() => verifyWebhook(body, ahead, secret))).toBe('TIMESTAMP_IN_FUTURE');
    expect(verifyWebhook(body, old, secret, { toleranceSeconds: 600 })).toBeTruthy();
    expect(failure(() => verifyWebhook(body, referenceHeaders([secret]), secret, { now: new Date(Date.now() + 3_600_000) }))).toBe(
      'TIMESTAMP_TOO_OLD',
    );
  });

  it('refuses missing headers, a malformed timestamp and a malformed secret', () => {
    const secret = newSecret();
    const { 'webhook-signature': _signature, ...unsigned } = referenceHeaders([secret]);
    expect(failure(() => verifyWebhook(body, unsigned, secret))).toBe('MISSING_HEADERS');
    expect(failure(() => verifyWebhook(body, { ...referenceHeaders([secret]), 'webhook-timestamp': '12e3' }, secret))).toBe('INVALID_TIMESTAMP');
    expect(failure(() => verifyWebhook(body, referenceHeaders([secret]), 'whsec_not base64!'))).toBe('INVALID_SECRET');
  });

  it('reads fetch Headers, Node header objects with arrays, and raw bytes', () => {
    const secret = newSecret();
    const headers = referenceHeaders([secret]);
    expect(verifyWebhook(new TextEncoder().encode(body), new Headers(headers), secret)).toBeTruthy();
    const nodeStyle = { ...headers, 'webhook-id': [headers['webhook-id']] };
    expect(verifyWebhook(Buffer.from(body), nodeStyle, secret)).toBeTruthy();
  });

  it('agrees with the reference package on every case: accepted by one exactly when accepted by the other', () => {
    const [secret, other] = [newSecret(), newSecret()];
    const now = Date.now();
    const cases: { name: string; body: string; headers: Record<string, string> }[] = [
      { name: 'signed', body, headers: referenceHeaders([secret]) },
      { name: 'rotating', body, headers: referenceHeaders([other, secret]) },
      { name: 'tampered body', body: body + ' ', headers: referenceHeaders([secret]) },
      { name: 'wrong secret', body, headers: referenceHeaders([other]) },
      { name: 'stale', body, headers: referenceHeaders([secret], new Date(now - 400_000)) },
      { name: 'future', body, headers: referenceHeaders([secret], new Date(now + 400_000)) },
      { name: 'other id', body, headers: { ...referenceHeaders([secret]), 'webhook-id': 'msg_other' } },
    ];
    const verdicts = cases.map(({ name, body, headers }) => {
      const ours = attempt(() => verifyWebhook(body, headers, secret));
      const theirs = attempt(() => new Webhook(secret).verify(body, headers));
      return { name, ours, theirs };
    });
    expect(verdicts.filter((verdict) => verdict.ours !== verdict.theirs)).toEqual([]);
    expect(verdicts.filter((verdict) => verdict.ours).map((verdict) => verdict.name)).toEqual(['signed', 'rotating']);
  });
});

function attempt(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch {
    return false;
  }
}
