// Parsing of the `from`/`to` bounds of a log query. No Node-RED here: the log
// node and library users share it, and it is unit-tested on its own.

import { LynxError, type ErrorParams } from '../errors';

/** Thrown for a bound that cannot be understood; `field` names the input. */
export class TimeParseError extends LynxError {
  constructor(message: string, field: string, key?: string, params?: ErrorParams) {
    super(message, field, key, params);
    this.name = 'TimeParseError';
  }
}

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  week: 604800,
  weeks: 604800,
};

const RELATIVE = /^([+-])\s*(\d+(?:\.\d+)?)\s*([a-z]+)$/i;
// ISO 8601 date or date-time (what Date.parse reads reliably across engines).
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
// Numbers above this are milliseconds (year 2286 in seconds), below it seconds.
const MS_THRESHOLD = 1e10;

/**
 * Turns a time bound into unix seconds (may have decimals).
 * Accepts: a Date; a number or numeric string (unix seconds, or milliseconds
 * when larger than 1e10); an ISO 8601 string; `now`; a relative offset from
 * `now` such as `-1h`, `-7d`, `-30m`, `+15min`, `-2 weeks`.
 * Returns undefined for undefined, null or '' (the API default applies).
 */
export function parseTime(value: unknown, field: string, now: number = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const hint = `use a Date, an ISO 8601 string (2024-05-01T12:00:00Z), unix seconds, 'now' or a relative time such as -1h, -7d, -30m`;
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isNaN(t)) throw new TimeParseError(`${field} is an invalid Date: ${hint}`, field, 'time.date', { field });
    return t / 1000;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new TimeParseError(
        `${field} must be a non-negative finite number of unix seconds, got ${value}: ${hint}`,
        field,
        'time.number',
        { field, got: value },
      );
    return value > MS_THRESHOLD ? value / 1000 : value;
  }
  if (typeof value !== 'string') {
    const got = Array.isArray(value) ? 'an array' : typeof value;
    throw new TimeParseError(`${field} must be a time, got ${got}: ${hint}`, field, 'time.type', { field, got });
  }
  const s = value.trim();
  if (s === '') return undefined;
  if (/^now$/i.test(s)) return now / 1000;
  if (/^\d+(\.\d+)?$/.test(s)) return parseTime(Number(s), field, now);
  const rel = RELATIVE.exec(s);
  if (rel) {
    const unit = UNIT_SECONDS[rel[3].toLowerCase()];
    if (unit === undefined) {
      throw new TimeParseError(
        `${field} has an unknown unit '${rel[3]}' in '${s}': use s, m, h, d or w (e.g. -30m, -1h, -7d)`,
        field,
        'time.unit',
        { field, unit: rel[3], text: s },
      );
    }
    const seconds = Number(rel[2]) * unit * (rel[1] === '-' ? -1 : 1);
    return now / 1000 + seconds;
  }
  if (ISO.test(s)) {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return t / 1000;
  }
  const text = s.length > 60 ? s.slice(0, 60) + '...' : s;
  throw new TimeParseError(`${field} '${text}' is not a time: ${hint}`, field, 'time.text', { field, text });
}

/** Unix seconds as the API wants them in a query: whole seconds (from rounds down, to rounds up). */
export function toQuerySeconds(seconds: number | undefined, bound: 'from' | 'to'): number | undefined {
  if (seconds === undefined) return undefined;
  return bound === 'from' ? Math.floor(seconds) : Math.ceil(seconds);
}

/** Parses both bounds and checks from <= to; errors name the field. */
export function parseRange(
  from: unknown,
  to: unknown,
  opts: { now?: number; fromField?: string; toField?: string } = {},
): { from?: number; to?: number } {
  const now = opts.now ?? Date.now();
  const f = parseTime(from, opts.fromField ?? 'from', now);
  const t = parseTime(to, opts.toField ?? 'to', now);
  if (f !== undefined && t !== undefined && f > t) {
    const params = {
      from: opts.fromField ?? 'from',
      fromTime: new Date(f * 1000).toISOString(),
      to: opts.toField ?? 'to',
      toTime: new Date(t * 1000).toISOString(),
    };
    throw new TimeParseError(
      `${params.from} (${params.fromTime}) is after ${params.to} (${params.toTime}): swap them or widen the range`,
      params.from,
      'time.order',
      params,
    );
  }
  return { from: toQuerySeconds(f, 'from'), to: toQuerySeconds(t, 'to') };
}
