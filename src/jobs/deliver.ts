import type { Task } from 'graphile-worker';
import { attemptDelivery } from '../domains/deliveries/attempt-delivery.ts';
import { addJobs, jobForDelivery } from '../domains/deliveries/job-specs.ts';
import type { Services } from '../server/services.ts';
import type { WakeUps } from './wake-ups.ts';

/** `deliver`: one attempt of one delivery of an unordered connection. */
export function deliverTask(services: Services, wakeUps: WakeUps): Task<'deliver'> {
  return async ({ deliveryId }) => {
    const em = services.orm.em.fork();
    const result = await attemptDelivery(em, services.config, deliveryId);
    if (result.kind === 'rate-limited') {
      const { connection } = result;
      const settings = { ...connection, maxConcurrency: connection.maxConcurrency ?? services.config.defaultMaxConcurrency };
      await addJobs(em, [jobForDelivery(deliveryId, settings, result.retryAt)]);
    }
    if (result.kind === 'rate-limited' || result.kind === 'retrying') wakeUps.at(result.retryAt);
  };
}
