import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(new URL('..', import.meta.url).pathname);
const src = join(root, 'src');

/**
 * The layers of `src/`, lowest first: a file may import its own layer and those below, never
 * one above, and the two halves of a process (the worker's jobs and the API's transport) never
 * each other. The process that starts everything composes them.
 */
const LAYERS: [prefix: string, layer: number][] = [
  ['config.ts', 0],
  ['exit-codes.ts', 0],
  // The format of SWITCHYARD_ENCRYPTION_KEYS, which the configuration checks when it loads: it
  // imports nothing of Switchyard's.
  ['domains/secrets/keyring.ts', 0],
  // Logs and metrics: every layer above reports through them.
  ['observability/', 1],
  ['db/', 2],
  ['domains/', 3],
  ['services.ts', 4],
  ['jobs/', 5],
  ['server/', 5],
  ['resolvers/', 6],
  // What a failed start tells its user: it names the errors of every part that can fail to start.
  ['startup-errors.ts', 7],
  ['switchyard.ts', 7],
  ['main.ts', 7],
  // The command line starts the server as `npm start` does, and talks to others through the SDK.
  ['cli/', 8],
];

function layerOf(file: string): { prefix: string; layer: number } {
  const path = relative(src, file);
  const found = LAYERS.find(([prefix]) => path === prefix || path.startsWith(prefix));
  if (!found) throw new Error(`src/${path} belongs to no layer: add its folder to LAYERS in test/architecture.test.ts`);
  return { prefix: found[0], layer: found[1] };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Each file's imports of other files of `src/`, and of packages. */
const graph = new Map(
  sourceFiles(src).map((file) => {
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)]
      .map((match) => match[1] ?? match[2]!);
    return [file, {
      // Files of src/ only: the SDK the command line uses is a package of its own.
      files: specifiers.filter((specifier) => specifier.startsWith('.')).map((specifier) => resolve(dirname(file), specifier))
        .filter((target) => !relative(src, target).startsWith('..')),
      packages: specifiers.filter((specifier) => !specifier.startsWith('.')),
    }];
  }),
);
const name = (file: string) => relative(root, file);

describe('the architecture', () => {
  it('has no import from a lower layer to a higher one, nor between the worker and the API transport', () => {
    const wrong: string[] = [];
    for (const [file, { files }] of graph) {
      const from = layerOf(file);
      for (const target of files) {
        const to = layerOf(target);
        const siblings = from.layer === to.layer && from.prefix !== to.prefix && from.prefix.endsWith('/');
        if (to.layer > from.layer || siblings) wrong.push(`${name(file)} -> ${name(target)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no cycle of imports between files', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map(name).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const target of graph.get(file)?.files ?? []) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('keeps GraphQL out of the domains', () => {
    const leaks = [...graph].filter(([file, { packages }]) =>
      relative(src, file).startsWith('domains/') && packages.some((specifier) => /graphql|pothos/.test(specifier)));
    expect(leaks.map(([file]) => name(file))).toEqual([]);
  });
});

describe('delivery state', () => {
  it('is written only by the state machine (src/domains/deliveries/state/), and created only by the emit write', () => {
    const writers = [...graph.keys()]
      .filter((file) => /(update|insert\s+into)\s+"?deliveries"?\b/i.test(readFileSync(file, 'utf8')))
      .map((file) => relative(src, file))
      // Migrations move rows from one schema to the next, outside any running engine.
      .filter((path) => !path.startsWith('domains/deliveries/state/') && !path.startsWith('db/migrations/'));
    // The emit write inserts new deliveries in the state `initialState` gives them, in the statement
    // that writes their events and jobs (one transaction: an acknowledged event is never lost).
    expect(writers).toEqual(['domains/events/persist-events.ts']);
  });
});
