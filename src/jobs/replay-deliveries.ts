import type { Task } from 'graphile-worker';
import { replayBatch } from '../domains/deliveries/replay/replay.ts';
import type { Services } from '../services.ts';

/**
 * `replay_deliveries`: one batch of a bulk replay, which queues the job for the next batch. Each
 * run stays short, and the cursor over ids replays every matching delivery exactly once.
 */
export function replayDeliveriesTask(services: Services): Task<'replay_deliveries'> {
  return async (payload) => {
    await replayBatch(services.orm.em.fork(), payload);
  };
}
