import type { Config } from './config.ts';
import type { EmbeddedDatabase } from './db/embedded-postgres.ts';
import { connectOrm } from './db/orm.ts';
import { migrate } from './db/migrate.ts';
import { ensureAdminKey } from './domains/auth/api-key.service.ts';
import type { App } from './server/app.ts';
import { startWorker, type Worker } from './jobs/index.ts';
import { closeHttp } from './domains/deliveries/http/send-webhook.ts';
import { closeExpressions, configureExpressions } from './domains/expressions/expression.ts';
import { loadKeyring } from './domains/secrets/keyring.ts';
import { prepareStoredSecrets } from './domains/secrets/stored-secrets.ts';
import { sealPlaintextHeaders } from './domains/connections/webhook-config.ts';
import type { Services } from './server/services.ts';

export interface Switchyard {
  services: Services;
  /** The API's base URL when this process serves it. */
  url: string | null;
  stop(): Promise<void>;
}

/**
 * Starts one Switchyard process: Postgres (embedded unless `DATABASE_URL` is set), migrations,
 * then the API and/or the worker as `SWITCHYARD_ROLE` says. `stop()` undoes it in reverse.
 */
export async function startSwitchyard(config: Config, options: { log?: (line: string) => void } = {}): Promise<Switchyard> {
  const log = options.log ?? (() => {});
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const { startEmbeddedPostgres } = await import('./db/embedded-postgres.ts');
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort });
    databaseUrl = embedded.url;
    log(`Embedded Postgres on 127.0.0.1:${config.embeddedPgPort} (data in ${config.dataDir})`);
  }

  // Attempts hold a connection only around their queries, never during the HTTP request.
  configureExpressions({ workers: 2, memoryMb: config.expressionMemoryMb });
  // Before Postgres starts: a keyring that cannot be had stops the start with its reason.
  const keyring = await loadKeyring(config, log);
  const orm = await connectOrm(databaseUrl, config.role === 'api' ? 10 : Math.max(10, Math.ceil(config.workerConcurrency / 2)));
  const services: Services = { orm, config };
  let app: App | null = null;
  let worker: Worker | null = null;
  let graphqlUrl: string | null = null;
  try {
    await migrate(orm, databaseUrl);
    const em = orm.em.fork();
    await prepareStoredSecrets(em, keyring, () => sealPlaintextHeaders(em));
    const adminKey = await ensureAdminKey(orm.em.fork(), config.adminKey);
    if (adminKey) {
      log(`Admin key (shown once; store it now): ${adminKey}`);
    }
    if (config.role !== 'worker') {
      // Loaded only where the API runs: a worker process never carries the GraphQL stack.
      const [{ startDeliveryPubSub }, { startRevocationListener }, { startApp, GRAPHQL_PATH }] = await Promise.all([
        import('./server/pubsub.ts'),
        import('./server/revocation-listener.ts'),
        import('./server/app.ts'),
      ]);
      services.pubsub = await startDeliveryPubSub(databaseUrl, { log });
      services.revocations = await startRevocationListener(databaseUrl, { log });
      app = await startApp(services, { port: config.port, host: config.host });
      services.apiUrl = app.url;
      graphqlUrl = `${app.url}${GRAPHQL_PATH}`;
    }
    if (config.role !== 'api') {
      worker = await startWorker(services, databaseUrl);
      log(`Delivery worker running (concurrency ${config.workerConcurrency})`);
    }
    // Last, so whoever waits for this line finds the whole process ready.
    if (graphqlUrl) log(`GraphQL API: ${graphqlUrl} (open it in a browser for GraphiQL)`);
  } catch (error) {
    await app?.close();
    await services.pubsub?.close();
    await services.revocations?.close();
    await orm.close();
    await embedded?.stop();
    throw error;
  }

  return {
    services,
    url: app?.url ?? null,
    async stop() {
      // Every part gets its chance to stop even when an earlier one fails, so Postgres is never
      // left running; the failures are reported together at the end.
      const failures: unknown[] = [];
      const steps = [
        () => app?.close(),
        () => services.pubsub?.close(),
        () => services.revocations?.close(),
        () => worker?.stop(),
        () => closeHttp(),
        () => closeExpressions(),
        () => orm.close(),
        () => embedded?.stop(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, 'Switchyard did not stop cleanly');
    },
  };
}
