// iotopen-schedule: manage Lynx schedules (list, get, create, update, delete,
// enable, disable). Cron fields, topic and value are validated before the call
// (src/lynx/schedule.ts) so a typo is reported naming the field and the bad value.
import type { NodeAPI, NodeDef } from 'node-red';
import { defineNode, type Msg } from '../lib/frame';
import { asBoolean, asId, type Fields, type Values } from '../lib/fields';
import { shown } from '../../src/errors';
import { patchFrom, READ_ONLY, SCHEDULE_OPERATIONS, validateSchedule, type ScheduleBody } from '../../src/lynx/schedule';
import { operation } from '../../src/lynx/values';

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

const FIELDS = {
  operation: { msg: 'operation', setting: 'operation', default: 'list', check: (v) => operation(v, SCHEDULE_OPERATIONS) },
  installation: { msg: 'installation_id', setting: 'installation', name: 'installation_id', check: asId },
  silent: { msg: 'silent', setting: 'silent', check: asBoolean(false) },
} satisfies Fields;
/** Read only by the operations that take it. */
const SCHEDULE_ID = { msg: ['schedule_id', 'id'], setting: 'scheduleId', name: 'schedule_id', check: asId };

export = function (RED: NodeAPI): void {
  defineNode<ScheduleNodeDef, typeof FIELDS>(RED, 'iotopen-schedule', {
    fields: FIELDS,
    setup(ctx) {
      const { node, config, server, t } = ctx;

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
        const value = await ctx.evaluate(config.value, config.valueType || 'num', msg);
        if (value !== undefined) fields.value = value;
        if (config.executor) fields.executor = config.executor;
        return fields;
      }

      /** The installation's MQTT client id, to strip a `{client_id}/` prefix from a topic (only looked up when the topic starts with digits). */
      async function clientIdFor(iid: number, topic: unknown): Promise<number | undefined> {
        if (typeof topic !== 'string' || !/^\s*\d+\//.test(topic)) return undefined;
        try {
          return (await server.catalog.installation(iid))?.client_id;
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

      async function run(msg: Msg, v: Values<typeof FIELDS>, api: SchedulesApi): Promise<void> {
        const op = v.operation;
        const iid = v.installation;
        msg.installation_id = iid;
        const silent = v.silent;
        const scheduleId = (): Promise<number> => ctx.read(SCHEDULE_ID, msg);
        const payloadObject = (): Record<string, unknown> | undefined => {
          const p = msg.payload;
          if (p && typeof p === 'object' && !Array.isArray(p)) return p as Record<string, unknown>;
          return undefined;
        };

        switch (op) {
          case 'list': {
            const f = msg.filter as Record<string, unknown> | undefined;
            if (f !== undefined && (typeof f !== 'object' || f === null || Array.isArray(f))) {
              throw ctx.error('filter', { got: shown(f) }, 'msg.filter');
            }
            const executor = f?.executor ?? msg.executor ?? (config.executor || undefined);
            if (executor !== undefined && (typeof executor !== 'string' || executor.trim() === '')) {
              throw ctx.error('schedule.executor', { got: shown(executor) }, 'executor');
            }
            const list = await api.list(iid, executor ? { executor } : {});
            msg.payload = list;
            node.status({ fill: 'green', shape: 'dot', text: t('status.listed', { count: list.length }) });
            return;
          }
          case 'get': {
            const id = await scheduleId();
            msg.payload = await api.get(iid, id);
            msg.schedule_id = id;
            break;
          }
          case 'create': {
            const p = msg.payload;
            // an inject's timestamp (a number) just triggers; a string or array is a mistake worth naming
            if ((typeof p === 'string' && p !== '') || Array.isArray(p)) {
              throw ctx.error('createPayload', { got: shown(p) }, 'msg.payload');
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
            const id = await scheduleId();
            const p = msg.payload;
            if ((typeof p === 'string' && p !== '') || Array.isArray(p)) {
              throw ctx.error('updatePayload', { got: shown(p) }, 'msg.payload');
            }
            // Only what the user set: the node's filled-in fields, then msg.payload's, over the current schedule.
            const patch = { ...(await configFields(msg, true)), ...patchFrom(payloadObject() ?? {}) };
            if (!Object.keys(patch).length) {
              throw ctx.error('nothingToChange', undefined, 'msg.payload');
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
            const id = await scheduleId();
            const existing = await api.get(iid, id);
            const body = await validated(iid, { ...existing, active: op === 'enable' });
            const updated = await api.update(iid, id, body, { silent });
            msg.payload = updated && typeof updated === 'object' ? updated : { ...body, id };
            msg.schedule_id = id;
            break;
          }
          case 'delete': {
            const id = await scheduleId();
            await api.delete(iid, id, { silent });
            msg.payload = { deleted: true, id };
            msg.schedule_id = id;
            break;
          }
        }
        node.status({ fill: 'green', shape: 'dot', text: t('status.done', { operation: op }) });
      }

      return {
        async input(msg, v, send) {
          await run(msg, v, server.api.schedules);
          send(msg);
        },
      };
    },
  });
};
