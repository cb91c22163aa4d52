// Validation of FunctionX/DeviceX (ModelX) bodies and filters before they reach
// the API, so a wrong body is reported naming the field and the fix. No Node-RED.

export class ModelXValidationError extends Error {
  constructor(message: string, public readonly field: string) {
    super(message);
    this.name = 'ModelXValidationError';
  }
}

export interface ModelXBody {
  type: string;
  meta: Record<string, string>;
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v));

/** Check a meta map: an object of string values (numbers and booleans are refused, not coerced). */
export function validateMeta(meta: unknown, field = 'meta'): Record<string, string> {
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) {
    throw new ModelXValidationError(`${field} must be an object of string values such as {"name": "Lamp"}, got ${show(meta)}`, field);
  }
  for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
    if (k.trim() === '') throw new ModelXValidationError(`${field} has an empty key: every meta key needs a name`, field);
    if (typeof v !== 'string') {
      throw new ModelXValidationError(`${field}.${k} must be a string, got ${show(v)}: meta values are strings, write "${typeof v === 'object' ? JSON.stringify(v) : String(v)}" in quotes`, `${field}.${k}`);
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
    throw new ModelXValidationError(`${where} must be an object {type, meta}, got ${show(body)}`, where);
  }
  const b = body as Record<string, unknown>;
  if (mode === 'create' || b.type !== undefined) {
    if (typeof b.type !== 'string' || b.type.trim() === '') {
      throw new ModelXValidationError(`${where}.type must be a non-empty string such as "switch", got ${show(b.type)}`, `${where}.type`);
    }
  }
  if (b.meta === undefined) throw new ModelXValidationError(`${where}.meta is required: an object of string values, {} when there is none`, `${where}.meta`);
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
export function validateFilter(filter: unknown, where = 'msg.filter'): ModelXFilter {
  if (filter === undefined || filter === null || filter === '') return {};
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw new ModelXValidationError(`${where} must be an object {type, meta}, such as {"meta": {"device_id": "12"}}, got ${show(filter)}`, where);
  }
  const f = filter as Record<string, unknown>;
  const unknownKeys = Object.keys(f).filter((k) => k !== 'type' && k !== 'meta');
  if (unknownKeys.length) {
    throw new ModelXValidationError(`${where} has unknown key ${unknownKeys.map((k) => `"${k}"`).join(', ')}: it takes {type, meta}; put meta filters under ${where}.meta`, where);
  }
  const out: ModelXFilter = {};
  if (f.type !== undefined && f.type !== '') {
    if (typeof f.type !== 'string') throw new ModelXValidationError(`${where}.type must be a string, got ${show(f.type)}`, `${where}.type`);
    out.type = f.type;
  }
  if (f.meta !== undefined) {
    const meta = validateMeta(f.meta, `${where}.meta`);
    if (Object.keys(meta).length) out.meta = meta;
  }
  return out;
}

/** Does an object match a filter exactly (`*` in a value matches any run of characters)? */
export function matchesFilter(obj: { type?: string; meta?: Record<string, string> }, filter: ModelXFilter): boolean {
  if (filter.type !== undefined && obj.type !== filter.type) return false;
  for (const [k, want] of Object.entries(filter.meta ?? {})) {
    const have = obj.meta?.[k];
    if (have === undefined) return false;
    if (want.includes('*')) {
      const re = new RegExp(`^${want.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      if (!re.test(have)) return false;
    } else if (have !== want) return false;
  }
  return true;
}
