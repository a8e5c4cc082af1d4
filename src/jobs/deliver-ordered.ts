import type { Task } from 'graphile-worker';
import { attemptDelivery } from '../domains/deliveries/attempt-delivery.ts';
import { nextOrderedDelivery } from '../domains/deliveries/ordered-deliveries.ts';
import { addJobs, orderedPumpJob } from '../domains/deliveries/job-specs.ts';
import type { Services } from '../server/services.ts';
import type { WakeUps } from './wake-ups.ts';

/** Deliveries one pump run handles before it yields its worker slot to other jobs. */
const BATCH = 100;

/**
 * `deliver_ordered`: delivers an ordered connection's backlog strictly in event order. A
 * delivery waiting for a retry holds back every later one (FIFO, as receivers that apply
 * changes in order need); a dead one no longer does. The pump reschedules itself for the
 * head's next attempt and is re-added by new emits and by resumeConnection.
 */
export function deliverOrderedTask(services: Services, wakeUps: WakeUps): Task<'deliver_ordered'> {
  return async ({ connectionId }) => {
    const em = services.orm.em.fork();
    const again = async (at?: Date) => {
      await addJobs(em, [orderedPumpJob(connectionId, at)]);
      if (at) wakeUps.at(at);
    };
    for (let handled = 0; handled < BATCH; handled++) {
      const head = await nextOrderedDelivery(em, connectionId);
      if (!head) return;
      if (head.waitUntil && head.waitUntil > new Date()) return again(head.waitUntil);
      const result = await attemptDelivery(em, services.config, head.id);
      if (result.kind === 'retrying' || result.kind === 'rate-limited') return again(result.retryAt);
      if (result.kind === 'parked') return;
    }
    await again();
  };
}
