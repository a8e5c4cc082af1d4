// Baseline for the durable, all-in-one measurement: the webhook sender a team would write by hand
// on the same stack. Events go into a table of their own with one graphile-worker job each, in one
// transaction (the bench writes them, see `HAND_ROLLED_EMIT` in measurements/all-in-one.ts); each
// job reads its event, signs it with the standardwebhooks library and POSTs it with fetch, 16 at a
// time. graphile-worker's defaults otherwise, with a quiet logger so it prints no line per job.
import { run, runMigrations } from 'graphile-worker';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { quietLogger } from '../../src/db/quiet-logger.ts';

const databaseUrl = process.env.DATABASE_URL!;
const target = process.env.BENCH_TARGET!;
const webhook = new Webhook(process.env.BENCH_SECRET!);

const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
pool.on('error', () => {});
await runMigrations({ pgPool: pool, logger: quietLogger });
await pool.query(`create table if not exists hand_rolled_events (
  id bigserial primary key, type text not null, payload jsonb not null, created_at timestamptz not null default now())`);

const runner = await run({
  pgPool: pool,
  concurrency: 16,
  logger: quietLogger,
  noHandleSignals: true,
  taskList: {
    send_webhook: async (payload) => {
      const { eventId } = payload as { eventId: string };
      const { rows: [event] } = await pool.query<{ id: string; type: string; payload: unknown; created_at: Date }>(
        'select id, type, payload, created_at from hand_rolled_events where id = $1', [eventId]);
      if (!event) return;
      const id = `msg_${event.id}`;
      const sentAt = new Date();
      const body = JSON.stringify({ id, type: event.type, timestamp: event.created_at.toISOString(), data: event.payload });
      const response = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': webhook.sign(id, sentAt, body),
        },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`the receiver answered ${response.status}`);
    },
  },
});
console.log('hand-rolled sender running');
process.on('SIGTERM', () => void runner.stop().then(() => pool.end()).then(() => process.exit(0)));

