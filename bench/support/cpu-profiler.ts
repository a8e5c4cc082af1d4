// Preloaded into bench processes (`--import`): SIGUSR2 starts the V8 CPU profiler, the next
// SIGUSR2 writes the profile to BENCH_CPU_PROFILE, so a profile covers one measurement only.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const session = new Session();
session.connect();
let profiling = false;

process.on('SIGUSR2', async () => {
  if (!profiling) {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    profiling = true;
    process.stdout.write('[bench] cpu profile started\n');
    return;
  }
  const { profile } = await session.post('Profiler.stop');
  profiling = false;
  writeFileSync(process.env.BENCH_CPU_PROFILE!, JSON.stringify(profile));
  process.stdout.write('[bench] cpu profile written\n');
});
