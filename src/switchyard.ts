import type pg from 'pg';
import type { Config } from './config.ts';
import type { EmbeddedDatabase } from './db/embedded-postgres.ts';
import { lockDataDir, type DataDirLock } from './db/data-dir-lock.ts';
import { checkMigrations, checkPostgres, opsPool } from './db/health-checks.ts';
import { connectOrm } from './db/orm.ts';
import { entities } from './domains/entities.ts';
import { migrate } from './db/migrate.ts';
import { probeDatabase } from './db/probe-database.ts';
import { ensureAdminKey } from './domains/auth/api-key.service.ts';
import { closeHttp } from './domains/deliveries/http/send-webhook.ts';
import { closeExpressions, configureExpressions } from './domains/expressions/expression.ts';
import { loadKeyring } from './domains/secrets/keyring.ts';
import { prepareStoredSecrets } from './domains/secrets/stored-secrets.ts';
import { sealPlaintextHeaders } from './domains/connections/webhook-config.ts';
import { startWorker, type Worker } from './jobs/index.ts';
import { livenessHandler, readinessHandler, Readiness } from './observability/health.ts';
import { announce, announceSecret, configureLogging, logger } from './observability/logger.ts';
import { listenHttp, type HttpServer } from './server/http-server.ts';
import type { App } from './server/app.ts';
import type { Services } from './services.ts';
import { startupError } from './startup-errors.ts';
import { readBacklogStats } from './domains/deliveries/queries/backlog-stats.ts';
import { decodeId } from './domains/public-ids.ts';
import { watchDatabase } from './observability/database-metrics.ts';
import { labelWorkspaces, scrape } from './observability/metrics.ts';
import { watchPool, watchSubscriptions, watchWorker } from './observability/process-metrics.ts';

export { StartupError } from './startup-errors.ts';

/** Where a worker-only process serves `/metrics`, `/healthz` and `/readyz` unless told otherwise. */
export const DEFAULT_WORKER_OPS_PORT = 9464;

export interface Switchyard {
  services: Services;
  /** The API's base URL when this process serves it. */
  url: string | null;
  /** The base URL of the operations server, when this process runs one of its own. */
  opsUrl: string | null;
  readiness: Readiness;
  /** Rejects when a part fails on its own (the worker, the embedded Postgres): stop then. */
  failed: Promise<never>;
  stop(): Promise<void>;
}

/**
 * Starts one Switchyard process, in an order that leaves nothing behind when a step fails:
 * first what must be this process's alone (the data directory, the ports), then Postgres
 * (embedded unless `DATABASE_URL` is set), migrations and the admin key, then the API and/or
 * the worker as `SWITCHYARD_ROLE` says. A failure undoes the steps taken and throws a
 * `StartupError` whose one-line message names the setting to change. `stop()` undoes it all
 * in reverse.
 */
export async function startSwitchyard(config: Config): Promise<Switchyard> {
  configureLogging(config);
  const log = logger.child({ component: 'switchyard' });
  const readiness = new Readiness();
  /** What to undo, in the order taken; undone from the end. */
  const undo: (() => unknown)[] = [];
  /** What the metrics read from this start's parts; let go of first when stopping. */
  const watches: (() => void)[] = [];
  const failures: Promise<never>[] = [];
  let stopping = false;

  let lock: DataDirLock | null = null;
  let http: HttpServer | null = null;
  let ops: HttpServer | null = null;
  let embedded: EmbeddedDatabase | null = null;
  let pool: pg.Pool | null = null;
  let app: App | null = null;
  let worker: Worker | null = null;
  let services: Services | null = null;

  try {
    if (!config.databaseUrl) {
      lock = lockDataDir(config.dataDir);
      undo.push(() => lock?.release());
    }
    const serveApi = config.role !== 'worker';
    const opsPort = config.opsPort ?? (serveApi ? null : DEFAULT_WORKER_OPS_PORT);
    if (serveApi) {
      http = await listenHttp(config.port, config.host).catch((error: unknown) => Promise.reject(startupError(error, config, 'PORT')));
      undo.push(() => http?.close());
    }
    if (opsPort !== null) {
      const opsServer = await listenHttp(opsPort, config.host).catch((error: unknown) => Promise.reject(startupError(error, config, 'SWITCHYARD_OPS_PORT')));
      ops = opsServer;
      undo.push(() => opsServer.close());
      // It serves its three paths and nothing else.
      opsServer.fallback((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this port serves /metrics, /healthz and /readyz'));
      announce(`Operations server: ${opsServer.url} (/metrics, /healthz, /readyz)`);
    }
    for (const server of [http, ops]) {
      server?.route('/healthz', livenessHandler());
      server?.route('/readyz', readinessHandler(readiness));
    }
    // With an operations port of its own, /metrics is served there only, off the public port.
    (ops ?? http)?.route('/metrics', (_req, res) => {
      void scrape().then(
        ({ body, contentType }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (error: unknown) => {
          log.error({ err: error }, 'a /metrics scrape failed');
          res.writeHead(500).end();
        },
      );
    });
    labelWorkspaces(new Map(config.metricsWorkspaces.map((id) => [decodeId('Workspace', id), id])));
    configureExpressions({ workers: 2, memoryMb: config.expressionMemoryMb });
    undo.push(() => closeExpressions());
    // Before Postgres starts: a keyring that cannot be had stops the start with its reason.
    const keyring = await loadKeyring(config, (line) => announce(line));

    let databaseUrl = config.databaseUrl;
    if (databaseUrl) {
      await probeDatabase(databaseUrl);
    } else {
      const { startEmbeddedPostgres, runningPostmaster, stopPostmaster } = await import('./db/embedded-postgres.ts');
      const orphan = runningPostmaster(config.dataDir);
      if (orphan !== null) {
        log.info(`Stopping a Postgres (pid ${orphan}) left running on ${config.dataDir} by an earlier start`);
        await stopPostmaster(orphan);
      }
      const database = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort });
      embedded = database;
      undo.push(() => database.stop());
      failures.push(database.exited.then((code) => {
        throw new Error(`the embedded Postgres exited (code ${code}); its log is ${database.logFile}`);
      }));
      databaseUrl = database.url;
      announce(`Embedded Postgres on 127.0.0.1:${config.embeddedPgPort} (data in ${config.dataDir}, log in ${database.logFile})`);
    }

    pool = opsPool(databaseUrl);
    const checks = pool;
    undo.push(() => checks.end());
    readiness.add('postgres', () => checkPostgres(checks));
    readiness.add('migrations', () => checkMigrations(checks));
    watches.push(watchPool('ops', checks), watchDatabase(() => readBacklogStats(checks)));

    // Attempts hold a connection only around their queries, never during the HTTP request.
    const orm = await connectOrm(databaseUrl, entities, config.role === 'api' ? 10 : Math.max(10, Math.ceil(config.workerConcurrency / 2)));
    undo.push(() => orm.close());
    watches.push(watchPool('api', await orm.em.getConnection().getNativeClient()));
    services = { orm, config };
    await migrate(orm, databaseUrl);
    const em = orm.em.fork();
    await prepareStoredSecrets(em, keyring, () => sealPlaintextHeaders(em));

    const adminKey = await ensureAdminKey(orm.em.fork(), config.adminKey);
    if (adminKey) announceSecret(`Admin key (shown once; store it now): ${adminKey}`);

    if (http) {
      // Loaded only where the API runs: a worker process never carries the GraphQL stack.
      const [{ startDeliveryPubSub }, { deliveryFeed }, { startRevocationListener }, { startApp }, { schema }] = await Promise.all([
        import('./server/pubsub.ts'),
        import('./server/delivery-feed.ts'),
        import('./server/revocation-listener.ts'),
        import('./server/app.ts'),
        import('./resolvers/index.ts'),
      ]);
      const listenerLog = (line: string) => logger.warn({ component: 'listener' }, line);
      const pubsub = await startDeliveryPubSub(databaseUrl, { log: listenerLog });
      services.pubsub = pubsub;
      undo.push(() => pubsub.close());
      const feed = deliveryFeed(orm, pubsub, { log: (line) => logger.warn({ component: 'delivery-feed' }, line) });
      services.deliveryFeed = feed;
      undo.push(() => feed.close());
      const revocations = await startRevocationListener(databaseUrl, { log: listenerLog });
      services.revocations = revocations;
      undo.push(() => revocations.close());
      readiness.add('listener', () => {
        if (!pubsub.isListening()) return 'the delivery listener is reconnecting to Postgres';
        return revocations.isListening() ? null : 'the revocation listener is reconnecting to Postgres';
      });

      app = startApp(services, http, schema);
      services.apiUrl = http.url;
      const started = app;
      undo.push(() => started.close());
      watches.push(watchSubscriptions(() => started.openSubscriptions()));
    }
    if (config.role !== 'api') {
      const running = await startWorker(services, databaseUrl);
      worker = running;
      undo.push(() => running.stop());
      watches.push(watchPool('worker', running.pool), watchPool('claims', running.claimsPool), watchWorker({ busy: running.busySlots, slots: running.slots }));
      readiness.add('worker', () => running.health());
      failures.push(running.failed);
      announce(`Delivery worker running (concurrency ${config.workerConcurrency})`);
    }
    // Last, so whoever waits for this line finds the whole process ready.
    if (http) announce(`GraphQL API: ${http.url}/graphql (open it in a browser for GraphiQL)`);
    readiness.phase = 'ready';
  } catch (error) {
    await undoAll([...watches, ...undo.reverse()]);
    throw startupError(error, config);
  }
  const started = services;

  const failed = Promise.race(failures.map((failure) => failure.then(
    (value) => value,
    (error: unknown) => (stopping ? new Promise<never>(() => {}) : Promise.reject(error)),
  )));
  failed.catch(() => {});

  return {
    services: started,
    url: http?.url ?? null,
    opsUrl: ops?.url ?? null,
    readiness,
    failed,
    async stop() {
      stopping = true;
      readiness.phase = 'stopping';
      // The API stops taking requests first and the worker finishes its attempts, before the
      // pools close and Postgres stops: nothing is cut off mid-query.
      const order: (() => unknown)[] = [
        ...watches,
        () => app?.close(),
        () => http?.close(),
        () => started.deliveryFeed?.close(),
        () => started.pubsub?.close(),
        () => started.revocations?.close(),
        () => worker?.stop(),
        () => closeHttp(),
        () => closeExpressions(),
        () => ops?.close(),
        () => pool?.end(),
        () => started.orm.close(),
        () => embedded?.stop(),
        () => lock?.release(),
      ];
      const problems = await undoAll(order);
      if (problems.length > 0) throw new AggregateError(problems, 'Switchyard did not stop cleanly');
    },
  };
}

/** Runs `steps` in order, each even when an earlier one fails; returns the failures. */
async function undoAll(steps: (() => unknown)[]): Promise<unknown[]> {
  const problems: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      problems.push(error);
    }
  }
  return problems;
}
