/**
 * Group commit: while a write is running, further items queue, and the next write takes them
 * all (up to `maxWeight` in all) in one statement, so Postgres pays for one statement and one
 * commit per group rather than per item. An idle process writes at once; every caller still
 * returns only after its own item committed. A shared write that fails is retried item by item,
 * so one bad item cannot fail the others it was grouped with.
 *
 * One write in flight measured best (bench/README.md): more made the groups smaller and
 * Postgres busier.
 */
export function groupCommit<T, R>(options: {
  write: (items: T[]) => Promise<R>;
  weight?: (item: T) => number;
  maxWeight: number;
}): (item: T) => Promise<R> {
  const weight = options.weight ?? (() => 1);
  let writing = false;
  const queue: { item: T; resolve(result: R): void; reject(error: unknown): void }[] = [];

  const takeGroup = () => {
    const group = [queue.shift()!];
    let total = weight(group[0]!.item);
    while (queue.length && total + weight(queue[0]!.item) <= options.maxWeight) {
      total += weight(queue[0]!.item);
      group.push(queue.shift()!);
    }
    return group;
  };

  const write = async () => {
    writing = true;
    const group = takeGroup();
    try {
      const result = await options.write(group.map((pending) => pending.item));
      for (const pending of group) pending.resolve(result);
    } catch (error) {
      if (group.length === 1) group[0]!.reject(error);
      else for (const pending of group) options.write([pending.item]).then(pending.resolve, pending.reject);
    } finally {
      writing = false;
      if (queue.length) void write();
    }
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!writing) void write();
    });
}

/** One group-commit writer per key (a connection pool), made on first use. */
export function groupCommitPer<K extends object, T, R>(make: (key: K) => (item: T) => Promise<R>): (key: K) => (item: T) => Promise<R> {
  const writers = new WeakMap<K, (item: T) => Promise<R>>();
  return (key) => {
    let writer = writers.get(key);
    if (!writer) writers.set(key, (writer = make(key)));
    return writer;
  };
}
