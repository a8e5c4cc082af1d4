import { describe, expect, it } from 'vitest';
import { checkTargetUrl } from '../src/domains/connections/target-url.ts';
import { isRefusedAddress } from '../src/domains/deliveries/http/ssrf-guard.ts';
import { startTestServer } from './helpers/server.ts';

/** One address of each range that must never be a delivery target, with the range it stands for. */
const refused: Array<[range: string, address: string]> = [
  ['loopback', '127.0.0.1'],
  ['loopback (IPv6)', '::1'],
  ['private 10/8', '10.1.2.3'],
  ['private 172.16/12', '172.16.0.1'],
  ['private 192.168/16', '192.168.1.1'],
  ['link-local (cloud metadata)', '169.254.169.254'],
  ['link-local (IPv6)', 'fe80::1'],
  ['carrier-grade NAT 100.64/10', '100.64.0.1'],
  ['"this network" 0/8', '0.1.2.3'],
  ['benchmarking 198.18/15', '198.19.255.1'],
  ['reserved 240/4', '240.0.0.1'],
  ['broadcast', '255.255.255.255'],
  ['multicast (IPv4)', '224.0.0.1'],
  ['multicast (IPv6)', 'ff02::1'],
  ['IPv4-mapped loopback', '::ffff:7f00:1'],
  ['IPv4-mapped private', '::ffff:10.0.0.1'],
  ['IPv4-compatible loopback', '::7f00:1'],
  ['IPv4-translated (SIIT) loopback', '::ffff:0:7f00:1'],
  ['NAT64 of link-local', '64:ff9b::a9fe:a9fe'],
  ['NAT64 local-use prefix', '64:ff9b:1::808:808'],
  ['6to4 of loopback', '2002:7f00:1::'],
  ['6to4 of private', '2002:c0a8:101::1'],
  ['Teredo', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
  ['unique local (ULA)', 'fd12:3456::1'],
  ['site-local (deprecated)', 'fec0::1'],
  ['unspecified', '::'],
  ['documentation (IPv6)', '2001:db8::1'],
];

const allowed = ['8.8.8.8', '93.184.216.34', '100.128.0.0', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '2606:4700:4700::1111'];

const literal = (address: string) => (address.includes(':') ? `http://[${address}]/hooks` : `http://${address}/hooks`);

describe('one address policy for saving a connection and for delivering to it', () => {
  it.each(refused)('refuses %s (%s) at delivery time', (_range, address) => {
    expect(isRefusedAddress(address)).toBe(true);
  });

  it.each(refused)('refuses %s (%s) when a connection is saved', (_range, address) => {
    expect(checkTargetUrl(literal(address), { allowPrivateTargets: false }).problem).toMatch(/SWITCHYARD_ALLOW_PRIVATE_TARGETS=true/);
  });

  it.each(allowed)('allows the public address %s both times', (address) => {
    expect(isRefusedAddress(address)).toBe(false);
    expect(checkTargetUrl(literal(address), { allowPrivateTargets: false }).problem).toBeUndefined();
  });

  it('allows every range when the deployment allows private targets', () => {
    for (const [, address] of refused) expect(checkTargetUrl(literal(address), { allowPrivateTargets: true }).problem).toBeUndefined();
  });
});

describe('saving a connection to an address that embeds a private one', async () => {
  const server = await startTestServer();
  const targets = ['http://[64:ff9b::a9fe:a9fe]/', 'http://[::ffff:0:7f00:1]/', 'http://[2002:7f00:1::]/', 'http://[::7f00:1]/'];

  it.each(targets)('refuses %s on create and on update, naming the field', async (url) => {
    const ws = await server.seedWorkspace();
    const create = await ws.secret.request(
      `mutation ($url: String!) { createConnection(input: { name: "c", kind: WEBHOOK, webhook: { url: $url } }) {
        __typename ... on ValidationError { issues { path message } } ... on CreateConnectionPayload { connection { id } } } }`,
      { url },
    );
    expect(create.createConnection.__typename).toBe('ValidationError');
    expect(create.createConnection.issues[0].path).toEqual(['input', 'webhook', 'url']);

    const made = await ws.secret.request(
      `mutation { createConnection(input: { name: "public", kind: WEBHOOK, webhook: { url: "https://hooks.example.com/" } }) {
        ... on CreateConnectionPayload { connection { id } } } }`,
    );
    const update = await ws.secret.request(
      `mutation ($id: ID!, $url: String!) { updateConnection(input: { id: $id, webhook: { url: $url } }) {
        __typename ... on ValidationError { issues { path message } } } }`,
      { id: made.createConnection.connection.id, url },
    );
    expect(update.updateConnection).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['input', 'webhook', 'url'] }] });
  });
});
