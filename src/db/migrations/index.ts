import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123000212_initial } from './Migration20261123000212_initial.ts';

/** Every migration, oldest first; listed here so `src/` and `dist/` run the same set. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261123000212_initial', class: Migration20261123000212_initial },
];
