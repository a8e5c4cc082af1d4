import type { WorkerEvents } from 'graphile-worker';
import { listenForQueueNews } from '../db/graphile-worker.ts';
import { LruCache } from '../domains/lru-cache.ts';
import type { ConnectionChanges, Linger } from '../domains/deliveries/engine/pump-connection.ts';

/**
 * Lets a pump whose work is done linger a moment in its job, and hear when its queue gets a job
 * (a new delivery, a replay, a resume), so the new work goes out at once instead of waiting for
 * the lingering job to end and graphile-worker to fetch the next (a job fetch is a commit, and a
 * flush of Postgres's log, of its own). Every process hears every queue's news on
 * graphile-worker's own listening connection. At most `maxLingering` pumps of this process
 * linger at once, so lingering never keeps more than that many of its worker slots from others.
 * A running pump hears of changes of its connection on the same connection (`watchChanges`).
 */
export function pumpSignals(events: WorkerEvents, maxLingering: number): { linger: Linger; watchChanges: ConnectionChanges; stop(): void } {
  const waiting = new Map<string, Set<() => void>>();
  /** When each queue last heard of a job, so news that came just before a pump began to linger counts. */
  const heardAt = new LruCache<string, number>(100_000);
  /** The running pumps that watch their connection, by queue. */
  const watching = new Map<string, Set<() => void>>();
  let lingering = 0;
  let stopped = false;
  listenForQueueNews(events, {
    onJobs(queues) {
      const now = performance.now();
      for (const queue of queues) {
        heardAt.set(queue, now);
        for (const wake of waiting.get(queue) ?? []) wake();
      }
    },
    onChanges(queues) {
      for (const queue of queues) for (const changed of watching.get(queue) ?? []) changed();
    },
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
    watchChanges(queue, onChange) {
      const set = watching.get(queue) ?? new Set();
      watching.set(queue, set);
      const watcher = () => onChange();
      set.add(watcher);
      return () => {
        set.delete(watcher);
        if (set.size === 0) watching.delete(queue);
      };
    },
    stop() {
      stopped = true;
      for (const set of waiting.values()) for (const wake of set) wake();
    },
  };
}
