// Log entries and live values as chart series (no I/O): what FlowFuse Dashboard 2's
// ui-chart draws a whole series from (node-red-dashboard 1.31.0 nodes/widgets/ui_chart.js):
// msg.topic is the series, msg.payload an array of {x, y} points (x in milliseconds),
// read with the chart's X and Y set to the keys `x` and `y`. Any chart taking that shape
// works; nothing here depends on the dashboard.

import { formatGoDuration } from './aggregation';
import { bareTopic, fullTopic } from './topics';

/** One chart point: x in milliseconds since the epoch, y the value (null: a gap). */
export interface ChartPoint {
  x: number;
  y: number | null;
}

/** The most points per series an `auto` interval aims at. */
export const CHART_MAX_POINTS = 500;

/** Interval steps an `auto` interval picks from, in seconds: the usual ones of time charts. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000];

/**
 * The aggregation interval (Go duration text) for a range of `from`..`to` unix seconds so that a
 * series has at most `maxPoints` points: the smallest usual step (1s, 1m, 5m, 15m, 1h, 2h, 1d ...)
 * of at least span / (maxPoints - 1), as buckets start on multiples of the step and a range that
 * does not start on one has a partial bucket at each end (span / step + 1 points).
 * 24 h -> 5m (289 points at most), 30 days -> 2h (361).
 */
export function autoInterval(from: number, to: number, maxPoints = CHART_MAX_POINTS): string {
  const span = Math.max(0, to - from);
  const want = span / Math.max(1, maxPoints - 1);
  const step = STEPS.find((s) => s >= want) ?? Math.ceil(want / 86400) * 86400;
  return formatGoDuration(step * 1000);
}

/** A function as far as naming its series goes. */
export interface SeriesFunction {
  id?: number;
  type?: string;
  meta?: Readonly<Record<string, string | undefined>>;
}

/**
 * The series name of a function: its name with its unit in brackets (`Meeting room temperature (°C)`);
 * `fallback` (the topic) for a function without a name, or no function.
 */
export function seriesName(fn: SeriesFunction | undefined, fallback: string): string {
  const name = (fn?.meta?.name || '').trim();
  if (!name) return fallback;
  const unit = (fn?.meta?.unit || '').trim();
  return unit ? `${name} (${unit})` : name;
}

/** A chart y: numbers as they are, numeric text as its number, anything else a gap (null). */
export function chartY(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

/** The point of a value at unix seconds `timestamp` (now when there is none). */
export function chartPoint(timestamp: number | undefined, value: unknown): ChartPoint {
  const x = typeof timestamp === 'number' && Number.isFinite(timestamp) ? Math.round(timestamp * 1000) : Date.now();
  return { x, y: chartY(value) };
}

/**
 * Names log entries' series: by the function whose `topic_read` is the entry's topic (the picked
 * functions first, then every function of the installation), else by the entry's topic as
 * functionx-in sends it (`{client_id}/obj/...`). Same function, same name as functionx-in's chart output.
 */
export function seriesNamer(
  clientId: number | string,
  functions: readonly SeriesFunction[],
  picked: readonly number[] = [],
): (topic: string) => { name: string; fn?: SeriesFunction } {
  const byTopic = new Map<string, SeriesFunction>();
  const ordered = [...picked.map((id) => functions.find((f) => f.id === id)).filter((f): f is SeriesFunction => !!f), ...functions];
  for (const f of ordered) {
    const tr = f.meta?.topic_read;
    if (tr && !byTopic.has(bareTopic(clientId, tr))) byTopic.set(bareTopic(clientId, tr), f);
  }
  const cache = new Map<string, { name: string; fn?: SeriesFunction }>();
  return (topic) => {
    let s = cache.get(topic);
    if (!s) {
      const fn = byTopic.get(bareTopic(clientId, topic));
      s = { name: seriesName(fn, fullTopic(clientId, topic)), fn };
      cache.set(topic, s);
    }
    return s;
  };
}

/** One series of chart points, in the order the entries came. */
export interface ChartSeries {
  name: string;
  topic: string;
  fn?: SeriesFunction;
  points: ChartPoint[];
}

/** Groups entries into series, in the order each series first appears. */
export function groupSeries(
  entries: ReadonlyArray<{ topic: string; value: unknown; timestamp: number }>,
  name: (topic: string) => { name: string; fn?: SeriesFunction },
  into: Map<string, ChartSeries> = new Map(),
): Map<string, ChartSeries> {
  for (const e of entries) {
    const s = name(e.topic);
    let series = into.get(s.name);
    if (!series) into.set(s.name, (series = { name: s.name, topic: e.topic, fn: s.fn, points: [] }));
    series.points.push(chartPoint(e.timestamp, e.value));
  }
  return into;
}
