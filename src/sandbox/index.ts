// The Lynx sandbox: an in-memory emulation of the IoT Open Lynx REST API and
// MQTT broker, for tests, the demo and the examples.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type net from 'node:net';
import { Router, HttpError, normalisePath, type SbRequest, type Reply, type Principal } from './router';
import { Store, type Seed, type Installation } from './store';
import { Faults, type FaultConfig, type FaultStats } from './faults';
import { EmbeddedBroker, ExternalBroker, type Bus } from './broker';
import { registerRoutes } from './routes';
import { registerEdgeRoutes } from './edge';
import type { SandboxContext } from './context';

export { Router, HttpError, json, noContent, empty, raw } from './router';
export type { SbRequest, Reply, Principal, Handler, Method, RouteOptions } from './router';
export { Store, InstallationLog, bareTopic, defaultBehaviour } from './store';
export type {
  Seed,
  SandboxBehaviour,
  SeedBehaviour,
  AggrMethod,
  LogQuery,
  ApiKeyEntry,
  User,
  Installation,
  ModelX,
  Schedule,
  StatusEntry,
  LogEntry,
  NotificationMessage,
  NotificationOutput,
  NotificationExecutor,
  SentNotification,
} from './store';
export type { FaultConfig, FaultPhase, FaultStats } from './faults';
export type { SandboxContext } from './context';

export const DEFAULT_SEED_PATH = path.join(__dirname, 'default-seed.json');
/** Requests whose URL (path + query) is longer than this get 414, like Lynx's front proxy. */
export const MAX_URL_BYTES = 4096;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface SandboxOptions {
  port?: number;
  mqttPort?: number;
  host?: string;
  /** A seed object, or the path of a seed JSON file; default: the bundled default seed. */
  seed?: Seed | string;
  /** Use this external broker instead of the embedded one. */
  mqttUrl?: string;
}

export interface Sandbox {
  api: string;
  mqtt: string;
  apiKey: string;
  installations: Array<Pick<Installation, 'id' | 'client_id' | 'name'>>;
  store: Store;
  /** Test facility: inject faults before or after a route acts (see faults.ts); stats() counts what was injected. */
  faults: { set(cfg: FaultConfig): void; clear(): void; stats(): FaultStats };
  requests: Array<{ method: string; path: string }>;
  resetRequests(): void;
  /** Embedded broker only: ACL refusals so far. */
  brokerDenied: { publish: number; subscribe: number };
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  stop(): Promise<void>;
}

export function loadSeed(seed?: Seed | string): Seed {
  if (seed && typeof seed === 'object') return seed;
  const file = seed ?? DEFAULT_SEED_PATH;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`sandbox: cannot read seed file ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as Seed;
  } catch (e) {
    throw new Error(`sandbox: seed file ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function principalOf(store: Store, req: http.IncomingMessage): Principal | undefined {
  let secret = req.headers['x-api-key'];
  if (Array.isArray(secret)) secret = secret[0];
  const auth = req.headers.authorization;
  if (!secret && auth) {
    if (/^basic /i.test(auth)) {
      const dec = Buffer.from(auth.slice(6).trim(), 'base64').toString();
      const i = dec.indexOf(':');
      secret = i >= 0 ? dec.slice(i + 1) : undefined;
    } else if (/^bearer /i.test(auth)) {
      secret = auth.slice(7).trim();
    }
  }
  if (!secret) return undefined;
  const v = store.visibleTo(secret);
  if (!v) return undefined;
  return { key: secret, kind: v.kind, installations: v.installations, assigned: v.assigned, pending2fa: v.pending2fa } as Principal & {
    pending2fa: boolean;
  };
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, r: Reply): void {
  const headers: Record<string, string> = { ...(r.headers || {}) };
  let body: Buffer | string | undefined;
  if (r.raw !== undefined) {
    body = r.raw;
    headers['content-type'] = r.contentType ?? 'application/octet-stream';
  } else if (r.body !== undefined && r.status !== 204) {
    body = JSON.stringify(r.body);
    headers['content-type'] = 'application/json';
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(r.status, headers);
  res.end(body);
}

/** Waits ms, or less when the socket closes first (a client that gave up); never holds the process open. */
function hold(ms: number, socket: net.Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref?.();
    socket.once('close', done);
  });
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  const store = new Store(loadSeed(opts.seed));
  const faults = new Faults();
  const requests: Array<{ method: string; path: string }> = [];
  const router = new Router();

  const onObj = (topic: string, payload: Buffer) => {
    const m = /^(\d+)\/obj\//.exec(topic);
    if (!m) return;
    const inst = store.installationByClientId(Number(m[1]));
    if (!inst) return;
    let p: unknown;
    try {
      p = JSON.parse(payload.toString());
    } catch {
      return; // not Lynx JSON: not logged (as on the platform)
    }
    if (!p || typeof p !== 'object') return;
    const o = p as { value?: unknown; timestamp?: unknown; msg?: unknown };
    const msg = typeof o.msg === 'string' ? o.msg : undefined;
    if (typeof o.value !== 'number' && msg === undefined) return;
    const value = typeof o.value === 'number' ? o.value : 0;
    const ts = typeof o.timestamp === 'number' && Number.isFinite(o.timestamp) ? o.timestamp : Date.now() / 1000;
    store.record(inst, topic, value, ts, msg);
  };

  let bus: Bus;
  let embedded: EmbeddedBroker | undefined;
  if (opts.mqttUrl) {
    const ext = new ExternalBroker(opts.mqttUrl, onObj);
    await ext.start();
    bus = ext;
  } else {
    embedded = new EmbeddedBroker(store, host, onObj);
    await embedded.start(opts.mqttPort ?? 0);
    bus = embedded;
  }

  const ctx: SandboxContext = {
    store,
    installationFor(req: SbRequest, installationId: string | number): Installation {
      const s = String(installationId);
      if (!/^\d+$/.test(s)) throw new HttpError(400, 'path parameter "installation_id" must be a number');
      const id = Number(s);
      const vis = req.principal?.installations;
      if (vis === undefined) throw new HttpError(401, 'Unauthorized');
      if (vis !== null && !vis.includes(id)) throw new HttpError(403, 'Forbidden');
      const inst = store.installation(id);
      if (!inst) throw new HttpError(404, 'Not found');
      return inst;
    },
    emitEvent(clientId: number, kind: string): void {
      if (!bus.up) return;
      bus.publish(`${clientId}/evt/${kind}/updated`, JSON.stringify({ timestamp: Date.now() / 1000 })).catch(() => {});
    },
    publish: (topic, payload, o) => bus.publish(topic, payload, o),
    flag(req: SbRequest, name: string): boolean {
      const v = req.query.get(name);
      return v === 'true' || v === '1';
    },
  };
  registerRoutes(router, ctx);
  registerEdgeRoutes(router, ctx);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const qi = url.indexOf('?');
    const pathname = normalisePath(qi >= 0 ? url.slice(0, qi) : url);
    requests.push({ method, path: pathname });
    if (Buffer.byteLength(url) > MAX_URL_BYTES) return send(res, { status: 414, body: { message: 'Request-URI Too Long' } });
    const f = faults.decide(pathname, method);
    // A fault before the route: nothing changes. After it: the change is kept, the answer is lost.
    const strike = async (): Promise<void> => {
      if (f.latencyMs > 0) await hold(f.latencyMs, req.socket);
      if (f.kind === 'drop') {
        req.socket.destroy();
      } else if (f.kind === 'stall') {
        await hold(f.stallMs, req.socket);
        req.socket.destroy();
      } else if (f.kind === 'error') {
        send(res, { status: f.status, raw: f.body, contentType: f.contentType, headers: f.headers });
      }
    };
    if (f.phase === 'before') {
      if (f.kind !== 'none') return strike();
      if (f.latencyMs > 0) await hold(f.latencyMs, req.socket);
    }
    const body = await readBody(req);
    let reply: Reply;
    try {
      reply = await route(method, pathname, url, qi, body);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      reply = { status: err.status, body: { message: err.message }, headers: err.headers };
    }
    if (f.phase === 'after' && f.kind !== 'none') return strike();
    send(res, reply);

    async function route(method: string, pathname: string, url: string, qi: number, body: Buffer): Promise<Reply> {
      const { match, pathKnown } = router.match(method, pathname);
      if (!match) {
        return pathKnown
          ? { status: 405, body: { message: `Method ${method} not allowed on ${pathname}` } }
          : { status: 404, body: { message: 'Not found' } };
      }
      const principal = principalOf(store, req) as (Principal & { pending2fa?: boolean }) | undefined;
      if (match.auth) {
        if (!principal) return { status: 401, body: { message: 'Unauthorized' } };
        // a token waiting for its SMS challenge may only complete the challenge
        if (principal.pending2fa && !(method === 'PUT' && pathname === '/api/v2/auth')) {
          return { status: 401, body: { message: 'Unauthorized' } };
        }
      }
      const sreq: SbRequest = {
        method,
        path: pathname,
        params: match.params,
        query: new URLSearchParams(qi >= 0 ? url.slice(qi + 1) : ''),
        headers: req.headers,
        body,
        json<T>(): T {
          try {
            return JSON.parse(body.toString('utf8')) as T;
          } catch {
            throw new HttpError(400, 'malformed JSON body: send valid JSON with Content-Type: application/json');
          }
        },
        principal,
      };
      const r = await match.handler(sreq);
      return r ?? { status: 204 };
    }
  };

  const server = http.createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (err instanceof HttpError) send(res, { status: err.status, body: { message: err.message }, headers: err.headers });
      else send(res, { status: 500, body: { message: 'Internal Server Error' } });
    });
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;

  let stopped = false;
  const sb: Sandbox = {
    api: `http://${hostInUrl}:${port}`,
    mqtt: opts.mqttUrl ?? embedded!.url,
    apiKey: store.apiKey,
    installations: store.installations.map((i) => ({ id: i.id, client_id: i.client_id, name: i.name })),
    store,
    faults: { set: (c) => faults.set(c), clear: () => faults.clear(), stats: () => faults.stats() },
    requests,
    resetRequests() {
      requests.length = 0;
    },
    brokerDenied: embedded ? embedded.denied : { publish: 0, subscribe: 0 },
    async stopBroker() {
      if (!embedded) throw new Error('stopBroker: only the embedded broker can be stopped (sandbox started with mqttUrl)');
      await embedded.close();
    },
    async startBroker() {
      if (!embedded) throw new Error('startBroker: only the embedded broker can be started (sandbox started with mqttUrl)');
      await embedded.start(embedded.port);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await Promise.all([closed, bus.close()]);
    },
  };
  return sb;
}
