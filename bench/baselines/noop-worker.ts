// Baseline for delivery: graphile-worker with a Switchyard worker's settings, running no-op
// jobs. Prints how long BENCH_JOBS of them took, from the first start to the last finish.
import { run } from 'graphile-worker';
import { loadConfig } from '../../src/config.ts';
import { runnerOptions } from '../../src/jobs/index.ts';

const expected = Number(process.env.BENCH_JOBS);
let done = 0;
let first = 0;
const runner = await run({
  ...runnerOptions(loadConfig(), process.env.DATABASE_URL!),
  taskList: {
    bench_noop: async () => {
      first ||= performance.now();
      if (++done === expected) console.log(`done ${done} in ${(performance.now() - first).toFixed(1)} ms`);
    },
  },
});
console.log('no-op worker running');
process.on('SIGTERM', () => void runner.stop().then(() => process.exit(0)));
