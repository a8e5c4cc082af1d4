import type { WorkerEvents } from 'graphile-worker';
import { listenForQueueJobs } from '../db/graphile-worker.ts';
import { LruCache } from '../domains/lru-cache.ts';
import type { Linger } from '../domains/deliveries/engine/pump-connection.ts';

/**
 * Lets a pump whose work is done linger a moment in its job, and hear when its queue gets a job
 * (a new delivery, a replay, a resume), so the new work goes out at once instead of waiting for
 * the lingering job to end and graphile-worker to fetch the next (a job fetch is a commit, and a
 * flush of Postgres's log, of its own). Every process hears every queue's news on
 * graphile-worker's own listening connection. At most `maxLingering` pumps of this process
 * linger at once, so lingering never keeps more than that many of its worker slots from others.
 */
export function pumpSignals(events: WorkerEvents, maxLingering: number): { linger: Linger; stop(): void } {
  const waiting = new Map<string, Set<() => void>>();
  /** When each queue last heard of a job, so news that came just before a pump began to linger counts. */
  const heardAt = new LruCache<string, number>(100_000);
  let lingering = 0;
  let stopped = false;
  listenForQueueJobs(events, (queues) => {
    const now = performance.now();
    for (const queue of queues) {
      heardAt.set(queue, now);
      for (const wake of waiting.get(queue) ?? []) wake();
    }
  });
  return {
    linger(queue, since, ms, stopping) {
      if (stopped || lingering >= maxLingering || stopping.aborted || ms <= 0) return null;
      if ((heardAt.get(queue) ?? -Infinity) > since) return Promise.resolve(true);
      lingering++;
      return new Promise<boolean>((resolve) => {
        const set = waiting.get(queue) ?? new Set();
        waiting.set(queue, set);
        const done = (heard: boolean) => {
          clearTimeout(timer);
          stopping.removeEventListener('abort', abort);
          set.delete(wake);
          if (set.size === 0) waiting.delete(queue);
          lingering--;
          resolve(heard);
        };
        const wake = () => done(true);
        const abort = () => done(false);
        const timer = setTimeout(() => done(false), ms);
        stopping.addEventListener('abort', abort, { once: true });
        set.add(wake);
      });
    },
    stop() {
      stopped = true;
      for (const set of waiting.values()) for (const wake of set) wake();
    },
  };
}
