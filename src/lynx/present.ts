// How a FunctionX presents and accepts values, from its meta, the way IoT Open's
// own apps do: `state_<name>` = value (with `text_<name>` as its label), else
// `format` (printf-like, e.g. "%.1f") and `unit`. Computed once per function so
// the per-message path only looks values up. No Node-RED here.
import { wildcard } from './match';

/** The part of a FunctionX this module needs. */
export interface FunctionLike {
  id: number;
  installation_id?: number;
  type: string;
  meta: Record<string, string>;
}

export interface Presenter {
  /** Human text for a value: the state's label, or the formatted number with unit. */
  format(value: unknown, msg?: string): string;
  /** The state label only when the value equals a state, else null. */
  stateText(value: unknown): string | null;
  /** state name (lower-case) -> numeric value, for writes such as "on". */
  readonly states: ReadonlyMap<string, number>;
}

type Fmt = (v: number) => string;

const SPEC = /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([dfieEgGsxXou%])/g;

/** Compile a printf-like pattern (as used in IoT Open meta `format`) into a function of one number. */
export function compileFormat(pattern: string | undefined): Fmt {
  if (!pattern || !pattern.includes('%')) {
    return (v) => (Number.isFinite(v) ? String(v) : String(v));
  }
  const parts: Array<string | ((v: number) => string)> = [];
  let last = 0;
  let m: RegExpExecArray | null;
  SPEC.lastIndex = 0;
  while ((m = SPEC.exec(pattern)) !== null) {
    if (m.index > last) parts.push(pattern.slice(last, m.index));
    last = SPEC.lastIndex;
    const [, flags, widthStr, precStr, conv] = m;
    if (conv === '%') {
      parts.push('%');
      continue;
    }
    const width = widthStr ? Number(widthStr) : 0;
    const prec = precStr !== undefined ? Number(precStr) : undefined;
    const left = flags.includes('-');
    const zero = flags.includes('0') && !left;
    const plus = flags.includes('+');
    const conv1 = (v: number): string => {
      let s: string;
      switch (conv) {
        case 'd':
        case 'i':
        case 'u':
          s = String(Math.trunc(v));
          break;
        case 'f':
          s = v.toFixed(prec ?? 6);
          break;
        case 'e':
        case 'E':
          s = v.toExponential(prec ?? 6);
          if (conv === 'E') s = s.toUpperCase();
          break;
        case 'g':
        case 'G':
          s = String(Number(v.toPrecision(prec || 6)));
          break;
        case 'x':
          s = Math.trunc(v).toString(16);
          break;
        case 'X':
          s = Math.trunc(v).toString(16).toUpperCase();
          break;
        case 'o':
          s = Math.trunc(v).toString(8);
          break;
        default:
          s = prec !== undefined ? String(v).slice(0, prec) : String(v);
      }
      if (plus && v >= 0 && conv !== 's') s = '+' + s;
      if (s.length < width) {
        if (left) s = s.padEnd(width);
        else if (zero && conv !== 's') {
          const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
          s = sign + s.slice(sign.length).padStart(width - sign.length, '0');
        } else s = s.padStart(width);
      }
      return s;
    };
    parts.push(conv1);
  }
  if (last < pattern.length) parts.push(pattern.slice(last));
  if (parts.length === 1 && typeof parts[0] === 'function') return parts[0];
  return (v) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(v);
    return out;
  };
}

const NO_STATES: ReadonlyMap<string, number> = new Map();
const NO_LABELS: ReadonlyMap<number, string> = new Map();
/** Compiled formats by pattern: functions mostly share a few ("%.1f"), so each is compiled once. */
const formats = new Map<string, Fmt>();

function formatOf(pattern: string | undefined): Fmt {
  const key = pattern ?? '';
  let f = formats.get(key);
  if (!f) {
    f = compileFormat(pattern);
    if (formats.size < 256) formats.set(key, f);
  }
  return f;
}

/** A function's presenter: fields only, the methods are shared (thousands of followed functions). */
class FunctionPresenter implements Presenter {
  constructor(
    readonly states: ReadonlyMap<string, number>,
    private readonly labels: ReadonlyMap<number, string>,
    private readonly fmt: Fmt,
    private readonly unit: string,
  ) {}

  stateText(value: unknown): string | null {
    if (this.labels.size === 0) return null;
    const n = typeof value === 'number' ? value : typeof value === 'boolean' ? (value ? 1 : 0) : NaN;
    return this.labels.get(n) ?? null;
  }

  format(value: unknown, msg?: string): string {
    const st = this.stateText(value);
    if (st !== null) return st;
    if (typeof value === 'number') {
      const s = this.fmt(value);
      return this.unit ? `${s} ${this.unit}` : s;
    }
    if (value === undefined || value === null) return msg ?? '';
    return String(value);
  }
}

/** Build the presenter of one function from its meta (call at subscribe time, not per message). */
export function presenter(meta: Record<string, string> | undefined): Presenter {
  const m = meta || {};
  let states: Map<string, number> | undefined;
  let labels: Map<number, string> | undefined;
  for (const key of Object.keys(m)) {
    if (!key.startsWith('state_')) continue;
    const name = key.slice(6);
    const v = Number(m[key]);
    if (name === '' || m[key] === '' || !Number.isFinite(v)) continue;
    (states ??= new Map()).set(name.toLowerCase(), v);
    labels ??= new Map();
    if (!labels.has(v)) labels.set(v, m[`text_${name}`] || name);
  }
  return new FunctionPresenter(states ?? NO_STATES, labels ?? NO_LABELS, formatOf(m.format), m.unit ? m.unit : '');
}

/** Meta keys of a function whose name starts with `topic_` (the topics it can be read from or written to). */
export function topicKeys(meta: Record<string, string> | undefined): string[] {
  return Object.keys(meta || {})
    .filter((k) => k.startsWith('topic_') && meta![k])
    .sort();
}

/**
 * Does a function match a meta filter? Each row is key = value; `*` in a value is a
 * wildcard for any run of characters (`*` alone: the key exists). All rows must match.
 */
export function compileMetaFilter(rows: Array<{ key: string; value: string }>): (f: FunctionLike) => boolean {
  const tests = rows
    .filter((r) => r && typeof r.key === 'string' && r.key.trim() !== '')
    .map((r) => {
      const key = r.key.trim();
      const m = wildcard(r.value == null ? '*' : String(r.value));
      return (meta: Record<string, string>) => m(meta[key]);
    });
  return (f) => tests.length > 0 && tests.every((t) => t(f.meta || {}));
}
