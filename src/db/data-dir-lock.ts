import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive } from './processes.ts';

/** Another live process holds the data directory. */
export class DataDirInUseError extends Error {
  readonly pid: number;
  constructor(dataDir: string, pid: number) {
    super(`another Switchyard (pid ${pid}) is running on the data directory ${dataDir}`);
    this.name = 'DataDirInUseError';
    this.pid = pid;
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * Takes `<dataDir>/switchyard.pid` for this process, so two processes never run one embedded
 * Postgres. A lock whose process is gone (killed, crashed) is taken over. Creating the file is
 * atomic (`wx`), so of two processes starting at once exactly one wins.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const directory = resolve(dataDir);
  mkdirSync(directory, { recursive: true });
  const file = join(directory, 'switchyard.pid');
  for (let tries = 0; tries < 3; tries++) {
    try {
      // Written aside, then linked into place: the lock never exists without its pid.
      const draft = `${file}.${process.pid}`;
      writeFileSync(draft, `${process.pid}\n`);
      try {
        linkSync(draft, file);
      } finally {
        rmSync(draft, { force: true });
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        if (holder(file) === process.pid) rmSync(file, { force: true });
      };
      process.once('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = holder(file);
      if (pid !== null && pid !== process.pid && isAlive(pid)) throw new DataDirInUseError(directory, pid);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the lock ${file}`);
}

function holder(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
