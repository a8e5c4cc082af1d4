// Builds the portal (portal/ -> portal/dist) when it is missing or stale; `npm install` runs it.
import { ensurePortalBuilt } from '../src/server/portal/build.ts';

await ensurePortalBuilt((line) => console.log(line));
