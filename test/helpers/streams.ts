import type { DeliveryFeed } from '../../src/domains/deliveries/changes/delivery-feed.ts';
import { decodeId } from '../../src/domains/public-ids.ts';

/** The next `count` items of `stream`; fails after `timeoutMs` with what had arrived. */
export async function take<T>(stream: AsyncIterator<T>, count: number, timeoutMs = 15_000): Promise<T[]> {
  const items: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`expected ${count} items within ${timeoutMs} ms, got ${JSON.stringify(items)}`)), timeoutMs);
  });
  try {
    while (items.length < count) {
      const next = await Promise.race([stream.next(), timeout]);
      if (next.done) throw new Error(`the stream ended after ${items.length} of ${count} items`);
      items.push(next.value);
    }
    return items;
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` is still unsettled after `ms`. */
export async function stillPending(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol('pending');
  let timer: NodeJS.Timeout | undefined;
  const later = new Promise<symbol>((resolve) => (timer = setTimeout(() => resolve(marker), ms)));
  try {
    return (await Promise.race([promise.then(() => null, () => null), later])) === marker;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until the API process holds `count` streams of the workspace (public id): the protocol
 * has no "subscribed" acknowledgement, and a stream without `after:` starts with the changes
 * after the server registered it.
 */
export async function untilSubscribed(feed: DeliveryFeed | undefined, workspaceId: string, count: number, timeoutMs = 10_000) {
  if (!feed) throw new Error('this process has no delivery feed');
  const id = decodeId('Workspace', workspaceId);
  const deadline = Date.now() + timeoutMs;
  while (feed.followerCount(id) !== count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} subscriptions, have ${feed.followerCount(id)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
