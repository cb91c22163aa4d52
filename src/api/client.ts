// Lynx REST client: one undici Agent (keep-alive pool) per client, API key or
// login-token auth, per-attempt timeouts, retries with backoff, typed areas.
import { EventEmitter } from 'node:events';
import { Agent, FormData as UndiciFormData, request as undiciRequest } from 'undici';
import { LynxApiError, describeNetworkError, stripQuery } from './errors';
import { classifyFailure, classifyStatus, IDEMPOTENT_METHODS, mayRetry, type FailureKind } from './retry';
import { InstallationsApi } from './installations';
import { ModelXApi } from './modelx';
import { StatusApi } from './status';
import { LogApi } from './log';
import { SchedulesApi } from './schedules';
import { NotificationsApi } from './notifications';
import { MqttApi } from './mqtt';
import { EdgeApi } from './edge';

export type ApiAuth = { type: 'apikey'; apiKey: string } | { type: 'login'; username: string; password: string };

export interface ApiTlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** of an encrypted client key */
  passphrase?: string;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface ApiClientOptions {
  /** default https://lynx.iotopen.se; a trailing slash is fine */
  baseUrl?: string;
  auth: ApiAuth;
  /** per attempt, default 10000 */
  timeoutMs?: number;
  /** time to connect (TCP + TLS) within an attempt, default half of timeoutMs (at most 10000) */
  connectTimeoutMs?: number;
  /**
   * retries after the first attempt, default 5: for GET/PUT/DELETE (and idempotent POST
   * queries) after any transient failure; for other POSTs only when the server certainly
   * did not act (see retry.ts)
   */
  retries?: number;
  tls?: ApiTlsOptions;
  /** backoff base (default 200 ms) and cap (default 5000 ms); full jitter */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** longest Retry-After waited for, default 30000 ms; a longer one fails the call at once */
  retryAfterMaxMs?: number;
  /** after a refused login: no login for this long (default 5000 ms), doubling per refusal in a row up to loginBackoffMaxMs (default 300000) */
  loginBackoffMinMs?: number;
  loginBackoffMaxMs?: number;
  /** after a refused API key (a second 401 in a row): nothing sent for this long (default 2000 ms), doubling up to keyBackoffMaxMs (default 60000) */
  keyBackoffMinMs?: number;
  keyBackoffMaxMs?: number;
  /** max sockets to the API host, default 16 */
  connections?: number;
  userAgent?: string;
}

export type QueryValue = string | number | boolean | null | undefined;
export type Query = Record<string, QueryValue | QueryValue[]>;

/** A form part: text, or a file given as { value, filename?, contentType? }. */
export type FormPart = string | Buffer | { value: string | Buffer | Uint8Array; filename?: string; contentType?: string };

export interface RequestOptions {
  query?: Query;
  /** JSON body */
  body?: unknown;
  /** multipart/form-data body: a record of parts or a FormData */
  form?: Record<string, FormPart> | { entries(): IterableIterator<[string, unknown]> };
  signal?: AbortSignal;
  headers?: Record<string, string>;
  responseType?: 'json' | 'text' | 'buffer';
  /**
   * The call has no side effect even though it is a POST (status/log queries
   * with the topic list in the body): it may then be retried like a GET.
   */
  idempotent?: boolean;
  /** Called with the HTTP status of the successful answer (e.g. 200, 201, 204) before it is parsed. */
  onStatus?: (status: number) => void;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * Whether the server accepts this client's credentials (`api.authState`, and the 'auth' event
 * on every change). While 'refused', calls fail at once with `message` until `retryAt`; the
 * first call after it tries again (a login, or the API key).
 */
export interface AuthState {
  state: 'ok' | 'refused';
  auth: 'apikey' | 'login';
  /** refusals in a row (0 when ok) */
  refusals: number;
  /** epoch ms of the next try (refused only) */
  retryAt?: number;
  /** ms until then, at the time the state was read or emitted (refused only) */
  retryInMs?: number;
  /** what calls fail with meanwhile (refused only) */
  message?: string;
}

/** One retry about to happen (the 'retry' event): after `delayMs` attempt number `attempt + 1` is made. */
export interface RetryEvent {
  method: string;
  path: string;
  attempt: number;
  delayMs: number;
  failure: FailureKind;
  status: number;
  code?: string;
}

export const DEFAULT_BASE_URL = 'https://lynx.iotopen.se';
const MAX_TEXT = 200;
const LOOK_FIRST = 'look whether it exists before trying again';
const RESERVED_HEADERS = new Set(['x-api-key', 'authorization', 'host', 'content-length', 'transfer-encoding', 'connection']);

type Attempt =
  | { kind: 'ok'; status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }
  | { kind: 'http'; status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/**
 * Events: 'auth' (AuthState) when the credentials are refused or accepted again;
 * 'retry' (RetryEvent) before each retry.
 */
export class ApiClient extends EventEmitter {
  readonly baseUrl: string;
  readonly installations: InstallationsApi;
  readonly functionx: ModelXApi;
  readonly devicex: ModelXApi;
  readonly status: StatusApi;
  readonly log: LogApi;
  readonly schedules: SchedulesApi;
  readonly notifications: NotificationsApi;
  readonly mqtt: MqttApi;
  readonly edge: EdgeApi;

  private readonly auth: ApiAuth;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly retryAfterMaxMs: number;
  private readonly loginBackoff: { min: number; max: number };
  private readonly keyBackoff: { min: number; max: number };
  private readonly userAgent: string;
  private readonly host: string;
  private readonly agent: Agent;
  private closed = false;
  private loginToken: string | undefined;
  private loginInFlight: Promise<string> | undefined;
  /** the current (or, after retryAt, the last) refusal of the credentials */
  private refusal: { retryAt: number; refusals: number; error: LynxApiError } | undefined;
  /** API key: a 401 seen since the last success (the first one is not held against it) */
  private keyStrike = false;

  constructor(opts: ApiClientOptions) {
    super();
    if (!opts || !opts.auth)
      throw new TypeError('ApiClient: auth is required ({ type: "apikey", apiKey } or { type: "login", username, password })');
    const auth = opts.auth;
    if (auth.type === 'apikey') {
      if (typeof auth.apiKey !== 'string' || auth.apiKey.trim() === '')
        throw new TypeError('ApiClient: the API key is empty: set it in the config node');
    } else if (auth.type === 'login') {
      if (!auth.username || !auth.password)
        throw new TypeError('ApiClient: username and password are required for login auth: set them in the config node');
    } else {
      throw new TypeError('ApiClient: auth.type must be "apikey" or "login"');
    }
    this.auth = auth;
    const base = (opts.baseUrl && opts.baseUrl.trim()) || DEFAULT_BASE_URL;
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      throw new TypeError(`ApiClient: the API URL "${base}" is not a valid URL: use e.g. ${DEFAULT_BASE_URL}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`ApiClient: the API URL must start with http:// or https://, got ${url.protocol}`);
    }
    url.username = '';
    url.password = '';
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.host = url.host;
    this.timeoutMs = opts.timeoutMs ?? 10000;
    this.retries = Math.max(0, opts.retries ?? 5);
    this.retryBaseMs = opts.retryBaseMs ?? 200;
    this.retryMaxMs = opts.retryMaxMs ?? 5000;
    this.retryAfterMaxMs = opts.retryAfterMaxMs ?? 30000;
    this.loginBackoff = { min: opts.loginBackoffMinMs ?? 5000, max: opts.loginBackoffMaxMs ?? 300000 };
    this.keyBackoff = { min: opts.keyBackoffMinMs ?? 2000, max: opts.keyBackoffMaxMs ?? 60000 };
    // Shorter than the attempt: a connection that cannot be made fails as a connect timeout,
    // which says the request never left (safe to retry, also for a POST).
    const connectTimeout = opts.connectTimeoutMs ?? Math.max(1, Math.min(10000, Math.floor(this.timeoutMs / 2)));
    this.userAgent = opts.userAgent ?? 'node-red-iotopen';
    const tls = opts.tls ?? {};
    this.agent = new Agent({
      keepAliveTimeout: 10000,
      connections: opts.connections ?? 16,
      connect: {
        timeout: connectTimeout,
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
        ...(tls.key !== undefined ? { key: tls.key } : {}),
        ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
        ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
        ...(tls.servername ? { servername: tls.servername } : {}),
      },
    });

    this.installations = new InstallationsApi(this);
    this.functionx = new ModelXApi(this, 'functionx');
    this.devicex = new ModelXApi(this, 'devicex');
    this.status = new StatusApi(this);
    this.log = new LogApi(this);
    this.schedules = new SchedulesApi(this);
    this.notifications = new NotificationsApi(this);
    this.mqtt = new MqttApi(this);
    this.edge = new EdgeApi(this);
  }

  /** Close the connection pool; calls in flight fail with EABORT. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.destroy().catch(() => undefined);
  }

  /**
   * The key sent as X-API-Key (logs in first with login auth). Use it as the MQTT password.
   * `refresh: true` drops a login token another party (e.g. the MQTT broker) refused, so a
   * new login is made; with an API key there is nothing to refresh.
   * After a refused login it fails at once, without a login, until the backoff has passed.
   */
  async token(opts: CallOptions & { refresh?: boolean } = {}): Promise<string> {
    if (this.auth.type === 'apikey') return this.auth.apiKey;
    if (opts.refresh && !this.loginInFlight) this.loginToken = undefined;
    if (this.loginToken) return this.loginToken;
    if (!this.loginInFlight) {
      this.throwIfHeld();
      // Shared by every caller: one caller's abort must not fail the others' login.
      const p = this.loginWithBackoff();
      this.loginInFlight = p;
      p.then(
        (t) => {
          if (this.loginInFlight === p) {
            this.loginToken = t;
            this.loginInFlight = undefined;
          }
        },
        () => {
          if (this.loginInFlight === p) this.loginInFlight = undefined;
        },
      );
    }
    const inFlight = this.loginInFlight;
    return opts.signal ? raceAbort(inFlight, opts.signal, () => this.abortError('POST', '/api/v2/auth')) : inFlight;
  }

  /** Whether the credentials are refused (then calls fail at once until `retryAt`). */
  get authState(): AuthState {
    return this.stateNow();
  }

  /** URL of a path with an encoded query (arrays repeat the key). */
  url(path: string, query?: Query): string {
    const q = encodeQuery(query);
    const p = path.startsWith('/') ? path : '/' + path;
    return this.baseUrl + (q && p.includes('?') ? p + '&' + q.slice(1) : p + q);
  }

  /**
   * Generic call. Returns parsed JSON (text or Buffer with responseType), undefined on 204/empty.
   * Retried (bounded, backoff with full jitter, Retry-After honoured) when the failure allows
   * it for this method: see retry.ts. Every error thrown carries `failure`.
   */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    method = method.toUpperCase();
    const cleanPath = stripQuery(path);
    const idempotent = IDEMPOTENT_METHODS.has(method) || !!opts.idempotent;
    let reloggedIn = false;
    let mayHaveActed = false; // an earlier attempt failed uncertainly
    for (let attempt = 0; ; attempt++) {
      const key = await this.token({ signal: opts.signal });
      if (this.auth.type === 'apikey') this.throwIfHeld(method, cleanPath);
      let res: Attempt;
      try {
        res = await this.attempt(method, path, opts, key);
      } catch (err) {
        const e = err as LynxApiError;
        const kind = classifyFailure(e);
        if (attempt < this.retries && mayRetry(kind, idempotent)) {
          if (kind === 'uncertain') mayHaveActed = true;
          await this.pauseBeforeRetry(
            this.backoff(attempt),
            { method, path: cleanPath, attempt, failure: kind, status: 0, code: e.code },
            opts.signal,
          );
          continue;
        }
        throw this.finalError(e, kind, idempotent);
      }
      if (res.kind === 'ok') {
        this.accepted();
        opts.onStatus?.(res.status);
        return this.parse<T>(res, opts.responseType, method, cleanPath);
      }

      if (res.status === 401 && this.auth.type === 'login' && !reloggedIn) {
        reloggedIn = true;
        if (this.loginToken === key) this.loginToken = undefined;
        attempt--; // the re-login retry does not count against the retry budget
        continue;
      }
      if (res.status === 401 && this.auth.type === 'apikey') this.keyRefused(method, cleanPath);
      // A DELETE retried after an attempt that may have acted finds nothing: it is gone, which
      // is what was asked (most likely the lost attempt removed it).
      if (res.status === 404 && method === 'DELETE' && mayHaveActed) return undefined as T;
      const kind = classifyStatus(res.status);
      if (attempt < this.retries && mayRetry(kind, idempotent)) {
        if (kind === 'uncertain') mayHaveActed = true;
        const after = parseRetryAfter(res.headers['retry-after']);
        if (after === undefined || after <= this.retryAfterMaxMs) {
          // a little jitter on a server's delay too, so many clients do not come back in step
          const delay = after !== undefined ? after + Math.floor(Math.random() * Math.min(1000, after / 10 + 1)) : this.backoff(attempt);
          await this.pauseBeforeRetry(delay, { method, path: cleanPath, attempt, failure: kind, status: res.status }, opts.signal);
          continue;
        }
      }
      throw this.httpError(res, method, cleanPath, kind, idempotent);
    }
  }

  // ---------------------------------------------------------------- internals

  private async attempt(
    method: string,
    path: string,
    opts: RequestOptions,
    key: string | undefined,
    extraHeaders?: Record<string, string>,
  ): Promise<Attempt> {
    const cleanPath = stripQuery(path);
    if (this.closed) throw closedError(method, cleanPath);
    if (opts.signal?.aborted) throw this.abortError(method, cleanPath);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      // the client owns authentication and framing: a caller cannot send a second key
      if (!RESERVED_HEADERS.has(name.toLowerCase()) && value !== undefined) headers[name] = String(value);
    }
    Object.assign(headers, extraHeaders);
    if (key !== undefined) headers['x-api-key'] = key;
    let body: string | UndiciFormData | undefined;
    if (opts.form !== undefined) {
      body = toFormData(opts.form);
    } else if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    // One controller per attempt, aborted by our timer or the caller's signal.
    // (A plain timer is much cheaper than AbortSignal.timeout + AbortSignal.any.)
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, this.timeoutMs);
    const onCallerAbort = () => ac.abort();
    opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const url = this.url(path, opts.query);
    try {
      const res = await undiciRequest(url, { dispatcher: this.agent, method: method as 'GET', headers, body, signal: ac.signal });
      const buf = Buffer.from(await res.body.arrayBuffer());
      const kind = res.statusCode >= 200 && res.statusCode < 300 ? 'ok' : 'http';
      return { kind, status: res.statusCode, headers: res.headers, body: buf };
    } catch (err) {
      if (opts.signal?.aborted) throw this.abortError(method, cleanPath);
      if (timedOut) {
        throw new LynxApiError(
          `${method} ${cleanPath} timed out after ${this.timeoutMs} ms: ${this.host} did not answer in time; check the network or raise the timeout`,
          { status: 0, method, path: cleanPath, code: 'ETIMEDOUT' },
        );
      }
      if (this.closed) throw closedError(method, cleanPath);
      throw new LynxApiError(this.redact(`${method} ${cleanPath} failed: ${describeNetworkError(err, this.host)}`), {
        status: 0,
        method,
        path: cleanPath,
        code: 'ENETWORK',
        cause: sanitizeCause(err),
      });
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  private parse<T>(res: Attempt, type: RequestOptions['responseType'], method: string, path: string): T {
    if (type === 'buffer') return res.body as unknown as T;
    const text = res.body.toString('utf8');
    if (type === 'text') return text as unknown as T;
    if (res.status === 204 || text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      const ct = String(res.headers['content-type'] ?? '');
      if (/json/i.test(ct)) {
        throw new LynxApiError(`${method} ${path} answered ${res.status} with invalid JSON; is the API URL pointing at a Lynx server?`, {
          status: res.status,
          method,
          path,
          code: 'EHTTP',
          serverMessage: this.redact(truncate(text)),
        });
      }
      return text as unknown as T;
    }
  }

  private httpError(
    res: Attempt,
    method: string,
    path: string,
    failure: FailureKind = classifyStatus(res.status),
    idempotent = true,
  ): LynxApiError {
    const serverMessage = this.redact(extractMessage(res.body));
    const s = res.status;
    let hint: string;
    let code: 'EHTTP' | 'EAUTH' = 'EHTTP';
    if (s === 401) {
      code = 'EAUTH';
      hint =
        this.auth.type === 'apikey'
          ? 'the API key was refused: check the API key in the config node'
          : 'the login token was refused: check the username and password in the config node';
    } else if (s === 403) hint = 'forbidden: this account has no permission for this object or installation';
    else if (s === 404) hint = 'not found: check the installation id and the object id';
    else if (s === 409) hint = 'conflict: it already exists';
    else if (s === 400 || s === 422) hint = 'the server refused the request data';
    else if (s === 414) hint = 'the request URL is too long';
    else if (s === 429) hint = 'too many requests: the server is rate limiting, try again later';
    else if (s >= 500 && failure === 'uncertain' && !idempotent)
      hint = `the server had a problem and may or may not have done it: ${LOOK_FIRST}`;
    else if (s >= 500) hint = 'the server had a problem, try again later';
    else hint = 'unexpected answer';
    const wait = parseRetryAfter(res.headers['retry-after']);
    if (wait !== undefined && wait > this.retryAfterMaxMs && (s === 429 || s === 503))
      hint += ` (the server asks to wait ${Math.ceil(wait / 1000)} s)`;
    const msg = `${method} ${path} failed with HTTP ${s}: ${hint}${serverMessage ? ` (server said: ${serverMessage})` : ''}`;
    return new LynxApiError(this.redact(msg), { status: s, method, path, code, serverMessage, failure });
  }

  /** The error a call fails with after its last attempt: `failure` set; an uncertain POST says to look first. */
  private finalError(e: LynxApiError, failure: FailureKind, idempotent: boolean): LynxApiError {
    if (!(e instanceof LynxApiError)) return e;
    if (failure === 'uncertain' && !idempotent) {
      return new LynxApiError(`${e.message}; the server may or may not have done it: ${LOOK_FIRST}`, {
        status: e.status,
        method: e.method,
        path: e.path,
        code: e.code,
        serverMessage: e.serverMessage,
        cause: e.cause,
        failure,
      });
    }
    e.failure = failure;
    return e;
  }

  private async pauseBeforeRetry(delayMs: number, ev: Omit<RetryEvent, 'delayMs'>, signal?: AbortSignal): Promise<void> {
    if (this.listenerCount('retry') > 0) this.emit('retry', { ...ev, delayMs } satisfies RetryEvent);
    await this.sleep(delayMs, ev.method, ev.path, signal);
  }

  // ------------------------------------------------------- refused credentials

  private stateNow(): AuthState {
    const r = this.refusal;
    if (!r) return { state: 'ok', auth: this.auth.type, refusals: 0 };
    return {
      state: 'refused',
      auth: this.auth.type,
      refusals: r.refusals,
      retryAt: r.retryAt,
      retryInMs: Math.max(0, r.retryAt - Date.now()),
      message: this.heldMessage(r),
    };
  }

  private heldMessage(r: NonNullable<ApiClient['refusal']>): string {
    const secs = Math.max(1, Math.ceil((r.retryAt - Date.now()) / 1000));
    return `${r.error.message}; ${this.auth.type === 'login' ? 'the next login is tried' : 'it is tried again'} in ${secs} s`;
  }

  /** While the credentials are refused: fail at once, without contacting the server. */
  private throwIfHeld(method?: string, path?: string): void {
    const r = this.refusal;
    if (!r || Date.now() >= r.retryAt) return;
    const e = r.error;
    const prefix = method && path && this.auth.type === 'apikey' ? `${method} ${path} was not sent: ` : '';
    throw new LynxApiError(prefix + this.heldMessage(r), {
      status: e.status,
      method: method ?? e.method,
      path: path ?? e.path,
      code: e.code,
      serverMessage: e.serverMessage,
      failure: 'final',
    });
  }

  /** The server accepted the credentials: a refusal is over. */
  private accepted(): void {
    this.keyStrike = false;
    if (!this.refusal) return;
    this.refusal = undefined;
    this.emit('auth', this.stateNow());
  }

  private refuse(error: LynxApiError, backoff: { min: number; max: number }): LynxApiError {
    const refusals = (this.refusal?.refusals ?? 0) + 1;
    const delay = Math.min(backoff.max, backoff.min * 2 ** Math.min(refusals - 1, 30));
    this.refusal = { retryAt: Date.now() + delay, refusals, error };
    this.emit('auth', this.stateNow());
    return new LynxApiError(this.heldMessage(this.refusal), {
      status: error.status,
      method: error.method,
      path: error.path,
      code: error.code,
      serverMessage: error.serverMessage,
      failure: 'final',
    });
  }

  /**
   * A 401 for the API key. The first one since the last success is let pass (a proxy's or
   * server's glitch); a second one holds every call for keyBackoff (doubling while refused),
   * so a revoked key does not send every call of every flow to the server.
   */
  private keyRefused(method: string, path: string): void {
    if (this.refusal && Date.now() < this.refusal.retryAt) return; // calls that were in flight
    if (!this.refusal && !this.keyStrike) {
      this.keyStrike = true;
      return;
    }
    this.refuse(
      new LynxApiError(`the API key was refused by ${this.host} (HTTP 401): check the API key in the config node`, {
        status: 401,
        method,
        path,
        code: 'EAUTH',
        failure: 'final',
      }),
      this.keyBackoff,
    );
  }

  /** login(), with a refusal (wrong credentials, or a second factor) held for loginBackoff. */
  private async loginWithBackoff(): Promise<string> {
    try {
      const token = await this.login();
      this.accepted();
      return token;
    } catch (err) {
      const e = err as LynxApiError;
      if (e instanceof LynxApiError && (e.code === 'E2FA' || (e.code === 'EAUTH' && (e.status === 401 || e.status === 403)))) {
        throw this.refuse(e, this.loginBackoff);
      }
      throw err;
    }
  }

  private async login(): Promise<string> {
    if (this.auth.type !== 'login') throw new Error('unreachable');
    const method = 'POST';
    const path = '/api/v2/auth';
    const basic = Buffer.from(`${this.auth.username}:${this.auth.password}`, 'utf8').toString('base64');
    // A refused login is never retried here (loginWithBackoff holds it): a server may lock the
    // account. Transient failures are: a second login only makes a second token.
    let res: Attempt;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.attempt(method, path, {}, undefined, { authorization: `Basic ${basic}` });
      } catch (err) {
        const e = err as LynxApiError;
        const kind = classifyFailure(e);
        if (attempt < this.retries && mayRetry(kind, true)) {
          await this.pauseBeforeRetry(this.backoff(attempt), { method, path, attempt, failure: kind, status: 0, code: e.code });
          continue;
        }
        throw this.finalError(e, kind, true);
      }
      if (res.status === 401 || res.status === 403) {
        throw new LynxApiError(
          `login to ${this.host} failed: the username or password was refused; check the username and password in the config node, or use an API key`,
          {
            status: res.status,
            method,
            path,
            code: 'EAUTH',
            serverMessage: this.redact(extractMessage(res.body)),
            failure: 'final',
          },
        );
      }
      if (res.kind === 'ok') break;
      const kind = classifyStatus(res.status);
      const after = parseRetryAfter(res.headers['retry-after']);
      if (attempt < this.retries && mayRetry(kind, true) && (after === undefined || after <= this.retryAfterMaxMs)) {
        await this.pauseBeforeRetry(after ?? this.backoff(attempt), { method, path, attempt, failure: kind, status: res.status });
        continue;
      }
      throw this.httpError(res, method, path, kind, true);
    }
    let answer: { token?: unknown; nextstep?: unknown; next_step?: unknown } = {};
    try {
      const parsed: unknown = JSON.parse(res.body.toString('utf8'));
      if (parsed && typeof parsed === 'object') answer = parsed;
    } catch {
      /* handled below */
    }
    // A next step (the spec spells it `nextstep`, node-lynx's type `next_step`; 'smslogin' today)
    // means the token only serves to answer a second factor, which Node-RED cannot do.
    const step = answer.nextstep ?? answer.next_step;
    if (step !== undefined && step !== null && step !== '') {
      const what = step === 'smslogin' ? 'a second factor (SMS code)' : `a second factor (${String(step).slice(0, 40)})`;
      throw new LynxApiError(
        `login to ${this.host} needs ${what}, which Node-RED cannot answer: create an API key for this account and use API key authentication instead`,
        {
          status: res.status,
          method,
          path,
          code: 'E2FA',
          failure: 'final',
        },
      );
    }
    if (typeof answer.token !== 'string' || answer.token === '') {
      throw new LynxApiError(`login to ${this.host} answered without a token; is the API URL pointing at a Lynx server?`, {
        status: res.status,
        method,
        path,
        code: 'EAUTH',
        failure: 'final',
      });
    }
    return answer.token;
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** attempt);
    return Math.floor(Math.random() * ceiling);
  }

  private sleep(ms: number, method: string, path: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(this.abortError(method, path));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(this.abortError(method, path));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private abortError(method: string, path: string): LynxApiError {
    return new LynxApiError(`${method} ${stripQuery(path)} was aborted`, { status: 0, method, path, code: 'EABORT' });
  }

  /** Remove any secret this client knows from a text that may be shown to users. */
  private redact(text: string): string;
  private redact(text: string | undefined): string | undefined;
  private redact(text: string | undefined): string | undefined {
    if (!text) return text;
    const secrets: string[] = [];
    if (this.auth.type === 'apikey') secrets.push(this.auth.apiKey);
    else secrets.push(this.auth.password);
    if (this.loginToken) secrets.push(this.loginToken);
    let out = text;
    for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
    return out;
  }
}

// ------------------------------------------------------------------ helpers

export function encodeQuery(query?: Query): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    const values = Array.isArray(v) ? v : [v];
    for (const item of values) if (item !== undefined && item !== null) params.append(k, String(item));
  }
  const s = params.toString();
  return s ? '?' + s : '';
}

/** Retry-After as ms: delta seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  const trimmed = h.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const t = Date.parse(trimmed);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

function truncate(text: string): string {
  const t = text.trim();
  return t.length > MAX_TEXT ? t.slice(0, MAX_TEXT) + '…' : t;
}

function extractMessage(body: Buffer): string | undefined {
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    const j = JSON.parse(text);
    if (j && typeof j === 'object' && typeof j.message === 'string') return truncate(j.message);
    if (typeof j === 'string') return truncate(j);
    return truncate(JSON.stringify(j));
  } catch {
    return truncate(text);
  }
}

/** Keep only code and message of an underlying error (it never carries headers). */
function sanitizeCause(err: unknown): { code?: string; syscall?: string; message?: string } {
  const e = err as { code?: string; syscall?: string; message?: string; cause?: { code?: string; syscall?: string } };
  const syscall = e?.syscall ?? e?.cause?.syscall;
  return { code: e?.cause?.code ?? e?.code, ...(syscall ? { syscall } : {}), message: e?.message };
}

function toFormData(form: NonNullable<RequestOptions['form']>): UndiciFormData {
  const fd = new UndiciFormData();
  const entries: Iterable<[string, unknown]> =
    typeof (form as { entries?: unknown }).entries === 'function'
      ? (form as { entries(): IterableIterator<[string, unknown]> }).entries()
      : Object.entries(form as Record<string, FormPart>);
  for (const [name, part] of entries) {
    if (typeof part === 'string') fd.append(name, part);
    else if (Buffer.isBuffer(part) || part instanceof Uint8Array) fd.append(name, new Blob([new Uint8Array(part)]), name);
    else if (part instanceof Blob) fd.append(name, part, (part as File).name ?? name);
    else if (part && typeof part === 'object' && 'value' in part) {
      const p = part as { value: string | Uint8Array; filename?: string; contentType?: string };
      const blob = new Blob(
        [typeof p.value === 'string' ? p.value : new Uint8Array(p.value)],
        p.contentType ? { type: p.contentType } : undefined,
      );
      fd.append(name, blob, p.filename ?? name);
    } else fd.append(name, String(part));
  }
  return fd;
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal, mkErr: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(mkErr());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(mkErr());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** A call on (or cut short by) a closed client. */
function closedError(method: string, path: string): LynxApiError {
  return new LynxApiError(`${method} ${path} aborted: the API client was closed (config node stopped or redeployed)`, {
    status: 0,
    method,
    path,
    code: 'EABORT',
  });
}
