import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The portal's sources (a Vite app) and where its build goes. */
export const PORTAL_ROOT = fileURLToPath(new URL('../../../portal/', import.meta.url));
export const PORTAL_DIST = join(PORTAL_ROOT, 'dist');
const BUILT_INDEX = join(PORTAL_DIST, 'index.html');

/** Newest modification time among the portal's sources, in ms. */
function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.name === 'dist' || entry.name === 'node_modules') continue;
      const child = join(path, entry.name);
      if (entry.isDirectory()) visit(child);
      else newest = Math.max(newest, statSync(child).mtimeMs);
    }
  };
  visit(PORTAL_ROOT);
  return newest;
}

/** Whether the build is missing or older than a source file. */
export function portalBuildIsStale(): boolean {
  return !existsSync(BUILT_INDEX) || statSync(BUILT_INDEX).mtimeMs < newestSource();
}

/**
 * Builds the portal with Vite when its build is missing or stale: `npm install` builds it (the
 * `prepare` script), and the first `npm start` after a change to `portal/` does. Vite is loaded
 * only then, so a process with a current build never carries it.
 */
export async function ensurePortalBuilt(log: (line: string) => void = () => {}): Promise<void> {
  if (!portalBuildIsStale()) return;
  log('Building the portal (portal/ -> portal/dist)...');
  const { build } = await import('vite');
  await build({ root: PORTAL_ROOT, configFile: join(PORTAL_ROOT, 'vite.config.ts'), logLevel: 'warn' });
}
