import type pg from 'pg';
import { announceJobsDue, queueHandOverState } from '../db/graphile-worker.ts';
import { logger } from '../observability/logger.ts';

const log = logger.child({ component: 'worker' });

/** Wake-ups due within the same few milliseconds share one notification. */
const TICK_MS = 10;
/** How often, and how many times, a hand-over looks whether its job is complete. */
const HAND_OVER_CHECK_MS = 2;
const HAND_OVER_CHECKS = 50;

export interface WakeUps {
  /** Wakes idle workers, in every process, when a job scheduled for `runAt` falls due. */
  at(runAt: Date): void;
  /**
   * Once `job` is complete, wakes a worker for the job that waits behind it in its queue, if
   * any. graphile-worker completes a job after its task returns without waiting for it, and the
   * worker looks for its next job meanwhile: a job queued behind a running one (a pump queued
   * while the last ran) would find the queue still locked and wait for the next poll.
   */
  afterCompletion(job: { id: string; job_queue_id: number | null }): void;
  /** Drops the wake-ups not sent yet, and any asked for later; polling still finds their jobs. */
  stop(): void;
}

/**
 * graphile-worker hears of a job due now through the `jobs:insert` notification that `add_jobs`
 * sends, but of a job scheduled for later only when it next polls, so a retry due in 100 ms
 * could wait a whole poll interval. For jobs due within `horizonMs`, this sends graphile-worker's
 * own notification when they fall due; jobs due later are found by polling, late by at most
 * one interval, which is well inside the jitter of so long a delay. Best effort: should this
 * process stop first, polling finds the job all the same.
 */
export function wakeUps(pool: pg.Pool, horizonMs: number): WakeUps {
  /** Wake-ups not sent yet, counted by tick. */
  const due = new Map<number, number>();
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, run: () => void) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };
  const notify = (count: number) =>
    announceJobsDue(pool, count).then(
      () => undefined,
      (error: Error) => log.warn({ err: error }, 'a wake-up for a scheduled job failed; polling will find the job'),
    );
  const send = (tick: number) => {
    const count = due.get(tick);
    due.delete(tick);
    if (count) void notify(count);
  };
  const handOver = async (job: { id: string; job_queue_id: number }, checks: number): Promise<void> => {
    try {
      const state = await queueHandOverState(pool, job.id, job.job_queue_id);
      if (state.running && checks > 1) later(HAND_OVER_CHECK_MS, () => void handOver(job, checks - 1));
      else if (state.waiting) await notify(1);
    } catch (error) {
      log.warn({ err: error }, 'handing a queue over failed; polling will find its next job');
    }
  };
  return {
    at(runAt) {
      const delay = runAt.getTime() - Date.now();
      if (stopped || delay <= 0 || delay > horizonMs) return;
      const tick = Math.ceil(runAt.getTime() / TICK_MS);
      const count = due.get(tick) ?? 0;
      due.set(tick, count + 1);
      if (count === 0) later(tick * TICK_MS - Date.now(), () => send(tick));
    },
    afterCompletion(job) {
      const { job_queue_id: queue } = job;
      if (stopped || queue === null) return;
      later(HAND_OVER_CHECK_MS, () => void handOver({ id: job.id, job_queue_id: queue }, HAND_OVER_CHECKS));
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      due.clear();
    },
  };
}
