// Emits one event and prints each delivery attempt as it happens, until every delivery has
// succeeded or died (or the time limit passes). Retries show up live, on the connection's schedule.
//
//   SWITCHYARD_API_KEY=sy_sk_... npm run example -- order.completed '{"total": 4200}'
//
// SWITCHYARD_API_KEY (required): a secret key of the workspace.
// SWITCHYARD_URL: the API. (Default: http://127.0.0.1:4000)
// WATCH_TIMEOUT_SECONDS: how long to watch. (Default: 60)
//
// The workspace needs a connection and a rule matching the event type; without one, the event is
// accepted with no deliveries and there is nothing to watch.
import { createClient } from '../sdk/src/index.ts';

const url = process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:4000';
const apiKey = process.env.SWITCHYARD_API_KEY;
if (!apiKey) {
  console.error('Set SWITCHYARD_API_KEY to a secret key (sy_sk_...) of the workspace.');
  process.exit(1);
}
const [type = 'order.completed', payload = '{}'] = process.argv.slice(2);
const timeoutMs = Number(process.env.WATCH_TIMEOUT_SECONDS ?? 60) * 1000;

const switchyard = createClient({ url, apiKey });

// Subscribed first: once subscribe() resolves, every attempt made after it is in the stream.
const attempts = await switchyard.deliveries.subscribe({ eventType: type });
const { event, unknownType } = await switchyard.emit({ type, payload: JSON.parse(payload) });
// Only a publishable key's repeated emit comes back by id alone; subscribe() above needed a secret key.
if (!('deliveries' in event)) throw new Error('SWITCHYARD_API_KEY must be a secret key (sy_sk_...)');
console.log(`Emitted ${event.type} ${event.id} (sequence ${event.sequence}) -> ${event.deliveries.length} deliveries`);
if (unknownType) console.log(`Note: "${type}" is not in the workspace's event type catalog; a typo?`);
if (event.deliveries.length === 0) {
  console.log('No rule routes this event type to a connection: nothing to watch.');
  await switchyard.close();
  process.exit(0);
}

const open = new Set(event.deliveries.map((delivery) => delivery.id));
const timer = setTimeout(() => {
  console.log(`Still waiting on ${open.size} deliveries after ${timeoutMs / 1000} s; they keep retrying on schedule.`);
  void attempts.close();
}, timeoutMs);
for await (const attempt of attempts) {
  if (attempt.event.id !== event.id) continue;
  const outcome = attempt.status === 'SUCCEEDED' ? 'ok' : `failed: ${attempt.error ?? `HTTP ${attempt.statusCode}`}`;
  const next = attempt.delivery.status === 'RETRYING' ? `, next try at ${attempt.delivery.nextAttemptAt}` : '';
  console.log(`  ${attempt.delivery.id} attempt ${attempt.attempt}: HTTP ${attempt.statusCode ?? '-'} in ${attempt.durationMs} ms, ${outcome}${next}`);
  if (attempt.delivery.status === 'SUCCEEDED' || attempt.delivery.status === 'DEAD') {
    console.log(`  ${attempt.delivery.id} is ${attempt.delivery.status}`);
    open.delete(attempt.delivery.id);
  }
  if (open.size === 0) break;
}
clearTimeout(timer);
await switchyard.close();
