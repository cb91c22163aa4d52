// Admin routes for the editor's pickers, written once for the config node and
// the nodes that add lists of their own (notify): `GET iotopen/<config id>/<what>`
// behind iotopen-config.read, answered only through a deployed config node.
import type { NodeAPI } from 'node-red';
import { InputError, requireId } from './index';
import { mask } from './secrets';
import { LynxError } from '../../src/errors';

export interface Req {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body?: unknown;
}
export interface Res {
  status(code: number): Res;
  json(body: unknown): void;
}
export type Handler = (req: Req, res: Res) => void;
export interface AdminApp {
  get(path: string, ...h: Handler[]): void;
  post(path: string, ...h: Handler[]): void;
}

/**
 * A bad request (400, naming the field: an InputError, a ConfigError, or any input error of the
 * library such as a template that does not compile), an API failure (502 with its status), or
 * anything else (500); secrets masked.
 */
export function sendError(res: Res, err: unknown): void {
  mask(err);
  const e = err as { status?: number; message?: string; name?: string; field?: string };
  const input = err instanceof InputError || (err instanceof LynxError && err.code === 'EINPUT' && e.status === undefined);
  if (input || (err instanceof Error && err.name === 'ConfigError')) {
    res.status(400).json({ error: e.message, field: e.field });
  } else if (typeof e.status === 'number') {
    // A LynxApiError: its message is written for users and carries no secret.
    res.status(502).json({ error: e.message, status: e.status });
  } else {
    res.status(500).json({ error: mask(`Unexpected error: ${e.message || String(err)}`) });
  }
}

/** Only the listed keys of each row: configs and protected meta may hold secrets. */
export function pick<T extends object>(rows: T[], keys: string[]): Array<Record<string, unknown>> {
  return rows.map((r) => Object.fromEntries(keys.filter((k) => k in r).map((k) => [k, (r as Record<string, unknown>)[k]])));
}

/** `?installation=<id>` of a picker request, or a 400 naming it. */
export function installationOf(req: Req): number {
  return requireId(req.query.installation, 'installation');
}

interface Deployed {
  configError?: { message: string; field?: string } | null;
}

/**
 * A `route(what, list)` that adds `GET /iotopen/:id/<what>` to the admin app: 404 while
 * the config node is not deployed, 409 while its settings are broken, else list()'s answer.
 */
export function pickerRoute<S extends Deployed>(
  RED: NodeAPI,
  deployed: (id: string) => S | null,
): (what: string, list: (server: S, req: Req) => Promise<unknown>) => void {
  const app = RED.httpAdmin as unknown as AdminApp;
  const read = RED.auth.needsPermission('iotopen-config.read') as unknown as Handler;
  return (what, list) => {
    app.get(`/iotopen/:id/${what}`, read, (req, res) => {
      const server = deployed(req.params.id);
      if (!server) {
        res.status(404).json({
          error:
            'This IoT Open server is not deployed yet: deploy the flow, then reopen this dialog to pick from lists. You can still type ids by hand.',
          hint: 'deploy',
        });
        return;
      }
      if (server.configError) {
        res.status(409).json({ error: mask(server.configError.message), field: server.configError.field });
        return;
      }
      Promise.resolve()
        .then(() => list(server, req))
        .then(
          (data) => res.json(data),
          (err) => sendError(res, err),
        );
    });
  };
}
