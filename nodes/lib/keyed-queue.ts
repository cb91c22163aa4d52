// A tiny keyed mutex: tasks with the same key run one at a time, in order; other keys
// run at once. Find-or-create runs under it, so two quick messages (or two nodes
// deploying at once) cannot both create the same object.
export class KeyedQueue {
  private tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/**
 * The pack's one lock for find-or-create, process-wide: two messages, two nodes or two
 * flows finding the same object at once never both create it. Keys start with the config
 * node's id and the kind of object.
 */
export const findOrCreateLock = new KeyedQueue();
