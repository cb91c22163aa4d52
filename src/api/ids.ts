// Small helpers shared by the API areas.
import type { Query } from './client';
import { positiveId } from '../lynx/values';

/** A positive integer id, or a LynxError naming the field (the platform's id rule, src/lynx/values.ts). */
export const id = (value: unknown, field: string): number => positiveId(value, field);

/** A non-empty string path segment (encoded), or a TypeError naming the field. */
export function segment(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${field} must be a non-empty string, got ${JSON.stringify(value)}`);
  return encodeURIComponent(value);
}

/** `{ silent: 'true' }` when asked for, else nothing. */
export function flags(f: { silent?: boolean; createMissing?: boolean } | undefined): Query {
  const q: Query = {};
  if (f?.silent) q.silent = 'true';
  if (f?.createMissing) q.create_missing = 'true';
  return q;
}
