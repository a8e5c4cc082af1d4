import { readdirSync, readFileSync } from 'node:fs';

/** CPU time a process has used so far, in ms (Linux's /proc/<pid>/schedstat; 0 if unreadable). */
function cpuMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return 0;
  }
}

/** The postmaster of the cluster in `pgDataDir` and every process it started. */
export function clusterPids(pgDataDir: string): number[] {
  const postmaster = Number(readFileSync(`${pgDataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent; the command name before it may hold spaces.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

export type ProcessGroups = Record<string, () => number[]>;

/**
 * CPU ms each group of processes (by name) spent while `work` ran, divided by the operations
 * it did: where one operation's cost goes, on a machine whose cores all parts share. The bench
 * process itself counts as `bench client`.
 */
export async function cpuPerOperation(groups: ProcessGroups, work: () => Promise<number>): Promise<string[]> {
  const read = () => new Map(Object.entries(groups).map(([name, pids]) => [name, new Map(pids().map((pid) => [pid, cpuMs(pid)]))]));
  const before = read();
  const ownBefore = process.cpuUsage();
  const operations = await work();
  const after = read();
  const own = process.cpuUsage(ownBefore);
  const costs: Record<string, number> = { 'bench client': (own.user + own.system) / 1000 };
  for (const [name, pids] of after) {
    // Per process: one that ended meanwhile is lost, one that started meanwhile counts whole.
    costs[name] = [...pids].reduce((sum, [pid, ms]) => sum + ms - (before.get(name)!.get(pid) ?? 0), 0);
  }
  const total = Object.values(costs).reduce((sum, ms) => sum + ms, 0);
  return [
    '| process | CPU ms per operation | share |',
    '| --- | --- | --- |',
    ...Object.entries(costs).map(([name, ms]) => `| ${name} | ${(ms / operations).toFixed(2)} | ${((100 * ms) / total).toFixed(0)} % |`),
    `| all | ${(total / operations).toFixed(2)} | ${operations.toFixed(0)} operations |`,
  ];
}
