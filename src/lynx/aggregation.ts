// Server-side aggregation of the v3 log (no I/O): `aggr_method` and
// `aggr_interval`, as IoT Open's Grafana data source (AggregationSettings.tsx)
// and go-lynx (LogOptionsV3) send them. The interval is Go duration text
// (time.Duration's String(): `1h0m0s`, `15m0s`, `30s`); the platform's
// default interval, when a method comes without one, is one minute.

import { LynxError, type ErrorParams } from '../errors';

/** The methods IoT Open's Grafana data source offers, `percentile(N)` for any N in (0, 100]. */
export const AGGREGATION_METHODS = [
  'avg',
  'count',
  'first',
  'last',
  'max',
  'median',
  'min',
  'percentile(N)',
  'spread',
  'stddev',
  'sum',
] as const;

const PLAIN = ['avg', 'count', 'first', 'last', 'max', 'median', 'min', 'spread', 'stddev', 'sum'] as const;
const PERCENTILE = /^percentile\((\d+(?:\.\d+)?)\)$/;

/** A parsed method: a plain one, or a percentile (0 < N <= 100). */
export type AggrMethod = (typeof PLAIN)[number] | { percentile: number };

/** The method in `aggr_method` text (`avg`, `percentile(95)`), or undefined when it is none of the platform's. */
export function parseAggregationMethod(text: string): AggrMethod | undefined {
  const s = text; // exact, as the platform's names are (avg, not AVG)
  if ((PLAIN as readonly string[]).includes(s)) return s as AggrMethod;
  const m = PERCENTILE.exec(s);
  if (m && Number(m[1]) > 0 && Number(m[1]) <= 100) return { percentile: Number(m[1]) };
  return undefined;
}

/** The accepted forms, for error messages. */
export const AGGREGATION_FORM = `one of ${AGGREGATION_METHODS.join(', ')} (N above 0, at most 100, e.g. percentile(95))`;

/** An aggregation error names the field (`aggr_method`, `aggr_interval`, or the caller's name for it). */
export class AggregationError extends LynxError {
  constructor(message: string, field: string, key?: string, params?: ErrorParams) {
    super(message, field, key, params);
    this.name = 'AggregationError';
  }
}

/** The canonical method text (`avg`, `percentile(95)`), or throws naming the field and what is accepted. */
export function aggregationMethod(value: unknown, field = 'aggr_method'): string {
  const m = typeof value === 'string' ? parseAggregationMethod(value.trim()) : undefined;
  if (m === undefined) {
    throw new AggregationError(`${field} must be ${AGGREGATION_FORM}, got ${JSON.stringify(value)}`, field, 'aggregation.method', {
      field,
      form: AGGREGATION_FORM,
      got: JSON.stringify(value),
    });
  }
  return typeof m === 'string' ? m : `percentile(${m.percentile})`;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Milliseconds of a Go duration text (`1h30m`, `1.5h`, `90s`, `1h0m0s`, `-5m`, `0`), following
 * time.ParseDuration's grammar; undefined when the text is not one.
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text.trim();
  const sign = s[0] === '-' ? -1 : 1;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  if (s === '0') return 0;
  if (s === '') return undefined;
  let ms = 0;
  for (let at = 0; at < s.length; at = PART.lastIndex) {
    PART.lastIndex = at;
    const m = PART.exec(s);
    if (!m) return undefined;
    ms += Number(m[1]) * UNITS[m[2]];
  }
  return sign * ms;
}

/** Go's time.Duration String() of a whole number of milliseconds >= 1 s: `1h0m0s`, `15m0s`, `1m30s`, `1.5s`. */
export function formatGoDuration(ms: number): string {
  let rest = Math.round(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = (rest / 1000).toFixed(3).replace(/\.?0+$/, '');
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

/**
 * The interval as the platform takes it: Go duration text, or a number of seconds;
 * at least one second. Throws naming the field and the accepted forms.
 */
export function aggregationInterval(value: unknown, field = 'aggr_interval'): string {
  let ms: number | undefined;
  if (typeof value === 'number') ms = Number.isFinite(value) ? value * 1000 : undefined;
  else if (typeof value === 'string') ms = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) * 1000 : parseGoDuration(value);
  if (ms === undefined || !(ms >= 1000)) {
    throw new AggregationError(
      `${field} must be a duration of at least 1 second such as 1m, 15m, 1h, 24h or 1h30m (or a number of seconds), got ${JSON.stringify(value)}`,
      field,
      'aggregation.interval',
      { field, got: JSON.stringify(value) },
    );
  }
  return formatGoDuration(ms);
}

/** `auto`: the caller picks the interval from the range (src/lynx/chart.ts autoInterval); never sent as is. */
export const AUTO_INTERVAL = 'auto';
export const isAutoInterval = (v: unknown): boolean => typeof v === 'string' && v.trim().toLowerCase() === AUTO_INTERVAL;

/**
 * The aggregation of a log query from msg.aggregation (`{method, interval?}`, a
 * method name, or false / "none" for raw entries) or, without it, the node's
 * method and interval; undefined for raw entries. An interval of `auto` comes back as `auto`.
 */
export function aggregationOf(
  msgValue: unknown,
  method: string | undefined,
  interval: string | undefined,
): { method: string; interval?: string } | undefined {
  const check = (m: unknown, i: unknown, mField: string, iField: string) => ({
    method: aggregationMethod(m, mField),
    ...(i === undefined || i === null || i === '' ? {} : { interval: isAutoInterval(i) ? AUTO_INTERVAL : aggregationInterval(i, iField) }),
  });
  if (msgValue === undefined) return method ? check(method, interval, 'aggrMethod', 'aggrInterval') : undefined;
  if (msgValue === false || msgValue === null || msgValue === '' || msgValue === 'none') return undefined;
  if (typeof msgValue === 'string') return check(msgValue, interval, 'msg.aggregation', 'aggrInterval');
  if (typeof msgValue === 'object' && !Array.isArray(msgValue)) {
    const a = msgValue as { method?: unknown; interval?: unknown };
    return check(a.method, a.interval, 'msg.aggregation.method', 'msg.aggregation.interval');
  }
  const got = JSON.stringify(msgValue);
  throw new AggregationError(
    `msg.aggregation must be {"method": "avg", "interval": "15m"}, a method name, or false for raw entries; got ${got}`,
    'msg.aggregation',
    'aggregation.form',
    { got },
  );
}
