/**
 * A small HTTP router for the Lynx sandbox.
 *
 * API for route modules (e.g. `./edge.ts`, whose `registerEdgeRoutes(router, ctx)`
 * is called once at startup):
 *
 *   router.add(method, pattern, handler, { auth?: boolean })
 *     method   'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'
 *     pattern  '/api/v2/edge/app/{id}/version' -- `{name}` captures one path segment
 *              (URL-decoded) into `req.params.name`. Repeated slashes in request
 *              paths are collapsed before matching. First added route wins.
 *     auth     default true: the request must carry a valid X-API-Key, Basic
 *              (any user, key as password) or login token, else 401; the
 *              principal is then in `req.principal`.
 *     handler  (req: SbRequest) => Reply | undefined | Promise<Reply | undefined>
 *              Return `json(200, body)`, `noContent()`, `empty(200)` (no body), `raw(status, buffer|string, contentType)`
 *              (or a Reply literal). Throw `new HttpError(status, message)` for an
 *              error: it is sent as `{"message": message}`. Any other exception is 500.
 *
 *   SbRequest: { method, path (no query), params, query (URLSearchParams), headers,
 *                body (raw Buffer), json<T>() (parsed body, 400 "malformed JSON body" on
 *                bad JSON), principal? }
 *
 * The `ctx` (SandboxContext, see ./context.ts) gives route modules the store,
 * `ctx.installationFor(req, installation_id)` (404 unknown, 403 not visible to the key),
 * `ctx.emitEvent(clientId, kind)` (publishes `{client_id}/evt/<kind>/updated`,
 * e.g. kind 'edge_app') and `ctx.publish(topic, payload)`.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface Principal {
  /** The key or token that authenticated the request. */
  key: string;
  kind: 'apikey' | 'token';
  /** Installation ids this principal may see; null = all. */
  installations: number[] | null;
  /**
   * Installation ids it is assigned to (a subset of those it sees); null or absent = all it
   * sees. Only `GET /api/v2/installationinfo` tells the two apart.
   */
  assigned?: number[] | null;
}

export interface SbRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json<T = unknown>(): T;
  principal?: Principal;
}

export interface Reply {
  status: number;
  /** JSON-serialised unless `raw` is given. */
  body?: unknown;
  raw?: Buffer | string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (req: SbRequest) => Reply | undefined | void | Promise<Reply | undefined | void>;

export interface RouteOptions {
  auth?: boolean;
}

export class HttpError extends Error {
  constructor(
    public status: number,
    message: string,
    public headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function json(status: number, body: unknown): Reply {
  return { status, body };
}
export function noContent(): Reply {
  return { status: 204 };
}
/** A status with no body at all (no content-type), e.g. the spec's 200 "None" answers. */
export function empty(status = 200): Reply {
  return { status };
}
export function raw(status: number, data: Buffer | string, contentType = 'application/octet-stream'): Reply {
  return { status, raw: data, contentType };
}

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  auth: boolean;
}

export interface Match {
  handler: Handler;
  params: Record<string, string>;
  auth: boolean;
}

export function normalisePath(path: string): string {
  const p = path.replace(/\/{2,}/g, '/');
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

export class Router {
  private routes: Route[] = [];

  add(method: Method, pattern: string, handler: Handler, opts: RouteOptions = {}): void {
    this.routes.push({ method, parts: normalisePath(pattern).split('/'), handler, auth: opts.auth !== false });
  }

  /** Finds the route; `allowed` lists methods that match the path when none matches the method. */
  match(method: string, path: string): { match?: Match; pathKnown: boolean } {
    const segs = normalisePath(path).split('/');
    let pathKnown = false;
    for (const r of this.routes) {
      if (r.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const p = r.parts[i];
        if (p.startsWith('{') && p.endsWith('}')) {
          if (!segs[i]) {
            ok = false;
            break;
          }
          try {
            params[p.slice(1, -1)] = decodeURIComponent(segs[i]);
          } catch {
            ok = false;
            break;
          }
        } else if (p !== segs[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      pathKnown = true;
      if (r.method === method) return { match: { handler: r.handler, params, auth: r.auth }, pathKnown };
    }
    return { pathKnown };
  }
}
