import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Forgets what pg_stat_statements has counted so far: the next read covers one measurement. */
export async function resetStatements(db: pg.Pool): Promise<void> {
  await db.query('select pg_stat_statements_reset()');
}

/** The statements that took most of Postgres's time since the last reset, as Markdown rows. */
export async function topStatements(db: pg.Pool, limit = 14): Promise<string[]> {
  const { rows } = await db.query<{ query: string; calls: string; mean: number; plan: number; share: number }>(
    `select query, calls, mean_exec_time as mean, total_plan_time / nullif(calls, 0) as plan,
            100 * (total_exec_time + total_plan_time) / nullif(sum(total_exec_time + total_plan_time) over (), 0) as share
     from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
     order by total_exec_time + total_plan_time desc limit $1`,
    [limit],
  );
  return [
    '| share of Postgres time | calls | planning ms per call | executing ms per call | statement |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${Number(row.share).toFixed(0)} % | ${row.calls} | ${Number(row.plan).toFixed(3)} | ${Number(row.mean).toFixed(3)} | \`${oneLine(row.query)}\` |`),
  ];
}

function oneLine(query: string): string {
  const flat = query.replace(/\s+/g, ' ').trim();
  return (flat.length > 140 ? `${flat.slice(0, 137)}...` : flat).replaceAll('|', '\\|').replaceAll('`', "'");
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/**
 * Where a `--cpu-prof` profile's time went: self time grouped by owner (a package, a Switchyard
 * file, or V8's idle/GC/program buckets), then the hottest functions, as Markdown rows.
 */
export function summariseCpuProfile(file: string, limit = 8): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const frame = nodes.get(id)!.callFrame;
    const owner = ownerOf(frame.url, frame.functionName);
    const name = `${frame.functionName || '(anonymous)'} ${owner}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + delta);
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
    total += delta;
  });
  const top = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([name, time]) => `${((100 * time) / total).toFixed(0)} % ${name}`);
  return [
    '| self time by owner | self time by function |',
    '| --- | --- |',
    ...top(byOwner).map((owner, index) => `| ${owner} | ${top(byFunction)[index] ?? ''} |`),
  ];
}

/**
 * The share of a profile's busy time (idle left out) spent in code of `sourceFile` (a path under
 * the repository) or anything it called: what a part of the process costs with what it uses.
 */
export function inclusiveShare(file: string, sourceFile: string): number {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const within = new Map<number, boolean>();
  const inside = (id: number): boolean => {
    const known = within.get(id);
    if (known !== undefined) return known;
    const url = nodes.get(id)!.callFrame.url;
    const parent = parents.get(id);
    const answer = url.endsWith(sourceFile) || (parent !== undefined && inside(parent));
    within.set(id, answer);
    return answer;
  };
  let busy = 0;
  let spent = 0;
  profile.samples.forEach((id, index) => {
    if (nodes.get(id)!.callFrame.functionName === '(idle)') return;
    const delta = profile.timeDeltas[index] ?? 0;
    busy += delta;
    if (inside(id)) spent += delta;
  });
  return busy === 0 ? 0 : spent / busy;
}

function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(node internals)';
  if (url.startsWith('node:')) return '(node internals)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (inPackage) return inPackage[1]!;
  return relative(ROOT, path);
}
