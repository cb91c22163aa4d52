// Lynx MQTT payloads (no I/O): JSON objects {"value": <number>, "timestamp": <unix s>, "msg": <string>},
// read once per message (decodeLynxPayload), written by encodeLynxPayload, and the
// values a write accepts (writePayload: numbers, booleans, numeric text, state names).
import { LynxError } from '../errors';

export interface LynxPayload {
  value: unknown;
  timestamp?: number;
  msg?: string;
}

export type DecodedPayload = { ok: true; value: unknown; timestamp?: number; msg?: string } | { ok: false; raw: string; error: string };

/** Where readLynxPayload() hands a payload: a Lynx object's fields, or the raw text and what is wrong. */
export interface PayloadSink<A, B> {
  lynxValue(a: A, b: B, value: unknown, timestamp: number | undefined, msg: string | undefined): void;
  lynxRaw(a: A, b: B, raw: string, error: string): void;
}

/**
 * Reads a Lynx payload into `sink` (with the caller's `a` and `b` passed on): one
 * JSON.parse and no object per message, for the realtime path. Anything that is
 * not a JSON object (invalid JSON, a bare number, an array, null) goes to lynxRaw
 * with the raw text, so callers can pass it on. Fields of the wrong type are left out.
 */
export function readLynxPayload<A, B>(buf: Buffer | string, sink: PayloadSink<A, B>, a: A, b: B): void {
  const raw = typeof buf === 'string' ? buf : buf.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    sink.lynxRaw(a, b, raw, `payload is not JSON: ${(err as Error).message}`);
    return;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    sink.lynxRaw(a, b, raw, `payload is ${kind}, not a Lynx JSON object {value, timestamp, msg}`);
    return;
  }
  const o = parsed as Record<string, unknown>;
  sink.lynxValue(a, b, o.value, typeof o.timestamp === 'number' ? o.timestamp : undefined, typeof o.msg === 'string' ? o.msg : undefined);
}

const DECODER: PayloadSink<{ out?: DecodedPayload }, undefined> = {
  lynxValue(h, _b, value, timestamp, msg) {
    const out: { ok: true; value: unknown; timestamp?: number; msg?: string } = { ok: true, value };
    if (timestamp !== undefined) out.timestamp = timestamp;
    if (msg !== undefined) out.msg = msg;
    h.out = out;
  },
  lynxRaw(h, _b, raw, error) {
    h.out = { ok: false, raw, error };
  },
};

/** Decodes a Lynx payload (readLynxPayload's rule) into `{ ok: true, value, timestamp?, msg? }` or `{ ok: false, raw, error }`. */
export function decodeLynxPayload(buf: Buffer | string): DecodedPayload {
  const h: { out?: DecodedPayload } = {};
  readLynxPayload(buf, DECODER, h, undefined);
  return h.out!;
}

/** The payload as Lynx sends it, as an object: {value, timestamp?, msg?}, undefined fields left out. */
export function lynxObject(p: LynxPayload): Record<string, unknown> {
  const o: Record<string, unknown> = { value: p.value };
  if (p.timestamp !== undefined) o.timestamp = p.timestamp;
  if (p.msg !== undefined) o.msg = p.msg;
  return o;
}

/** Encodes a Lynx payload; undefined fields are left out. */
export function encodeLynxPayload(p: LynxPayload): string {
  return JSON.stringify(lynxObject(p));
}

/** How a value shows in an error: what came in, never more than 40 characters of it. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Buffer.isBuffer(v)) return `a Buffer of ${v.length} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object')
    return `an object with keys {${Object.keys(v as object)
      .slice(0, 6)
      .join(', ')}}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** A value Lynx accepts (a finite number) from what came in, or null: numbers, booleans, numeric text, state names. */
function scalar(v: unknown, states: ReadonlyMap<string, number>): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim();
    if (s !== '' && Number.isFinite(Number(s))) return Number(s);
    const st = states.get(s.toLowerCase());
    return st === undefined ? null : st;
  }
  return null;
}

function badValue(got: string, states: ReadonlyMap<string, number>): LynxError {
  const accepted = 'accepted: a number, a boolean (true = 1), a numeric string, or {value, msg?, timestamp?}';
  const names = [...states.keys()].join(', ');
  if (!names)
    return new LynxError(`msg.payload cannot be written to a function: got ${got}; ${accepted}`, 'msg.payload', 'write.value', { got });
  return new LynxError(
    `msg.payload cannot be written to a function: got ${got}; ${accepted}; or one of this function's states: ${names}`,
    'msg.payload',
    'write.valueOrState',
    { got, names },
  );
}

/**
 * What a write to a function sends, from what came in: a number, a boolean, numeric
 * text, a state name of the function (`states` from its presenter), or an object
 * {value, msg?, timestamp?} of those. Anything else is a LynxError naming what came
 * and what is accepted. The timestamp defaults to `now` (unix seconds).
 */
export function writePayload(p: unknown, states: ReadonlyMap<string, number>, now: number): LynxPayload & { value: number } {
  if (!p || typeof p !== 'object' || Array.isArray(p) || Buffer.isBuffer(p)) {
    const value = scalar(p, states);
    if (value === null) throw badValue(describe(p), states);
    return { value, timestamp: now };
  }
  const o = p as { value?: unknown; msg?: unknown; timestamp?: unknown };
  const value = scalar(o.value, states);
  let text: string | undefined;
  let timestamp = now;
  if (o.msg !== undefined && o.msg !== null) {
    if (typeof o.msg !== 'string')
      throw new LynxError(`msg.payload.msg must be a string, got ${describe(o.msg)}`, 'msg.payload.msg', 'write.text', {
        got: describe(o.msg),
      });
    text = o.msg;
  }
  if (o.timestamp !== undefined && o.timestamp !== null) {
    const ts = Number(o.timestamp);
    if (!Number.isFinite(ts) || ts < 0) {
      throw new LynxError(
        `msg.payload.timestamp must be unix seconds (a number), got ${describe(o.timestamp)}`,
        'msg.payload.timestamp',
        'write.timestamp',
        { got: describe(o.timestamp) },
      );
    }
    timestamp = ts;
  }
  if (value === null) throw badValue(`msg.payload.value: ${describe(o.value)}`, states);
  return { value, timestamp, msg: text };
}

/** A payload to publish as it is: a string or Buffer as given, anything else as JSON. */
export function publishPayload(p: unknown): string | Buffer {
  if (p === undefined || p === null)
    throw new LynxError('msg.payload is missing: set the value to publish, e.g. {"value": 1}', 'msg.payload', 'publish.missing');
  if (typeof p === 'string' || Buffer.isBuffer(p)) return p;
  return JSON.stringify(p);
}

/**
 * The payload of the REST API's publish (the spec's MQTTPublish.payload, a JSON
 * object such as {"value": 22.1}): an object as it is, a string or Buffer holding
 * a JSON object, a finite number as {"value": n}; anything else is refused naming
 * msg.payload and what is accepted.
 */
export function apiPublishPayload(p: unknown): Record<string, unknown> {
  const refuse = (key: string, english: string, got?: string): never => {
    const accepts =
      'API mode sends a JSON object (the spec\'s MQTTPublish payload): send an object such as {"value": 1}, a JSON string of one, or a number (sent as {"value": n}); use MQTT mode for other payloads';
    throw new LynxError(`msg.payload is ${english}: ${accepts}`, 'msg.payload', `publish.${key}`, got === undefined ? undefined : { got });
  };
  if (typeof p === 'string' || Buffer.isBuffer(p)) {
    let v: unknown;
    try {
      v = JSON.parse(typeof p === 'string' ? p : p.toString('utf8'));
    } catch {
      return typeof p === 'string'
        ? refuse('stringNotJson', 'a string that is not JSON')
        : refuse('bufferNotJson', 'a Buffer that is not JSON');
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      return typeof p === 'string'
        ? refuse('stringNotObject', 'a string whose JSON is not an object')
        : refuse('bufferNotObject', 'a Buffer whose JSON is not an object');
    }
    return v as Record<string, unknown>;
  }
  if (typeof p === 'number') {
    if (!Number.isFinite(p)) return refuse('notFinite', `${p}, not a finite number`, String(p));
    return { value: p };
  }
  if (p && typeof p === 'object' && !Array.isArray(p)) return p as Record<string, unknown>;
  const got = Array.isArray(p) ? 'an array' : typeof p;
  return refuse('type', got, got);
}
