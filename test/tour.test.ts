import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/database.ts';
import { spawnSwitchyard, type SwitchyardProcess } from './helpers/child-process.ts';
import { freePort } from './helpers/global-setup.ts';
import { readmeBlocks } from './helpers/readme.ts';
import { ADMIN_KEY } from './helpers/server.ts';
import { background, shellSession, type ShellSession } from './helpers/shell.ts';
import { eventually } from './helpers/fixtures.ts';

// The README's tour, run as written: its commands are read from README.md, so the README cannot
// drift from what works. What it leaves to the reader is filled in, and only that: the URL (this
// server's port, not 4000), the admin key, the receiver's port (not 8080), and the signing secret
// the reader copies from step 2 into the receiver's terminal.

const blocks = readmeBlocks('## A five-minute tour');
/** What each plain `sh` block must print, in order: a tour step added or removed fails here. */
const expected: RegExp[] = [
  /^$/, // the shell helpers
  /^sy_sk_\S+$/m, // 1. the workspace's secret key
  /^whsec_\S+$/m, // 2. the connection's signing secret
  /"sendTestEvent":\{"delivery":\{"id":"msg_\w+","status":"PENDING","test":true\}\}/, // 4.
  /"matched":true,"condition":\{"value":true\},"body":"\{\\"order\\":\\"o_42\\",\\"total\\":250\}","warnings":\[\][\s\S]*"createRule":\{"rule":\{"id":"rule_\w+"\},"warnings":\[\]\}/, // 5.
  /"emitEvent":\{"duplicate":false,"unknownType":false,"event":\{"id":"evt_\w+"/, // 6.
  /attempt 1: HTTP 500[\s\S]*attempt 2: HTTP 500[\s\S]*attempt 3: HTTP 500[\s\S]* is DEAD/, // 7. watched live
  /"attemptCount":3,"lastError":"the receiver answered HTTP 500"/, // 8. the dead letters
  /"replayDeliveries":\{"count":1\}/, // 9. the replay
  /"status":"SUCCEEDED","attempts":\[(\{"replay":0,"attempt":\d,"status":"FAILED","statusCode":500\},){3}\{"replay":1,"attempt":1,"status":"SUCCEEDED","statusCode":200\}\]/,
];
/** What the receiver prints after some steps: it got the request, verified, with these headers. */
const receiverPrints: Record<number, RegExp> = {
  3: /signature verified: \{"id":"evt_\w+","type":"order.completed".*"data":\{"total":1\},"test":true\} -> 200/,
  5: /signature verified: \{"order":"o_42","total":250\} -> 200/,
  6: /(signature verified: \{"order":null,"total":300\} -> 500[\s\S]*){3}/,
  9: /signature verified: \{"order":null,"total":300\} -> 200/,
};
/** The step whose command is run again until it prints what is expected: "a moment later". */
const EVENTUALLY = expected.length - 1;

let api: SwitchyardProcess | undefined;
let shell: ShellSession | undefined;
let receiver: ReturnType<typeof background> | undefined;

afterAll(async () => {
  shell?.close();
  await receiver?.stop();
  await api?.stop();
});

describe('the README tour', () => {
  it('runs as written, from a workspace to a failed delivery watched live, dead-lettered, replayed and delivered', async () => {
    const [server, ...steps] = blocks;
    expect(server!.info).toBe('sh server');
    // The server starts with the flags the README starts it with.
    const command = server!.code.trim();
    expect(command).toMatch(/ npm start$/);
    const flags = Object.fromEntries(command.replace(/ npm start$/, '').split(/\s+/).map((assignment) => assignment.split('=', 2) as [string, string]));
    expect(flags).toEqual({ SWITCHYARD_ALLOW_PRIVATE_TARGETS: 'true' });
    api = await spawnSwitchyard({ ...flags, DATABASE_URL: await createTestDatabase(), SWITCHYARD_ADMIN_KEY: ADMIN_KEY });

    const receiverPort = String(await freePort());
    const filledIn = (code: string) =>
      code.replaceAll('http://127.0.0.1:4000', api!.url!).replaceAll('sy_admin_...', ADMIN_KEY).replaceAll('127.0.0.1:8080', `127.0.0.1:${receiverPort}`);
    // The servers the tour starts (through bash and npm) stop when this test process is gone.
    const env = { ...process.env, npm_config_update_notifier: 'false', SWITCHYARD_PARENT_PID: String(process.pid) };
    shell = shellSession(env);
    let secret = '';
    let step = 0;

    for (const block of steps) {
      if (block.info === 'ts') {
        // The receiver the README shows is the receiver that runs.
        expect(block.code).toBe(readFileSync(new URL('../examples/receiver.ts', import.meta.url), 'utf8'));
        continue;
      }
      if (block.info === 'sh receiver') {
        await receiver?.stop();
        expect(secret).toMatch(/^whsec_/);
        receiver = background(filledIn(block.code).replaceAll('whsec_...', secret), { ...env, RECEIVER_PORT: receiverPort });
        await eventually(async () => (receiver!.output().includes('Receiving on') ? true : undefined), 20_000, 'the receiver to listen');
        continue;
      }
      expect(block.info).toBe('sh');
      const code = filledIn(block.code);
      const run = () => shell!.run(code);
      const { output, status } = step === EVENTUALLY
        ? await eventually(async () => {
            const result = await run();
            return expected[step]!.test(result.output) ? result : undefined;
          }, 15_000, 'the replay to be delivered')
        : await run();
      expect([step, status]).toEqual([step, 0]);
      expect(output.trim()).toMatch(expected[step]!);
      if (step === 2) secret = output.trim().split('\n').at(-1)!;
      const prints = receiverPrints[step];
      if (prints) await eventually(async () => (prints.test(receiver!.output()) ? true : undefined), 15_000, `the receiver to print ${prints}`);
      step++;
    }
    expect(step).toBe(expected.length);

    expect(receiver!.output()).toMatch(/'webhook-id': 'msg_\w+',\s+'webhook-timestamp': '\d+',\s+'webhook-signature': 'v1,/);
  }, 180_000);
});
