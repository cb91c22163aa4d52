// Connection settings of a Lynx server (the iotopen-config node's fields): URL
// checks, the default MQTT URL, and the words shown to a user when "Test
// connection" fails. Pure code: no Node-RED here, so the rules can be
// unit-tested and reused.

/** MQTT URL schemes the pack accepts. */
export const MQTT_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

/** An error in a config field: names the field and says how to fix it. */
export class ConfigError extends Error {
  constructor(
    message: string,
    public readonly field: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }

  /** The message only, no "ConfigError: " (as LynxError). */
  override toString(): string {
    return this.message;
  }
}

/** The API URL without trailing slashes, or a ConfigError naming `apiUrl`. */
export function normaliseApiUrl(value: unknown): string {
  const raw = typeof value === 'string' ? value.trim() : '';
  if (!raw) throw new ConfigError('apiUrl is empty: enter the address of your Lynx server, e.g. https://lynx.iotopen.se', 'apiUrl');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`apiUrl "${raw}" is not a URL: enter it as https://<your Lynx host>`, 'apiUrl');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`apiUrl must start with https:// (or http:// for a local sandbox), got "${url.protocol}//"`, 'apiUrl');
  }
  if (url.username || url.password) {
    throw new ConfigError('apiUrl must not contain a user name or password: put the API key or login in the credential fields', 'apiUrl');
  }
  if (url.search || url.hash) {
    throw new ConfigError(
      'apiUrl must not contain a query string or #fragment: use only the base address, e.g. https://lynx.iotopen.se',
      'apiUrl',
    );
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** `mqtts://<api host>:8883`, the Lynx broker beside a Lynx API. */
export function defaultMqttUrl(apiUrl: string): string {
  return `mqtts://${new URL(apiUrl).hostname}:8883`;
}

/** The MQTT URL to use: the configured one (checked) or the default derived from the API URL. */
export function resolveMqttUrl(mqttUrl: unknown, apiUrl: string): string {
  const raw = typeof mqttUrl === 'string' ? mqttUrl.trim() : '';
  if (!raw) return defaultMqttUrl(apiUrl);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `mqttUrl "${raw}" is not a URL: use mqtts://<host>:8883 or wss://<host>/mqtt, or leave it blank for the default`,
      'mqttUrl',
    );
  }
  if (!MQTT_SCHEMES.includes(url.protocol)) {
    throw new ConfigError(
      `mqttUrl must start with mqtt://, mqtts://, ws:// or wss://, got "${url.protocol}//": use mqtts://<host>:8883 or wss://<host>/mqtt, or leave it blank for the default`,
      'mqttUrl',
    );
  }
  if (url.username || url.password) {
    throw new ConfigError('mqttUrl must not contain a user name or password: the pack signs in with the API key', 'mqttUrl');
  }
  return raw;
}

/** queueLimit: a non-negative integer, default 1000. */
export function parseQueueLimit(value: unknown): number {
  if (value === undefined || value === null || value === '') return 1000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new ConfigError(`queueLimit must be a whole number of messages (0 or more), got ${JSON.stringify(value)}`, 'queueLimit');
  }
  return n;
}

/** queueMaxAge: seconds a write may wait in the offline queue; blank or 0 for no limit. */
export function parseQueueMaxAge(value: unknown): number {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new ConfigError(
      `queueMaxAge must be a whole number of seconds (blank or 0 for no limit), got ${JSON.stringify(value)}`,
      'queueMaxAge',
    );
  }
  return n;
}

/** shareGroup: blank or a name without MQTT wildcards or slashes. */
export function parseShareGroup(value: unknown): string | undefined {
  const raw = typeof value === 'string' ? value.trim() : '';
  if (!raw) return undefined;
  if (/[/+#\s]/.test(raw)) {
    throw new ConfigError(`shareGroup "${raw}" must not contain "/", "+", "#" or spaces: use a plain name such as node-red`, 'shareGroup');
  }
  return raw;
}

interface ErrorLike {
  code?: unknown;
  status?: unknown;
  message?: unknown;
  serverMessage?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Every `code` found on an error, its causes and aggregated errors. */
export function errorCodes(err: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const walk = (e: unknown, depth: number): void => {
    if (!e || typeof e !== 'object' || seen.has(e) || depth > 8) return;
    seen.add(e);
    const x = e as ErrorLike;
    if (typeof x.code === 'string') out.push(x.code);
    walk(x.cause, depth + 1);
    if (Array.isArray(x.errors)) for (const inner of x.errors) walk(inner, depth + 1);
  };
  walk(err, 0);
  return out;
}

const TLS_CODES =
  /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH|EPROTO$)/;

export interface TestContext {
  apiUrl: string;
  authMode: 'apikey' | 'login';
  timeoutMs: number;
}

/**
 * Words a user understands for a failed connection test. Never includes a
 * secret: it uses only the URL host, codes and the server's message.
 */
export function describeConnectionError(err: unknown, ctx: TestContext): string {
  const codes = errorCodes(err);
  const e = (err && typeof err === 'object' ? err : {}) as ErrorLike;
  const status = typeof e.status === 'number' ? e.status : 0;
  let host = ctx.apiUrl;
  try {
    host = new URL(ctx.apiUrl).host;
  } catch {
    /* keep the raw value */
  }
  const has = (...c: string[]) => codes.some((x) => c.includes(x));

  if (has('E2FA')) {
    return 'This account uses two-factor authentication, which Node-RED cannot answer. Create an API key (security token) for the account in Lynx and use the "API key" mode.';
  }
  if (status === 401 || status === 403 || has('EAUTH')) {
    return ctx.authMode === 'login'
      ? `Login refused by ${host}: wrong user name or password (or the account is locked).`
      : `${host} refused the API key: check that the whole key was pasted and that it has not been revoked.`;
  }
  if (status === 404) {
    return `${host} answered, but it is not a Lynx API (404 on /api/v2/installationinfo). Use the base address of your Lynx server, e.g. https://lynx.iotopen.se, without /api/v2.`;
  }
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA')) {
    return `Host not found: the name in ${host} does not resolve. Check its spelling, or the DNS of the machine running Node-RED.`;
  }
  if (has('ECONNREFUSED')) {
    return `Connection refused by ${host}: nothing is listening there. Check the port in the API URL and that the server is running.`;
  }
  const tls = codes.find((c) => TLS_CODES.test(c));
  if (tls) {
    return `TLS certificate problem with ${host} (${tls}). If the server uses a private certificate authority, add its CA in a TLS configuration; otherwise fix the server's certificate.`;
  }
  if (has('ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ESOCKETTIMEDOUT')) {
    return `No answer from ${host} within ${Math.round(ctx.timeoutMs / 1000)} s. Check the address, a firewall or proxy between Node-RED and the server.`;
  }
  if (has('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'EHOSTUNREACH', 'ENETUNREACH')) {
    return `The connection to ${host} was cut or the host is unreachable (${codes.find((c) => /^E|^UND/.test(c))}). Check the network, and https:// versus http:// in the API URL.`;
  }
  if (status >= 300 && status < 400) {
    return `${host} answered with a redirect (HTTP ${status}), which is not followed (the nodes do not follow redirects either): enter the address it redirects to as the API URL, often https:// instead of http://.`;
  }
  if (status > 0) {
    const said = typeof e.serverMessage === 'string' && e.serverMessage ? `: ${e.serverMessage}` : '';
    return `${host} answered HTTP ${status}${said}.`;
  }
  const msg = typeof e.message === 'string' && e.message ? e.message : String(err);
  return `Could not reach ${host}: ${msg}`;
}

/** One entry of a host allowlist: a host name (or `*.` and a domain), maybe with a port. */
export interface HostPattern {
  /** lower-case host name; for `*.example.com` the `.example.com` suffix */
  host: string;
  wildcard: boolean;
  /** the port, when the entry names one */
  port?: string;
}

const HOST_ENTRY = /^(\*\.)?(\[[0-9a-f:.]+\]|[^\s:/?#@[\]*]+)(?::(\d{1,5}))?$/i;

/**
 * A host allowlist (e.g. settings.js `iotopenConfigTestHosts`): a list of `host`, `host:port`,
 * `*.domain` or `*.domain:port` entries. Throws an Error naming `setting` for anything else, so
 * a mistyped setting allows nothing rather than everything.
 */
export function parseHostList(value: unknown, setting: string): HostPattern[] {
  const fail = (why: string): never => {
    throw new Error(`${setting} in settings.js ${why}: list host names such as ["lynx.iotopen.se", "*.example.com", "10.0.0.5:8080"]`);
  };
  if (!Array.isArray(value)) return fail('is not a list');
  return value.map((entry) => {
    const m = typeof entry === 'string' ? HOST_ENTRY.exec(entry.trim()) : null;
    if (!m) return fail(`has an entry that is not a host name (${JSON.stringify(entry)})`);
    let host: string;
    try {
      host = new URL(`http://${m[2]}`).hostname;
    } catch {
      return fail(`has an entry that is not a host name (${JSON.stringify(entry)})`);
    }
    return { host: m[1] ? `.${host}` : host, wildcard: !!m[1], ...(m[3] ? { port: String(Number(m[3])) } : {}) };
  });
}

const DEFAULT_PORTS: Record<string, string> = {
  'http:': '80',
  'https:': '443',
  'mqtt:': '1883',
  'mqtts:': '8883',
  'ws:': '80',
  'wss:': '443',
};

/** Whether an http(s) or MQTT URL's host (and port, when an entry names one) is on the list. */
export function hostAllowed(url: string, patterns: HostPattern[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const host = u.hostname.toLowerCase();
  const port = u.port || DEFAULT_PORTS[u.protocol] || '';
  return patterns.some(
    (p) =>
      (p.wildcard ? host.endsWith(p.host) && host.length > p.host.length : host === p.host) && (p.port === undefined || p.port === port),
  );
}

export interface BrokerTestContext {
  mqttUrl: string;
  authMode: 'apikey' | 'login';
  timeoutMs: number;
}

/**
 * Words a user understands for a failed test connection to the MQTT broker (the error of
 * src/mqtt probeBroker: a socket or TLS code, a CONNACK return code, or a timeout). Never
 * includes a secret: only the URL's host, codes and the broker's reason.
 */
export function describeBrokerError(err: unknown, ctx: BrokerTestContext): string {
  const e = (err && typeof err === 'object' ? err : {}) as { code?: unknown; message?: unknown };
  const msg = typeof e.message === 'string' ? e.message : '';
  let host = ctx.mqttUrl;
  try {
    host = new URL(ctx.mqttUrl).host;
  } catch {
    /* keep the raw value */
  }
  if (typeof e.code === 'number') {
    const why = msg.replace(/^Connection refused: /, '');
    if ([4, 5, 134, 135].includes(e.code)) {
      const secret = ctx.authMode === 'login' ? "the login's token (the password)" : 'the API key (the password)';
      return `The MQTT broker at ${host} rejected the credentials (CONNACK ${e.code}: ${why}): check the MQTT user and ${secret}.`;
    }
    return `The MQTT broker at ${host} refused the connection (CONNACK ${e.code}: ${why}).`;
  }
  const codes = errorCodes(err);
  const has = (...c: string[]) => codes.some((x) => c.includes(x));
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA')) {
    return `Host not found: the name in ${host} does not resolve. Check the MQTT URL, or the DNS of the machine running Node-RED.`;
  }
  if (has('ECONNREFUSED')) {
    return `Connection refused by ${host}: nothing is listening there. Check the port in the MQTT URL (mqtts:// is usually 8883) and that the broker is running.`;
  }
  const tls = codes.find((c) => TLS_CODES.test(c));
  if (tls || /\b(SSL|TLS|certificate)\b/i.test(msg)) {
    return `TLS problem with the MQTT broker at ${host}${tls ? ` (${tls})` : ''}: check mqtts:// versus mqtt:// in the MQTT URL; a private certificate authority needs its CA in a TLS configuration.`;
  }
  if (has('ETIMEDOUT') || /timeout/i.test(msg)) {
    return `No answer from the MQTT broker at ${host} within ${Math.round(ctx.timeoutMs / 1000)} s. Check the MQTT URL, and a firewall between Node-RED and the broker.`;
  }
  if (has('ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECLOSED')) {
    return `The MQTT connection to ${host} was cut or the host is unreachable: check the MQTT URL (its scheme and port) and the network.`;
  }
  return `Could not connect to the MQTT broker at ${host}: ${msg || 'unknown error'}`;
}

/** Node-RED's rule for an environment variable in a node property: the whole value is ${NAME} or $(NAME). */
const ENV_PROPERTY = /^\$\{(\S+)\}$|^\$\((\S+)\)$/;

/** The variable a value names as a whole (Node-RED substitutes it at deploy), or null. */
export function envReference(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = ENV_PROPERTY.exec(value);
  return m ? (m[1] ?? m[2]) : null;
}
