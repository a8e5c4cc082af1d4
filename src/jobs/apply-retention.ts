import type { Task } from 'graphile-worker';
import { applyRetention } from '../domains/retention/apply-retention.ts';
import type { Services } from '../services.ts';

declare global {
  namespace GraphileWorker {
    interface Tasks {
      /** Applies every workspace's retention, in batches; goes on in a new run after 30 s. */
      apply_retention: { afterWorkspaceId?: string | null };
    }
  }
}

/**
 * graphile-worker's cron runs it every 15 minutes, once across all worker processes (its
 * `known_crontabs` table keeps them from running it twice); a run that is still busy queues
 * no second one.
 */
export const RETENTION_CRONTAB = '*/15 * * * * apply_retention ?max=1&jobKey=apply_retention&jobKeyMode=preserve_run_at';

/**
 * `apply_retention`: one run of `applyRetention`. A run that used up its time queues the next
 * at once, from the workspace where it stopped, so a large backlog of expired data is worked
 * off in runs of 30 s that other jobs interleave with.
 */
export function applyRetentionTask(services: Services): Task<'apply_retention'> {
  return async (payload, helpers) => {
    const run = await applyRetention(services.orm.em.fork(), { afterWorkspaceId: payload?.afterWorkspaceId ?? null });
    if (run.continueAfter !== null || run.payloads + run.events > 0) {
      helpers.logger.debug(`retention: ${run.payloads} payloads, ${run.events} events removed`);
    }
    if (run.continueAfter !== null) {
      await helpers.addJob('apply_retention', { afterWorkspaceId: run.continueAfter }, { jobKey: 'apply_retention_continued' });
    }
  };
}
