// The platform's rules for the plain values a node or library user gives (no
// I/O): ids, true/false switches, QoS, topic keys, whole numbers, id lists.
// Each check names the field it was given (`msg.installation_id`, `qos`) and
// throws a LynxError with an i18n key (errors.<key> in the node catalogues).
import { LynxError, shown } from '../errors';

/**
 * A positive integer id (a number, or its decimal text). With `prop`, the
 * message says where to set it: "pick one in the node or set <prop> on the message".
 */
export function positiveId(value: unknown, field: string, prop?: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n > 0) return n;
  const got = shown(value);
  if (prop === undefined) throw new LynxError(`${field} must be a positive integer id, got ${got}`, field, 'id.invalid', { field, got });
  throw new LynxError(
    `${field} must be a positive integer id, got ${got}: pick one in the node or set ${prop} on the message`,
    field,
    'id.pick',
    { field, got, prop },
  );
}

/** Ids picked in a node: an array or a comma separated string; each must be an id. */
export function idList(value: unknown, field: string): number[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' && value.trim() ? value.split(',') : [];
  return list.map((v) => positiveId(v, field));
}

/** A switch: true/false or "true"/"false"; nothing ('' included) gives the fallback. */
export function parseBoolean(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new LynxError(`${field} must be true or false, got ${shown(value)}`, field, 'boolean', { field, got: shown(value) });
}

/** MQTT QoS the platform takes: 0 or 1 (a number or its text); nothing gives the fallback. */
export function parseQos(value: unknown, field: string, fallback: 0 | 1): 0 | 1 {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  if (n === 0 || n === 1) return n;
  throw new LynxError(`${field} must be 0 or 1, got ${shown(value)}`, field, 'qos', { field, got: shown(value) });
}

/** A FunctionX meta key holding a topic: `topic_read`, `topic_write`, `topic_<anything>`. */
export function topicKey(value: unknown, field: string): string {
  const k = typeof value === 'string' ? value.trim() : value;
  if (typeof k === 'string' && k.startsWith('topic_')) return k;
  throw new LynxError(`${field} must start with topic_ (such as topic_read or topic_write), got ${shown(value)}`, field, 'topicKey', {
    field,
    got: shown(value),
  });
}

/** A whole number of entries, 0 or more (0 and nothing give the fallback). */
export function wholeNumber(value: unknown, field: string, fallback: number | undefined): number | undefined {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new LynxError(`${field} must be a whole number of entries (0 or blank for no limit), got ${shown(value)}`, field, 'wholeNumber', {
      field,
      got: shown(value),
    });
  }
  return n === 0 ? fallback : n;
}

/** Topics given as an array or a comma/newline separated string: trimmed, leading `/` removed, each once. */
export function topicList(value: unknown, field: string): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\n,]/) : null;
  if (!list) {
    const got = value === null ? 'null' : typeof value;
    throw new LynxError(`${field} must be an array of topics or a comma separated string, got ${got}`, field, 'topics.type', {
      field,
      got,
    });
  }
  const out: string[] = [];
  for (const t of list) {
    if (typeof t !== 'string') {
      throw new LynxError(
        `${field} must only hold strings (topics such as "obj/zwave/node/3/switch"), got ${shown(t)}`,
        field,
        'topics.item',
        { field, got: shown(t) },
      );
    }
    const s = t.trim().replace(/^\/+/, '');
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/**
 * One of a node's operations, from the node or msg.operation: trimmed, any case,
 * `meta_get` and `metaGet` read as `meta-get`.
 */
export function operation<T extends string>(value: unknown, operations: readonly T[]): T {
  const raw = typeof value === 'string' ? value.trim() : value;
  const norm =
    typeof raw === 'string'
      ? raw
          .replace(/([a-z])([A-Z])/g, '$1-$2')
          .replace(/_/g, '-')
          .toLowerCase()
      : raw;
  if (typeof norm === 'string' && (operations as readonly string[]).includes(norm)) return norm as T;
  const got = shown(raw);
  const list = operations.join(', ');
  throw new LynxError(`operation ${got} is unknown: use one of ${list} (in the node or msg.operation)`, 'operation', 'operation', {
    got,
    list,
  });
}
