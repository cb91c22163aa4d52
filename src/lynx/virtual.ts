// Virtual functions (no I/O): a FunctionX that a Node-RED flow owns, so what the flow
// computes shows in IoT Open like any device's value. Found by its `ext_id` meta (a
// stable id of the node, or the user's) with its topic_read, its topics under `obj/node-red/<ext_id>/`,
// its meta made from the node's settings, and the one rule for updating it: the keys
// the node manages are set or removed, every other key (added in the app) is kept,
// and nothing is written when nothing differs. Errors name the setting and carry an
// i18n key (errors.virtual.* of the node's catalogue).
import { LynxError, shown } from '../errors';

export type VirtualKind = 'sensor' | 'switch' | 'control';
export const VIRTUAL_KINDS: readonly VirtualKind[] = ['sensor', 'switch', 'control'];

/** The meta key that identifies a virtual function (and a flow's device). */
export const EXT_KEY = 'ext_id';
/** DeviceX type of the device grouping a flow's virtual functions. */
export const DEVICE_TYPE = 'node-red';

export interface VirtualState {
  /** the state name (meta `state_<name>`), as a flow writes it: "on" */
  name: string;
  /** its value */
  value: number;
  /** its label in the app (`text_<name>`), optional */
  text?: string;
}

export interface VirtualSettings {
  kind: VirtualKind;
  type: string;
  name: string;
  unit?: string;
  format?: string;
  states: VirtualState[];
  extId: string;
  /** the device grouping the flow's virtual functions, when grouped */
  deviceId?: number;
}

const EXT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const STATE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A kind of virtual function: sensor (value only), switch or control (value and writes from Lynx). */
export function virtualKind(v: unknown): VirtualKind {
  if (VIRTUAL_KINDS.includes(v as VirtualKind)) return v as VirtualKind;
  throw new LynxError(`kind must be sensor, switch or control, got ${shown(v)}`, 'kind', 'virtual.kind', { got: shown(v) });
}

/** Can Lynx write to a function of this kind (topic_write, an output)? */
export const writable = (kind: VirtualKind): boolean => kind !== 'sensor';

/** The default ext_id of a node: its id survives redeploys and restarts (not a copy or an import). */
export function defaultExtId(nodeId: string): string {
  return `node-red-${String(nodeId).replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** A user's ext_id (it becomes a topic level): letters, digits, _ . -, at most 100. */
export function extId(v: unknown, nodeId: string): string {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return defaultExtId(nodeId);
  const s = typeof v === 'string' ? v.trim() : v;
  if (typeof s === 'string' && EXT_ID.test(s)) return s;
  throw new LynxError(
    `ext_id must be letters, digits, _ . or - (at most 100, starting with a letter or digit), got ${shown(v)}: it names the function's topic`,
    'extId',
    'virtual.extId',
    { got: shown(v) },
  );
}

/** The function's topics, bare (the MQTT topic is `{client_id}/<topic>`). */
export function virtualTopics(id: string): { read: string; write: string } {
  return { read: `obj/node-red/${id}/value`, write: `set/obj/node-red/${id}/value` };
}

/** The flow's device ext_id (a flow tab's id survives redeploys). */
export const deviceExtId = (flowId: string): string => `node-red-flow-${String(flowId).replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** States from the node's settings (an array of {name, value, text}); names unique, values numbers. */
export function virtualStates(raw: unknown): VirtualState[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (!Array.isArray(raw)) throw new LynxError(`states must be a list, got ${shown(raw)}`, 'states', 'virtual.states', { got: shown(raw) });
  const out: VirtualState[] = [];
  const seen = new Set<string>();
  for (const r of raw as Array<Record<string, unknown>>) {
    const name = typeof r?.name === 'string' ? r.name.trim() : r?.name;
    if (typeof name !== 'string' || !STATE_NAME.test(name)) {
      throw new LynxError(
        `state name ${shown(r?.name)} is not valid: use letters, digits, _ or - (such as on, off, away)`,
        'states',
        'virtual.stateName',
        { got: shown(r?.name) },
      );
    }
    if (seen.has(name.toLowerCase())) {
      throw new LynxError(`state ${name} is listed twice: each state needs its own name`, 'states', 'virtual.stateTwice', { name });
    }
    seen.add(name.toLowerCase());
    const rv = r.value;
    const value = typeof rv === 'string' && rv.trim() !== '' ? Number(rv) : rv;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new LynxError(`state ${name} needs a number as its value, got ${shown(rv)}`, 'states', 'virtual.stateValue', {
        name,
        got: shown(rv),
      });
    }
    const text = typeof r.text === 'string' && r.text.trim() !== '' ? r.text.trim() : undefined;
    out.push(text === undefined ? { name, value } : { name, value, text });
  }
  return out;
}

/** The states a switch has when none are given. */
export const SWITCH_STATES: readonly VirtualState[] = [
  { name: 'on', value: 1, text: 'On' },
  { name: 'off', value: 0, text: 'Off' },
];

/** The type and meta of the function the settings describe. */
export function virtualFunction(s: VirtualSettings): { type: string; meta: Record<string, string> } {
  const t = virtualTopics(s.extId);
  const meta: Record<string, string> = { name: s.name, [EXT_KEY]: s.extId, topic_read: t.read };
  if (writable(s.kind)) meta.topic_write = t.write;
  if (s.unit) meta.unit = s.unit;
  if (s.format) meta.format = s.format;
  for (const st of s.states) {
    meta[`state_${st.name}`] = String(st.value);
    if (st.text) meta[`text_${st.name}`] = st.text;
  }
  if (s.deviceId !== undefined) meta.device_id = String(s.deviceId);
  return { type: s.type, meta };
}

/** Keys the node owns: set from its settings, removed when the settings no longer give them. */
function managed(key: string, grouped: boolean): boolean {
  if (key === 'device_id') return grouped;
  return (
    ['name', EXT_KEY, 'topic_read', 'topic_write', 'unit', 'format'].includes(key) || key.startsWith('state_') || key.startsWith('text_')
  );
}

/**
 * The meta to PUT so the function matches `desired`, or null when it already does: the
 * managed keys as desired, the others (set in the app: room, notes...) as they are.
 * device_id is managed only while the node groups (`grouped`).
 */
export function metaUpdate(
  current: Record<string, string> | undefined,
  desired: Record<string, string>,
  grouped: boolean,
): Record<string, string> | null {
  const cur = current || {};
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries(cur)) if (!managed(k, grouped)) next[k] = v;
  Object.assign(next, desired);
  const a = Object.keys(cur);
  const b = Object.keys(next);
  if (a.length === b.length && b.every((k) => cur[k] === next[k])) return null;
  return next;
}

/** The state name of a value (the first state with it), or undefined. */
export function stateOf(states: readonly VirtualState[], value: unknown): string | undefined {
  return states.find((s) => s.value === value)?.name;
}
