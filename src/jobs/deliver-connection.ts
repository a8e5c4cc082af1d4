import type { Task } from 'graphile-worker';
import { addJobs, type JobSpec } from '../db/graphile-worker.ts';
import { connectionPumpJob } from '../domains/deliveries/delivery-jobs.ts';
import { pumpConnection, type ConnectionChanges, type Linger, type PumpRunEnd } from '../domains/deliveries/engine/pump-connection.ts';
import type { Queryable } from '../db/prepared-statement.ts';
import type { Services } from '../services.ts';
import type { WakeUps } from './wake-ups.ts';

/**
 * `deliver_connection`: one run of a connection's pump (see `pumpConnection`). It
 * schedules the next run itself: now when work is left, at the next token of a rate limit, or
 * at the next retry. New events add a run of their own; one that waits for the connection
 * (a rate limit, a failing streak, an ordered connection's retry) keeps its time.
 */
export function deliverConnectionTask(
  services: Services,
  wakeUps: WakeUps,
  claims: Queryable,
  signals: { linger: Linger; watchChanges: ConnectionChanges },
): Task<'deliver_connection'> {
  return async ({ connectionId }, helpers) => {
    const em = services.orm.em.fork();
    const end = await pumpConnection(em, services.config, connectionId, { stopping: helpers.abortSignal, claims, ...signals });
    wakeUps.afterCompletion(helpers.job);
    const next = nextRun(connectionId, end);
    if (!next) return;
    await addJobs(em, [next.job], { reschedule: true });
    if (next.at) wakeUps.at(next.at);
  };
}

function nextRun(connectionId: string, end: PumpRunEnd): { job: JobSpec; at?: Date } | null {
  switch (end.kind) {
    case 'more':
      return { job: connectionPumpJob(connectionId) };
    case 'rate-limited':
      return { job: connectionPumpJob(connectionId, end.at), at: end.at };
    case 'idle':
      if (!end.next) return null;
      return { job: connectionPumpJob(connectionId, end.next.at, end.next.holdsNewDeliveries ? 'waiting' : 'retry'), at: end.next.at };
    case 'stopped':
      return null;
  }
}
