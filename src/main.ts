import { inspect } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { startSwitchyard, type Switchyard } from './switchyard.ts';
import { KeyringError } from './domains/secrets/keyring.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

let switchyard: Switchyard | null = null;
let requested = false;
let stopping = false;

function stop() {
  requested = true;
  if (stopping || !switchyard) return;
  stopping = true;
  console.log('Shutting down...');
  switchyard.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      // Written before exiting: writes to a pipe are asynchronous and process.exit drops them.
      process.stderr.write(`${inspect(error)}\n`, () => process.exit(1));
    },
  );
}

const signals = ['SIGINT', 'SIGTERM'] as const;
for (const signal of signals) process.on(signal, stop);

if (config.role !== 'worker') {
  // npm install builds the portal; this builds it when that step was skipped or portal/ changed since.
  const { ensurePortalBuilt } = await import('./server/portal/build.ts');
  await ensurePortalBuilt((line) => console.log(line));
}
try {
  switchyard = await startSwitchyard(config, { log: (line) => console.log(line) });
} catch (error) {
  if (!(error instanceof KeyringError)) throw error;
  console.error(`Not started: ${error.message}`);
  process.exit(1);
}

if (requested) stop();
