import type { EntityManager } from '@mikro-orm/postgresql';
import type { WorkerEvents } from 'graphile-worker';
import type pg from 'pg';
import { logger } from '../observability/logger.ts';
import { preparedStatement, runPrepared, type Db } from './prepared-statement.ts';

/**
 * Everything Switchyard does with graphile-worker's own tables and types, beyond its public
 * API, in one place: the `job_spec` layout `add_jobs` takes, the emit write that shares a
 * waiting job instead of adding one, the wake-up notifications, and the release of a dead
 * worker's jobs. A graphile-worker upgrade that changes any of these is checked here (and by
 * the tests that read its tables).
 *
 * It lives in `db/` because both the domains (the emit write, claims' follow-up jobs) and the
 * worker (`jobs/`) need it, and `domains/` must not import `jobs/`.
 */

/** A row of graphile-worker's `job_spec`, ready for `add_jobs`. */
export interface JobSpec {
  identifier: keyof GraphileWorker.Tasks;
  payload: unknown;
  queue_name: string | null;
  run_at: string | null;
  job_key: string | null;
}

/** graphile-worker's notification that jobs are due now: idle workers fetch at once. */
const JOBS_DUE_CHANNEL = 'jobs:insert';

/**
 * Switchyard's notification of the named queues that just got a job, comma-separated: a job of
 * such a queue that is running right now (a pump that lingers after its work) may take the new
 * work itself, before graphile-worker could start the job queued behind it.
 */
const QUEUE_JOBS_CHANNEL = 'switchyard_queue_jobs';

/**
 * Switchyard's notification of the queue of a connection whose status, ordering, cap or rate
 * limit changed, or what its requests are made of (URL and settings, headers, timeout, retry
 * schedule, signing secrets), or that was removed (triggers send it, see the migrations
 * connection_changes_heard and request_changes_heard): a pump running for it must not send what
 * it claimed before.
 */
const CONNECTION_CHANGES_CHANNEL = 'switchyard_connection_changes';

/** `pg_notify` of the queue names in the SQL set `queueNames` (a select of one column), if any. */
const notifyQueues = (queueNames: string) =>
  `select pg_notify('${QUEUE_JOBS_CHANNEL}', string_agg(distinct q, ',')) from (${queueNames}) as queued(q) where q is not null having count(q) > 0`;

/**
 * SQL that adds the job specs in the JSON array `specs` (an SQL expression) through
 * graphile-worker's own `add_jobs`, inside the caller's transaction. By default a keyed job
 * that already waits keeps its run time, so new events do not pull a pump that waits for its
 * connection forward; `reschedule` gives such a job the new time instead. Specs must not
 * repeat a job key. `add_jobs` announces jobs due now itself; the write also announces the
 * queues it added to (see `QUEUE_JOBS_CHANNEL`).
 */
export function addJobsSql(specs: string, { reschedule = false } = {}): string {
  return `with spec as (select s.* from json_populate_recordset(null::graphile_worker.job_spec, ${specs}) s),
    added as (
      select 1 from graphile_worker.add_jobs(
        array(select row(s.identifier, s.payload, s.queue_name, s.run_at, 25, s.job_key, 0, null)::graphile_worker.job_spec from spec s),
        ${reschedule ? 'false' : 'true'})),
    queued as (${notifyQueues('select queue_name from spec')})
    select (select count(*) from added) + 0 * (select count(*) from queued) as added`;
}

/** Adds jobs in the caller's transaction; keyed jobs that wait keep their time unless `reschedule`. */
export async function addJobs(em: EntityManager, jobs: JobSpec[], options: { reschedule?: boolean } = {}): Promise<void> {
  if (jobs.length > 0) await em.execute(addJobsSql('?::json', options), [JSON.stringify(jobs)]);
}

/**
 * CTEs for a write that wants the jobs in the `job` column of CTE `wanted` (JSON job specs,
 * keys unique): a keyed job that already waits is share-locked instead of added again, so no
 * worker can start it before this transaction commits (it sees what the transaction wrote) and
 * concurrent writes for one connection do not queue behind each other's update of that one row;
 * idle workers are woken for it if it is due now, and a job of its queue that runs meanwhile
 * hears of it too. A running job that lingers (`beginLingering`) is share-locked the same way and
 * only hears of it: it claims once more after it stops lingering, which waits for this write. The
 * rest go through `add_jobs`. Defines `jobs` (column `added`), `woken` and `queued` (one row each
 * when they notified); the caller's final select must read all three.
 */
export function shareOrAddJobsCtes(wanted: string): string {
  return `waiting as (
       select j.key, j.run_at <= now() as due from graphile_worker._private_jobs j
       where j.key in (select job->>'job_key' from ${wanted}) and j.is_available
       for share),
     lingering as (
       select l.job_key as key from lingering_pumps l
       where l.job_key in (select job->>'job_key' from ${wanted}) and l.until > now()
       for share),
     -- The keys whose job is told of the work instead of being added again.
     told as (select key from waiting union all select key from lingering),
     fresh as (
       select coalesce(json_agg(job), '[]') as specs from ${wanted}
       where job->>'job_key' is null or job->>'job_key' not in (select key from told)),
     jobs as (
       select case when json_array_length((select specs from fresh)) = 0 then 0
                   else (${addJobsSql('(select specs from fresh)')}) end as added),
     -- Only for jobs due now: one that waits for later (a rate limit, a quota, a failing streak's
     -- probe) keeps its time, and a fetch woken for it would find nothing.
     woken as (select pg_notify('${JOBS_DUE_CHANNEL}', json_build_object('count', count(*))::text) from waiting where due having count(*) > 0),
     -- A queue whose job waits may have a job running too (one that lingers): it hears of the work.
     queued as (${notifyQueues(`select job->>'queue_name' from ${wanted} where job->>'job_key' in (select key from told)`)})`;
}

const LINGER_BEGINS = preparedStatement('switchyard_linger_begins', `insert into lingering_pumps (job_key, until)
  values (?, now() + make_interval(secs => ?)) on conflict (job_key) do update set until = excluded.until`);
const LINGER_ENDS = preparedStatement('switchyard_linger_ends', 'delete from lingering_pumps where job_key = ?');

/**
 * Says that the running job of key `jobKey` lingers for new work of its queue, for `seconds` at
 * most: until `endLingering` (or then), a write for it adds no job but tells the queue (see
 * `shareOrAddJobsCtes`), so an event emitted while a pump lingers costs no `add_jobs` and wakes
 * no job fetch that would find the queue locked. A pump that stops lingering must claim once more
 * after `endLingering`, which returns only once every write that saw it lingering has committed.
 */
export async function beginLingering(db: Db, jobKey: string, seconds: number): Promise<void> {
  await runPrepared(db, LINGER_BEGINS, [jobKey, seconds]);
}

/** Ends `beginLingering`: writes from now on add their job; waits for those that did not. */
export async function endLingering(db: Db, jobKey: string): Promise<void> {
  await runPrepared(db, LINGER_ENDS, [jobKey]);
}

/** Forgets what pumps said they linger for and did not take back (their process died, or their connection went). */
export async function forgetExpiredLingering(em: EntityManager): Promise<void> {
  await em.execute('delete from lingering_pumps where until < now()');
}

/** Tells idle workers in every process that `count` jobs are due now, as `add_jobs` would. */
export async function announceJobsDue(pool: pg.Pool, count: number): Promise<void> {
  await pool.query('select pg_notify($1, $2)', [JOBS_DUE_CHANNEL, JSON.stringify({ count })]);
}

/**
 * Whether graphile-worker still holds job `jobId` (it completes a job after its task returns,
 * without waiting), and whether another job of its queue is due and free.
 */
export async function queueHandOverState(pool: pg.Pool, jobId: string, queueId: number): Promise<{ running: boolean; waiting: boolean }> {
  const { rows: [state] } = await pool.query<{ running: boolean; waiting: boolean }>(
    `select exists (select 1 from graphile_worker._private_jobs where id = $1) as running,
            exists (select 1 from graphile_worker._private_jobs
                    where job_queue_id = $2 and id <> $1 and locked_at is null and run_at <= now()) as waiting`,
    [jobId, queueId],
  );
  return state ?? { running: false, waiting: false };
}

/**
 * Releases the jobs of graphile-worker pools that are dead, and forgets their heartbeats.
 *
 * graphile-worker 0.18 locks a job (and its named queue) with the id of the worker pool that
 * runs it (`pool-…`, one per `run()`, announced by its `pool:create` event), and a pool that
 * dies keeps its locks for four hours. Each worker process beats under that id (see
 * `worker_heartbeats`), so a pool is dead when its heartbeat is older than `staleSeconds`,
 * however long its jobs have run: a slow pump is never taken from a live worker. A lock held
 * by a pool that never beat (one started by another tool, or forgotten already) falls back to
 * the age of the lock. Graphile Worker Pro decides the same way, by a heartbeat per worker.
 * Idle workers are woken for the released jobs. Returns the pools released.
 */
export async function unlockDeadWorkers(em: EntityManager, staleSeconds: number): Promise<string[]> {
  const rows = await em.execute<{ worker_id: string }[]>(
    `with dead as (
       delete from worker_heartbeats where beat_at < now() - make_interval(secs => ?) returning worker_id),
     holders as (
       select locked_by, min(locked_at) as since from graphile_worker._private_jobs
       where locked_by is not null group by locked_by
       union all
       select locked_by, min(locked_at) from graphile_worker._private_job_queues
       where locked_by is not null group by locked_by),
     gone as (
       select distinct h.locked_by as worker_id from holders h
       where h.locked_by in (select worker_id from dead)
          or (h.since < now() - make_interval(secs => ?)
              and not exists (select 1 from worker_heartbeats w where w.worker_id = h.locked_by))),
     unlocked as (select graphile_worker.force_unlock_workers(array(select worker_id from gone))),
     woken as (select pg_notify('${JOBS_DUE_CHANNEL}', json_build_object('count', count(*))::text) from gone having count(*) > 0)
     select worker_id from gone where exists (select 1 from unlocked) and (select count(*) from woken) >= 0`,
    [staleSeconds, staleSeconds],
  );
  return rows.map((row) => row.worker_id);
}

/**
 * Hears `QUEUE_JOBS_CHANNEL` and `CONNECTION_CHANGES_CHANNEL` on graphile-worker's own listening
 * connection (one per worker process, which graphile-worker reconnects by itself), through its
 * public events: `events` must be the runner's, given before it starts. `onJobs` gets the queue
 * names of each notification of new jobs, `onChanges` those of each change of a connection.
 */
export function listenForQueueNews(
  events: WorkerEvents,
  { onJobs, onChanges }: { onJobs: (queueNames: string[]) => void; onChanges: (queueNames: string[]) => void },
): void {
  const each = (command: string) => [QUEUE_JOBS_CHANNEL, CONNECTION_CHANGES_CHANNEL].map((channel) => `${command} "${channel}"`).join('; ');
  events.on('pool:listen:success', ({ client }) => {
    // After graphile-worker's own LISTEN, which it sends once this handler returns: a query
    // queued behind another on a client still connecting makes pg print a deprecation warning.
    setImmediate(() => {
      client.query(each('LISTEN')).catch((error: Error) =>
        logger.warn({ err: error, component: 'worker' }, 'listening for queued work failed; lingering pumps hear of new work again once graphile-worker reconnects'));
    });
  });
  events.on('pool:listen:release', ({ client }) => {
    // The connection goes back to graphile-worker's pool: it must hear nothing more.
    client.query(each('UNLISTEN')).catch(() => {});
  });
  events.on('pool:listen:notification', ({ message }) => {
    if (!message.payload) return;
    if (message.channel === QUEUE_JOBS_CHANNEL) onJobs(message.payload.split(','));
    else if (message.channel === CONNECTION_CHANGES_CHANNEL) onChanges(message.payload.split(','));
  });
}
