// Runtime shared by iotopen-devicex and iotopen-functionx: both manage Lynx
// ModelX objects (same API shape), so the operations, overrides and validation
// live here once, on the node frame. Each node file only says which kind it is.
import type { NodeAPI, NodeDef } from 'node-red';
import { InputError, matchOnKeys, reportFound } from './index';
import { defineNode, type Msg } from './frame';
import { asBoolean, asId, type Fields, type Values } from './fields';
import type { ModelXApi } from '../../src/api/modelx';
import {
  matchesFilter,
  metaWrite,
  validateModelXFilter as validateFilter,
  validateMeta,
  validateModelXBody,
  type ModelXFilter,
} from '../../src/lynx/modelx';
import { operation } from '../../src/lynx/values';
import { findOrCreateLock } from './keyed-queue';

export type ModelXKind = 'devicex' | 'functionx';

export const MODELX_OPERATIONS = [
  'list',
  'get',
  'create',
  'update',
  'delete',
  'meta-get',
  'meta-set',
  'meta-delete',
  'find-or-create',
] as const;
export type ModelXOperation = (typeof MODELX_OPERATIONS)[number];

export interface ModelXNodeDef extends NodeDef {
  server: string;
  operation: string;
  installation: string;
  objectId: string;
  metaKey: string;
  metaKeyType: string;
  typeFilter: string;
  filter: string;
  filterType: string;
  matchKeys: string;
  silent: boolean;
  createMissing: boolean;
}

const ID_FIELD: Record<ModelXKind, string> = { devicex: 'device_id', functionx: 'function_id' };

const FIELDS = {
  operation: { msg: 'operation', setting: 'operation', default: 'list', check: (v) => operation(v, MODELX_OPERATIONS) },
  installation: { msg: 'installation_id', setting: 'installation', name: 'installation_id', check: asId },
  silent: { msg: 'silent', setting: 'silent', check: asBoolean(false) },
  createMissing: { msg: 'create_missing', setting: 'createMissing', check: asBoolean(true) },
} satisfies Fields;

export function registerModelXNode(RED: NodeAPI, kind: ModelXKind): void {
  const type = `iotopen-${kind}`;
  const idField = ID_FIELD[kind];
  // Read only by the operations that take them.
  const OBJECT_ID = { msg: [idField, 'id'], setting: 'objectId', name: idField, check: asId };
  const META_KEY = { msg: 'meta_key', setting: 'metaKey', type: 'metaKeyType', defaultType: 'str', name: 'meta_key' };

  defineNode<ModelXNodeDef, typeof FIELDS>(RED, type, {
    fields: FIELDS,
    setup(ctx) {
      const { node, config, server, t } = ctx;

      async function filterFrom(msg: Msg): Promise<ModelXFilter> {
        let raw: unknown = msg.filter;
        let where = 'msg.filter';
        if (raw === undefined) {
          where = "the node's meta filter";
          raw = await ctx.evaluate(config.filter, config.filterType || 'json', msg);
          if (typeof raw === 'string') {
            try {
              raw = JSON.parse(raw);
            } catch {
              throw ctx.error('filterJson', undefined, 'filter');
            }
          }
          if (raw && typeof raw === 'object' && !Array.isArray(raw) && !('meta' in raw) && !('type' in raw)) raw = { meta: raw };
        }
        const f = validateFilter(raw, where);
        if (f.type === undefined && config.typeFilter) f.type = config.typeFilter;
        return f;
      }

      async function run(msg: Msg, v: Values<typeof FIELDS>): Promise<void> {
        const api: ModelXApi = server.api[kind];
        const op = v.operation;
        const iid = v.installation;
        const silent = v.silent;
        const objectId = (): Promise<number> => ctx.read(OBJECT_ID, msg);
        const metaKey = async (): Promise<string> => {
          const k = await ctx.read(META_KEY, msg);
          if (typeof k !== 'string' || k.trim() === '') throw ctx.error('metaKey', { got: JSON.stringify(k) ?? 'nothing' }, 'meta_key');
          return k.trim();
        };
        msg.installation_id = iid;
        // After a change the catalog's cached function list (topics functionx-out writes
        // to, functions functionx-in follows) is refreshed at once: a silent change has no
        // event, and a change's event may come after the next message. A device change
        // counts too, as its event does for the catalog.
        const changed = () => server.functionsChanged(iid);

        switch (op) {
          case 'list': {
            const filter = await filterFrom(msg);
            const list = await api.list(iid, filter);
            msg.payload = list;
            node.status({ fill: 'green', shape: 'dot', text: t('status.listed', { count: list.length }) });
            return;
          }
          case 'get': {
            const id = await objectId();
            msg.payload = await api.get(iid, id);
            msg[idField] = id;
            break;
          }
          case 'create': {
            const body = validateModelXBody(msg.payload, 'create');
            const created = await api.create(iid, body, { silent });
            changed();
            msg.payload = created;
            msg[idField] = created.id;
            break;
          }
          case 'update': {
            const id = await objectId();
            // without a type the client keeps the current one (one GET)
            msg.payload = await api.update(iid, id, validateModelXBody(msg.payload, 'update'), { silent });
            changed();
            msg[idField] = id;
            break;
          }
          case 'delete': {
            const id = await objectId();
            await api.delete(iid, id, { silent });
            changed();
            msg.payload = { deleted: true, id };
            msg[idField] = id;
            break;
          }
          case 'meta-get': {
            const id = await objectId();
            const key = await metaKey();
            const meta = await api.getMeta(iid, id, key);
            msg.payload = meta.value;
            msg.protected = !!meta.protected;
            msg.meta_key = key;
            msg[idField] = id;
            break;
          }
          case 'meta-set': {
            const id = await objectId();
            const key = await metaKey();
            const value = metaWrite(msg.payload);
            const createMissing = v.createMissing;
            const meta = await api.updateMeta(iid, id, key, value, { silent, createMissing });
            changed();
            msg.payload = meta?.value ?? value.value;
            msg.meta_key = key;
            msg[idField] = id;
            break;
          }
          case 'meta-delete': {
            const id = await objectId();
            const key = await metaKey();
            await api.deleteMeta(iid, id, key, { silent });
            changed();
            msg.payload = { deleted: true, id, key };
            msg.meta_key = key;
            msg[idField] = id;
            break;
          }
          case 'find-or-create': {
            const body = validateModelXBody(msg.payload, 'create');
            let filter: ModelXFilter;
            if (msg.filter !== undefined) {
              filter = validateFilter(msg.filter);
            } else {
              const meta = matchOnKeys(config.matchKeys, body.meta, {
                example: 'device_id',
                noun: 'object',
                orElse: ', or msg.filter {meta: {...}}',
              });
              filter = { type: body.type, meta: validateMeta(meta) };
            }
            if (!matchesFilter(body, filter)) {
              throw new InputError(
                `msg.payload does not match msg.filter ${JSON.stringify(filter)}: the object created would not be found the next time, so every message would create another`,
                'msg.filter',
              );
            }
            const lockKey = `${config.server}:${kind}:${iid}:${JSON.stringify(filter)}`;
            // exactly once also when a create's answer is lost: the client looks it up before creating again
            const result = await findOrCreateLock.run(lockKey, () => api.findOrCreate(iid, body, filter, { silent }));
            if (result.created) changed();
            reportFound(node, t, msg, idField, result);
            return;
          }
        }
        node.status({ fill: 'green', shape: 'dot', text: t('status.done', { operation: op }) });
      }

      return {
        async input(msg, v, send) {
          await run(msg, v);
          send(msg);
        },
      };
    },
  });
}
