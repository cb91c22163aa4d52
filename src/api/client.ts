// Lynx REST client: one undici Agent (keep-alive pool) per client, API key or
// login-token auth, per-attempt timeouts, retries with backoff, typed areas.
import { Agent, FormData as UndiciFormData, request as undiciRequest } from 'undici';
import { LynxApiError, describeNetworkError, isTlsFailure, stripQuery } from './errors';
import { InstallationsApi } from './installations';
import { ModelXApi } from './modelx';
import { StatusApi } from './status';
import { LogApi } from './log';
import { SchedulesApi } from './schedules';
import { NotificationsApi } from './notifications';
import { MqttApi } from './mqtt';
import { EdgeApi } from './edge';

export type ApiAuth =
  | { type: 'apikey'; apiKey: string }
  | { type: 'login'; username: string; password: string };

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
  /** retries after the first attempt for GET/PUT/DELETE, default 3 */
  retries?: number;
  tls?: ApiTlsOptions;
  /** backoff base (default 200 ms) and cap (default 5000 ms); full jitter */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** upper bound for a server's Retry-After, default 30000 ms */
  retryAfterMaxMs?: number;
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

export const DEFAULT_BASE_URL = 'https://lynx.iotopen.se';
const RETRY_STATUS = new Set([429, 502, 503, 504]);
const MAX_TEXT = 200;
const RESERVED_HEADERS = new Set(['x-api-key', 'authorization', 'host', 'content-length', 'transfer-encoding', 'connection']);

type Attempt =
  | { kind: 'ok'; status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }
  | { kind: 'http'; status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

export class ApiClient {
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
  private readonly userAgent: string;
  private readonly host: string;
  private readonly agent: Agent;
  private closed = false;
  private loginToken: string | undefined;
  private loginInFlight: Promise<string> | undefined;

  constructor(opts: ApiClientOptions) {
    if (!opts || !opts.auth) throw new TypeError('ApiClient: auth is required ({ type: "apikey", apiKey } or { type: "login", username, password })');
    const auth = opts.auth;
    if (auth.type === 'apikey') {
      if (typeof auth.apiKey !== 'string' || auth.apiKey.trim() === '') throw new TypeError('ApiClient: the API key is empty: set it in the config node');
    } else if (auth.type === 'login') {
      if (!auth.username || !auth.password) throw new TypeError('ApiClient: username and password are required for login auth: set them in the config node');
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
    this.retries = Math.max(0, opts.retries ?? 3);
    this.retryBaseMs = opts.retryBaseMs ?? 200;
    this.retryMaxMs = opts.retryMaxMs ?? 5000;
    this.retryAfterMaxMs = opts.retryAfterMaxMs ?? 30000;
    this.userAgent = opts.userAgent ?? 'node-red-iotopen';
    const tls = opts.tls ?? {};
    this.agent = new Agent({
      keepAliveTimeout: 10000,
      connections: opts.connections ?? 16,
      connect: {
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
   */
  async token(opts: CallOptions & { refresh?: boolean } = {}): Promise<string> {
    if (this.auth.type === 'apikey') return this.auth.apiKey;
    if (opts.refresh && !this.loginInFlight) this.loginToken = undefined;
    if (this.loginToken) return this.loginToken;
    if (!this.loginInFlight) {
      // Shared by every caller: one caller's abort must not fail the others' login.
      const p = this.login();
      this.loginInFlight = p;
      p.then(
        (t) => { if (this.loginInFlight === p) { this.loginToken = t; this.loginInFlight = undefined; } },
        () => { if (this.loginInFlight === p) this.loginInFlight = undefined; },
      );
    }
    const inFlight = this.loginInFlight;
    return opts.signal ? raceAbort(inFlight, opts.signal, () => this.abortError('POST', '/api/v2/auth')) : inFlight;
  }

  /** URL of a path with an encoded query (arrays repeat the key). */
  url(path: string, query?: Query): string {
    const q = encodeQuery(query);
    const p = path.startsWith('/') ? path : '/' + path;
    return this.baseUrl + (q && p.includes('?') ? p + '&' + q.slice(1) : p + q);
  }

  /** Generic call. Returns parsed JSON (text or Buffer with responseType), undefined on 204/empty. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    method = method.toUpperCase();
    const cleanPath = stripQuery(path);
    const retryable = method === 'GET' || method === 'PUT' || method === 'DELETE' || method === 'HEAD' || !!opts.idempotent;
    let reloggedIn = false;
    for (let attempt = 0; ; attempt++) {
      const key = await this.token({ signal: opts.signal });
      let res: Attempt;
      try {
        res = await this.attempt(method, path, opts, key);
      } catch (err) {
        const e = err as LynxApiError;
        // A refused certificate will be refused again: only transient failures are retried.
        if ((e.code === 'ENETWORK' && !isTlsFailure(e.cause)) || e.code === 'ETIMEDOUT') {
          if (retryable && attempt < this.retries) {
            await this.sleep(this.backoff(attempt), method, cleanPath, opts.signal);
            continue;
          }
        }
        throw err;
      }
      if (res.kind === 'ok') {
        opts.onStatus?.(res.status);
        return this.parse<T>(res, opts.responseType, method, cleanPath);
      }

      if (res.status === 401 && this.auth.type === 'login' && !reloggedIn) {
        reloggedIn = true;
        if (this.loginToken === key) this.loginToken = undefined;
        attempt--; // the re-login retry does not count against the retry budget
        continue;
      }
      if (RETRY_STATUS.has(res.status) && retryable && attempt < this.retries) {
        const after = parseRetryAfter(res.headers['retry-after']);
        const delay = after !== undefined ? Math.min(after, this.retryAfterMaxMs) : this.backoff(attempt);
        await this.sleep(delay, method, cleanPath, opts.signal);
        continue;
      }
      throw this.httpError(res, method, cleanPath);
    }
  }

  // ---------------------------------------------------------------- internals

  private async attempt(method: string, path: string, opts: RequestOptions, key: string | undefined, extraHeaders?: Record<string, string>): Promise<Attempt> {
    const cleanPath = stripQuery(path);
    if (this.closed) {
      throw new LynxApiError(`${method} ${cleanPath} aborted: the API client was closed (config node stopped or redeployed)`, { status: 0, method, path: cleanPath, code: 'EABORT' });
    }
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
      if (this.closed) {
        throw new LynxApiError(`${method} ${cleanPath} aborted: the API client was closed (config node stopped or redeployed)`, { status: 0, method, path: cleanPath, code: 'EABORT' });
      }
      throw new LynxApiError(this.redact(`${method} ${cleanPath} failed: ${describeNetworkError(err, this.host)}`), {
        status: 0, method, path: cleanPath, code: 'ENETWORK', cause: sanitizeCause(err),
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
          status: res.status, method, path, code: 'EHTTP', serverMessage: this.redact(truncate(text)),
        });
      }
      return text as unknown as T;
    }
  }

  private httpError(res: Attempt, method: string, path: string): LynxApiError {
    const serverMessage = this.redact(extractMessage(res.body));
    const s = res.status;
    let hint: string;
    let code: 'EHTTP' | 'EAUTH' = 'EHTTP';
    if (s === 401) {
      code = 'EAUTH';
      hint = this.auth.type === 'apikey'
        ? 'the API key was refused: check the API key in the config node'
        : 'the login token was refused: check the username and password in the config node';
    } else if (s === 403) hint = 'forbidden: this account has no permission for this object or installation';
    else if (s === 404) hint = 'not found: check the installation id and the object id';
    else if (s === 409) hint = 'conflict: it already exists';
    else if (s === 400 || s === 422) hint = 'the server refused the request data';
    else if (s === 414) hint = 'the request URL is too long';
    else if (s === 429) hint = 'too many requests: the server is rate limiting, try again later';
    else if (s >= 500) hint = 'the server had a problem, try again later';
    else hint = 'unexpected answer';
    const msg = `${method} ${path} failed with HTTP ${s}: ${hint}${serverMessage ? ` (server said: ${serverMessage})` : ''}`;
    return new LynxApiError(this.redact(msg), { status: s, method, path, code, serverMessage });
  }

  private async login(): Promise<string> {
    if (this.auth.type !== 'login') throw new Error('unreachable');
    const method = 'POST';
    const path = '/api/v2/auth';
    const basic = Buffer.from(`${this.auth.username}:${this.auth.password}`, 'utf8').toString('base64');
    // The login is never retried: a refused login must not lock the account.
    const res = await this.attempt(method, path, {}, undefined, { authorization: `Basic ${basic}` });
    if (res.status === 401 || res.status === 403) {
      throw new LynxApiError(`login to ${this.host} failed: the username or password was refused; check them in the config node, or use an API key`, {
        status: res.status, method, path, code: 'EAUTH', serverMessage: this.redact(extractMessage(res.body)),
      });
    }
    if (res.kind !== 'ok') throw this.httpError(res, method, path);
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
      throw new LynxApiError(`login to ${this.host} needs ${what}, which Node-RED cannot answer: create an API key for this account and use API key authentication instead`, {
        status: res.status, method, path, code: 'E2FA',
      });
    }
    if (typeof answer.token !== 'string' || answer.token === '') {
      throw new LynxApiError(`login to ${this.host} answered without a token; is the API URL pointing at a Lynx server?`, {
        status: res.status, method, path, code: 'EAUTH',
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
function sanitizeCause(err: unknown): { code?: string; message?: string } {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  return { code: e?.cause?.code ?? e?.code, message: e?.message };
}

function toFormData(form: NonNullable<RequestOptions['form']>): UndiciFormData {
  const fd = new UndiciFormData();
  const entries: Iterable<[string, unknown]> = typeof (form as { entries?: unknown }).entries === 'function'
    ? (form as { entries(): IterableIterator<[string, unknown]> }).entries()
    : Object.entries(form as Record<string, FormPart>);
  for (const [name, part] of entries) {
    if (typeof part === 'string') fd.append(name, part);
    else if (Buffer.isBuffer(part) || part instanceof Uint8Array) fd.append(name, new Blob([new Uint8Array(part)]), name);
    else if (part instanceof Blob) fd.append(name, part, (part as File).name ?? name);
    else if (part && typeof part === 'object' && 'value' in part) {
      const p = part as { value: string | Uint8Array; filename?: string; contentType?: string };
      const blob = new Blob([typeof p.value === 'string' ? p.value : new Uint8Array(p.value)], p.contentType ? { type: p.contentType } : undefined);
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
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}
