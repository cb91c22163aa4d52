// Declarative inputs: each node declares once, per field, where its value comes
// from and how it is checked; read() takes the first source that has a value:
//   1. a msg property (`msg`, or the first of several that is set: device_id, id),
//   2. the node's setting (`setting`), evaluated through its TypedInput type
//      (`type`: the setting holding it, e.g. installationType; env, flow, global,
//      json, num, str...) when the field has one; blank counts as unset,
//   3. `default`.
// With `settingFirst` a setting that is filled in goes before msg (a fixed QoS).
//
// Every field is named the same way in every message: `msg.<property>` when its
// value came from the message, else its `name` (default: the setting's name).
// check(value, at) gets undefined when no source had a value.
//
// Fields with neither a msg property nor a TypedInput are the same for every
// message: the frame reads them once, when the node starts. No Node-RED here (the
// TypedInput evaluation is passed in), so this is unit-tested on its own.
import { parseBoolean, parseQos, positiveId, topicKey } from '../../src/lynx/values';

/** Where a field's value came from, and its name in messages. */
export interface At {
  /** `msg.<property>` or the field's name */
  label: string;
  /** the msg property the node reads (the first one), for "set <prop> on the message" */
  prop?: string;
  source: 'msg' | 'setting' | 'default' | 'none';
}

export interface Field<T = unknown> {
  msg?: string | readonly string[];
  setting?: string;
  /** the setting holding the TypedInput type of `setting` */
  type?: string;
  /** the type when that setting is blank (as the editor's default) */
  defaultType?: string;
  name?: string;
  default?: unknown;
  settingFirst?: boolean;
  check?: (value: unknown, at: At) => T;
}

export type Fields = Record<string, Field>;
export type Values<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

/** Evaluates a TypedInput setting for a message (RED.util.evaluateNodeProperty as a promise). */
export type Evaluate = (value: string, type: string, msg: object) => unknown | Promise<unknown>;

const blank = (v: unknown): boolean => v === undefined || v === null || v === '';

/** A field without a msg property or TypedInput: the same value for every message. */
export function isFixed(f: Field): boolean {
  return f.msg === undefined && f.type === undefined;
}

function nameOf(f: Field): string {
  return f.name ?? f.setting ?? (typeof f.msg === 'string' ? f.msg : f.msg?.[0]) ?? 'value';
}

function firstProp(f: Field): string | undefined {
  return typeof f.msg === 'string' ? f.msg : f.msg?.[0];
}

/** The field's value from msg, if the message has one. */
function fromMsg(f: Field, msg: Record<string, unknown>): { value: unknown; prop: string } | undefined {
  if (f.msg === undefined) return undefined;
  if (typeof f.msg === 'string') return msg[f.msg] === undefined ? undefined : { value: msg[f.msg], prop: f.msg };
  for (const p of f.msg) if (msg[p] !== undefined) return { value: msg[p], prop: p };
  return undefined;
}

/** The field's value from the node's settings (TypedInput evaluated), if it has one. */
async function fromSetting(f: Field, config: Record<string, unknown>, msg: object, evaluate: Evaluate | undefined): Promise<unknown> {
  if (f.setting === undefined) return undefined;
  const raw = config[f.setting];
  if (blank(raw)) return undefined;
  if (f.type === undefined || !evaluate) return raw;
  const type = (config[f.type] as string | undefined) || f.defaultType || 'str';
  return evaluate(String(raw), type, msg);
}

function finish(f: Field, value: unknown, at: At): unknown {
  return f.check ? f.check(value, at) : value;
}

/** One field's checked value for a message. */
export async function readField(
  f: Field,
  msg: Record<string, unknown>,
  config: Record<string, unknown>,
  evaluate?: Evaluate,
): Promise<unknown> {
  const name = nameOf(f);
  const prop = firstProp(f);
  const m = f.settingFirst ? undefined : fromMsg(f, msg);
  if (m) return finish(f, m.value, { label: `msg.${m.prop}`, prop, source: 'msg' });
  const s = await fromSetting(f, config, msg, evaluate);
  if (!blank(s)) return finish(f, s, { label: name, prop, source: 'setting' });
  if (f.settingFirst) {
    const late = fromMsg(f, msg);
    if (late) return finish(f, late.value, { label: `msg.${late.prop}`, prop, source: 'msg' });
  }
  if (f.default !== undefined) return finish(f, f.default, { label: name, prop, source: 'default' });
  return finish(f, undefined, { label: name, prop, source: 'none' });
}

/** A fixed field's checked value (no message: read once when the node starts). */
export function readFixed(f: Field, config: Record<string, unknown>): unknown {
  const name = nameOf(f);
  const raw = f.setting === undefined ? undefined : config[f.setting];
  if (!blank(raw)) return finish(f, raw, { label: name, source: 'setting' });
  if (f.default !== undefined) return finish(f, f.default, { label: name, source: 'default' });
  return finish(f, undefined, { label: name, source: 'none' });
}

/**
 * The reader of a node's fields: `fixed` holds the fixed ones, read (and checked)
 * now; read(msg) gives all of them for a message, the others read in the order
 * declared. The first failing check throws.
 */
export function fieldReader<F extends Fields>(
  fields: F,
  config: Record<string, unknown>,
  evaluate?: Evaluate,
): { fixed: Partial<Values<F>>; read: (msg: Record<string, unknown>) => Promise<Values<F>> } {
  const fixed: Record<string, unknown> = {};
  const perMessage: Array<[string, Field]> = [];
  for (const [k, f] of Object.entries(fields)) {
    if (isFixed(f)) fixed[k] = readFixed(f, config);
    else perMessage.push([k, f]);
  }
  const read = async (msg: Record<string, unknown>): Promise<Values<F>> => {
    const out: Record<string, unknown> = { ...fixed };
    for (const [k, f] of perMessage) out[k] = await readField(f, msg, config, evaluate);
    return out as Values<F>;
  };
  return { fixed: fixed as Partial<Values<F>>, read };
}

// Checks of the platform's plain values (src/lynx/values.ts), in the shape a Field takes.

/** A positive integer id; the message says where to set it. */
export const asId = (v: unknown, at: At): number => positiveId(v, at.label, at.prop);
/** An id, or undefined when none is given. */
export const asOptionalId = (v: unknown, at: At): number | undefined => (blank(v) ? undefined : positiveId(v, at.label, at.prop));
/** true/false (or their text); nothing gives `fallback`. */
export const asBoolean =
  (fallback: boolean) =>
  (v: unknown, at: At): boolean =>
    parseBoolean(v, at.label, fallback);
/** QoS 0 or 1; nothing gives `fallback`. */
export const asQos =
  (fallback: 0 | 1) =>
  (v: unknown, at: At): 0 | 1 =>
    parseQos(v, at.label, fallback);
/** A `topic_*` meta key. */
export const asTopicKey = (v: unknown, at: At): string => topicKey(v, at.label);
