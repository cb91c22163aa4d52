// iotopen-edge-app: deploys an edge app (app.lua + app.json) end to end:
// listing, version upload, publish, and an instance on one or many installations
// (created, or updated by name so re-runs never duplicate), or removes instances.
// The work itself is src/edge/deploy.ts; this file maps the node and msg to it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { NodeAPI, NodeDef } from 'node-red';
import { defineNode, inputError, type Msg } from '../lib/frame';
import { asBoolean, asOptionalId, type At, type Fields, type Values } from '../lib/fields';
import { LynxError } from '../../src/errors';
import { deployEdgeApp, type EdgeDeployOptions, type EdgeDeployResult } from '../../src/edge/deploy';
import { edgeTargets, listingOf } from '../../src/edge/targets';

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

const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;

function concurrencyOf(v: unknown, at: At): number {
  if (v === undefined || v === null || v === '') return DEFAULT_CONCURRENCY;
  const n = typeof v === 'string' ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw inputError('concurrency', { field: at.label, max: MAX_CONCURRENCY, got: JSON.stringify(v) }, at.label);
  }
  return n;
}

/** A value as given, with the name the messages call it by. */
const raw = (v: unknown, at: At) => ({ value: v, label: at.label });

const FIELDS = {
  mode: {
    msg: 'mode',
    setting: 'mode',
    default: 'deploy',
    check: (v): 'deploy' | 'remove' => {
      if (v !== 'deploy' && v !== 'remove') throw inputError('mode', { got: JSON.stringify(v) }, 'mode');
      return v;
    },
  },
  appId: { msg: 'app_id', setting: 'appId', name: 'app', check: asOptionalId },
  version: {
    msg: 'version',
    setting: 'version',
    type: 'versionType',
    defaultType: 'str',
    check: (v) => {
      if (v !== undefined && typeof v !== 'string' && typeof v !== 'number') throw inputError('version', { got: typeof v }, 'version');
      return v === undefined ? undefined : String(v);
    },
  },
  installations: { msg: 'installations', setting: 'installations', type: 'installationsType', defaultType: 'str', check: raw },
  config: {
    msg: 'config',
    setting: 'config',
    type: 'configType',
    defaultType: 'json',
    check: (v, at) => {
      if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v)))
        throw inputError('config', { field: at.label }, 'config');
      return v as Record<string, unknown> | undefined;
    },
  },
  instanceName: { msg: 'instance_name', setting: 'instanceName', type: 'instanceNameType', defaultType: 'str', check: (v) => v },
  concurrency: { msg: 'concurrency', setting: 'concurrency', check: concurrencyOf },
  upload: { msg: 'upload', setting: 'upload', check: asBoolean(true) },
  publish: { msg: 'publish', setting: 'publish', check: asBoolean(true) },
  configure: { msg: 'configure', setting: 'configure', check: asBoolean(true) },
  stopOnFailure: { msg: 'stopOnFailure', setting: 'stopOnFailure', check: asBoolean(false) },
  dryRun: { msg: 'dryRun', setting: 'dryRun', check: asBoolean(false) },
} satisfies Fields;

export = function (RED: NodeAPI): void {
  const userDir = (): string => (RED.settings as unknown as { userDir?: string }).userDir || process.cwd();

  async function source(msgValue: unknown, file: string, field: string, fileField: string): Promise<string | Buffer | object | undefined> {
    if (msgValue !== undefined && msgValue !== null && msgValue !== '') return msgValue as string | Buffer | object;
    const p = (file || '').trim();
    if (!p) return undefined;
    const full = path.resolve(userDir(), p);
    try {
      return await fs.readFile(full);
    } catch (err) {
      throw inputError(
        'file',
        { fileField, file: full, reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message, field },
        fileField,
      );
    }
  }

  defineNode<EdgeNodeDef, typeof FIELDS>(RED, 'iotopen-edge-app', {
    fields: FIELDS,
    statusCode: true,
    // A partial roll-out keeps its summary status ("1 of 3 failed").
    failStatus: (e) => (e.code === 'EROLLOUT' ? null : undefined),
    setup(ctx) {
      const { node, config, server, t } = ctx;
      const running = new Set<AbortController>();

      async function options(msg: Msg, v: Values<typeof FIELDS>, ac: AbortController): Promise<EdgeDeployOptions> {
        const appLua = await source(msg.app_lua, config.luaFile, 'msg.app_lua', 'luaFile');
        const appJson = await source(msg.app_json, config.jsonFile, 'msg.app_json', 'jsonFile');
        const hasSources = appLua !== undefined || appJson !== undefined;
        const targets = await edgeTargets(v.installations.value, v.installations.label, async () =>
          (await server.api.installations.list({ signal: ac.signal })).map((i: { id: number }) => i.id),
        );
        const nameRaw = v.instanceName;
        const listing = listingOf(msg.listing, {
          name: config.appName,
          category: config.category,
          description: config.description,
          publisher: config.publisher,
        });
        const instanceName = typeof nameRaw === 'string' && nameRaw.trim() ? nameRaw.trim() : listing?.name;
        const upload = hasSources && v.upload;
        return {
          mode: v.mode,
          appId: v.appId,
          listing,
          appLua: appLua as string | Buffer | undefined,
          appJson,
          upload,
          publish: v.publish,
          versionName: upload ? v.version : undefined,
          version: !upload ? v.version : undefined,
          configure: v.configure && targets.length > 0,
          targets,
          config: v.config,
          instanceName,
          concurrency: v.concurrency,
          stopOnFailure: v.stopOnFailure,
          dryRun: v.dryRun,
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
          text: t(`status.${key}`, {
            ok: s.ok,
            unchanged: s.unchanged,
            failed: s.failed,
            skipped: s.skipped,
            total: s.total,
            version: r.version.name ?? '',
          }),
        });
      }

      return {
        async input(msg, v, send) {
          const ac = new AbortController();
          running.add(ac);
          node.status({ fill: 'blue', shape: 'ring', text: t('status.checking') });
          let result: EdgeDeployResult;
          try {
            result = await deployEdgeApp(server.api, await options(msg, v, ac));
          } catch (err) {
            if (ac.signal.aborted) return;
            throw err;
          } finally {
            running.delete(ac);
          }
          if (ac.signal.aborted) return;
          msg.payload = result;
          summaryStatus(result);
          for (const w of result.warnings) node.warn(w);
          send(msg);
          if (result.summary.failed) {
            const failedOnes = result.installations.filter((i) => i.status === 'failed');
            // the reasons as the API gave them, so a Catch node can show them as they are
            const params = {
              failed: failedOnes.length,
              total: result.summary.total,
              detail: failedOnes.map((i) => `installation ${i.installation_id}: ${i.error}`).join('; '),
            };
            throw new LynxError(t('errors.rollout', params), undefined, 'rollout', params, 'EROLLOUT');
          }
        },
        close() {
          for (const ac of running) ac.abort();
          running.clear();
        },
      };
    },
  });
};
