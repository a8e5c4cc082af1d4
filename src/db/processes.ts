import { existsSync, readFileSync } from 'node:fs';

/**
 * Whether a process with this pid runs (one we may not signal counts). A zombie, exited but not
 * yet reaped by its parent, does not: on Linux its state in /proc says so.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // The state follows the command name in parentheses, which may itself hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // No /proc (not Linux), or gone meanwhile: the signal's answer stands.
    return !existsSync('/proc/self/stat');
  }
}

/**
 * Sends `signal` to a process that is not our child and waits for it to go, up to `graceMs`;
 * then SIGKILL. Returns once it is gone.
 */
export async function stopProcess(pid: number, options: { signal: NodeJS.Signals; graceMs: number }): Promise<void> {
  try {
    process.kill(pid, options.signal);
  } catch {
    return;
  }
  const deadline = Date.now() + options.graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}
