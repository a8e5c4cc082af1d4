import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver } from './helpers/receiver.ts';
import { closeHttp, sendWebhook, type SendOptions } from '../src/domains/deliveries/http/send-webhook.ts';
import { classifyError } from '../src/domains/deliveries/http/classify-error.ts';
import { parseRetryAfter } from '../src/domains/deliveries/http/retry-after.ts';

const receiver = await startReceiver();
afterAll(async () => {
  await closeHttp();
  await receiver.close();
});

const options: SendOptions = { timeoutMs: 800, maxResponseBytes: 64 * 1024, allowPrivateTargets: true };
const send = (path: string, overrides: Partial<SendOptions> = {}) =>
  sendWebhook({ url: receiver.url(path), headers: { 'x-custom': 'yes' }, body: '{"hello":"world"}' }, { ...options, ...overrides });

describe('sending one webhook', () => {
  it('succeeds on any 2xx and sends the body and headers as given', async () => {
    receiver.script(({ request }) => (request.path === '/no-content' ? { status: 204 } : { status: 200, body: 'thanks' }));
    expect(await send('/ok')).toMatchObject({ ok: true, statusCode: 200, responseExcerpt: 'thanks' });
    expect(await send('/no-content')).toMatchObject({ ok: true, statusCode: 204 });
    const request = receiver.requests.find((r) => r.path === '/ok')!;
    expect(request).toMatchObject({ method: 'POST', body: '{"hello":"world"}' });
    expect(request.headers).toMatchObject({ 'x-custom': 'yes', 'content-type': 'application/json' });
    expect(request.headers['user-agent']).toMatch(/^Switchyard-Webhooks\//);
  });

  it('fails on 500 with the start of the response body', async () => {
    receiver.script(() => ({ status: 500, body: 'database on fire' }));
    expect(await send('/error')).toMatchObject({ ok: false, statusCode: 500, errorClass: 'HTTP', responseExcerpt: 'database on fire' });
  });

  it('gives up on a receiver that never answers at the deadline', async () => {
    receiver.script(() => ({ hang: true }));
    const result = await send('/hang', { timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, errorClass: 'TIMEOUT' });
    expect(result.durationMs).toBeGreaterThanOrEqual(280);
    expect(result.durationMs).toBeLessThan(2000);
  });

  it('holds the deadline against a receiver that trickles its answer', async () => {
    receiver.script(() => ({ trickle: true, intervalMs: 50 }));
    const result = await send('/trickle', { timeoutMs: 400 });
    expect(result).toMatchObject({ ok: false, errorClass: 'TIMEOUT' });
    expect(result.durationMs).toBeLessThan(2000);
  });

  it('reads Retry-After on 429 and 503, as seconds or as a date', async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    receiver.script(({ request }) =>
      request.path === '/busy' ? { status: 429, headers: { 'retry-after': '30' } } : { status: 503, headers: { 'retry-after': inTwoMinutes } });
    expect(await send('/busy')).toMatchObject({ ok: false, statusCode: 429, retryAfterSeconds: 30 });
    const unavailable = await send('/down');
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.retryAfterSeconds).toBeGreaterThanOrEqual(110);
    expect(unavailable.retryAfterSeconds).toBeLessThanOrEqual(121);
  });

  it('reports 410 Gone as it is, for the engine to disable the connection', async () => {
    receiver.script(() => ({ status: 410 }));
    expect(await send('/gone')).toMatchObject({ ok: false, statusCode: 410 });
  });

  it('does not follow redirects', async () => {
    receiver.script(({ request }) => (request.path === '/old' ? { status: 302, headers: { location: receiver.url('/new') } } : { status: 200 }));
    expect(await send('/old')).toMatchObject({ ok: false, statusCode: 302 });
    expect(receiver.requests.some((r) => r.path === '/new')).toBe(false);
  });

  it('classes a dropped connection as a network failure', async () => {
    receiver.script(() => ({ drop: true }));
    expect(await send('/drop')).toMatchObject({ ok: false, errorClass: 'NETWORK' });
  });

  it('classes a refused connection as a connect failure', async () => {
    const result = await sendWebhook({ url: 'http://127.0.0.1:9/', headers: {}, body: '{}' }, options);
    expect(result).toMatchObject({ ok: false, errorClass: 'CONNECT', error: expect.stringContaining('127.0.0.1:9') });
  });

  it('reads no more than the response cap and keeps 4 KB of it', async () => {
    receiver.script(() => ({ status: 200, body: 'x'.repeat(200_000) }));
    const result = await send('/big', { maxResponseBytes: 10_000 });
    expect(result.ok).toBe(true);
    expect(result.responseExcerpt).toHaveLength(4096);
  });

  it('reuses keep-alive connections', async () => {
    receiver.script(() => ({ status: 200 }));
    const before = receiver.connections;
    for (let i = 0; i < 20; i++) await send('/again');
    expect(receiver.connections - before).toBeLessThanOrEqual(2);
  });
});

describe('the SSRF guard', () => {
  it('refuses loopback targets, by address or by name, unless private targets are allowed', async () => {
    receiver.script(() => ({ status: 200 }));
    const before = receiver.requests.length;
    const byAddress = await send('/private', { allowPrivateTargets: false });
    expect(byAddress).toMatchObject({ ok: false, errorClass: 'REFUSED_TARGET', error: expect.stringContaining('SWITCHYARD_ALLOW_PRIVATE_TARGETS=true') });
    const byName = await sendWebhook(
      { url: receiver.url('/private').replace('127.0.0.1', 'localhost'), headers: {}, body: '{}' },
      { ...options, allowPrivateTargets: false },
    );
    expect(byName).toMatchObject({ ok: false, errorClass: 'REFUSED_TARGET' });
    expect(receiver.requests.length).toBe(before);
  });
});

describe('error classes', () => {
  const target = new URL('https://hooks.example.com/in');
  it.each([
    ['ENOTFOUND', 'DNS'], ['EAI_AGAIN', 'DNS'], ['ECONNREFUSED', 'CONNECT'], ['EHOSTUNREACH', 'CONNECT'],
    ['UND_ERR_CONNECT_TIMEOUT', 'CONNECT'], ['CERT_HAS_EXPIRED', 'TLS'], ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLS'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLS'], ['ECONNRESET', 'NETWORK'], ['EPIPE', 'NETWORK'],
  ])('classes %s as %s, looking through undici\'s wrapping', (code, errorClass) => {
    const wrapped = Object.assign(new Error('fetch failed'), { code: 'UND_ERR_SOCKET', cause: Object.assign(new Error(code), { code }) });
    expect(classifyError(wrapped, target).errorClass).toBe(errorClass);
  });

  it('names the host that failed to resolve', () => {
    expect(classifyError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), target).error).toContain('hooks.example.com');
  });
});

describe('Retry-After', () => {
  it('accepts delta-seconds and HTTP dates and ignores anything else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
