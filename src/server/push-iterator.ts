/** A subscriber that fell too far behind; ended rather than silently skipping notifications. */
export class SubscriberOverflowError extends Error {
  constructor(limit: number) {
    super(`The subscriber fell more than ${limit} delivery changes behind and was ended; subscribe again`);
    this.name = 'SubscriberOverflowError';
  }
}

/** Where a producer pushes values, and says that there are no more (or why). */
export interface Sink<T> {
  push(value: T): void;
  end(error?: Error): void;
}

/**
 * A push-to-pull queue: values pushed in, read with `for await`. More than `maxQueued` unread
 * values end it with a SubscriberOverflowError; `onEnd` runs once, however it ends.
 */
export function pushIterator<T>(maxQueued: number, onEnd: () => void): { subscriber: Sink<T>; iterable: AsyncIterableIterator<T> } {
  const queue: T[] = [];
  // Reads waiting for a value, oldest first: callers may ask for several before any arrives.
  const waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: Error) => void }[] = [];
  let done = false;
  let failure: Error | null = null;

  const finish = (error?: Error) => {
    if (done) return;
    done = true;
    failure = error ?? null;
    onEnd();
    // Reads wait only on an empty queue: the first learns why the stream ended, the rest that it did.
    for (const waiter of waiting.splice(0)) {
      if (failure) waiter.reject(failure);
      else waiter.resolve({ value: undefined, done: true });
      failure = null;
    }
  };

  const subscriber: Sink<T> = {
    push(value) {
      if (done) return;
      const waiter = waiting.shift();
      if (waiter) {
        waiter.resolve({ value, done: false });
      } else if (queue.length >= maxQueued) {
        finish(new SubscriberOverflowError(maxQueued));
      } else {
        queue.push(value);
      }
    },
    end: (error) => finish(error),
  };

  const iterable: AsyncIterableIterator<T> = {
    next() {
      if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
      if (failure) {
        const error = failure;
        failure = null;
        return Promise.reject(error);
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      queue.length = 0;
      finish();
      failure = null;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterable;
    },
  };

  return { subscriber, iterable };
}

