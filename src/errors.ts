// The one error type of the library. Every failure a user can fix (a wrong
// field, a missing value, a refused call) is a LynxError, or one of its
// subclasses (LynxApiError, and the validation errors of each area, kept so a
// library user can tell the areas apart with instanceof). It carries:
//   message  English, written for the user of a flow: what is wrong and the fix
//   field    the input that is wrong, named as the user knows it (msg.installation_id, topic)
//   code     EINPUT for input, the API client's codes (EHTTP, ETIMEDOUT, ...) for calls
//   key      the i18n key of the message (`id.invalid`): a node catalogue has it under errors.<key>
//   params   the values the message is made of, for the translated text's __name__ placeholders
// The node edge (nodes/lib/frame.ts) translates key + params; the English
// message stays the text for everyone else. No Node-RED here.

export type ErrorParams = Record<string, string | number | boolean | null | undefined>;

export class LynxError extends Error {
  readonly field?: string;
  readonly code: string;
  readonly key?: string;
  readonly params?: ErrorParams;

  constructor(message: string, field?: string, key?: string, params?: ErrorParams, code = 'EINPUT', cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'LynxError';
    if (field !== undefined) this.field = field;
    this.code = code;
    if (key !== undefined) this.key = key;
    if (params !== undefined) this.params = params;
  }

  /** The message only: Node-RED shows an error by toString() (Catch, debug, log), and a user reads words, not class names. */
  override toString(): string {
    return this.message;
  }
}

/**
 * `e`, printing as its message only: Node-RED shows an error by its toString() (a Catch
 * node's msg.error.message, the debug sidebar, the log), without "Error: " or a class name.
 */
export function bareError<E extends Error>(e: E): E {
  if (e.toString === LynxError.prototype.toString || Object.prototype.hasOwnProperty.call(e, 'toString')) return e;
  try {
    Object.defineProperty(e, 'toString', { value: () => e.message, enumerable: false, configurable: true, writable: true });
  } catch {
    /* a frozen error: leave it */
  }
  return e;
}

/** Fill `__name__` placeholders (Node-RED's i18n format) from params; an unknown name stays as it is. */
export function fillParams(template: string, params: ErrorParams | undefined): string {
  if (!params) return template;
  return template.replace(/__([A-Za-z0-9_]+)__/g, (m, name: string) => (params[name] === undefined ? m : String(params[name])));
}

/** A value as error messages show it: nothing, or its JSON. */
export function shown(v: unknown): string {
  return v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v));
}

/**
 * The short reason of a failure, for a node's red status: `{ key, params }` of
 * a `reason.<key>` text (HTTP status, timeout, the field to fix, ...).
 */
export function reasonOf(err: unknown): { key: string; params?: ErrorParams } {
  const e = (err ?? {}) as { status?: unknown; code?: unknown; field?: unknown; failure?: unknown };
  if (typeof e.status === 'number' && e.status > 0) return { key: 'http', params: { status: e.status } };
  switch (e.code) {
    case 'ETIMEDOUT':
      return { key: 'timeout' };
    case 'ENETWORK':
      // lost after the request was sent (the client's failure 'uncertain'): the server was reached
      return e.failure === 'uncertain' ? { key: 'lost' } : { key: 'network' };
    case 'EAUTH':
      return { key: 'auth' };
    case 'E2FA':
      return { key: 'twoFactor' };
    case 'EABORT':
      return { key: 'aborted' };
    case 'ENOSERVER':
      return { key: 'noServer' };
    case 'ECONFIG':
      return { key: 'config' };
  }
  if (typeof e.field === 'string' && e.field) return { key: 'field', params: { field: e.field } };
  return { key: 'other' };
}
