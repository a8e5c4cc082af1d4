import { EventEmitter } from 'node:events';
import { run, type Runner, type RunnerOptions, type TaskList, type WorkerEvents } from 'graphile-worker';
import type pg from 'pg';
import type { Config } from '../config.ts';
import { quietLogger } from '../db/quiet-logger.ts';
import { endWorkerPool, workerPool } from '../db/worker-pool.ts';
import { recoverStalled } from '../domains/deliveries/engine/recover-stalled.ts';
import type { Services } from '../services.ts';
import { deliverConnectionTask } from './deliver-connection.ts';
import { replayDeliveriesTask } from './replay-deliveries.ts';
import { reencryptSecretsTask } from './reencrypt-secrets.ts';
import { applyRetentionTask, RETENTION_CRONTAB } from './apply-retention.ts';
import { wakeUps } from './wake-ups.ts';
import { keepHeartbeat } from './worker-liveness.ts';
import { pumpSignals } from './pump-signals.ts';
import { logger } from '../observability/logger.ts';

const log = logger.child({ component: 'worker' });

/**
 * How often each idle worker slot looks for jobs that fell due without a notification. Each look
 * is a job fetch, about 1.5 ms of Postgres time, so an idle process costs concurrency / interval
 * fetches a second; wake-ups (see below) make the poll a fallback, found late by 2 s at most.
 */
const POLL_INTERVAL_MS = 2000;

/** Connections for pumps' claims: each is one short statement, so a few serve many pumps. */
const CLAIM_CONNECTIONS = 4;

/**
 * The claim's sessions. A claim commits without waiting for the disk: it is a lease, and one a
 * crash of Postgres loses leaves its delivery unclaimed, to be sent again (at least once, as after
 * any crash); waiting would hold every attempt by one flush before its request, and the outcome's
 * write, which does wait, makes the claim durable with it. And the claim is planned once per
 * session: planned afresh it took 3.4 ms a call (more than it took to run, 2.3 ms, with 4,000
 * deliveries waiting), and a plan made once, joined by index lookups rather than by hashing
 * tables the planner cannot know the part of, took 0.25 ms and ran in 2.5 ms.
 */
const CLAIM_SESSION = {
  synchronous_commit: 'off',
  plan_cache_mode: 'force_generic_plan',
  enable_hashjoin: 'off',
  enable_mergejoin: 'off',
};

export interface Worker {
  /** graphile-worker slots running a job right now, and how many there are. */
  busySlots(): number;
  slots: number;
  /** graphile-worker's pool, for the pool gauges. */
  pool: pg.Pool;
  /** The pumps' pool for their claims, for the pool gauges. */
  claimsPool: pg.Pool;
  /** Null while graphile-worker runs; why not, once it stopped or failed. */
  health(): string | null;
  /** Rejects if graphile-worker fails on its own (the process should then stop). */
  failed: Promise<never>;
  stop(): Promise<void>;
}

/**
 * How a worker process runs graphile-worker (shared with the bench's no-op baseline), on a pool
 * of its own: graphile-worker ends the pools it makes without waiting for them, so a stop could
 * race Postgres's shutdown and an idle connection's error would crash the process.
 */
export function runnerOptions(config: Config, databaseUrl: string): RunnerOptions & { pgPool: pg.Pool } {
  // graphile-worker's advice: 10 or concurrency + 2, whichever is larger.
  const pgPool = workerPool(databaseUrl, Math.max(10, config.workerConcurrency + 2));
  return {
    pgPool,
    concurrency: config.workerConcurrency,
    logger: quietLogger,
    noHandleSignals: true,
    pollInterval: POLL_INTERVAL_MS,
    // Jobs finishing in the same tick are marked complete in one statement. Should the process
    // die in between, the job runs again and finds its delivery done: claims are idempotent.
    preset: { worker: { completeJobBatchDelay: 0 } },
  };
}

/**
 * Starts this process's delivery worker: graphile-worker running Switchyard's tasks, and a
 * periodic sweep that recovers work a crashed worker left behind. Any number of worker
 * processes may run against one Postgres; graphile-worker shares jobs out with SKIP LOCKED.
 */
export async function startWorker(services: Services, databaseUrl: string): Promise<Worker> {
  const { config } = services;
  const options = runnerOptions(config, databaseUrl);
  // Retries due within 30 s wake a worker when due; later ones (5 min and more in the default
  // schedule) are polled for, late by a fraction of their jitter.
  const wakes = wakeUps(options.pgPool, 15 * POLL_INTERVAL_MS);
  const claims = workerPool(databaseUrl, CLAIM_CONNECTIONS, CLAIM_SESSION);
  const events = new EventEmitter() as WorkerEvents;
  // A quarter of the slots at most: lingering pumps never keep many connections' runs waiting.
  const signals = pumpSignals(events, Math.max(1, Math.floor(config.workerConcurrency / 4)));
  const taskList: TaskList = {
    deliver_connection: deliverConnectionTask(services, wakes, claims, signals),
    replay_deliveries: replayDeliveriesTask(services),
    reencrypt_secrets: reencryptSecretsTask(services),
    apply_retention: applyRetentionTask(services),
  };
  // Four beats within the stale time, so one late or failed beat never makes a live worker dead.
  const heartbeat = keepHeartbeat(options.pgPool, events, Math.min(10_000, (config.staleJobSeconds * 1000) / 4));
  const runner: Runner = await run({ ...options, events, taskList, crontab: RETENTION_CRONTAB });
  let busy = 0;
  runner.events.on('job:start', () => busy++);
  runner.events.on('job:complete', () => busy--);

  const sweepEveryMs = Math.min(10_000, (config.staleJobSeconds * 1000) / 2);
  const sweep = async () => {
    try {
      await recoverStalled(services.orm.em.fork(), config);
    } catch (error) {
      log.error({ err: error }, 'recovering stalled deliveries failed');
    }
  };
  const timer = setInterval(() => void sweep(), sweepEveryMs);
  void sweep();

  let stopping = false;
  let problem: string | null = null;
  const failed = runner.promise.then(
    () => {
      problem = 'the worker has stopped';
      return stopping ? new Promise<never>(() => {}) : Promise.reject(new Error(problem));
    },
    (error: Error) => {
      problem = `the worker failed: ${error.message}`;
      throw error;
    },
  );
  // Whoever starts the worker decides what a failure means; it is never unhandled.
  failed.catch(() => {});

  return {
    busySlots: () => busy,
    pool: options.pgPool,
    claimsPool: claims,
    slots: config.workerConcurrency,
    health: () => problem,
    failed,
    async stop() {
      stopping = true;
      clearInterval(timer);
      wakes.stop();
      signals.stop();
      await runner.stop();
      await heartbeat.stop();
      await endWorkerPool(options.pgPool);
      await endWorkerPool(claims);
    },
  };
}
