// The client's retry policy, in one place: what a failed attempt tells about the
// server's side, which failures may be tried again for which calls, and
// createOnce() for creates whose failure leaves it open whether the object exists.
//
//   failure                                           kind          GET/PUT/DELETE  POST
//   no connection: refused, host not found,           not-sent      retried         retried
//     connect timeout (the request never left)
//   HTTP 429 Too Many Requests (refused, RFC 6585)    refused       retried         retried
//   HTTP 500, 502, 503, 504                           uncertain     retried         not retried
//   timeout, connection lost after connecting         uncertain     retried         not retried
//   other HTTP statuses, TLS refused, aborted         final         not retried     not retried
//
// "uncertain": the server (or a server behind a proxy) may have acted before the answer
// was lost. A GET, PUT or DELETE does the same thing twice; a POST would create twice, so
// an uncertain POST fails, and a create with identifying fields goes through createOnce(),
// which looks the object up before it creates again.
import type { LynxApiError } from './errors';
import { isTlsFailure } from './errors';

export type FailureKind = 'not-sent' | 'refused' | 'uncertain' | 'final';

/** Methods that do the same thing when done twice (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Statuses after which the server may or may not have acted, and that may pass. */
export const UNCERTAIN_STATUS: ReadonlySet<number> = new Set([500, 502, 503, 504]);

/** Statuses that say the request was refused before anything was done, and to come back later. */
export const REFUSED_STATUS: ReadonlySet<number> = new Set([429]);

/** Name resolution failures: no connection was ever made. */
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);

/** The shape of a connection-level error as undici (and node:net under it) reports it. */
type SocketFailure = { code?: string; syscall?: string; cause?: { code?: string; syscall?: string } } | undefined;

/**
 * Was a connection-level error raised before any byte of the request was sent? True for a
 * refused connection and every other failure of the `connect` system call (ECONNREFUSED,
 * EHOSTUNREACH... with syscall "connect"), a failed name lookup, and undici's connect
 * timeout. False for everything after the connection was made: "other side closed"
 * (UND_ERR_SOCKET), ECONNRESET, EPIPE, headers/body timeouts: the server may have the request.
 */
export function failedBeforeSending(err: unknown): boolean {
  const e = err as SocketFailure;
  for (const x of [e, e?.cause]) {
    if (!x) continue;
    if (x.code === 'UND_ERR_CONNECT_TIMEOUT') return true;
    if (x.code && DNS_CODES.has(x.code)) return true;
    if (x.syscall === 'connect' || x.syscall === 'getaddrinfo') return true;
  }
  return false;
}

/** What an HTTP status says about the server's side. */
export function classifyStatus(status: number): FailureKind {
  if (REFUSED_STATUS.has(status)) return 'refused';
  if (UNCERTAIN_STATUS.has(status)) return 'uncertain';
  return 'final';
}

/**
 * What a failed attempt says about the server's side. `err` is a LynxApiError of the client
 * (its `cause` holds the socket error's code and syscall), or anything with `status`/`code`.
 */
export function classifyFailure(err: Pick<LynxApiError, 'status' | 'code'> & { cause?: unknown }): FailureKind {
  if (err.status > 0) return classifyStatus(err.status);
  if (err.code === 'ETIMEDOUT') return 'uncertain';
  if (err.code !== 'ENETWORK') return 'final'; // aborted, closed client, auth, 2FA
  if (isTlsFailure(err.cause)) return 'final'; // a refused certificate is refused again
  return failedBeforeSending(err.cause) ? 'not-sent' : 'uncertain';
}

/** May a call be tried again after a failure of this kind? */
export function mayRetry(kind: FailureKind, idempotent: boolean): boolean {
  return kind === 'not-sent' || kind === 'refused' || (kind === 'uncertain' && idempotent);
}

/** Could the server have acted on a request that failed like this? */
export function mayHaveActed(err: unknown): boolean {
  const e = err as { failure?: FailureKind } | undefined;
  return !!e && e.failure === 'uncertain';
}

export interface CreateOnceOptions<T> {
  /** The create (one POST; the client retries it only when the server certainly did not act). */
  create: () => Promise<T>;
  /**
   * Finds the object the create would make, by its identifying fields: undefined when it
   * does not exist. Called only after an uncertain failure of `create`.
   */
  lookup: () => Promise<T | undefined>;
  /** Creates tried at most (default 5): an uncertain failure with nothing found tries again. */
  attempts?: number;
  /** Told of each uncertain failure before the lookup (for logs and counters). */
  onUncertain?: (err: unknown, attempt: number) => void;
}

export interface CreateOnceResult<T> {
  value: T;
  /** The create answered (false: it failed uncertainly and the lookup found what it made). */
  answered: boolean;
  /** Creates sent. */
  attempts: number;
}

/**
 * A create done exactly once, also when its answer is lost: after an uncertain failure (500,
 * 502-504, timeout, connection lost after sending) the object is looked up by its identifying
 * fields; found, it is the result; not found, the server did not act and the create is tried
 * again. Any other failure (e.g. 400, 403, or a certain one the client already retried)
 * is thrown at once; when the lookup fails too (after the client's own retries of it), the
 * create's error is thrown (it says the object may exist).
 * Relies on the server showing a created object to the next list (read after write).
 */
export async function createOnce<T>(o: CreateOnceOptions<T>): Promise<CreateOnceResult<T>> {
  const attempts = Math.max(1, o.attempts ?? 5);
  let last: unknown;
  for (let n = 1; n <= attempts; n++) {
    try {
      return { value: await o.create(), answered: true, attempts: n };
    } catch (err) {
      if (!mayHaveActed(err)) throw err;
      last = err;
      o.onUncertain?.(err, n);
      let found: T | undefined;
      try {
        found = await o.lookup();
      } catch {
        // the create's error says it may have been made and to look before trying again
        throw err;
      }
      if (found !== undefined) return { value: found, answered: false, attempts: n };
    }
  }
  throw last;
}

/** A find-or-create's list answered something that is not a list: nothing is created. */
export class NotAList extends Error {
  readonly code = 'ENOTALIST';
  constructor(got: unknown) {
    const what =
      typeof got === 'string'
        ? `text (${JSON.stringify(got.slice(0, 40))})`
        : got === undefined
          ? 'nothing'
          : typeof got === 'object'
            ? 'an object'
            : `a ${typeof got}`;
    super(
      `the server answered the list with ${what}, not a list, so it cannot tell whether the object exists: nothing was created (a create could make a duplicate); check the API URL and any proxy in between`,
    );
    this.name = 'NotAList';
  }
}

export interface FoundOrCreated<T> {
  obj: T;
  /** this call made it (also when the create's answer was lost and the lookup found it) */
  created: boolean;
  /** objects that matched (the oldest is `obj`) */
  count: number;
}

/**
 * Find-or-create, written once for every kind of object: the oldest row of `list()` that
 * `matches` (lowest id; rows without an id last), or else the one `create()` makes, exactly
 * once (createOnce, looking up with the same list and match). Two calls at once for the same
 * match may both create: callers serialise them (a KeyedQueue per key).
 */
export async function findOrCreate<T extends { id?: number }>(o: {
  list: () => Promise<T[]>;
  matches: (row: T) => boolean;
  create: () => Promise<T>;
}): Promise<FoundOrCreated<T>> {
  const find = async (): Promise<T[]> => {
    const listed: unknown = await o.list();
    // null is an empty list (a Go server's nil slice; go-lynx reads it so); anything else that is
    // not a list (an object, a proxy's page) says nothing of what exists: creating would duplicate
    if (listed !== null && !Array.isArray(listed)) throw new NotAList(listed);
    return ((listed ?? []) as T[]).filter((r) => r && o.matches(r)).sort((a, b) => (a.id ?? Infinity) - (b.id ?? Infinity));
  };
  const found = await find();
  if (found.length) return { obj: found[0], created: false, count: found.length };
  const r = await createOnce({ create: o.create, lookup: async () => (await find())[0] });
  return { obj: r.value, created: true, count: 1 };
}
