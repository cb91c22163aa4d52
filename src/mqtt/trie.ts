// MQTT topic-filter trie: maps filters (with `+` and `#`) to values, and finds
// every value whose filter matches a topic. Matching walks the topic's levels,
// so its cost depends on the topic depth and on how many wildcard branches
// exist along that path, never on the total number of filters stored.

interface TrieNode<T> {
  children: Map<string, TrieNode<T>>;
  values: Set<T>;
}

function newNode<T>(): TrieNode<T> {
  return { children: new Map(), values: new Set() };
}

/** Throws an Error naming the filter and the rule it breaks; returns the filter otherwise. */
export function validateFilter(filter: string): string {
  if (typeof filter !== 'string' || filter === '') {
    throw new Error(`MQTT topic filter must be a non-empty string, got ${JSON.stringify(filter)}`);
  }
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l === '#' && i !== levels.length - 1) {
      throw new Error(`MQTT topic filter "${filter}": '#' is only allowed as the last level`);
    }
    if (l.length > 1 && (l.includes('#') || l.includes('+'))) {
      throw new Error(`MQTT topic filter "${filter}": '+' and '#' must fill a whole level (e.g. "a/+/c" or "a/#")`);
    }
  }
  return filter;
}

/** Throws an Error naming the topic when it cannot be published to (empty or with wildcards). */
export function validateTopic(topic: string): string {
  if (typeof topic !== 'string' || topic === '') {
    throw new Error(`MQTT topic must be a non-empty string, got ${JSON.stringify(topic)}`);
  }
  if (topic.includes('+') || topic.includes('#')) {
    throw new Error(`MQTT topic "${topic}" contains a wildcard ('+' or '#'): publish to a concrete topic`);
  }
  return topic;
}

export class TopicTrie<T> {
  // Filters without wildcards (the common case: one topic per function) sit in a hash map,
  // looked up in one step; only filters with '+' or '#' are walked level by level.
  private readonly exact = new Map<string, Set<T>>();
  private readonly root: TrieNode<T> = newNode<T>();
  private wild = 0;
  private count = 0;

  /** Number of (filter, value) pairs stored. */
  get size(): number {
    return this.count;
  }

  add(filter: string, value: T): void {
    validateFilter(filter);
    if (!hasWildcard(filter)) {
      let set = this.exact.get(filter);
      if (!set) this.exact.set(filter, (set = new Set()));
      if (!set.has(value)) {
        set.add(value);
        this.count++;
      }
      return;
    }
    let node = this.root;
    for (const level of filter.split('/')) {
      let next = node.children.get(level);
      if (!next) {
        next = newNode<T>();
        node.children.set(level, next);
      }
      node = next;
    }
    if (!node.values.has(value)) {
      node.values.add(value);
      this.count++;
      this.wild++;
    }
  }

  /** Removes the pair; prunes empty branches. Returns whether it was there. */
  remove(filter: string, value: T): boolean {
    if (!hasWildcard(filter)) {
      const set = this.exact.get(filter);
      if (!set || !set.delete(value)) return false;
      if (set.size === 0) this.exact.delete(filter);
      this.count--;
      return true;
    }
    const levels = filter.split('/');
    const path: TrieNode<T>[] = [this.root];
    let node = this.root;
    for (const level of levels) {
      const next = node.children.get(level);
      if (!next) return false;
      path.push(next);
      node = next;
    }
    if (!node.values.delete(value)) return false;
    this.count--;
    this.wild--;
    for (let i = levels.length; i > 0; i--) {
      const n = path[i];
      if (n.values.size > 0 || n.children.size > 0) break;
      path[i - 1].children.delete(levels[i - 1]);
    }
    return true;
  }

  /** Values of every filter matching the topic (each once). `$`-topics match no wildcard at the first level. */
  match(topic: string): T[] {
    const out = new Set<T>();
    this.forEachMatch(topic, (v) => out.add(v));
    return [...out];
  }

  /**
   * Calls fn for the values of every filter matching the topic, with no allocation for an
   * exact-topic match (the per-message path). A value stored under several matching
   * filters is visited once per filter.
   */
  forEachMatch(topic: string, fn: (value: T) => void): void {
    const exact = this.exact.get(topic);
    if (exact) for (const v of exact) fn(v);
    if (this.wild === 0) return;
    const levels = topic.split('/');
    const dollar = topic.startsWith('$');
    const walk = (node: TrieNode<T>, i: number): void => {
      const wildOk = !(dollar && i === 0);
      if (wildOk) {
        const hash = node.children.get('#');
        if (hash) for (const v of hash.values) fn(v);
      }
      if (i === levels.length) {
        for (const v of node.values) fn(v);
        return;
      }
      if (wildOk) {
        const plus = node.children.get('+');
        if (plus) walk(plus, i + 1);
      }
      const level = levels[i];
      if (level !== '+' && level !== '#') {
        const next = node.children.get(level);
        if (next) walk(next, i + 1);
      }
    };
    walk(this.root, 0);
  }
}

function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}
