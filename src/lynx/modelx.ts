// FunctionX/DeviceX (ModelX) rules, before anything reaches the API (no I/O):
// bodies, meta maps, list filters and how a filter matches, meta values to
// write, so a wrong body is reported naming the field and the fix.
import { LynxError, shown as show, type ErrorParams } from '../errors';
import { wildcard } from './match';

export class ModelXValidationError extends LynxError {
  constructor(message: string, field: string, key?: string, params?: ErrorParams) {
    super(message, field, key, params);
    this.name = 'ModelXValidationError';
  }
}

export interface ModelXBody {
  type: string;
  meta: Record<string, string>;
}

/** Check a meta map: an object of string values (numbers and booleans are refused, not coerced). */
export function validateMeta(meta: unknown, field = 'meta'): Record<string, string> {
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) {
    throw new ModelXValidationError(
      `${field} must be an object of string values such as {"name": "Lamp"}, got ${show(meta)}`,
      field,
      'modelx.meta',
      { field, got: show(meta) },
    );
  }
  for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
    if (k.trim() === '')
      throw new ModelXValidationError(`${field} has an empty key: every meta key needs a name`, field, 'modelx.metaEmptyKey', { field });
    if (typeof v !== 'string') {
      const quoted = typeof v === 'object' ? JSON.stringify(v) : String(v);
      throw new ModelXValidationError(
        `${field}.${k} must be a string, got ${show(v)}: meta values are strings, write "${quoted}" in quotes`,
        `${field}.${k}`,
        'modelx.metaValue',
        {
          field: `${field}.${k}`,
          got: show(v),
          quoted,
        },
      );
    }
  }
  return { ...(meta as Record<string, string>) };
}

/**
 * Validate a create (all of type and meta required) or update (type optional,
 * meta required) body. Returns the body to send (only type and meta).
 */
export function validateModelXBody(body: unknown, mode: 'create' | 'update', where = 'msg.payload'): ModelXBody {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ModelXValidationError(`${where} must be an object {type, meta}, got ${show(body)}`, where, 'modelx.body', {
      field: where,
      got: show(body),
    });
  }
  const b = body as Record<string, unknown>;
  if (mode === 'create' || b.type !== undefined) {
    if (typeof b.type !== 'string' || b.type.trim() === '') {
      throw new ModelXValidationError(
        `${where}.type must be a non-empty string such as "switch", got ${show(b.type)}`,
        `${where}.type`,
        'modelx.type',
        { field: `${where}.type`, got: show(b.type) },
      );
    }
  }
  if (b.meta === undefined) {
    throw new ModelXValidationError(
      `${where}.meta is required: an object of string values, {} when there is none`,
      `${where}.meta`,
      'modelx.metaRequired',
      { field: `${where}.meta` },
    );
  }
  const meta = validateMeta(b.meta, `${where}.meta`);
  const out: Record<string, unknown> = { meta };
  if (b.type !== undefined) out.type = (b.type as string).trim();
  return out as unknown as ModelXBody;
}

export interface ModelXFilter {
  type?: string;
  meta?: Record<string, string>;
}

/** Validate a list filter `{type?, meta?}`; meta values may use `*` as a wildcard. */
export function validateModelXFilter(filter: unknown, where = 'msg.filter'): ModelXFilter {
  if (filter === undefined || filter === null || filter === '') return {};
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw new ModelXValidationError(
      `${where} must be an object {type, meta}, such as {"meta": {"device_id": "12"}}, got ${show(filter)}`,
      where,
      'modelx.filter',
      { field: where, got: show(filter) },
    );
  }
  const f = filter as Record<string, unknown>;
  const unknownKeys = Object.keys(f).filter((k) => k !== 'type' && k !== 'meta');
  if (unknownKeys.length) {
    const keys = unknownKeys.map((k) => `"${k}"`).join(', ');
    throw new ModelXValidationError(
      `${where} has unknown key ${keys}: it takes {type, meta}; put meta filters under ${where}.meta`,
      where,
      'modelx.filterKeys',
      { field: where, keys },
    );
  }
  const out: ModelXFilter = {};
  if (f.type !== undefined && f.type !== '') {
    if (typeof f.type !== 'string') {
      throw new ModelXValidationError(`${where}.type must be a string, got ${show(f.type)}`, `${where}.type`, 'modelx.filterType', {
        field: `${where}.type`,
        got: show(f.type),
      });
    }
    out.type = f.type;
  }
  if (f.meta !== undefined) {
    const meta = validateMeta(f.meta, `${where}.meta`);
    if (Object.keys(meta).length) out.meta = meta;
  }
  return out;
}

/** Does an object match a filter (the type exactly; `*` in a meta value matches any run of characters)? */
export function matchesFilter(obj: { type?: string; meta?: Record<string, string> }, filter: ModelXFilter): boolean {
  if (filter.type !== undefined && obj.type !== filter.type) return false;
  for (const [k, want] of Object.entries(filter.meta ?? {})) {
    if (!wildcard(want)(obj.meta?.[k])) return false;
  }
  return true;
}

/** A meta value to write: msg.payload as a string, or {value, protected?}. */
export function metaWrite(payload: unknown): { value: string; protected?: boolean } {
  if (typeof payload === 'string') return { value: payload };
  if (payload && typeof payload === 'object' && !Array.isArray(payload)) {
    const p = payload as Record<string, unknown>;
    if (typeof p.value !== 'string') {
      throw new ModelXValidationError(
        `msg.payload.value must be a string, got ${show(p.value)}: meta values are strings`,
        'msg.payload.value',
        'modelx.metaWriteValue',
        { got: show(p.value) },
      );
    }
    if (p.protected !== undefined && typeof p.protected !== 'boolean') {
      throw new ModelXValidationError(
        `msg.payload.protected must be true or false, got ${show(p.protected)}`,
        'msg.payload.protected',
        'modelx.metaWriteProtected',
        { got: show(p.protected) },
      );
    }
    return p.protected === undefined ? { value: p.value } : { value: p.value, protected: p.protected };
  }
  const got = show(payload);
  if (typeof payload === 'number' || typeof payload === 'boolean') {
    throw new ModelXValidationError(
      `msg.payload must be the meta value as a string (or {value, protected}), got ${got}: write "${String(payload)}"`,
      'msg.payload',
      'modelx.metaWriteQuote',
      { got, quoted: String(payload) },
    );
  }
  throw new ModelXValidationError(
    `msg.payload must be the meta value as a string (or {value, protected}), got ${got}`,
    'msg.payload',
    'modelx.metaWrite',
    { got },
  );
}
