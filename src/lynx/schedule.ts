// Lynx schedule rules (no I/O): validation of schedule bodies (cron fields,
// topic, value) before they reach the API, so a typo is reported naming the
// field and the bad value instead of as a late 400/500; the schedule node's
// operations and the fields a patch may carry. The schedule node and any other
// caller use it.
import { LynxError, shown, type ErrorParams } from '../errors';

export type CronField = 'minute' | 'hour' | 'day_of_month' | 'month' | 'day_of_week';

/** Allowed range of each cron field (day_of_week: Sunday is 0 and 7). */
export const CRON_RANGES: Readonly<Record<CronField, readonly [number, number]>> = {
  minute: [0, 59],
  hour: [0, 23],
  day_of_month: [1, 31],
  month: [1, 12],
  day_of_week: [0, 7],
};

export const CRON_FIELDS: readonly CronField[] = ['minute', 'hour', 'day_of_month', 'month', 'day_of_week'];

/** A validation failure; `field` is the body field that is wrong. */
export class ScheduleValidationError extends LynxError {
  constructor(message: string, field: string, key?: string, params?: ErrorParams) {
    super(message, field, key, params);
    this.name = 'ScheduleValidationError';
  }
}

const NUM = /^\d{1,2}$/;

/**
 * Check one cron field: `*`, a number, a range `a-b`, a step `*\/n` or `a-b/n`,
 * or a comma separated list of those. Returns the trimmed value, or throws
 * naming the field, the bad value and what is allowed.
 */
export function validateCronField(field: CronField, value: unknown): string {
  const [min, max] = CRON_RANGES[field];
  const allowed = `use *, a number ${min}-${max}, a list (1,2), a range (1-5) or a step (*/5)`;
  if (typeof value === 'number' && Number.isInteger(value)) value = String(value);
  if (typeof value !== 'string') {
    throw new ScheduleValidationError(`${field} must be a string, got ${shown(value)}: ${allowed}`, field, 'cron.type', {
      field,
      got: shown(value),
      min,
      max,
    });
  }
  const text = value.trim();
  const bad = (key: string, why: string, params: ErrorParams = {}): never => {
    throw new ScheduleValidationError(`${field} "${value}" is not valid: ${why}; ${allowed}`, field, `cron.${key}`, {
      field,
      value,
      min,
      max,
      ...params,
    });
  };
  if (text === '') bad('empty', 'it is empty');
  const inRange = (s: string): number => {
    if (!NUM.test(s)) bad('notNumber', `"${s}" is not a number`, { s });
    const n = Number(s);
    if (n < min || n > max) bad('outOfRange', `${n} is outside ${min}-${max}`, { n });
    return n;
  };
  for (const part of text.split(',')) {
    if (part === '') bad('emptyItem', 'a list item is empty');
    const [base, step, extra] = part.split('/');
    if (extra !== undefined) bad('slashes', `"${part}" has more than one /`, { part });
    if (step !== undefined) {
      if (!NUM.test(step) || Number(step) === 0) bad('step', `step "${step}" must be a positive number`, { step });
      if (Number(step) > max) bad('stepLarge', `step ${step} is larger than ${max}`, { step });
    }
    if (base === '*') continue;
    const range = base.split('-');
    if (range.length === 1) {
      inRange(base);
      if (step !== undefined) bad('stepBase', `a step needs * or a range before it, as in */${step} or ${min}-${max}/${step}`, { step });
    } else if (range.length === 2) {
      const a = inRange(range[0]);
      const b = inRange(range[1]);
      if (a > b) bad('backwards', `range ${a}-${b} runs backwards`, { a, b });
    } else {
      bad('notRange', `"${base}" is not a range`, { base });
    }
  }
  return text;
}

/** A schedule body as the API takes it. */
export interface ScheduleBody {
  installation_id?: number;
  active: boolean;
  minute: string;
  hour: string;
  day_of_month: string;
  month: string;
  day_of_week: string;
  topic: string;
  value: number;
  executor?: string;
  [key: string]: unknown;
}

/**
 * Normalise a schedule topic: the Lynx convention (as in a function's
 * `topic_write`) is a topic without the `{client_id}/` prefix. A leading
 * prefix equal to `clientId` is removed; wildcards, empty levels and a
 * leading `/` are refused.
 */
export function normaliseScheduleTopic(topic: unknown, clientId?: number | string): string {
  if (typeof topic !== 'string' || topic.trim() === '') {
    throw new ScheduleValidationError(
      `topic must be a non-empty string such as "set/obj/zwave/node/1/switch" (a function's topic_write), got ${shown(topic)}`,
      'topic',
      'schedule.topic',
      { got: shown(topic) },
    );
  }
  let t = topic.trim();
  if (clientId !== undefined && clientId !== null && t.startsWith(`${clientId}/`)) t = t.slice(String(clientId).length + 1);
  if (/[+#]/.test(t)) {
    throw new ScheduleValidationError(
      `topic "${topic}" must not contain the MQTT wildcards + or #: a schedule publishes on one topic`,
      'topic',
      'schedule.topicWildcard',
      { topic },
    );
  }
  if (t.startsWith('/') || t.endsWith('/') || t.includes('//')) {
    throw new ScheduleValidationError(
      `topic "${topic}" has an empty level: write it like "set/obj/zwave/node/1/switch", without a leading or trailing /`,
      'topic',
      'schedule.topicLevel',
      { topic },
    );
  }
  return t;
}

/**
 * Validate a complete schedule body (what create/update send). Returns a copy
 * with trimmed cron fields, a numeric value and a normalised topic; throws a
 * ScheduleValidationError naming the first wrong field.
 */
export function validateSchedule(body: unknown, clientId?: number | string): ScheduleBody {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ScheduleValidationError(
      `the schedule must be an object with topic, value and the cron fields, got ${shown(body)}`,
      'payload',
      'schedule.body',
      { got: shown(body) },
    );
  }
  const b = { ...(body as Record<string, unknown>) };
  for (const f of CRON_FIELDS) b[f] = validateCronField(f, b[f] === undefined || b[f] === null ? '*' : b[f]);
  b.topic = normaliseScheduleTopic(b.topic, clientId);
  let v = b.value;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) v = Number(v);
  if (typeof v === 'boolean') v = v ? 1 : 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ScheduleValidationError(
      `value must be a number (the value published on the topic), got ${shown(v)}`,
      'value',
      'schedule.value',
      { got: shown(v) },
    );
  }
  b.value = v;
  if (b.active === undefined) b.active = true;
  if (typeof b.active !== 'boolean') {
    throw new ScheduleValidationError(`active must be true or false, got ${shown(b.active)}`, 'active', 'schedule.active', {
      got: shown(b.active),
    });
  }
  if (b.executor !== undefined && (typeof b.executor !== 'string' || b.executor.trim() === '')) {
    throw new ScheduleValidationError(
      `executor must be a non-empty string such as "gateway", got ${shown(b.executor)}`,
      'executor',
      'schedule.executor',
      { got: shown(b.executor) },
    );
  }
  return b as ScheduleBody;
}

/** What the schedule node does with a schedule. */
export const SCHEDULE_OPERATIONS = ['list', 'get', 'create', 'update', 'delete', 'enable', 'disable'] as const;
export type ScheduleOperation = (typeof SCHEDULE_OPERATIONS)[number];

/** Fields a patch may carry; anything else in msg.payload is refused so a typo (e.g. "hours") does not pass silently. */
export const PATCH_FIELDS: ReadonlySet<string> = new Set<string>([...CRON_FIELDS, 'topic', 'value', 'active', 'executor']);
/** Fields the platform sets: dropped from a patch, never sent back. */
export const READ_ONLY: ReadonlySet<string> = new Set(['id', 'installation_id', 'created_at', 'updated_at']);

/** The schedule fields of msg.payload (read-only ones dropped); an unknown field is an error naming it. */
export function patchFrom(payload: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (READ_ONLY.has(k)) continue;
    if (!PATCH_FIELDS.has(k)) {
      const fields = [...PATCH_FIELDS].join(', ');
      throw new ScheduleValidationError(
        `msg.payload.${k} is not a schedule field: use ${fields}`,
        `msg.payload.${k}`,
        'schedule.unknownField',
        { key: k, fields },
      );
    }
    patch[k] = v;
  }
  return patch;
}
