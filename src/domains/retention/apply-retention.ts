import type { EntityManager } from '@mikro-orm/postgresql';
import { logger } from '../../observability/logger.ts';
import { pruneChanges } from '../deliveries/changes/prune-changes.ts';
import { deleteExpired } from './delete-expired.ts';
import { removePayloads } from './remove-payloads.ts';

const log = logger.child({ component: 'retention' });
const DAY_MS = 24 * 3600 * 1000;
/** Sorts before every workspace id. */
const BEFORE_EVERY_WORKSPACE = '00000000-0000-0000-0000-000000000000';

export interface RetentionOptions {
  /** Events one payload batch looks at. (Default: 1000) */
  payloadBatch?: number;
  /** Events one deletion batch deletes, with their deliveries and attempts. (Default: 500) */
  deleteBatch?: number;
  /** How long one run may work before it stops and says where to go on. (Default: 30000 ms) */
  budgetMs?: number;
  /** Start after this workspace (a run that stopped for time goes on from there). */
  afterWorkspaceId?: string | null;
  /** Called after each batch, with its counts: for progress reports and tests. */
  onBatch?: (batch: RetentionBatch) => void;
  now?: Date;
}

export interface RetentionBatch {
  workspaceId: string;
  kind: 'payloads' | 'records' | 'changes';
  /** Rows changed by this batch, by table. */
  counts: Record<string, number>;
}

export interface RetentionRun {
  payloads: number;
  bodies: number;
  events: number;
  deliveries: number;
  attempts: number;
  /** Rows of the delivery change log (what streams resume from) past the record age. */
  changes: number;
  /** Where the next run should start when this one ran out of time; null when every workspace is done. */
  continueAfter: string | null;
}

/**
 * Applies each workspace's retention: payloads and response bodies older than its payload age
 * are removed, and events older than its record age are deleted with their deliveries and
 * attempts (and delivery changes that old leave the change log), in batches of one short statement each, so emits and deliveries go on meanwhile.
 * Work an unfinished delivery still needs is never touched. Stops after `budgetMs`, saying where
 * to go on.
 */
export async function applyRetention(em: EntityManager, options: RetentionOptions = {}): Promise<RetentionRun> {
  const { payloadBatch = 1000, deleteBatch = 500, budgetMs = 30_000, now = new Date() } = options;
  const deadline = Date.now() + budgetMs;
  const run: RetentionRun = { payloads: 0, bodies: 0, events: 0, deliveries: 0, attempts: 0, changes: 0, continueAfter: null };
  // Where this run starts; never null, so a run that stops in its first workspace still says
  // where to go on (null in `continueAfter` means every workspace is done).
  let previous = options.afterWorkspaceId ?? BEFORE_EVERY_WORKSPACE;
  const workspaces = await em.execute<{ id: string; payload_days: number; delivery_days: number }[]>(
    `select id, payload_retention_days as payload_days, delivery_retention_days as delivery_days
     from workspaces where id > ?::uuid order by id`,
    [previous],
  );
  for (const workspace of workspaces) {
    if (Date.now() > deadline) {
      run.continueAfter = previous;
      break;
    }
    const payloadsBefore = new Date(now.getTime() - workspace.payload_days * DAY_MS);
    for (;;) {
      const batch = await removePayloads(em, workspace.id, payloadsBefore, payloadBatch);
      run.payloads += batch.payloads;
      run.bodies += batch.bodies;
      options.onBatch?.({ workspaceId: workspace.id, kind: 'payloads', counts: { payloads: batch.payloads, bodies: batch.bodies, kept: batch.kept } });
      if (batch.scanned < payloadBatch) break;
      if (Date.now() > deadline) return { ...run, continueAfter: previous };
    }
    const recordsBefore = new Date(now.getTime() - workspace.delivery_days * DAY_MS);
    for (;;) {
      const batch = await deleteExpired(em, workspace.id, recordsBefore, deleteBatch);
      run.events += batch.events;
      run.deliveries += batch.deliveries;
      run.attempts += batch.attempts;
      options.onBatch?.({ workspaceId: workspace.id, kind: 'records', counts: { ...batch } });
      if (batch.events < deleteBatch) break;
      if (Date.now() > deadline) return { ...run, continueAfter: previous };
    }
    for (;;) {
      const changes = await pruneChanges(em, workspace.id, recordsBefore, deleteBatch);
      run.changes += changes;
      options.onBatch?.({ workspaceId: workspace.id, kind: 'changes', counts: { changes } });
      if (changes < deleteBatch) break;
      if (Date.now() > deadline) return { ...run, continueAfter: previous };
    }
    previous = workspace.id;
  }
  if (run.payloads || run.events || run.changes) log.info({ ...run }, 'retention removed expired data');
  return run;
}
