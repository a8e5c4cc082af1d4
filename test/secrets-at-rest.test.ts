import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { defaultConfig } from '../src/config.ts';
import { startSwitchyard, type Switchyard } from '../src/switchyard.ts';
import { generateKeyringText, KeyringError, parseKeyring } from '../src/domains/secrets/keyring.ts';
import { open, seal } from '../src/domains/secrets/secret-box.ts';
import { maskUrlCredentials } from '../src/domains/secrets/masking.ts';
import { ADMIN_KEY, startTestServer, TEST_ENCRYPTION_KEYS, type SeededWorkspace } from './helpers/server.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';
import { spawnSwitchyard } from './helpers/child-process.ts';
import { createRule, deliveryReaches, emit, eventually, getDelivery } from './helpers/fixtures.ts';
import { dumpAllRows } from './helpers/database-dump.ts';

const server = await startTestServer({ allowPrivateTargets: true });

let receiver: Receiver;
let ws: SeededWorkspace;
let signingSecrets: string[];
const HEADER_TOKEN = 'Bearer hdr-0123456789-credential';
const URL_TOKEN = 'qs-9876543210-credential';

beforeAll(async () => {
  receiver = await startReceiver();
  receiver.script(() => ({ status: 500, body: 'no' }));
  ws = await server.seedWorkspace();
  const created = await ws.secret.request(
    `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { ... on CreateConnectionPayload { signingSecret connection { id } } } }`,
    {
      input: {
        name: 'hook',
        kind: 'WEBHOOK',
        webhook: { url: receiver.url(`/hook?token=${URL_TOKEN}&page=1`), headers: { Authorization: HEADER_TOKEN, 'X-Env': 'prod' } },
        retryScheduleSeconds: [0],
      },
    },
  );
  const connectionId = created.createConnection.connection.id;
  const rotated = await ws.secret.request(
    'mutation ($id: ID!) { rotateConnectionSecret(input: { connectionId: $id }) { ... on RotateConnectionSecretPayload { signingSecret } } }',
    { id: connectionId },
  );
  signingSecrets = [created.createConnection.signingSecret, rotated.rotateConnectionSecret.signingSecret];
  await createRule(ws.secret, connectionId, ['*']);
  return () => receiver.close();
});

describe('the secret box', () => {
  const keyring = parseKeyring(`${generateKeyringText('new')},${generateKeyringText('old')}`);

  it('seals with AES-256-GCM under the first key, a fresh nonce each time, tagged with the key id', () => {
    const first = seal(keyring, 'whsec_abc', 'connection_secrets.secret:c1');
    const second = seal(keyring, 'whsec_abc', 'connection_secrets.secret:c1');
    expect(first).toMatch(/^sy1\.new\.[\w-]{16}\.[\w-]+$/);
    expect(first).not.toBe(second);
    expect(open(keyring, first, 'connection_secrets.secret:c1')).toBe('whsec_abc');
  });

  it('opens a value only where it was sealed, and not after tampering', () => {
    const sealed = seal(keyring, 'whsec_abc', 'connection_secrets.secret:c1');
    expect(() => open(keyring, sealed, 'connection_secrets.secret:c2')).toThrow(/another row's secret/);
    // A character in the middle: the last one can carry unused bits, so changing it may not change a byte.
    const middle = sealed.length - 12;
    const tampered = sealed.slice(0, middle) + (sealed[middle] === 'A' ? 'B' : 'A') + sealed.slice(middle + 1);
    expect(() => open(keyring, tampered, 'connection_secrets.secret:c1')).toThrow();
    expect(() => open(parseKeyring(generateKeyringText('other')), sealed, 'connection_secrets.secret:c1')).toThrow(/key "new"/);
  });

  it('refuses malformed keyrings with the reason', () => {
    expect(() => parseKeyring('k1')).toThrow(KeyringError);
    expect(() => parseKeyring('k1:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseKeyring(`${generateKeyringText('a')},${generateKeyringText('a')}`)).toThrow(/twice/);
  });
});

describe('secrets at rest', () => {
  it('are in no row of the database, however the data is dumped, while deliveries are still signed with them', async () => {
    const { event } = await emit(ws.secret, { type: 'order.completed' });
    await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'DEAD');
    const [request] = await receiver.waitForRequests(1);
    expect(request!.headers.authorization).toBe(HEADER_TOKEN);
    const signatures = String(request!.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    for (const secret of signingSecrets) {
      expect(() => new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>)).not.toThrow();
    }

    const { dump, tables } = await dumpAllRows(server.databaseUrl);
    expect(tables).toEqual(expect.arrayContaining(['connection_secrets', 'connections', 'attempts', '_private_jobs']));
    for (const secret of [...signingSecrets, ...signingSecrets.map((secret) => secret.slice('whsec_'.length)), HEADER_TOKEN, 'hdr-0123456789', ws.secretKey, ws.publishableKey]) {
      expect(dump).not.toContain(secret);
    }
    // The attempt's record masks the URL's credentials; the error and the delivery's reason too.
    const delivery = await getDelivery(ws.secret, event.deliveries[0]!.id);
    expect(dump).toContain('?token=%E2%80%A6&page=1');
    expect(JSON.stringify(delivery)).not.toContain(URL_TOKEN);
  });

  it('masks user:password and credential query parameters in recorded URLs', () => {
    expect(maskUrlCredentials('https://u:p@hooks.example.com/in?api_key=abc&x=1&sig=zz&code=123')).toBe(
      'https://%E2%80%A6:%E2%80%A6@hooks.example.com/in?api_key=%E2%80%A6&x=1&sig=%E2%80%A6&code=%E2%80%A6',
    );
    expect(maskUrlCredentials('https://hooks.example.com/in?page=2')).toBe('https://hooks.example.com/in?page=2');
  });

  it('are written to no log line, even at debug level', async () => {
    const child = await spawnSwitchyard({
      DATABASE_URL: server.databaseUrl,
      SWITCHYARD_ADMIN_KEY: ADMIN_KEY,
      SWITCHYARD_ALLOW_PRIVATE_TARGETS: 'true',
      SWITCHYARD_LOG_LEVEL: 'debug',
    });
    try {
      const client = (await import('./helpers/graphql.ts')).graphqlClient(`${child.url}/graphql`, ws.secretKey);
      const made = await client.request(
        `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { ... on CreateConnectionPayload { signingSecret connection { id } } } }`,
        { input: { name: 'logged', kind: 'WEBHOOK', webhook: { url: receiver.url(`/logged?token=${URL_TOKEN}`), headers: { 'X-Api-Key': 'log-0123456789-credential' } }, retryScheduleSeconds: [0] } },
      );
      await createRule(client, made.createConnection.connection.id, ['log.*']);
      const { event } = await emit(client, { type: 'log.written' });
      await deliveryReaches(client, event.deliveries[0]!.id, 'DEAD', 20_000);
      const output = child.output();
      expect(output.length).toBeGreaterThan(0);
      for (const secret of [made.createConnection.signingSecret, 'log-0123456789-credential', URL_TOKEN, ws.secretKey, ...signingSecrets]) {
        expect(output).not.toContain(secret);
      }
    } finally {
      await child.stop();
    }
  });
});

describe('starting with keys', () => {
  const start = (encryptionKeys: string | undefined, role: 'api' | 'worker' = 'api') =>
    startSwitchyard(defaultConfig({ databaseUrl: server.databaseUrl, port: 0, adminKey: ADMIN_KEY, encryptionKeys, role, logLevel: 'silent', allowPrivateTargets: true }));
  const running: Switchyard[] = [];
  afterAll(async () => {
    for (const switchyard of running) await switchyard.stop();
  });

  it('refuses without keys on DATABASE_URL, without the key that sealed the data, and with another key under its id', async () => {
    await expect(start(undefined)).rejects.toThrow(/SWITCHYARD_ENCRYPTION_KEYS must be set when DATABASE_URL is/);
    await expect(start(generateKeyringText('fresh'))).rejects.toThrow(/sealed with key "test", which SWITCHYARD_ENCRYPTION_KEYS does not have/);
    await expect(start(generateKeyringText('test'))).rejects.toThrow(/another key with the same id/);
  });

  it('re-encrypts everything under a new first key, after which the old key can go', async () => {
    const rotated = `${generateKeyringText('next')},${TEST_ENCRYPTION_KEYS}`;
    // A worker with the rotated keyring runs the re-encryption job its start queued.
    running.push(await start(rotated, 'worker'));
    const db = new pg.Client(server.databaseUrl);
    await db.connect();
    try {
      await eventually(async () => {
        const { rows } = await db.query(
          `select (select count(*) from connection_secrets where secret not like 'sy1.next.%')
                + (select count(*) from connections where sealed_headers is not null and sealed_headers not like 'sy1.next.%') as left`,
        );
        return Number(rows[0].left) === 0 ? true : undefined;
      }, 20_000, 'every secret to be sealed under the new key');
    } finally {
      await db.end();
    }
    const onlyNext = rotated.split(',')[0]!;
    const api = await start(onlyNext);
    running.push(api);
    const { event } = await emit(ws.secret, { type: 'order.completed' });
    await deliveryReaches(ws.secret, event.deliveries[0]!.id, 'DEAD', 20_000);
    const latest = receiver.requests.at(-1)!;
    expect(latest.headers.authorization).toBe(HEADER_TOKEN);
    expect(() => new Webhook(signingSecrets[1]!).verify(latest.body, latest.headers as Record<string, string>)).not.toThrow();
  });
});
