// Runtime shared by iotopen-devicex and iotopen-functionx: both manage Lynx
// ModelX objects (same API shape), so the operations, overrides and validation
// live here once. Each node file only says which kind it is.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { evaluate, getServer, InputError, optionalBoolean, requireId, type LynxServer } from './index';
import { deregisterOnClose, managementInput } from './input';
import type { ModelXApi } from '../../src/api/modelx';
import { matchesFilter, validateModelXFilter as validateFilter, validateMeta, validateModelXBody, type ModelXFilter } from '../../src/lynx/modelx';

export type ModelXKind = 'devicex' | 'functionx';

export const MODELX_OPERATIONS = ['list', 'get', 'create', 'update', 'delete', 'meta-get', 'meta-set', 'meta-delete', 'find-or-create'] as const;
export type ModelXOperation = (typeof MODELX_OPERATIONS)[number];

type MetaX = { value: string; protected?: boolean };

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

interface ModelXNode extends Node {
  server: LynxServer | null;
}

type Msg = NodeMessage & Record<string, unknown>;

const ID_FIELD: Record<ModelXKind, string> = { devicex: 'device_id', functionx: 'function_id' };

/** Parse an operation name (from the node or msg.operation), accepting meta_get / metaGet spellings. */
export function parseOperation(value: unknown): ModelXOperation {
  const raw = typeof value === 'string' ? value.trim() : value;
  const norm = typeof raw === 'string' ? raw.replace(/([a-z])([A-Z])/g, '$1-$2').replace(/_/g, '-').toLowerCase() : raw;
  if (typeof norm === 'string' && (MODELX_OPERATIONS as readonly string[]).includes(norm)) return norm as ModelXOperation;
  throw new InputError(`operation ${JSON.stringify(raw) ?? 'nothing'} is unknown: use one of ${MODELX_OPERATIONS.join(', ')} (in the node or msg.operation)`, 'operation');
}

/** msg.payload as a meta value: a string, or {value, protected?}. */
function metaValue(payload: unknown): MetaX {
  if (typeof payload === 'string') return { value: payload };
  if (payload && typeof payload === 'object' && !Array.isArray(payload)) {
    const p = payload as Record<string, unknown>;
    if (typeof p.value !== 'string') {
      throw new InputError(`msg.payload.value must be a string, got ${JSON.stringify(p.value) ?? 'nothing'}: meta values are strings`, 'msg.payload.value');
    }
    if (p.protected !== undefined && typeof p.protected !== 'boolean') {
      throw new InputError(`msg.payload.protected must be true or false, got ${JSON.stringify(p.protected)}`, 'msg.payload.protected');
    }
    return p.protected === undefined ? { value: p.value } : { value: p.value, protected: p.protected };
  }
  throw new InputError(
    `msg.payload must be the meta value as a string (or {value, protected}), got ${JSON.stringify(payload) ?? 'nothing'}${typeof payload === 'number' || typeof payload === 'boolean' ? `: write "${String(payload)}"` : ''}`,
    'msg.payload',
  );
}

/** A tiny keyed mutex: find-or-create runs one at a time per installation and key, so two quick messages cannot both create. */
class KeyedQueue {
  private tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

export function registerModelXNode(RED: NodeAPI, kind: ModelXKind): void {
  const type = `iotopen-${kind}`;
  const idField = ID_FIELD[kind];
  const t = (key: string, params?: Record<string, unknown>): string => RED._(`${type}.${key}`, params as never);

  function ModelXNodeCtor(this: ModelXNode, config: ModelXNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    node.server = getServer(RED, config.server);
    const locks = new KeyedQueue();
    if (node.server) node.server.register(node);
    else node.status({ fill: 'red', shape: 'ring', text: t('status.noServer') });

    async function filterFrom(msg: Msg): Promise<ModelXFilter> {
      let raw: unknown = msg.filter;
      let where = 'msg.filter';
      if (raw === undefined) {
        where = 'the node\'s meta filter';
        raw = await evaluate(RED, node, msg, config.filterType || 'json', config.filter);
        if (typeof raw === 'string') {
          try {
            raw = JSON.parse(raw);
          } catch {
            throw new InputError(`${where} is not valid JSON: write it like {"meta": {"device_id": "12"}}`, 'filter');
          }
        }
        if (raw && typeof raw === 'object' && !Array.isArray(raw) && !('meta' in raw) && !('type' in raw)) raw = { meta: raw };
      }
      const f = validateFilter(raw, where);
      if (f.type === undefined && config.typeFilter) f.type = config.typeFilter;
      return f;
    }

    async function run(msg: Msg, server: LynxServer): Promise<void> {
      const api: ModelXApi = server.api[kind];
      const op = parseOperation(msg.operation ?? config.operation ?? 'list');
      const iid = requireId(msg.installation_id ?? (config.installation || undefined), 'installation_id');
      const silent = optionalBoolean(msg.silent, 'msg.silent', !!config.silent);
      const objectId = (): number => {
        const fromMsg = msg[idField] ?? msg.id;
        const field = msg[idField] !== undefined ? idField : 'id';
        return requireId(fromMsg ?? (config.objectId || undefined), fromMsg !== undefined ? field : idField);
      };
      const metaKey = async (): Promise<string> => {
        const k = msg.meta_key ?? (await evaluate(RED, node, msg, config.metaKeyType || 'str', config.metaKey));
        if (typeof k !== 'string' || k.trim() === '') {
          throw new InputError(`meta key is missing: set Meta key in the node or msg.meta_key (a string such as "topic_read"), got ${JSON.stringify(k) ?? 'nothing'}`, 'meta_key');
        }
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
          const id = objectId();
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
          const id = objectId();
          // without a type the client keeps the current one (one GET)
          msg.payload = await api.update(iid, id, validateModelXBody(msg.payload, 'update'), { silent });
          changed();
          msg[idField] = id;
          break;
        }
        case 'delete': {
          const id = objectId();
          await api.delete(iid, id, { silent });
          changed();
          msg.payload = { deleted: true, id };
          msg[idField] = id;
          break;
        }
        case 'meta-get': {
          const id = objectId();
          const key = await metaKey();
          const meta = await api.getMeta(iid, id, key);
          msg.payload = meta.value;
          msg.protected = !!meta.protected;
          msg.meta_key = key;
          msg[idField] = id;
          break;
        }
        case 'meta-set': {
          const id = objectId();
          const key = await metaKey();
          const value = metaValue(msg.payload);
          const createMissing = optionalBoolean(msg.create_missing, 'msg.create_missing', config.createMissing !== false);
          const meta = await api.updateMeta(iid, id, key, value, { silent, createMissing });
          changed();
          msg.payload = meta?.value ?? value.value;
          msg.meta_key = key;
          msg[idField] = id;
          break;
        }
        case 'meta-delete': {
          const id = objectId();
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
            const keys = (config.matchKeys || '').split(',').map((k) => k.trim()).filter(Boolean);
            if (!keys.length) {
              throw new InputError('find-or-create needs Match keys (such as device_id) in the node, or msg.filter {meta: {...}}: without them every object would match', 'matchKeys');
            }
            const meta: Record<string, string> = {};
            for (const k of keys) {
              if (body.meta[k] === undefined) {
                throw new InputError(`msg.payload.meta.${k} is missing: find-or-create matches on ${keys.join(', ')}, so the new object must have them`, `msg.payload.meta.${k}`);
              }
              if (body.meta[k].includes('*')) {
                throw new InputError(`msg.payload.meta.${k} contains *: a match key must be an exact value`, `msg.payload.meta.${k}`);
              }
              meta[k] = body.meta[k];
            }
            filter = { type: body.type, meta: validateMeta(meta) };
          }
          const lockKey = `${iid}:${JSON.stringify(filter)}`;
          const result = await locks.run(lockKey, async () => {
            const found = (await api.list(iid, filter)).filter((o) => matchesFilter(o, filter)).sort((a, b) => a.id - b.id);
            if (found.length) return { obj: found[0], created: false, count: found.length };
            return { obj: await api.create(iid, body, { silent }), created: true, count: 1 };
          });
          if (result.created) changed();
          msg.payload = result.obj;
          msg.created = result.created;
          msg[idField] = result.obj.id;
          node.status({ fill: 'green', shape: 'dot', text: t(result.created ? 'status.created' : 'status.found', { id: result.obj.id }) });
          return;
        }
      }
      node.status({ fill: 'green', shape: 'dot', text: t('status.done', { operation: op }) });
    }

    managementInput(node, t, (msg, server) => run(msg, server));
    deregisterOnClose(node, node.server);
  }

  RED.nodes.registerType(type, ModelXNodeCtor as never);
}
