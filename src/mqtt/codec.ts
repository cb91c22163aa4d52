// Lynx MQTT payloads: JSON objects {"value": <number>, "timestamp": <unix s>, "msg": <string>}.

export interface LynxPayload {
  value: unknown;
  timestamp?: number;
  msg?: string;
}

export type DecodedPayload =
  | { ok: true; value: unknown; timestamp?: number; msg?: string }
  | { ok: false; raw: string; error: string };

/**
 * Decodes a Lynx payload. Fast path: one JSON.parse. Anything that is not a
 * JSON object (invalid JSON, a bare number, an array, null) gives
 * `{ ok: false, raw, error }` so callers can pass the raw text on.
 */
export function decodeLynxPayload(buf: Buffer | string): DecodedPayload {
  const raw = typeof buf === 'string' ? buf : buf.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return { ok: false, raw, error: `payload is not JSON: ${(err as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    return { ok: false, raw, error: `payload is ${kind}, not a Lynx JSON object {value, timestamp, msg}` };
  }
  const o = parsed as Record<string, unknown>;
  const out: { ok: true; value: unknown; timestamp?: number; msg?: string } = { ok: true, value: o.value };
  if (typeof o.timestamp === 'number') out.timestamp = o.timestamp;
  if (typeof o.msg === 'string') out.msg = o.msg;
  return out;
}

/** Encodes a Lynx payload; undefined fields are left out. */
export function encodeLynxPayload(p: LynxPayload): string {
  const o: Record<string, unknown> = { value: p.value };
  if (p.timestamp !== undefined) o.timestamp = p.timestamp;
  if (p.msg !== undefined) o.msg = p.msg;
  return JSON.stringify(o);
}
