import type { LookupAddress } from 'node:dns';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startReceiver } from './helpers/receiver.ts';
import { closeHttp, sendWebhook, type SendOptions } from '../src/domains/deliveries/http/send-webhook.ts';
import { guardedLookup, isRefusedAddress, refusedLiteralHost } from '../src/domains/deliveries/http/ssrf-guard.ts';

// The resolver answers `localhost` from /etc/hosts unless a test scripts an answer; every other
// name fails, so nothing here can send a DNS query off the machine.
const resolver = vi.hoisted(() => ({ answers: new Map<string, LookupAddress[]>(), calls: [] as string[] }));
vi.mock('node:dns', async (importOriginal) => {
  const dns = await importOriginal<typeof import('node:dns')>();
  const lookup = (hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    resolver.calls.push(hostname);
    const scripted = resolver.answers.get(hostname);
    if (scripted) return setImmediate(() => (options.all ? callback(null, scripted) : callback(null, scripted[0]?.address, scripted[0]?.family)));
    if (hostname === 'localhost') return dns.lookup(hostname, options, callback);
    setImmediate(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })));
  };
  return { ...dns, lookup, default: { ...dns, lookup } };
});

const receiver = await startReceiver();
afterAll(async () => {
  await closeHttp();
  await receiver.close();
});
beforeEach(() => {
  resolver.answers.clear();
  resolver.calls.length = 0;
});

const options: SendOptions = { timeoutMs: 1000, maxResponseBytes: 1024, allowPrivateTargets: false };
const viaLocalhost = (path: string) => receiver.url(path).replace('127.0.0.1', 'localhost');

describe('which addresses the guard refuses', () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '100.64.0.1', '100.127.255.255', '0.0.0.0', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
    '192.0.2.1', '198.18.0.1', '::1', '::', 'fe80::1', 'fe80::1%eth0', 'fc00::1', 'fd12:3456::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', '0:0:0:0:0:ffff:c0a8:0101',
    '::127.0.0.1', '::ffff:0:7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b::10.0.0.1', '2002:7f00:1::', '2002:c0a8:101::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:db8::1', 'localhost', 'not-an-address',
  ])('refuses %s', (address) => {
    expect(isRefusedAddress(address)).toBe(true);
  });

  it.each([
    '8.8.8.8', '1.1.1.1', '93.184.216.34', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0',
    '192.167.1.1', '169.253.0.1', '2606:4700:4700::1111', '2a00:1450:4001:82b::200e', '::ffff:8.8.8.8',
    '64:ff9b::808:808', '2002:808:808::1', '2001:4860:4860::8888',
  ])('allows %s', (address) => {
    expect(isRefusedAddress(address)).toBe(false);
  });

  it.each([
    'http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://017700000001/', 'http://127.1/',
    'http://[::ffff:127.0.0.1]/', 'http://[::1]:8080/', 'http://0.0.0.0/', 'https://169.254.169.254/latest/meta-data',
  ])('refuses the literal host of %s however it is spelled', (url) => {
    expect(refusedLiteralHost(new URL(url))?.message).toContain('SWITCHYARD_ALLOW_PRIVATE_TARGETS=true');
  });

  it('leaves names and public literals to the resolver', () => {
    expect(refusedLiteralHost(new URL('http://8.8.8.8/'))).toBeNull();
    expect(refusedLiteralHost(new URL('https://hooks.example.com/'))).toBeNull();
  });
});

describe('the guarded lookup', () => {
  const lookup = (allowPrivateTargets: boolean, hostname: string, all: boolean) =>
    new Promise<{ error: (Error & { code?: string }) | null; address: unknown; family?: number }>((resolve) =>
      guardedLookup(allowPrivateTargets)(hostname, { all }, (error, address, family) => resolve({ error, address, family })));

  it('refuses localhost, saying the address is private and how to allow it', async () => {
    const { error } = await lookup(false, 'localhost', true);
    expect(error?.code).toBe('EREFUSEDTARGET');
    expect(error?.message).toMatch(/^localhost resolves to 127\.0\.0\.1, which is a private.*SWITCHYARD_ALLOW_PRIVATE_TARGETS=true/);
  });

  it('hands back the addresses it resolved when private targets are allowed', async () => {
    expect(await lookup(true, 'localhost', true)).toMatchObject({ error: null, address: [{ address: '127.0.0.1', family: 4 }] });
    expect(await lookup(true, 'localhost', false)).toMatchObject({ error: null, address: '127.0.0.1', family: 4 });
  });

  it('refuses a name when any one of its addresses is private, public ones notwithstanding', async () => {
    resolver.answers.set('hooks.example.com', [{ address: '93.184.216.34', family: 4 }, { address: '::ffff:10.0.0.5', family: 6 }]);
    const { error } = await lookup(false, 'hooks.example.com', true);
    expect(error?.message).toContain('hooks.example.com resolves to ::ffff:10.0.0.5');
  });

  it('passes resolver failures through for the DNS class', async () => {
    expect((await lookup(false, 'nowhere.invalid', true)).error?.code).toBe('ENOTFOUND');
  });
});

describe('sending through the guard', () => {
  it('refuses loopback targets by address or by name, and sends nothing', async () => {
    const before = receiver.requests.length;
    const byAddress = await sendWebhook({ url: receiver.url('/private'), headers: {}, body: '{}' }, options);
    expect(byAddress).toMatchObject({ ok: false, errorClass: 'REFUSED_TARGET', error: expect.stringContaining('SWITCHYARD_ALLOW_PRIVATE_TARGETS=true') });
    const byName = await sendWebhook({ url: viaLocalhost('/private'), headers: {}, body: '{}' }, options);
    expect(byName).toMatchObject({ ok: false, errorClass: 'REFUSED_TARGET', error: expect.stringContaining('localhost resolves to 127.0.0.1') });
    expect(byName.statusCode).toBeUndefined();
    expect(receiver.requests.length).toBe(before);
  });

  it('delivers to localhost when private targets are allowed', async () => {
    receiver.script(() => ({ status: 202 }));
    const result = await sendWebhook({ url: viaLocalhost('/allowed'), headers: {}, body: '{}' }, { ...options, allowPrivateTargets: true });
    expect(result).toMatchObject({ ok: true, statusCode: 202 });
    expect(receiver.requests.at(-1)).toMatchObject({ path: '/allowed', headers: { host: expect.stringMatching(/^localhost:\d+$/) } });
  });

  it('connects to the address the guard resolved, not to a second resolution', async () => {
    await closeHttp(); // no kept-alive socket to the name from an earlier test
    // The name answers ::1 here, where nothing listens; a fresh resolution would find 127.0.0.1.
    resolver.answers.set('localhost', [{ address: '::1', family: 6 }]);
    const result = await sendWebhook({ url: viaLocalhost('/rebound'), headers: {}, body: '{}' }, { ...options, allowPrivateTargets: true });
    expect(result).toMatchObject({ ok: false, errorClass: 'CONNECT', error: expect.stringContaining('(::1)') });
    expect(resolver.calls).toEqual(['localhost']);
    expect(receiver.requests.some((r) => r.path === '/rebound')).toBe(false);
  });
});
