// iotopen-schedule: manage Lynx schedules (list, get, create, update, delete,
// enable, disable). Cron fields, topic and value are validated before the call
// (src/util/cron.ts) so a typo is reported naming the field and the bad value.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { evaluate, getServer, InputError, optionalBoolean, requireId, type LynxServer } from '../lib/index';
import { deregisterOnClose, managementInput } from '../lib/input';
import { validateSchedule, CRON_FIELDS, type ScheduleBody } from '../../src/lynx/schedule';

const SCHEDULE_OPERATIONS = ['list', 'get', 'create', 'update', 'delete', 'enable', 'disable'] as const;
type ScheduleOperation = (typeof SCHEDULE_OPERATIONS)[number];

type SchedulesApi = import('../../src/api/schedules').SchedulesApi;

interface ScheduleNodeDef extends NodeDef {
  server: string;
  operation: string;
  installation: string;
  scheduleId: string;
  executor: string;
  minute: string;
  hour: string;
  dayOfMonth: string;
  month: string;
  dayOfWeek: string;
  topic: string;
  value: string;
  valueType: string;
  active: boolean;
  silent: boolean;
}

interface ScheduleNode extends Node {
  server: LynxServer | null;
}

type Msg = NodeMessage & Record<string, unknown>;

function parseOperation(value: unknown): ScheduleOperation {
  const norm = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (typeof norm === 'string' && (SCHEDULE_OPERATIONS as readonly string[]).includes(norm)) return norm as ScheduleOperation;
  throw new InputError(`operation ${JSON.stringify(value) ?? 'nothing'} is unknown: use one of ${SCHEDULE_OPERATIONS.join(', ')} (in the node or msg.operation)`, 'operation');
}

/** Fields a patch may carry; anything else in msg.payload is refused so a typo (e.g. "hours") does not pass silently. */
const PATCH_FIELDS = new Set<string>([...CRON_FIELDS, 'topic', 'value', 'active', 'executor']);
const READ_ONLY = new Set(['id', 'installation_id', 'created_at', 'updated_at']);

function patchFrom(payload: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (READ_ONLY.has(k)) continue;
    if (!PATCH_FIELDS.has(k)) {
      throw new InputError(`msg.payload.${k} is not a schedule field: use ${[...PATCH_FIELDS].join(', ')}`, `msg.payload.${k}`);
    }
    patch[k] = v;
  }
  return patch;
}

export = function (RED: NodeAPI): void {
  const t = (key: string, params?: Record<string, unknown>): string => RED._(`iotopen-schedule.${key}`, params as never);

  function ScheduleNodeCtor(this: ScheduleNode, config: ScheduleNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    node.server = getServer(RED, config.server);
    if (node.server) node.server.register(node);
    else node.status({ fill: 'red', shape: 'ring', text: t('status.noServer') });

    /** The cron fields filled in in the node (blank ones are left out). */
    const filledCron = (): Record<string, string> => {
      const fields: Record<string, string> = {};
      const set = (k: string, v: unknown) => {
        if (typeof v === 'string' && v.trim() !== '') fields[k] = v.trim();
      };
      set('minute', config.minute);
      set('hour', config.hour);
      set('day_of_month', config.dayOfMonth);
      set('month', config.month);
      set('day_of_week', config.dayOfWeek);
      return fields;
    };

    /**
     * The schedule fields filled in in the node. create: blank cron fields are `*`
     * and the Active box counts. update: only what is filled in, never a default,
     * and not the Active box (enable/disable or msg.payload.active change that), so
     * a trigger cannot turn a 07:30 schedule into one firing every minute or wake a
     * disabled one.
     */
    async function configFields(msg: Msg, forUpdate: boolean): Promise<Record<string, unknown>> {
      const fields: Record<string, unknown> = forUpdate
        ? filledCron()
        : { minute: '*', hour: '*', day_of_month: '*', month: '*', day_of_week: '*', ...filledCron(), active: config.active !== false };
      if (config.topic && config.topic.trim()) fields.topic = config.topic;
      const value = await evaluate(RED, node, msg, config.valueType || 'num', config.value);
      if (value !== undefined) fields.value = value;
      if (config.executor) fields.executor = config.executor;
      return fields;
    }

    /** The installation's MQTT client id, to strip a `{client_id}/` prefix from a topic (only looked up when the topic starts with digits). */
    async function clientIdFor(iid: number, topic: unknown): Promise<number | undefined> {
      if (typeof topic !== 'string' || !/^\s*\d+\//.test(topic) || !node.server) return undefined;
      try {
        const list = (await node.server.catalog.installations()) as unknown as Array<{ id: number; client_id: number }>;
        return list.find((i) => i.id === iid)?.client_id;
      } catch {
        return undefined;
      }
    }

    async function validated(iid: number, body: Record<string, unknown>): Promise<ScheduleBody> {
      const clean = validateSchedule(body, await clientIdFor(iid, body.topic));
      clean.installation_id = iid;
      for (const k of READ_ONLY) if (k !== 'installation_id') delete clean[k];
      return clean;
    }

    async function run(msg: Msg, api: SchedulesApi): Promise<void> {
      const op = parseOperation(msg.operation ?? config.operation ?? 'list');
      const iid = requireId(msg.installation_id ?? (config.installation || undefined), 'installation_id');
      msg.installation_id = iid;
      const silent = optionalBoolean(msg.silent, 'msg.silent', !!config.silent);
      const scheduleId = (): number => {
        const fromMsg = msg.schedule_id ?? msg.id;
        return requireId(fromMsg ?? (config.scheduleId || undefined), fromMsg !== undefined && msg.schedule_id === undefined ? 'id' : 'schedule_id');
      };
      const payloadObject = (): Record<string, unknown> | undefined => {
        const p = msg.payload;
        if (p && typeof p === 'object' && !Array.isArray(p)) return p as Record<string, unknown>;
        return undefined;
      };

      switch (op) {
        case 'list': {
          const f = msg.filter as Record<string, unknown> | undefined;
          if (f !== undefined && (typeof f !== 'object' || f === null || Array.isArray(f))) {
            throw new InputError(`msg.filter must be an object such as {"executor": "gateway"}, got ${JSON.stringify(f)}`, 'msg.filter');
          }
          const executor = f?.executor ?? msg.executor ?? (config.executor || undefined);
          if (executor !== undefined && (typeof executor !== 'string' || executor.trim() === '')) {
            throw new InputError(`executor must be a non-empty string such as "gateway", got ${JSON.stringify(executor)}`, 'executor');
          }
          const list = await api.list(iid, executor ? { executor } : {});
          msg.payload = list;
          node.status({ fill: 'green', shape: 'dot', text: t('status.listed', { count: list.length }) });
          return;
        }
        case 'get': {
          const id = scheduleId();
          msg.payload = await api.get(iid, id);
          msg.schedule_id = id;
          break;
        }
        case 'create': {
          const p = msg.payload;
          // an inject's timestamp (a number) just triggers; a string or array is a mistake worth naming
          if ((typeof p === 'string' && p !== '') || Array.isArray(p)) {
            throw new InputError(`msg.payload must be a schedule object such as {"minute": "0", "hour": "7", "topic": "set/obj/lamp", "value": 1}, or no object to use the node's fields; got ${JSON.stringify(p)}`, 'msg.payload');
          }
          const body = await validated(iid, { ...(await configFields(msg, false)), ...patchFrom(payloadObject() ?? {}) });
          // The API answers the new schedule, or (the spec's empty answer) finds it in the list.
          const created = await api.create(iid, body, { silent });
          msg.payload = created;
          if (typeof created.id === 'number') msg.schedule_id = created.id;
          else node.warn(t('warn.noId'));
          break;
        }
        case 'update': {
          const id = scheduleId();
          const p = msg.payload;
          if ((typeof p === 'string' && p !== '') || Array.isArray(p)) {
            throw new InputError(`msg.payload must be an object with the fields to change such as {"hour": "8"}, or no object to use the fields filled in in the node; got ${JSON.stringify(p)}`, 'msg.payload');
          }
          // Only what the user set: the node's filled-in fields, then msg.payload's, over the current schedule.
          const patch = { ...(await configFields(msg, true)), ...patchFrom(payloadObject() ?? {}) };
          if (!Object.keys(patch).length) {
            throw new InputError('nothing to change: fill in the fields to change in the node, or send them in msg.payload, e.g. {"hour": "8"}', 'msg.payload');
          }
          const existing = await api.get(iid, id);
          const body = await validated(iid, { ...existing, ...patch });
          const updated = await api.update(iid, id, body, { silent });
          msg.payload = updated && typeof updated === 'object' ? updated : { ...body, id };
          msg.schedule_id = id;
          break;
        }
        case 'enable':
        case 'disable': {
          const id = scheduleId();
          const existing = await api.get(iid, id);
          const body = await validated(iid, { ...existing, active: op === 'enable' });
          const updated = await api.update(iid, id, body, { silent });
          msg.payload = updated && typeof updated === 'object' ? updated : { ...body, id };
          msg.schedule_id = id;
          break;
        }
        case 'delete': {
          const id = scheduleId();
          await api.delete(iid, id, { silent });
          msg.payload = { deleted: true, id };
          msg.schedule_id = id;
          break;
        }
      }
      node.status({ fill: 'green', shape: 'dot', text: t('status.done', { operation: op }) });
    }

    managementInput(node, t, (msg, server) => run(msg, server.api.schedules));
    deregisterOnClose(node, node.server);
  }

  RED.nodes.registerType('iotopen-schedule', ScheduleNodeCtor as never);
};
