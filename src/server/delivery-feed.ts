import type { MikroORM } from '@mikro-orm/postgresql';
import { Attempt } from '../domains/deliveries/attempt.entity.ts';
import { Delivery } from '../domains/deliveries/delivery.entity.ts';
import { compareCursors, formatCursor, type ChangeCursor } from '../domains/deliveries/changes/change-cursor.ts';
import { headCursor, readChanges, type ChangeRow } from '../domains/deliveries/changes/read-changes.ts';
import type { DeliveryFeed, LoadedChange } from '../domains/deliveries/changes/delivery-feed.ts';
import type { DeliveryPubSub } from '../domains/deliveries/delivery-notifications.ts';
import { pushIterator, type Sink } from './push-iterator.ts';

export interface DeliveryFeedOptions {
  /** Changes a stream may leave unread before it is ended with an error. (Default: 1000) */
  maxQueued?: number;
  /** Where read failures are reported. (Default: nowhere) */
  log?: (line: string) => void;
}

/** Changes read at once: a page of the log, and a bound on what one read loads. */
const PAGE = 500;
/** How soon a tail looks again when committed changes wait behind a running transaction, doubling up to the max. */
const RETRY_MIN_MS = 2;
/** Gaps between the reads that follow a registration (see `settle`), 3.2 s in all. */
const SETTLE_READS_MS = [25, 75, 100, 200, 400, 800, 1600];
const RETRY_MAX_MS = 250;
/** How soon a tail tries again after a failed read, doubling up to the max. */
const FAILURE_MIN_MS = 100;
const FAILURE_MAX_MS = 5_000;

const STREAM_CURSOR = Symbol('streamCursor');

/** The cursor of the change an object was streamed for; null for one read by a query. */
export function streamCursorOf(object: object): string | null {
  return (object as { [STREAM_CURSOR]?: string })[STREAM_CURSOR] ?? null;
}

interface Tail {
  position: ChangeCursor;
  followers: Set<Sink<LoadedChange>>;
  reading: boolean;
  again: boolean;
  retryMs: number;
  failureMs: number;
  timer: NodeJS.Timeout | undefined;
  unlisten: () => void;
}

/**
 * Delivery changes for this API process's streams, read from the change log (`delivery_changes`).
 *
 * Terms:
 * - tail: one per workspace with followers in this process. Woken by the pub/sub on every commit
 *   that changed one of the workspace's deliveries, it reads the log after its position and hands
 *   each change, loaded once, to every follower. It starts at the head (everything after now).
 * - follower: one stream. With a cursor it first reads the log after that cursor on its own
 *   (catching up), then joins the tail: it registers, and reads what lies between where it is and
 *   where the tail was then; everything after comes from the tail. The log hands changes out in
 *   one total order, final once read (see read-changes.ts), so that seam neither skips nor repeats.
 */
export function deliveryFeed(orm: MikroORM, pubsub: DeliveryPubSub, options: DeliveryFeedOptions = {}): DeliveryFeed {
  const { maxQueued = 1000, log = () => {} } = options;
  const tails = new Map<string, Tail>();
  const starting = new Map<string, Promise<Tail>>();
  let closed = false;

  const later = (workspaceId: string, tail: Tail, ms: number) => {
    if (tail.timer) return;
    tail.timer = setTimeout(() => {
      tail.timer = undefined;
      void read(workspaceId, tail);
    }, ms);
  };

  /**
   * Reads now and a few times over the next seconds: a write that was already running when the
   * workspace was registered did not see the registration, and commits without a wake-up.
   * Switchyard's writes take milliseconds, so they have ended by the last read.
   */
  const settle = (workspaceId: string, tail: Tail) => {
    void read(workspaceId, tail);
    let waited = 0;
    for (const ms of SETTLE_READS_MS) {
      waited += ms;
      setTimeout(() => {
        if (tails.get(workspaceId) === tail) void read(workspaceId, tail);
      }, waited).unref();
    }
  };

  const read = async (workspaceId: string, tail: Tail): Promise<void> => {
    if (tail.reading) {
      tail.again = true;
      return;
    }
    tail.reading = true;
    try {
      do {
        tail.again = false;
        const page = await readChanges(orm.em.fork(), workspaceId, tail.position, { limit: PAGE });
        if (page.changes.length > 0) {
          const loaded = await loadChanges(orm, workspaceId, page.changes);
          tail.position = page.changes.at(-1)!.cursor;
          for (const change of loaded) for (const follower of tail.followers) follower.push(change);
        }
        if (page.changes.length === PAGE) {
          tail.again = true;
        } else if (page.heldBack) {
          later(workspaceId, tail, tail.retryMs);
          tail.retryMs = Math.min(RETRY_MAX_MS, tail.retryMs * 2);
        } else {
          tail.retryMs = RETRY_MIN_MS;
        }
        tail.failureMs = FAILURE_MIN_MS;
      } while (tail.again && tails.get(workspaceId) === tail);
    } catch (error) {
      // The position did not move: the next read takes up where this one failed.
      log(`Reading the delivery changes of workspace ${workspaceId} failed (${(error as Error).message}); trying again`);
      later(workspaceId, tail, tail.failureMs);
      tail.failureMs = Math.min(FAILURE_MAX_MS, tail.failureMs * 2);
    } finally {
      tail.reading = false;
    }
  };

  const tailFor = (workspaceId: string): Promise<Tail> => {
    const running = tails.get(workspaceId);
    if (running) return Promise.resolve(running);
    let start = starting.get(workspaceId);
    if (!start) {
      start = (async () => {
        const tail: Tail = {
          position: await headCursor(orm.em.fork()),
          followers: new Set(),
          reading: false,
          again: false,
          retryMs: RETRY_MIN_MS,
          failureMs: FAILURE_MIN_MS,
          timer: undefined,
          unlisten: () => {},
        };
        const listening = pubsub.listen(workspaceId, (registeredAgain) => (registeredAgain ? settle(workspaceId, tail) : void read(workspaceId, tail)));
        tail.unlisten = listening.stop;
        // Writers announce the workspace's changes from here on; what committed before is read now.
        await listening.registered;
        tails.set(workspaceId, tail);
        settle(workspaceId, tail);
        return tail;
      })().finally(() => starting.delete(workspaceId));
      starting.set(workspaceId, start);
    }
    return start;
  };

  /** Registers a follower with the workspace's tail; the tail goes when its last follower does. */
  const join = async (workspaceId: string) => {
    const tail = await tailFor(workspaceId);
    if (closed) throw new Error('The delivery feed is closed');
    const { subscriber, iterable } = pushIterator<LoadedChange>(maxQueued, () => {
      tail.followers.delete(subscriber);
      if (tail.followers.size === 0 && tails.get(workspaceId) === tail) {
        tails.delete(workspaceId);
        tail.unlisten();
        clearTimeout(tail.timer);
      }
    });
    tail.followers.add(subscriber);
    return { joinedAt: tail.position, live: iterable };
  };

  /** One stream's state outside its generator, so that closing it never waits for a change. */
  interface Follower {
    live: AsyncIterableIterator<LoadedChange> | null;
    stopped: boolean;
  }

  async function* caughtUp(workspaceId: string, after: ChangeCursor, follower: Follower): AsyncGenerator<LoadedChange> {
    let cursor = after;
    // Up to the log's frontier on its own, a page at a time as the stream is read, so a cursor
    // from long ago neither loads everything at once nor fills the tail's queue meanwhile.
    for (;;) {
      const page = await readChanges(orm.em.fork(), workspaceId, cursor, { limit: PAGE });
      if (page.changes.length > 0) {
        yield* await loadChanges(orm, workspaceId, page.changes);
        cursor = page.changes.at(-1)!.cursor;
      }
      if (page.changes.length < PAGE) break;
    }
    if (follower.stopped) return;
    const { joinedAt, live } = await join(workspaceId);
    follower.live = live;
    if (follower.stopped) await live.return?.();
    yield* seam(workspaceId, cursor, joinedAt, live);
  }

  async function* seam(workspaceId: string, from: ChangeCursor, joinedAt: ChangeCursor, live: AsyncIterableIterator<LoadedChange>): AsyncGenerator<LoadedChange> {
    let cursor = from;
    try {
      // What the tail read before this follower joined is final, so a read bounded by it is complete.
      while (compareCursors(cursor, joinedAt) < 0) {
        const page = await readChanges(orm.em.fork(), workspaceId, cursor, { limit: PAGE, upTo: joinedAt });
        if (page.changes.length === 0) break;
        yield* await loadChanges(orm, workspaceId, page.changes);
        cursor = page.changes.at(-1)!.cursor;
      }
      for await (const change of live) {
        // The follower may have read further on its own than the tail had when it joined.
        if (compareCursors(change.at, cursor) <= 0) continue;
        cursor = change.at;
        yield change;
      }
    } finally {
      await live.return?.();
    }
  }

  /** The stream: closing it ends its live queue first, so the generator is not left waiting for a change. */
  const stream = (follower: Follower, changes: AsyncGenerator<LoadedChange>): AsyncIterableIterator<LoadedChange> => {
    const iterator: AsyncIterableIterator<LoadedChange> = {
      next: () => changes.next(),
      async return() {
        follower.stopped = true;
        await follower.live?.return?.();
        return changes.return(undefined);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  };

  return {
    async follow(workspaceId, after) {
      if (closed) throw new Error('The delivery feed is closed');
      const follower: Follower = { live: null, stopped: false };
      if (after) return stream(follower, caughtUp(workspaceId, after, follower));
      const { joinedAt, live } = await join(workspaceId);
      follower.live = live;
      return stream(follower, seam(workspaceId, joinedAt, joinedAt, live));
    },
    followerCount(workspaceId) {
      return tails.get(workspaceId)?.followers.size ?? 0;
    },
    close() {
      closed = true;
      for (const tail of tails.values()) {
        clearTimeout(tail.timer);
        tail.unlisten();
        for (const follower of tail.followers) follower.end();
      }
      tails.clear();
    },
  };
}

/**
 * The deliveries (with their events and connections, whose owner decides who may see them) and
 * attempts of a page of changes, two queries for the page. Each change gets
 * views of its own: the same delivery can change several times in one page, and each view shows
 * the status that change committed, whatever the row says by now. A delivery deleted since is
 * skipped.
 */
async function loadChanges(orm: MikroORM, workspaceId: string, changes: ChangeRow[]): Promise<LoadedChange[]> {
  const em = orm.em.fork();
  const deliveryIds = [...new Set(changes.map((change) => change.deliveryId))];
  const attemptIds = changes.flatMap((change) => (change.attemptId ? [change.attemptId] : []));
  const [deliveries, attempts] = await Promise.all([
    em.find(Delivery, { id: { $in: deliveryIds }, workspace: workspaceId }, { populate: ['event', 'connection'] }),
    attemptIds.length > 0 ? em.find(Attempt, { id: { $in: attemptIds }, workspace: workspaceId }) : [],
  ]);
  const deliveryById = new Map(deliveries.map((delivery) => [delivery.id, delivery]));
  const attemptById = new Map(attempts.map((attempt) => [attempt.id, attempt]));
  const loaded: LoadedChange[] = [];
  for (const change of changes) {
    const delivery = deliveryById.get(change.deliveryId);
    const attempt = change.attemptId ? attemptById.get(change.attemptId) : null;
    if (!delivery || attempt === undefined) continue;
    const cursor = formatCursor(change.cursor);
    const view = Object.create(delivery, { status: { value: change.status, enumerable: true }, [STREAM_CURSOR]: { value: cursor } }) as Delivery;
    loaded.push({
      cursor,
      at: change.cursor,
      delivery: view,
      attempt: attempt ? (Object.create(attempt, { delivery: { value: view, enumerable: true }, [STREAM_CURSOR]: { value: cursor } }) as Attempt) : null,
    });
  }
  return loaded;
}
