import type pg from 'pg';

/** Wake-ups due within the same few milliseconds share one notification. */
const TICK_MS = 10;

export interface WakeUps {
  /** Wakes idle workers, in every process, when a job scheduled for `runAt` falls due. */
  at(runAt: Date): void;
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
  const due = new Map<number, { count: number; timer: NodeJS.Timeout }>();
  let stopped = false;
  const send = (tick: number) => {
    const wake = due.get(tick);
    due.delete(tick);
    if (!wake) return;
    pool.query(`select pg_notify('jobs:insert', $1)`, [JSON.stringify({ count: wake.count })]).catch((error: Error) => {
      console.error('[worker] a wake-up for a scheduled job failed; polling will find it:', error.message);
    });
  };
  return {
    at(runAt) {
      const delay = runAt.getTime() - Date.now();
      if (stopped || delay <= 0 || delay > horizonMs) return;
      const tick = Math.ceil(runAt.getTime() / TICK_MS);
      const wake = due.get(tick);
      if (wake) {
        wake.count++;
        return;
      }
      due.set(tick, { count: 1, timer: setTimeout(() => send(tick), tick * TICK_MS - Date.now()) });
    },
    stop() {
      stopped = true;
      for (const { timer } of due.values()) clearTimeout(timer);
      due.clear();
    },
  };
}
