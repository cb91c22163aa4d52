// iotopen-edge-app: deploys an edge app (app.lua + app.json) end to end:
// listing, version upload, publish, and an instance on one or many installations
// (created, or updated by name so re-runs never duplicate), or removes instances.
// The work itself is src/edge/deploy.ts; this file maps the node and msg to it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { getServer, evaluate, InputError, noServerError, requireId, type LynxServer } from '../lib';
import { deregisterOnClose, fail } from '../lib/input';
import { deployEdgeApp, type EdgeDeployOptions, type EdgeDeployResult, type EdgeTarget } from '../../src/edge/deploy';

interface EdgeNodeDef extends NodeDef {
  server: string;
  mode: string;
  appId: string;
  appName: string;
  category: string;
  description: string;
  /** Organisation id of the listing (its publisher); empty: the organisation of the installations. */
  publisher?: string;
  luaFile: string;
  jsonFile: string;
  upload: boolean;
  publish: boolean;
  version: string;
  versionType: string;
  configure: boolean;
  installations: string;
  installationsType: string;
  config: string;
  configType: string;
  instanceName: string;
  instanceNameType: string;
  concurrency: string | number;
  stopOnFailure: boolean;
  dryRun: boolean;
}

type EdgeMsg = NodeMessage & Record<string, unknown>;

const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;

function bool(v: unknown, fallback: boolean): boolean {
  return v === undefined || v === null || v === '' ? fallback : v === true || v === 'true';
}

function concurrencyOf(v: unknown, field: string): number {
  if (v === undefined || v === null || v === '') return DEFAULT_CONCURRENCY;
  const n = typeof v === 'string' ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new InputError(`${field} must be a whole number from 1 to ${MAX_CONCURRENCY} (installations configured at once), got ${JSON.stringify(v)}`, field);
  }
  return n;
}

/**
 * Targets from `installations`: "all", ids as a number, a comma separated string or an
 * array, or objects `{installation_id, config?}` (per-installation config).
 */
async function targetsOf(value: unknown, field: string, all: () => Promise<number[]>): Promise<EdgeTarget[]> {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'string' && value.trim().toLowerCase() === 'all') return (await all()).map((id) => ({ installation_id: id }));
  const list: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : [value];
  return list.map((entry, i) => {
    if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
      const e = entry as { installation_id?: unknown; id?: unknown; config?: unknown };
      const iid = requireId(e.installation_id ?? e.id, `${field}[${i}].installation_id`);
      if (e.config !== undefined && (e.config === null || typeof e.config !== 'object' || Array.isArray(e.config))) {
        throw new InputError(`${field}[${i}].config must be an object of input values`, `${field}[${i}].config`);
      }
      return { installation_id: iid, config: e.config as Record<string, unknown> | undefined };
    }
    return { installation_id: requireId(entry, Array.isArray(value) ? `${field}[${i}]` : field) };
  });
}

/**
 * The listing's organisation: msg.listing.publisher ({id, name?} or an id), else the node's
 * publisher field; undefined lets the deployer take the organisation of the installations.
 */
function publisherOf(fromMsg: unknown, fromNode: string | undefined): { id: number; name?: string } | undefined {
  if (fromMsg !== undefined && fromMsg !== null && fromMsg !== '') {
    if (typeof fromMsg === 'object' && !Array.isArray(fromMsg)) {
      const p = fromMsg as { id?: unknown; name?: unknown };
      return { id: requireId(p.id, 'msg.listing.publisher.id'), ...(typeof p.name === 'string' ? { name: p.name } : {}) };
    }
    return { id: requireId(fromMsg, 'msg.listing.publisher') };
  }
  const n = (fromNode ?? '').trim();
  return n ? { id: requireId(n, 'publisher') } : undefined;
}

export = function (RED: NodeAPI): void {
  function IotopenEdgeAppNode(this: Node, config: EdgeNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const server: LynxServer | null = getServer(RED, config.server);
    const running = new Set<AbortController>();
    const userDir = (RED.settings as unknown as { userDir?: string }).userDir || process.cwd();

    if (!server) node.status({ fill: 'red', shape: 'ring', text: 'iotopen-edge-app.status.noServer' });
    else server.register(node);

    async function source(msgValue: unknown, file: string, field: string, fileField: string): Promise<string | Buffer | object | undefined> {
      if (msgValue !== undefined && msgValue !== null && msgValue !== '') return msgValue as string | Buffer | object;
      const p = (file || '').trim();
      if (!p) return undefined;
      const full = path.resolve(userDir, p);
      try {
        return await fs.readFile(full);
      } catch (err) {
        throw new InputError(`${fileField}: cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): fix the path, or give ${field} on the message`, fileField);
      }
    }

    async function options(msg: EdgeMsg, ac: AbortController): Promise<EdgeDeployOptions> {
      if (!server) throw noServerError();
      const mode = (msg.mode ?? config.mode ?? 'deploy') as string;
      if (mode !== 'deploy' && mode !== 'remove') throw new InputError(`mode must be "deploy" or "remove", got ${JSON.stringify(mode)}`, 'mode');
      const appRaw = msg.app_id ?? (config.appId || undefined);
      const appId = appRaw === undefined || appRaw === '' ? undefined : requireId(appRaw, msg.app_id !== undefined ? 'msg.app_id' : 'app');

      const appLua = await source(msg.app_lua, config.luaFile, 'msg.app_lua', 'luaFile');
      const appJson = await source(msg.app_json, config.jsonFile, 'msg.app_json', 'jsonFile');
      const hasSources = appLua !== undefined || appJson !== undefined;

      const version = msg.version !== undefined ? msg.version : await evaluate(RED, node, msg, config.versionType || 'str', config.version);
      if (version !== undefined && typeof version !== 'string' && typeof version !== 'number') {
        throw new InputError(`version must be text (e.g. "1.0.2"), got ${typeof version}`, 'version');
      }
      const instRaw = msg.installations !== undefined ? msg.installations : await evaluate(RED, node, msg, config.installationsType || 'str', config.installations);
      const targets = await targetsOf(instRaw, msg.installations !== undefined ? 'msg.installations' : 'installations', async () =>
        (await server.api.installations.list({ signal: ac.signal })).map((i: { id: number }) => i.id));
      const cfgRaw = msg.config !== undefined ? msg.config : await evaluate(RED, node, msg, config.configType || 'json', config.config);
      if (cfgRaw !== undefined && (cfgRaw === null || typeof cfgRaw !== 'object' || Array.isArray(cfgRaw))) {
        throw new InputError(`${msg.config !== undefined ? 'msg.config' : 'config'} must be an object of the app's input values, e.g. {"setpoint": 21}`, 'config');
      }
      const nameRaw = msg.instance_name !== undefined ? msg.instance_name : await evaluate(RED, node, msg, config.instanceNameType || 'str', config.instanceName);
      const listing = msg.listing && typeof msg.listing === 'object' ? (msg.listing as Record<string, unknown>) : {};
      const appName = (typeof listing.name === 'string' ? listing.name : config.appName || '').trim();
      const instanceName = typeof nameRaw === 'string' && nameRaw.trim() ? nameRaw.trim() : appName || undefined;
      const publisher = publisherOf(listing.publisher, config.publisher);

      const upload = hasSources && bool(msg.upload, config.upload !== false);
      return {
        mode,
        appId,
        listing: appName ? {
          name: appName,
          category: typeof listing.category === 'string' ? listing.category : config.category || 'other',
          short_description: typeof listing.short_description === 'string' ? listing.short_description : config.description || '',
          description: typeof listing.description === 'string' ? listing.description : config.description || '',
          tags: Array.isArray(listing.tags) ? (listing.tags as string[]) : [],
          ...(publisher ? { publisher } : {}),
          ...(typeof listing.public === 'boolean' ? { public: listing.public } : {}),
        } : undefined,
        appLua: appLua as string | Buffer | undefined,
        appJson,
        upload,
        publish: bool(msg.publish, config.publish !== false),
        versionName: upload && version !== undefined ? String(version) : undefined,
        version: !upload && version !== undefined ? String(version) : undefined,
        configure: bool(msg.configure, config.configure !== false) && targets.length > 0,
        targets,
        config: cfgRaw as Record<string, unknown> | undefined,
        instanceName,
        concurrency: concurrencyOf(msg.concurrency ?? config.concurrency, msg.concurrency !== undefined ? 'msg.concurrency' : 'concurrency'),
        stopOnFailure: bool(msg.stopOnFailure, !!config.stopOnFailure),
        dryRun: bool(msg.dryRun, !!config.dryRun),
        signal: ac.signal,
        onProgress: (done, total) => {
          // numbers only: nothing to translate
          if (total > 0) node.status({ fill: 'blue', shape: 'dot', text: `${done}/${total}` });
        },
      };
    }

    function summaryStatus(r: EdgeDeployResult): void {
      const s = r.summary;
      const key = r.dryRun ? 'dryRun' : s.failed ? 'partial' : 'done';
      node.status({
        fill: s.failed ? 'red' : r.dryRun ? 'grey' : 'green',
        shape: 'dot',
        text: RED._(`iotopen-edge-app.status.${key}`, { ok: s.ok, unchanged: s.unchanged, failed: s.failed, skipped: s.skipped, total: s.total, version: r.version.name ?? '' }),
      });
    }

    node.on('input', (msg: NodeMessage, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      const m = msg as EdgeMsg;
      const ac = new AbortController();
      running.add(ac);
      node.status({ fill: 'blue', shape: 'ring', text: RED._('iotopen-edge-app.status.checking') });
      (async () => {
        const opts = await options(m, ac);
        const result = await deployEdgeApp(server!.api, opts);
        return result;
      })().then(
        (result) => {
          running.delete(ac);
          if (ac.signal.aborted) return done();
          m.payload = result;
          summaryStatus(result);
          for (const w of result.warnings) node.warn(w);
          send(m);
          if (result.summary.failed) {
            const failedOnes = result.installations.filter((i) => i.status === 'failed');
            const detail = failedOnes.map((i) => `installation ${i.installation_id}: ${i.error}`).join('; ');
            // English like the API's own messages, so a Catch node can show the reasons as they are
            const err = new Error(`edge app roll-out failed on ${failedOnes.length} of ${result.summary.total} installations: ${detail}`) as Error & { code?: string };
            err.code = 'EROLLOUT';
            done(err);
          } else done();
        },
        (err: unknown) => {
          running.delete(ac);
          if (ac.signal.aborted) return done();
          fail(node, m, err, done, { statusText: () => RED._('iotopen-edge-app.status.error') });
        },
      );
    });

    deregisterOnClose(node, server, () => {
      for (const ac of running) ac.abort();
      running.clear();
    });
  }
  RED.nodes.registerType('iotopen-edge-app', IotopenEdgeAppNode as never);
};
