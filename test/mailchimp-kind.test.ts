import { afterAll, describe, expect, it } from 'vitest';
import { closeHttp } from '../src/domains/deliveries/http/send-webhook.ts';
import { mailchimpKind } from '../src/domains/destinations/mailchimp/mailchimp-kind.ts';
import type { MailchimpMember } from '../src/domains/destinations/mailchimp/mailchimp-member.ts';
import type { MailchimpSettings } from '../src/domains/destinations/mailchimp/mailchimp-settings.ts';
import { MappingError } from '../src/domains/destinations/mapping.ts';
import { actionEvent, localVendors, settingsOf, targetOf } from './helpers/destinations.ts';
import { MAX_SIMULTANEOUS, md5, startMailchimpContract } from './helpers/mailchimp-contract.ts';

const mailchimp = await startMailchimpContract();
afterAll(async () => {
  await closeHttp();
  await mailchimp.close();
});
const vendors = localVendors({ mailchimpApiUrl: mailchimp.apiUrl });

function settings(input: unknown, previous?: MailchimpSettings): MailchimpSettings {
  const { settings: parsed, issues } = settingsOf(mailchimpKind, input, vendors, previous);
  if (!parsed) throw new Error(JSON.stringify(issues));
  return parsed;
}

/** A fresh account and audience, and a target for them. */
function audience(options: { statusIfNew?: string; tags?: string[]; requiredMergeFields?: string[] } = {}) {
  const apiKey = mailchimp.addAccount();
  const listId = mailchimp.addList(apiKey, { requiredMergeFields: options.requiredMergeFields });
  const stored = settings({ apiKey, listId, statusIfNew: options.statusIfNew, tags: options.tags });
  return { apiKey, listId, stored, target: targetOf(stored, vendors) };
}

const member = (stored: MailchimpSettings, value: unknown): MailchimpMember =>
  mailchimpKind.actionInput(actionEvent(), { value, json: JSON.stringify(value) }, stored.config);

describe('MAILCHIMP settings', () => {
  it('reads the data center from the API key and defaults statusIfNew to SUBSCRIBED', () => {
    const apiKey = '0123456789abcdef0123456789abcdef-us21';
    expect(settings({ apiKey, listId: 'a1b2c3d4e5', tags: ['vip', 'vip', ' beta '] })).toEqual({
      config: { listId: 'a1b2c3d4e5', dataCenter: 'us21', statusIfNew: 'SUBSCRIBED', tags: ['vip', 'beta'] },
      credentials: { apiKey },
    });
  });

  it.each([
    [{ listId: 'a1' }, 'apiKey', 'is required'],
    [{ apiKey: '0123456789abcdef0123456789abcdef', listId: 'a1' }, 'apiKey', 'the part after the dash names the data center'],
    [{ apiKey: '0123456789abcdef0123456789abcdef-evil.example/x', listId: 'a1' }, 'apiKey', 'names the data center'],
    [{ apiKey: '0123456789abcdef0123456789abcdef-us21' }, 'listId', 'is required'],
    [{ apiKey: '0123456789abcdef0123456789abcdef-us21', listId: '../lists' }, 'listId', 'letters and digits only'],
    [{ apiKey: '0123456789abcdef0123456789abcdef-us21', listId: 'a1', statusIfNew: 'CLEANED' }, 'statusIfNew', 'SUBSCRIBED, PENDING or TRANSACTIONAL'],
    [{ apiKey: '0123456789abcdef0123456789abcdef-us21', listId: 'a1', tags: [''] }, 'tags.0', 'must not be empty'],
  ])('refuses %j naming %s', (input, path, message) => {
    expect(settingsOf(mailchimpKind, input, vendors).issues).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  it('masks the key but its data center, and keeps the stored key when the mask comes back', () => {
    const stored = settings({ apiKey: '0123456789abcdef0123456789abcdef-us21', listId: 'a1' });
    const { apiKey } = mailchimpKind.credentialHints(stored.credentials);
    expect(apiKey).toBe('…cdef-us21');
    expect(settings({ apiKey, statusIfNew: 'PENDING' }, stored)).toEqual({ ...stored, config: { ...stored.config, statusIfNew: 'PENDING' } });
    expect(settings({ tags: null }, { ...stored, config: { ...stored.config, tags: ['a'] } }).config.tags).toEqual([]);
  });

  it('defaults to 10 attempts in flight, Mailchimp\'s limit of simultaneous connections', () => {
    expect(mailchimpKind.policy.maxConcurrency).toBe(MAX_SIMULTANEOUS);
  });
});

describe('the MAILCHIMP action input', () => {
  const { stored } = audience({ tags: ['customer'] });

  it('maps payload.email and the names by default', () => {
    expect(mailchimpKind.actionInput(actionEvent(), null, stored.config)).toEqual({
      email: 'Ada.Lovelace@Example.com',
      mergeFields: { FNAME: 'Ada', LNAME: 'Lovelace' },
      tags: ['customer'],
      statusIfNew: 'subscribed',
    });
    const snake = actionEvent({ payload: { email: 'g@h.io', first_name: 'Grace', last_name: 'Hopper' } });
    expect(mailchimpKind.actionInput(snake, null, stored.config).mergeFields).toEqual({ FNAME: 'Grace', LNAME: 'Hopper' });
  });

  it('fails the default mapping with a MAPPING error when the payload has no email', () => {
    expect(() => mailchimpKind.actionInput(actionEvent({ payload: { total: 1 } }), null, stored.config)).toThrow(
      expect.objectContaining({ name: 'MappingError', field: 'payload.email', message: expect.stringContaining('needs payload.email') }),
    );
  });

  it('takes a transform\'s { email, mergeFields, tags, status }, adding the connection\'s tags', () => {
    expect(member(stored, { email: 'x@y.io', mergeFields: { PLAN: 'pro' }, tags: ['trial'], status: 'Unsubscribed' })).toEqual({
      email: 'x@y.io',
      mergeFields: { PLAN: 'pro' },
      tags: ['customer', 'trial'],
      status: 'unsubscribed',
      statusIfNew: 'subscribed',
    });
  });

  it.each([
    [{ mergeFields: {} }, 'email'],
    [{ email: 'not-an-address' }, 'email'],
    [{ email: 'x@y.io', status: 'gone' }, 'status'],
    [{ email: 'x@y.io', mergeFields: 'FNAME=Ada' }, 'mergeFields'],
    [{ email: 'x@y.io', name: 'Ada' }, ''],
  ])('refuses a transform result %j naming %j', (value, field) => {
    expect(() => member(stored, value)).toThrow(MappingError);
    expect(() => member(stored, value)).toThrow(expect.objectContaining({ field }));
  });
});

describe('upserting one member', () => {
  it('PUTs to the MD5 of the lowercased email with basic auth, then tags the member', async () => {
    const { apiKey, listId, stored, target } = audience({ tags: ['customer'] });
    const report = await mailchimpKind.perform(mailchimpKind.actionInput(actionEvent(), null, stored.config), target);
    const hash = md5('ada.lovelace@example.com');
    expect(report).toMatchObject({ verdict: { kind: 'success' }, method: 'PUT', url: `${mailchimp.server.origin}/us21/3.0/lists/${listId}/members/${hash}`, statusCode: 200 });
    expect(JSON.parse(report.responseExcerpt!)).toMatchObject({ id: hash, status: 'subscribed' });
    const [put, tags] = mailchimp.server.requests.slice(-2);
    expect(Buffer.from(put!.headers.authorization!.replace('Basic ', ''), 'base64').toString()).toMatch(new RegExp(`^[^:]+:${apiKey}$`));
    expect(JSON.parse(put!.body)).toEqual({ email_address: 'Ada.Lovelace@Example.com', status_if_new: 'subscribed', merge_fields: { FNAME: 'Ada', LNAME: 'Lovelace' } });
    expect(tags).toMatchObject({ method: 'POST', path: `/us21/3.0/lists/${listId}/members/${hash}/tags` });
    expect(JSON.parse(tags!.body)).toEqual({ tags: [{ name: 'customer', status: 'active' }] });
    expect(mailchimp.member(listId, 'ada.lovelace@example.com')).toMatchObject({ status: 'subscribed', merge_fields: { FNAME: 'Ada' }, tags: ['customer'] });
  });

  it('leaves an existing member\'s status alone unless the input sets one', async () => {
    const { listId, stored, target } = audience({ statusIfNew: 'PENDING' });
    mailchimp.seedMember(listId, 'left@example.com', { status: 'unsubscribed' });
    expect(await mailchimpKind.perform(member(stored, { email: 'Left@Example.com', mergeFields: { FNAME: 'L' } }), target)).toMatchObject({ verdict: { kind: 'success' } });
    expect(mailchimp.member(listId, 'left@example.com')).toMatchObject({ status: 'unsubscribed', merge_fields: { FNAME: 'L' } });
    await mailchimpKind.perform(member(stored, { email: 'new@example.com' }), target);
    expect(mailchimp.member(listId, 'new@example.com')).toMatchObject({ status: 'pending' });
  });

  it('rejects Member In Compliance State, Forgotten Email Not Subscribed and invalid resources with the detail', async () => {
    const { listId, stored, target } = audience({ requiredMergeFields: ['COMPANY'] });
    mailchimp.seedMember(listId, 'bounced@example.com', { status: 'cleaned', compliance: true });
    mailchimp.forget(listId, 'erased@example.com');
    const cases = [
      [{ email: 'bounced@example.com', status: 'subscribed' }, 'Member In Compliance State', 'compliance state'],
      [{ email: 'erased@example.com', mergeFields: { COMPANY: 'x' } }, 'Forgotten Email Not Subscribed', 'permanently deleted'],
      [{ email: 'no-company@example.com' }, 'Invalid Resource', 'COMPANY: Please enter a value'],
      [{ email: 'nobody@nowhere' }, 'Invalid Resource', 'valid email address'],
    ] as const;
    for (const [value, title, detail] of cases) {
      const report = await mailchimpKind.perform(member(stored, value), target);
      expect(report).toMatchObject({ verdict: { kind: 'rejected' }, statusCode: 400, vendorCode: title, errorClass: 'REJECTED', error: expect.stringContaining(detail) });
      expect(report.connection).toBeUndefined();
    }
  });

  it('needs re-auth on a revoked key (401) and a disabled account (403 with a body)', async () => {
    const revoked = audience();
    mailchimp.revokeKey(revoked.apiKey);
    const disabled = audience();
    mailchimp.disableAccount(disabled.apiKey);
    for (const [{ stored, target }, status, title] of [[revoked, 401, 'API Key Invalid'], [disabled, 403, 'User Disabled']] as const) {
      expect(await mailchimpKind.perform(member(stored, { email: 'a@b.io' }), target)).toMatchObject({
        verdict: { kind: 'wait' },
        connection: { kind: 'needs-reauth', reason: expect.stringContaining(title) },
        statusCode: status,
        vendorCode: title,
        errorClass: 'AUTH',
      });
    }
  });

  it('retries 429, a bodyless 403 and 5xx with backoff; rejects a missing audience and disables', async () => {
    const { apiKey, stored, target } = audience();
    mailchimp.failNext(1, { status: 403 });
    expect(await mailchimpKind.perform(member(stored, { email: 'a@b.io' }), target)).toMatchObject({ verdict: { kind: 'retry' }, statusCode: 403, errorClass: 'RATE_LIMITED' });
    mailchimp.failNext(1, { status: 503, headers: { 'content-type': 'application/problem+json' }, body: { title: 'Service Unavailable', status: 503, detail: 'down' } });
    expect(await mailchimpKind.perform(member(stored, { email: 'a@b.io' }), target)).toMatchObject({ verdict: { kind: 'retry' }, statusCode: 503, errorClass: 'HTTP' });

    mailchimp.latencyMs = 300;
    const reports = await Promise.all(Array.from({ length: MAX_SIMULTANEOUS + 3 }, (_, index) => mailchimpKind.perform(member(stored, { email: `p${index}@b.io` }), target)));
    mailchimp.latencyMs = 0;
    const limited = reports.filter((report) => report.statusCode === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ verdict: { kind: 'retry' }, vendorCode: 'Too Many Requests', errorClass: 'RATE_LIMITED', error: expect.stringContaining('10 simultaneous connections') });
    expect((limited[0]!.verdict as { retryAfterSeconds?: number }).retryAfterSeconds).toBeUndefined();
    expect(mailchimp.maxInFlight(apiKey)).toBeGreaterThan(MAX_SIMULTANEOUS);

    const gone = targetOf({ ...stored, config: { ...stored.config, listId: 'deleted0' } }, vendors);
    expect(await mailchimpKind.perform(member(stored, { email: 'a@b.io' }), gone)).toMatchObject({
      verdict: { kind: 'rejected' },
      connection: { kind: 'disable', reason: expect.stringContaining('the audience deleted0 does not exist') },
      statusCode: 404,
      vendorCode: 'Resource Not Found',
    });
  });
});

describe('upserting a backlog in batches', () => {
  it('sends up to 500 members a call and gives each member its own outcome', async () => {
    const { listId, stored, target } = audience({ tags: ['import'] });
    mailchimp.seedMember(listId, 'known@example.com', { status: 'unsubscribed' });
    mailchimp.forget(listId, 'erased@example.com');
    const members = [
      member(stored, { email: 'New.One@Example.com', mergeFields: { FNAME: 'N' } }),
      member(stored, { email: 'known@example.com', mergeFields: { FNAME: 'K' } }),
      member(stored, { email: 'erased@example.com' }),
      member(stored, { email: 'forced@example.com', status: 'transactional' }),
    ];
    const before = mailchimp.server.requests.length;
    const outcomes = await mailchimpKind.batch!.perform(members, target);
    const calls = mailchimp.server.requests.slice(before);
    expect(calls.map((call) => [call.method, call.path, JSON.parse(call.body).update_existing])).toEqual([
      ['POST', `/us21/3.0/lists/${listId}`, true],
      ['POST', `/us21/3.0/lists/${listId}`, false],
    ]);
    expect(calls[0]!.query.get('fields')).toContain('errors');
    expect(JSON.parse(calls[1]!.body).members[0]).toEqual({ email_address: 'New.One@Example.com', status: 'subscribed', merge_fields: { FNAME: 'N' }, tags: ['import'] });

    const [created, known, erased, forced] = outcomes;
    expect(created).toMatchObject({ verdict: { kind: 'success' }, method: 'POST', statusCode: 200 });
    expect(JSON.parse((created as { responseExcerpt: string }).responseExcerpt)).toEqual({ email_address: 'New.One@Example.com', outcome: 'created' });
    // Mailchimp has it already: it is upserted on its own, so its unsubscribe stands.
    expect(known).toBe('unbatched');
    expect(mailchimp.member(listId, 'known@example.com')).toMatchObject({ status: 'unsubscribed' });
    expect(erased).toMatchObject({ verdict: { kind: 'rejected' }, vendorCode: 'ERROR_GENERIC', errorClass: 'REJECTED', error: expect.stringContaining('permanently deleted') });
    expect(forced).toMatchObject({ verdict: { kind: 'success' } });
    expect(mailchimp.member(listId, 'forced@example.com')).toMatchObject({ status: 'transactional', tags: ['import'] });
    expect(mailchimpKind.batch!.maxItems).toBe(500);
    expect(mailchimpKind.batch!.key(members[0]!)).toBe('new.one@example.com');
  });

  it('gives every member of a failed call that call\'s outcome', async () => {
    const { apiKey, stored, target } = audience();
    mailchimp.revokeKey(apiKey);
    const outcomes = await mailchimpKind.batch!.perform([member(stored, { email: 'a@b.io' }), member(stored, { email: 'c@d.io' })], target);
    expect(outcomes).toEqual([
      expect.objectContaining({ verdict: { kind: 'wait' }, connection: expect.objectContaining({ kind: 'needs-reauth' }), statusCode: 401 }),
      expect.objectContaining({ verdict: { kind: 'wait' }, statusCode: 401 }),
    ]);
  });
});
