// Following functions live (no I/O): which functions a selection takes (by id,
// by type, by meta filter), which MQTT topics they are read from (their
// `topic_*` meta under `{client_id}/`), and what changes when the function list
// changes: the topics to subscribe, to drop, and the kept ones whose functions
// changed. functionx-in runs planTopics() on every change of the list.
import { LynxError } from '../errors';
import { wildcard } from './match';
import { compileMetaFilter, type FunctionLike } from './present';
import { bareTopic, fullTopic } from './topics';
import { positiveId } from './values';

export interface Selection {
  selectBy?: string;
  function?: unknown;
  ftype?: string;
  metaFilter?: Array<{ key: string; value: string }>;
}

/** The selection of a node's settings as a test of one function, or a LynxError naming the setting. */
export function functionSelector(s: Selection): (f: FunctionLike) => boolean {
  const by = s.selectBy || 'function';
  if (by === 'function') {
    const fid = positiveId(s.function, 'function');
    return (f) => f.id === fid;
  }
  if (by === 'type') {
    const type = (s.ftype ?? '').trim();
    if (!type) throw new LynxError('Type is empty: type a function type such as temperature (* is a wildcard)', 'ftype', 'follow.noType');
    const m = wildcard(type);
    return (f) => m(f.type);
  }
  if (by === 'meta') {
    const rows = (s.metaFilter || []).filter((r) => r && r.key && r.key.trim());
    if (rows.length === 0) throw new LynxError('Meta filter is empty: add at least one key = value row', 'metaFilter', 'follow.noFilter');
    return compileMetaFilter(rows);
  }
  throw new LynxError(`Select must be function, type or meta, got ${by}`, 'selectBy', 'follow.select', { selectBy: by });
}

/** What a topic's functions are: a change of id, type or meta changes it. */
export function signature(fns: readonly FunctionLike[]): string {
  // joined, not concatenated: one flat string kept per topic
  return fns.map((f) => [f.id, f.type, JSON.stringify(f.meta || {})].join('\u0000')).join('\u0001');
}

export interface TopicPlan {
  /** every followed topic and its functions (several when functions share a topic), in list order */
  wanted: Map<string, FunctionLike[]>;
  /** topics to subscribe */
  add: string[];
  /** topics to unsubscribe */
  remove: string[];
  /** kept topics whose functions changed (new state names, format, unit...) */
  changed: string[];
  /** functions the selection took */
  matched: number;
  /** of those, the ones without the topic key */
  missingKey: number;
}

/**
 * The topics to follow for the function list `fns`, against the ones followed now
 * (`current`: topic -> signature() of its functions).
 */
export function planTopics(
  fns: readonly FunctionLike[],
  matches: (f: FunctionLike) => boolean,
  topicKey: string,
  clientId: number | string,
  current: ReadonlyMap<string, string>,
): TopicPlan {
  const wanted = new Map<string, FunctionLike[]>();
  let matched = 0;
  let missingKey = 0;
  for (const f of fns) {
    if (!matches(f)) continue;
    matched++;
    const mt = f.meta && f.meta[topicKey];
    if (!mt) {
      missingKey++;
      continue;
    }
    const topic = fullTopic(clientId, mt);
    const list = wanted.get(topic);
    if (list) list.push(f);
    else wanted.set(topic, [f]);
  }
  const add: string[] = [];
  const changed: string[] = [];
  const remove = [...current.keys()].filter((t) => !wanted.has(t));
  for (const [topic, list] of wanted) {
    const sig = current.get(topic);
    if (sig === undefined) add.push(topic);
    else if (sig !== signature(list)) changed.push(topic);
  }
  return { wanted, add, remove, changed, matched, missingKey };
}

/**
 * The bare topics (`obj/...`, each once, in pick order) the picked functions are
 * read from (their topic_read), for the status and log APIs; a picked function
 * that is gone or has no topic_read is a LynxError naming `functions`.
 */
export function pickedTopics(functions: readonly FunctionLike[], ids: readonly number[], iid: number, clientId: number | string): string[] {
  const topics: string[] = [];
  for (const id of ids) {
    const fn = functions.find((f) => f.id === id);
    if (!fn)
      throw new LynxError(
        `function ${id} does not exist in installation ${iid} (deleted?): pick the functions again`,
        'functions',
        'picked.gone',
        { id, iid },
      );
    const tr = fn.meta && fn.meta.topic_read;
    if (!tr) {
      const name = (fn.meta && fn.meta.name) || fn.type;
      throw new LynxError(
        `function ${id} (${name}) has no topic_read meta: give it one, or name its topic in the node or msg.topics`,
        'functions',
        'picked.noTopic',
        { id, name },
      );
    }
    const t = bareTopic(clientId, tr);
    if (!topics.includes(t)) topics.push(t);
  }
  return topics;
}
