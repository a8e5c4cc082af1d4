import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { createClient, type Stream, type StreamedDelivery } from '../../../sdk/src/index.ts';
import { ExitCode } from '../../exit-codes.ts';
import { call, ERRORS } from '../api.ts';
import type { ClientOptions } from '../client-options.ts';
import { CliError, paint, print } from '../output.ts';

const STATUSES = ['PENDING', 'DELIVERING', 'SUCCEEDED', 'RETRYING', 'DEAD'];

/** `1h`, `30m`, `2d`, `45s` as milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (!match) throw new CliError(`--since takes a duration like 30m, 1h or 2d, not "${text}"`, ExitCode.USAGE);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

function statusOf(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const status = text.toUpperCase();
  if (!STATUSES.includes(status)) throw new CliError(`--status is one of ${STATUSES.join(', ')}, not "${text}"`, ExitCode.USAGE);
  return status;
}

/** `tail`, `replay`, `send-test`. */
export function deliveryCommands(program: Command, options: () => ClientOptions): void {
  program
    .command('tail')
    .description('Show attempts live as workers make them, over the SDK\'s subscription; Ctrl-C stops')
    .option('--event-type <type>', 'only attempts of deliveries of this event type')
    .option('--connection <id>', 'only attempts of this connection (conn_...)')
    .option('--failed', 'only failed attempts')
    .action(async (flags: { eventType?: string; connection?: string; failed?: boolean }) => {
      const { url, apiKey, json } = options();
      if (!apiKey) throw new CliError('no key: pass --key or set SWITCHYARD_API_KEY', ExitCode.USAGE);
      const client = createClient({ url, apiKey });
      const stop = () => void client.close().then(() => process.exit(ExitCode.OK));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const stream = await client.deliveries.subscribe({ ...(flags.eventType && { eventType: flags.eventType }), ...(flags.connection && { connectionId: flags.connection }) });
      if (!json) process.stderr.write(paint('dim', `Watching attempts at ${url} (Ctrl-C stops)\n`));
      try {
        for await (const attempt of stream) {
          if (flags.failed && attempt.status === 'SUCCEEDED') continue;
          print(json, attempt, () => {
            const ok = attempt.status === 'SUCCEEDED';
            return [
              paint('dim', new Date(attempt.startedAt).toISOString().slice(11, 23)),
              paint(ok ? 'green' : 'red', attempt.status.padEnd(9)),
              String(attempt.statusCode ?? '---').padEnd(3),
              `${attempt.durationMs}ms`.padStart(7),
              attempt.event.type,
              paint('dim', `${attempt.delivery.id} #${attempt.attempt} -> ${attempt.delivery.connection.id}`),
              ...(attempt.error ? [paint('yellow', attempt.error)] : []),
            ].join(' ');
          });
        }
      } catch (error) {
        throw new CliError(`the subscription ended: ${(error as Error).message ?? String(error)}`, ExitCode.UNAVAILABLE);
      }
    });

  program
    .command('replay')
    .description('Replay every delivery matching the filter (dead ones by default), with a progress bar')
    .option('--status <status>', 'deliveries in this status', 'DEAD')
    .option('--since <duration>', 'created within this long, e.g. 1h, 30m, 2d')
    .option('--event-type <type>', 'of this event type')
    .option('--connection <id>', 'of this connection (conn_...)')
    .action(async (flags: { status: string; since?: string; eventType?: string; connection?: string }) => {
      const { url, apiKey, json } = options();
      const until = new Date();
      const filter = {
        status: statusOf(flags.status),
        ...(flags.since && { since: new Date(until.getTime() - parseDuration(flags.since)).toISOString() }),
        ...(flags.eventType && { eventType: flags.eventType }),
        ...(flags.connection && { connectionId: flags.connection }),
        until: until.toISOString(),
      };
      // Subscribed first (resolved once the server streams), so no requeue is missed: each
      // replayed delivery is announced as PENDING.
      const client = createClient({ url, apiKey: apiKey ?? '' });
      const { status: _status, ...scope } = filter;
      let updates: Stream<StreamedDelivery> | null = null;
      try {
        if (apiKey) updates = await client.deliveries.subscribe(scope, { to: 'updates' });
        const { count, skipped } = await call<{ count: number; skipped: number }>(url, apiKey,
          `mutation ($input: ReplayDeliveriesInput!) { replayDeliveries(input: $input) { ${ERRORS} ... on ReplayDeliveriesPayload { count skipped } } }`,
          { input: { filter } }, 'replayDeliveries');
        if (count > 0 && updates) await follow(updates, count, json);
        const left = skipped ? `; skipped ${skipped} whose payloads were erased or removed by retention` : '';
        print(json, { count, skipped }, () => `Replayed ${count} ${count === 1 ? 'delivery' : 'deliveries'}${left}`);
      } finally {
        await updates?.return?.();
        await client.close();
      }
    });

  program
    .command('send-test')
    .description('Send a real, signed test event to one connection, outside the rules')
    .requiredOption('--connection <id>', 'the connection (conn_...)')
    .requiredOption('--type <type>', 'the event type, e.g. order.completed')
    .option('--payload <json>', 'the data, as JSON (default: the type\'s example, or {})')
    .action(async (flags: { connection: string; type: string; payload?: string }) => {
      const { url, apiKey, json } = options();
      let payload: unknown;
      try {
        payload = flags.payload === undefined ? undefined : JSON.parse(flags.payload);
      } catch {
        throw new CliError('--payload is not valid JSON', ExitCode.USAGE);
      }
      const sent = await call<{ event: { id: string }; delivery: { id: string; status: string } }>(url, apiKey,
        `mutation ($input: SendTestEventInput!) { sendTestEvent(input: $input) { ${ERRORS}
           ... on SendTestEventPayload { event { id } delivery { id status } } } }`,
        { input: { connectionId: flags.connection, type: flags.type, ...(payload !== undefined && { payload }) } }, 'sendTestEvent');
      print(json, { event: sent.event.id, delivery: sent.delivery.id, status: sent.delivery.status },
        () => `Sent test event ${sent.event.id} as delivery ${sent.delivery.id} (${sent.delivery.status}); \`switchyard tail\` shows its attempt`);
    });
}

/** Shows a progress bar (on a terminal) until `count` deliveries have been requeued. */
async function follow(updates: AsyncIterableIterator<{ id: string; status: string }>, count: number, json: boolean): Promise<void> {
  const bar = !json && process.stderr.isTTY ? new SingleBar({ format: 'replaying [{bar}] {value}/{total}', stream: process.stderr }) : null;
  bar?.start(count, 0);
  const requeued = new Set<string>();
  const deadline = Date.now() + Math.max(30_000, count * 10);
  try {
    while (requeued.size < count && Date.now() < deadline) {
      const next = await Promise.race([updates.next(), new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000))]);
      if (next === null) continue;
      if (next.done) break;
      if (next.value.status === 'PENDING') requeued.add(next.value.id);
      bar?.update(requeued.size);
    }
  } finally {
    bar?.stop();
  }
}
