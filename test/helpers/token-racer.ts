/**
 * A process that asks for one connection's access token many times at once, as a worker's
 * in-flight deliveries do, on a signal: what the single-flight test runs two of. Reads its
 * settings from the environment, waits for a line on stdin, prints the tokens' generations and
 * hashes as one JSON line.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { defaultConfig } from '../../src/config.ts';
import { connectOrm } from '../../src/db/orm.ts';
import { entities } from '../../src/domains/entities.ts';
import { vendorClient } from '../../src/domains/destinations/http/vendor-client.ts';
import { accessTokens } from '../../src/domains/oauth/access-tokens.ts';
import { oauthProvider } from '../../src/domains/oauth/oauth-providers.ts';
import { parseKeyring } from '../../src/domains/secrets/keyring.ts';
import { useKeyring } from '../../src/domains/secrets/secret-store.ts';

const env = process.env;
useKeyring(parseKeyring(env.SWITCHYARD_ENCRYPTION_KEYS!));
const config = defaultConfig({ hubspotApiUrl: env.HUBSPOT_API_URL!, hubspotClientId: env.HUBSPOT_CLIENT_ID!, hubspotClientSecret: env.HUBSPOT_CLIENT_SECRET! });
const orm = await connectOrm(env.DATABASE_URL!, entities, 5);
const tokens = accessTokens(orm.em.fork(), config, vendorClient({ maxResponseBytes: 65_536, allowPrivateTargets: false }), oauthProvider(config, 'HUBSPOT')!, env.CONNECTION_ID!);
console.log('ready');
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
process.stdin.destroy();
const results = await Promise.all(Array.from({ length: Number(env.CALLS) }, () => tokens.current()));
console.log(JSON.stringify(results.map((result) => (result.kind === 'token' ? `${result.generation}:${createHash('sha256').update(result.accessToken).digest('hex').slice(0, 12)}` : result.kind))));
await orm.close();
