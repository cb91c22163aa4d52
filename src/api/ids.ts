// Small helpers shared by the API areas.
import type { Query } from './client';

/** A positive integer id, or a TypeError naming the field. */
export function id(value: unknown, field: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) {
    throw new TypeError(`${field} must be a positive integer id, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  }
  return n;
}

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
