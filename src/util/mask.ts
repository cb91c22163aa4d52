// Masking of secrets (API keys, passwords, login tokens) in texts and errors that
// may be shown to users or written to a log. No Node-RED here: the registry of
// the secrets of every deployed config node lives in nodes/lib/secrets.ts.

/** What a secret is replaced with. */
export const MASK = '***';
/** Shorter values are not masked (masking "a" would garble every text). */
export const MIN_SECRET_LENGTH = 4;

/** The secrets worth masking, longest first (so a secret containing another is masked whole). */
export function maskable(secrets: Iterable<string | undefined | null>): string[] {
  const out = new Set<string>();
  for (const s of secrets) if (typeof s === 'string' && s.length >= MIN_SECRET_LENGTH) out.add(s);
  return [...out].sort((a, b) => b.length - a.length);
}

/** `text` with every secret replaced by MASK. `secrets` as maskable() returns them. */
export function maskText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

const ERROR_TEXTS = ['message', 'stack', 'serverMessage'] as const;

/**
 * Masks an error in place (its message, stack, serverMessage, and those of its cause, as a
 * Catch node and the log see them) and returns it: its class and fields stay as they were.
 */
export function maskError<T>(err: T, secrets: readonly string[], depth = 0): T {
  if (!err || typeof err !== 'object' || depth > 3 || secrets.length === 0) return err;
  const e = err as Record<string, unknown>;
  for (const k of ERROR_TEXTS) {
    const v = e[k];
    if (typeof v === 'string') {
      const masked = maskText(v, secrets);
      if (masked !== v) {
        try {
          e[k] = masked;
        } catch {
          /* a read-only field: leave it */
        }
      }
    }
  }
  if (e.cause && typeof e.cause === 'object') maskError(e.cause, secrets, depth + 1);
  return err;
}

/**
 * A value on its way to a log, a status or a Catch node, masked: a string, an Error (or
 * error-like object, in place), or a status ({ text }, copied when it changes). Anything
 * else is returned as it is.
 */
export function maskValue<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return maskText(value, secrets) as T;
  if (!value || typeof value !== 'object') return value;
  if (value instanceof Error || typeof (value as { message?: unknown }).message === 'string') return maskError(value, secrets);
  const text = (value as { text?: unknown }).text;
  if (typeof text === 'string') {
    const masked = maskText(text, secrets);
    if (masked !== text) return { ...value, text: masked };
  }
  return value;
}
