import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startReceiver } from './helpers/receiver.ts';
import { closeHttp, sendWebhook, type SendOptions } from '../src/domains/deliveries/http/send-webhook.ts';
import { classifyError } from '../src/domains/deliveries/http/classify-error.ts';
import { parseRetryAfter } from '../src/domains/deliveries/http/retry-after.ts';

// The machine's resolver is a remote name server, so `.invalid` names would be looked up over
// the network. The delivery sockets resolve through node:dns `lookup`; here it answers only
// `localhost` (from /etc/hosts) and fails every other name the way a resolver would.
const lookups = vi.hoisted(() => ({ names: [] as string[] }));
vi.mock('node:dns', async (importOriginal) => {
  const dns = await importOriginal<typeof import('node:dns')>();
  const lookup = (hostname: string, options: object, callback: (...args: unknown[]) => void) => {
    lookups.names.push(hostname);
    if (hostname === 'localhost') return dns.lookup(hostname, options, callback);
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
    setTimeout(() => callback(error), 5);
  };
  return { ...dns, lookup, default: { ...dns, lookup } };
});

const receiver = await startReceiver();
afterAll(async () => {
  await closeHttp();
  await receiver.close();
});

const options: SendOptions = { timeoutMs: 800, maxResponseBytes: 64 * 1024, allowPrivateTargets: true };
const send = (path: string, overrides: Partial<SendOptions> = {}) =>
  sendWebhook({ url: receiver.url(path), headers: { 'x-custom': 'yes' }, body: '{"hello":"world"}' }, { ...options, ...overrides });
const sendTo = (url: string, overrides: Partial<SendOptions> = {}) => sendWebhook({ url, headers: {}, body: '{}' }, { ...options, ...overrides });

/** A port on 127.0.0.1 that nothing listens on any more. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('sending one webhook', () => {
  it('succeeds on any 2xx and sends the body and headers as given', async () => {
    receiver.script({ '/ok': { status: 200, body: 'thanks' }, '/no-content': { status: 204 } });
    expect(await send('/ok')).toEqual({
      ok: true, statusCode: 200, durationMs: expect.any(Number), responseExcerpt: 'thanks',
      requestHeaders: { 'x-custom': 'yes', 'content-type': 'application/json', 'user-agent': expect.stringMatching(/^Switchyard-Webhooks\//) },
    });
    expect(await send('/no-content')).toMatchObject({ ok: true, statusCode: 204, responseExcerpt: '' });
    const request = receiver.requests.find((r) => r.path === '/ok')!;
    expect(request).toMatchObject({ method: 'POST', body: '{"hello":"world"}' });
    expect(request.headers).toMatchObject({ 'x-custom': 'yes', 'content-type': 'application/json' });
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(request.headers['user-agent']).toBe(`Switchyard-Webhooks/${version}`);
  });

  it('sends custom headers whatever their case, without doubling content-type', async () => {
    receiver.script(() => ({ status: 200 }));
    const headers = { 'X-Tenant': 'acme', Authorization: 'Bearer t0ken', 'Content-Type': 'text/plain', 'webhook-id': 'msg_1' };
    await sendWebhook({ url: receiver.url('/headers'), headers, body: '{}' }, options);
    const [request] = receiver.requests.filter((r) => r.path === '/headers');
    expect(request?.headers).toMatchObject({ 'x-tenant': 'acme', authorization: 'Bearer t0ken', 'webhook-id': 'msg_1', 'content-type': 'application/json' });
  });

  it('fails on 500 with the start of the response body', async () => {
    receiver.script(() => ({ status: 500, body: 'database on fire' }));
    expect(await send('/error')).toMatchObject({
      ok: false, statusCode: 500, errorClass: 'HTTP', responseExcerpt: 'database on fire', error: 'the receiver answered HTTP 500',
    });
  });

  it('waits for a slow receiver that answers within the deadline', async () => {
    receiver.script(() => ({ status: 200, delayMs: 150 }));
    const result = await send('/slow');
    expect(result).toMatchObject({ ok: true, statusCode: 200 });
    expect(result.durationMs).toBeGreaterThanOrEqual(140);
  });

  it('gives up on a receiver that never answers at the deadline', async () => {
    receiver.script(() => ({ hang: true }));
    const result = await send('/hang', { timeoutMs: 300 });
    expect(result).toEqual({
      ok: false, durationMs: expect.any(Number), errorClass: 'TIMEOUT', error: expect.stringMatching(/^no response from 127\.0\.0\.1:\d+ within 0\.3 s$/),
      requestHeaders: expect.objectContaining({ 'x-custom': 'yes' }),
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(295);
    expect(result.durationMs).toBeLessThan(600);
  });

  it('holds the total deadline against a receiver that trickles its answer', async () => {
    receiver.script(() => ({ trickle: true, intervalMs: 20 }));
    const result = await send('/trickle', { timeoutMs: 400 });
    expect(result).toMatchObject({ ok: false, errorClass: 'TIMEOUT', error: expect.stringContaining('(HTTP 200) did not complete within 0.4 s') });
    expect(result.statusCode).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(395);
    expect(result.durationMs).toBeLessThan(700);
  });

  it('holds the deadline while the connection is still being made', async () => {
    // Accepts TCP and never answers the TLS handshake: the connection stays unmade until undici's
    // own connect timeout (10 s), far beyond the attempt's deadline.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const result = await sendTo(`https://127.0.0.1:${port}/handshake`, { timeoutMs: 300 });
      expect(result).toMatchObject({ ok: false, errorClass: 'TIMEOUT', error: `no response from 127.0.0.1:${port} within 0.3 s` });
      expect(result.durationMs).toBeGreaterThanOrEqual(295);
      expect(result.durationMs).toBeLessThan(1000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('reads Retry-After on 429 as seconds and on 503 as an HTTP date', async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    receiver.script({ '/busy': { status: 429, headers: { 'retry-after': '30' } }, '/down': { status: 503, headers: { 'retry-after': inTwoMinutes } } });
    expect(await send('/busy')).toMatchObject({ ok: false, statusCode: 429, errorClass: 'HTTP', retryAfterSeconds: 30 });
    const unavailable = await send('/down');
    expect(unavailable).toMatchObject({ ok: false, statusCode: 503, errorClass: 'HTTP' });
    expect(unavailable.retryAfterSeconds).toBeGreaterThanOrEqual(110);
    expect(unavailable.retryAfterSeconds).toBeLessThanOrEqual(121);
  });

  it('reads Retry-After on 503 given in seconds, and ignores it on other statuses', async () => {
    receiver.script({ '/maintenance': { status: 503, headers: { 'retry-after': '5' } }, '/teapot': { status: 418, headers: { 'retry-after': '5' } } });
    expect(await send('/maintenance')).toMatchObject({ statusCode: 503, retryAfterSeconds: 5 });
    expect((await send('/teapot')).retryAfterSeconds).toBeUndefined();
  });

  it('reports 410 Gone as it is, for the engine to disable the connection', async () => {
    receiver.script(() => ({ status: 410, body: 'endpoint removed' }));
    expect(await send('/gone')).toMatchObject({ ok: false, statusCode: 410, errorClass: 'HTTP', responseExcerpt: 'endpoint removed' });
  });

  it.each([301, 302, 307, 308])('does not follow a %i redirect, and says where it pointed', async (status) => {
    receiver.script({ '/old': { status, headers: { location: receiver.url('/new') } }, '/new': { status: 200 } });
    const result = await send('/old');
    expect(result).toMatchObject({ ok: false, statusCode: status, errorClass: 'HTTP', error: expect.stringContaining(receiver.url('/new')) });
    expect(result.error).toContain(`redirect to ${receiver.url('/new')}; redirects are not followed`);
    expect(receiver.requests.some((r) => r.path === '/new')).toBe(false);
  });

  it('classes a socket dropped before any answer as a network failure', async () => {
    receiver.script(() => ({ drop: true }));
    expect(await send('/drop')).toMatchObject({ ok: false, errorClass: 'NETWORK', error: expect.stringContaining('closed the connection') });
  });

  it('classes a socket dropped in the middle of the body as a network failure, not a success', async () => {
    receiver.script(() => ({ drop: true, after: 'headers' }));
    const result = await send('/drop-mid-body');
    expect(result).toMatchObject({ ok: false, errorClass: 'NETWORK' });
    expect(result.statusCode).toBeUndefined();
  });

  it('classes a refused connection as a connect failure and names the address', async () => {
    const port = await closedPort();
    expect(await sendTo(`http://127.0.0.1:${port}/`)).toMatchObject({ ok: false, errorClass: 'CONNECT', error: `connection refused by 127.0.0.1:${port}` });
  });

  it('classes a name that does not resolve as a DNS failure, quickly', async () => {
    const result = await sendTo('https://nowhere.invalid/hooks');
    expect(result).toMatchObject({ ok: false, errorClass: 'DNS', error: 'DNS lookup failed for nowhere.invalid: ENOTFOUND' });
    expect(result.durationMs).toBeLessThan(500);
    expect(lookups.names).toContain('nowhere.invalid');
  });

  it('classes a TLS handshake with something that does not speak TLS as a TLS failure', async () => {
    const result = await sendTo(receiver.url('/tls').replace('http:', 'https:'));
    expect(result).toMatchObject({ ok: false, errorClass: 'TLS', error: expect.stringContaining('TLS with 127.0.0.1') });
  });

  it('reads no more than the response cap and keeps 4096 characters of it', async () => {
    receiver.script(() => ({ status: 200, body: 'x'.repeat(200_000) }));
    const result = await send('/big', { maxResponseBytes: 10_000 });
    expect(result).toMatchObject({ ok: true, statusCode: 200 });
    expect(result.responseExcerpt).toHaveLength(4096);
  });

  it('keeps the excerpt storable: whole characters, no NUL', async () => {
    receiver.script(() => ({ status: 500, body: `${'a'.repeat(4095)}😀 and more\u0000` }));
    const cut = await send('/emoji');
    expect(cut.responseExcerpt).toBe('a'.repeat(4095));
    receiver.script(() => ({ status: 500, body: 'bad\u0000byte' }));
    expect((await send('/nul')).responseExcerpt).toBe('bad\uFFFDbyte');
  });

  it('reuses keep-alive connections across sequential sends', async () => {
    receiver.script(() => ({ status: 200 }));
    const before = receiver.connections;
    for (let i = 0; i < 20; i++) await send('/again');
    expect(receiver.connections - before).toBeLessThanOrEqual(1);
    expect(new Set(receiver.requests.filter((r) => r.path === '/again').map((r) => r.connection)).size).toBeLessThanOrEqual(2);
  });

  it('refuses a URL that is not http or https without sending anything', async () => {
    expect(await sendTo('ftp://127.0.0.1/')).toMatchObject({ ok: false, errorClass: 'REFUSED_TARGET' });
    expect(await sendTo('not a url')).toMatchObject({ ok: false, errorClass: 'REFUSED_TARGET' });
  });
});

describe('error classes', () => {
  const target = new URL('https://hooks.example.com/in');
  const wrapped = (code: string) =>
    Object.assign(new Error('fetch failed'), { code: 'UND_ERR_SOCKET', cause: Object.assign(new Error(code), { code }) });

  it.each([
    ['ENOTFOUND', 'DNS'], ['EAI_AGAIN', 'DNS'], ['ECONNREFUSED', 'CONNECT'], ['EHOSTUNREACH', 'CONNECT'], ['ENETUNREACH', 'CONNECT'],
    ['UND_ERR_CONNECT_TIMEOUT', 'CONNECT'], ['CERT_HAS_EXPIRED', 'TLS'], ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLS'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLS'], ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'TLS'], ['ERR_SSL_WRONG_VERSION_NUMBER', 'TLS'],
    ['EPROTO', 'TLS'], ['UND_ERR_HEADERS_TIMEOUT', 'TIMEOUT'], ['UND_ERR_BODY_TIMEOUT', 'TIMEOUT'],
    ['ECONNRESET', 'NETWORK'], ['EPIPE', 'NETWORK'], ['UND_ERR_SOCKET', 'NETWORK'],
  ])("classes %s as %s, looking through undici's wrapping", (code, errorClass) => {
    expect(classifyError(wrapped(code), target).errorClass).toBe(errorClass);
  });

  it('reads the first error of an AggregateError from a connection tried on several addresses', () => {
    const refused = (address: string) => Object.assign(new Error('refused'), { code: 'ECONNREFUSED', address, port: 443 });
    const error = Object.assign(new AggregateError([refused('192.0.2.10'), refused('2001:db8::10')]), { code: 'ECONNREFUSED' });
    expect(classifyError(error, target)).toEqual({ errorClass: 'CONNECT', error: 'connection refused by hooks.example.com:443 (192.0.2.10)' });
  });

  it('takes a bare EPROTO for a TLS failure only on an https target', () => {
    const error = Object.assign(new Error('EPROTO'), { code: 'EPROTO' });
    expect(classifyError(error, new URL('http://hooks.example.com/in')).errorClass).toBe('NETWORK');
  });

  it('names the host that failed to resolve', () => {
    expect(classifyError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), target).error).toBe('DNS lookup failed for hooks.example.com: ENOTFOUND');
  });
});

describe('Retry-After', () => {
  it('accepts delta-seconds and HTTP dates and ignores anything else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['7', '9'], now)).toBe(7);
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
