import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../sdk/src/index.ts';
import { readmeBlocks } from './helpers/readme.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { startReceiver, type Receiver } from './helpers/receiver.ts';

// The README's SDK snippet, as written (its import of '@switchyard/sdk' is this repository's SDK,
// and its URL this server's): subscribe, emit, read the attempt. It used to miss the attempt
// when the delivery was quicker than the subscription; it must never.

const RUNS = 100;
const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;

let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  server = await startTestServer({ allowPrivateTargets: true });
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
});

function snippet(): string {
  const [block] = readmeBlocks('## TypeScript SDK and live deliveries').filter((candidate) => candidate.info === 'ts');
  const source = block!.code;
  expect(source).toContain("import { createClient } from '@switchyard/sdk';");
  expect(source).toContain("'http://127.0.0.1:4000'");
  const javascript = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  return javascript.replace(/^import .*$/m, '').replaceAll("'http://127.0.0.1:4000'", JSON.stringify(server.switchyard.url));
}

describe('the README SDK snippet', () => {
  it(`sees the attempt of the event it emits, in each of ${RUNS} runs`, async () => {
    const seeded = await server.seedWorkspace();
    const setup = createClient({ url: server.switchyard.url!, apiKey: seeded.secretKey });
    const { connection } = await setup.connections.create({ name: 'hook', kind: 'WEBHOOK', webhook: { url: receiver.url('/hook') } });
    await setup.rules.create({ name: 'orders', eventTypes: ['order.*'], connectionId: connection.id });
    const run = new AsyncFunction('createClient', 'process', 'console', snippet());
    const env = { env: { SWITCHYARD_API_KEY: seeded.secretKey } };

    for (let i = 0; i < RUNS; i++) {
      const printed: unknown[][] = [];
      let timer: NodeJS.Timeout | undefined;
      const missed = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`run ${i + 1} saw no attempt within 10 s (printed ${JSON.stringify(printed)})`)), 10_000);
      });
      try {
        await Promise.race([run(createClient, env, { log: (...values: unknown[]) => printed.push(values) }), missed]);
      } finally {
        clearTimeout(timer);
      }
      expect(printed.at(-1)).toEqual(['ord_42', 1, 'SUCCEEDED', 200]);
    }
    expect(receiver.requests).toHaveLength(RUNS);
  }, 300_000);
});
