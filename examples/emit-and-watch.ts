// Emits one event and prints each delivery attempt as it happens, until every delivery has
// succeeded or died (or the time limit passes).
//
//   SWITCHYARD_URL=http://127.0.0.1:4000 SWITCHYARD_API_KEY=sy_sk_... \
//     npm run example -- order.completed '{"total": 4200}'
//
// The workspace needs a connection and a rule matching the event type; without one, the event is
// accepted with no deliveries and there is nothing to watch.
import { createClient, type DeliveryAttempt } from '../sdk/src/index.ts';

const url = process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:4000';
const apiKey = process.env.SWITCHYARD_API_KEY;
if (!apiKey) {
  console.error('Set SWITCHYARD_API_KEY to a secret key (sy_sk_...) of the workspace.');
  process.exit(1);
}
const [type = 'order.completed', payload = '{}'] = process.argv.slice(2);
const timeoutMs = Number(process.env.WATCH_TIMEOUT_SECONDS ?? 60) * 1000;

const switchyard = createClient({ url, apiKey });

// Subscribe before emitting, then read what happened before the stream started: together they
// miss nothing, and the attempt ids remove the overlap.
const stream = switchyard.deliveries.subscribe({ eventType: type });
const { event } = await switchyard.emit({ type, payload: JSON.parse(payload) });
console.log(`Emitted ${event.type} ${event.id} (sequence ${event.sequence}) -> ${event.deliveries.length} deliveries`);
if (event.deliveries.length === 0) {
  console.log('No rule routes this event type to a connection: nothing to watch.');
  await switchyard.close();
  process.exit(0);
}

const seen = new Set<string>();
const open = new Set(event.deliveries.map((delivery) => delivery.id));
const print = (attempt: Pick<DeliveryAttempt, 'id' | 'attempt' | 'status' | 'statusCode' | 'durationMs' | 'error'>, deliveryId: string) => {
  if (seen.has(attempt.id)) return;
  seen.add(attempt.id);
  const outcome = attempt.status === 'SUCCEEDED' ? 'ok' : `failed: ${attempt.error ?? attempt.statusCode}`;
  console.log(`  ${deliveryId} attempt ${attempt.attempt}: HTTP ${attempt.statusCode ?? '-'} in ${attempt.durationMs} ms, ${outcome}`);
};
const settle = (deliveryId: string, status: string) => {
  if (status !== 'SUCCEEDED' && status !== 'DEAD') return;
  console.log(`  ${deliveryId} is ${status}`);
  open.delete(deliveryId);
};

for (const { id } of event.deliveries) {
  const delivery = await switchyard.deliveries.get(id);
  for (const attempt of delivery.attempts) print(attempt, id);
  settle(id, delivery.status);
}

const timer = setTimeout(() => {
  console.log(`Still waiting on ${open.size} deliveries after ${timeoutMs / 1000} s; they keep retrying on schedule.`);
  void stream.close();
}, timeoutMs);
for await (const attempt of open.size > 0 ? stream : []) {
  if (attempt.event.id !== event.id || !open.has(attempt.delivery.id)) continue;
  print(attempt, attempt.delivery.id);
  settle(attempt.delivery.id, attempt.delivery.status);
  if (open.size === 0) break;
}
clearTimeout(timer);
await switchyard.close();
