/** Whether a process with this pid exists (one we may not signal counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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
