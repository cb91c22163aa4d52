// iotopen-notify: triggers a notification output of an installation with a JSON
// data object built from the message (default, the payload as it is, or a Handlebars
// template), and warns once per field when the output's message text (a Go template)
// uses a field the data lacks. Its other operations manage notification messages and
// outputs from a flow (list, get, create, update, delete, find-or-create by name); the
// dialog never changes the platform.
import type { NodeAPI, NodeDef } from 'node-red';
import { getServer, InputError, requireId } from '../lib';
import { defineNode, type Msg } from '../lib/frame';
import { asId, type At, type Fields, type Values } from '../lib/fields';
import { installationOf, pick, pickerRoute, type Req } from '../lib/admin';
import { findOrCreateLock } from '../lib/keyed-queue';
import {
  compileTemplate,
  notificationData,
  type CompiledTemplate,
  type DataMode,
  type TemplateFormat,
} from '../../src/util/notify-template';
import { missingFields, previewTemplate, templateFields } from '../../src/lynx/go-template';
import { validateMeta } from '../../src/lynx/modelx';
import { operation, positiveId } from '../../src/lynx/values';
import { shown } from '../../src/errors';
import type { ApiClient } from '../../src/api';
import { mayHaveActed } from '../../src/api/retry';
import type { NotificationMessage, NotificationOutput } from '../../src/api/models';
import type { OutputInput } from '../../src/api/notifications';

interface NotifyNodeDef extends NodeDef {
  server: string;
  operation: string;
  installation: string;
  output: string;
  dataMode: DataMode;
  template: string;
  format: TemplateFormat;
  field: string;
}

const OPERATIONS = [
  'send',
  'message-list',
  'message-get',
  'message-create',
  'message-update',
  'message-delete',
  'message-find-or-create',
  'output-list',
  'output-get',
  'output-create',
  'output-update',
  'output-delete',
  'output-find-or-create',
] as const;

/** How long a send trusts the output's message text it read (for the missing-field warning). */
const TEMPLATE_TTL_MS = 60_000;

function modeOf(v: unknown): DataMode {
  return v === 'template' || v === 'raw' ? v : 'default';
}

/** The template of a node's settings (or of the dialog's, in the preview): JSON unless text, into `message` unless named. */
function templateOf(s: { template?: unknown; format?: unknown; field?: unknown }): CompiledTemplate {
  return compileTemplate(String(s.template ?? ''), s.format === 'text' ? 'text' : 'json', String(s.field || 'message'));
}

/** The data a send would post for a sample message, and the output's message text rendered against it. */
async function preview(api: ApiClient, req: Req): Promise<unknown> {
  const iid = installationOf(req);
  const q = req.query;
  let sample: Record<string, unknown> = {};
  if (typeof q.sample === 'string' && q.sample.trim() !== '') {
    try {
      sample = JSON.parse(q.sample);
    } catch (e) {
      throw new InputError(`the sample message is not JSON: ${(e as Error).message}`, 'sample');
    }
    if (!sample || typeof sample !== 'object' || Array.isArray(sample)) {
      throw new InputError('the sample message must be a JSON object such as {"payload": {"message": "Door open"}}', 'sample');
    }
  }
  const mode = modeOf(q.dataMode);
  const data = notificationData(sample, mode, mode === 'template' ? templateOf(q) : undefined);
  let message: NotificationMessage | undefined;
  if (q.output !== undefined && q.output !== '') {
    const o = await api.notifications.getOutput(iid, requireId(q.output, 'output'));
    message = (await api.notifications.listMessages(iid)).find((m) => m.id === o.notification_message_id);
  }
  const inst = (await api.installations.list()).find((i) => i.id === iid);
  // the platform adds the installation (spec: {{.installation.Name}}, {{.installation.ID}})
  const context = { ...data, installation: inst ? { ID: inst.id, Name: inst.name } : {} };
  const text = message ? String(message.text ?? '') : '';
  const r = previewTemplate(text, context);
  return {
    message: message ? { id: message.id, name: message.name, text } : null,
    data,
    fields: r.fields,
    missing: missingFields(text, data),
    unsupported: r.unsupported,
    rendered: r.text,
  };
}

const routed = new WeakSet<object>();

/** Editor lists the config node does not offer: messages and executors of an installation (read only), and the preview. */
function registerAdminRoutes(RED: NodeAPI): void {
  const app = RED.httpAdmin as unknown as object;
  if (!app || routed.has(app)) return;
  routed.add(app);
  const route = pickerRoute(RED, (id) => {
    const server = getServer(RED, id);
    return server && server.api ? server : null;
  });
  // Only what a picker shows: executor configs may hold endpoints or tokens.
  route('messages', async (s, req) => pick(await s.api.notifications.listMessages(installationOf(req)), ['id', 'name', 'text']));
  route('executors', async (s, req) => pick(await s.api.notifications.listExecutors(installationOf(req)), ['id', 'type', 'name']));
  // Reads only: the output, the installation's messages and installations.
  route('notify-preview', (s, req) => preview(s.api, req));
}

const FIELDS = {
  operation: { msg: 'operation', setting: 'operation', default: 'send', check: (v) => operation(v, OPERATIONS) },
  installation: { msg: 'installation_id', setting: 'installation', name: 'installation', check: asId },
} satisfies Fields;
const OUTPUT = { msg: 'output_id', setting: 'output', name: 'output', check: asId };
// Only on the message (the node has no message setting): its error must not say to pick one in the node.
const MESSAGE = { msg: 'message_id', name: 'msg.message_id', check: (v: unknown, at: At) => positiveId(v, at.label) };

function payloadObject(p: unknown, example: string): Record<string, unknown> {
  if (!p || typeof p !== 'object' || Array.isArray(p))
    throw new InputError(`msg.payload must be an object such as ${example}, got ${shown(p)}`, 'msg.payload');
  return p as Record<string, unknown>;
}
function text(b: Record<string, unknown>, key: string, what: string): string {
  const v = b[key];
  if (typeof v !== 'string' || v.trim() === '')
    throw new InputError(`msg.payload.${key} must be ${what} (a non-empty string), got ${shown(v)}`, `msg.payload.${key}`);
  return v;
}
const MESSAGE_EXAMPLE = '{"name": "Door alarm", "text": "{{.installation.Name}}: {{.payload.message}}"}';
const OUTPUT_EXAMPLE = '{"name": "SMS on-call", "executor": "sms", "message": {"name": "Door alarm", "text": "..."}, "config": {...}}';

export = function (RED: NodeAPI): void {
  registerAdminRoutes(RED);

  defineNode<NotifyNodeDef, typeof FIELDS>(RED, 'iotopen-notify', {
    fields: FIELDS,
    statusCode: true,
    setup(ctx) {
      const { node, config, server, t } = ctx;
      const mode = modeOf(config.dataMode);
      // A template that does not compile is a config error: reported at deploy, and on every message.
      let template: CompiledTemplate | undefined;
      if (mode === 'template' && (config.operation || 'send') === 'send') template = templateOf(config);
      const warned = new Set<string>();
      const texts = new Map<string, { at: number; text: Promise<string | undefined> }>();

      /** The message text of an output (cached a while); undefined when it cannot be read (no warning then). */
      function messageText(iid: number, oid: number): Promise<string | undefined> {
        const key = `${iid}/${oid}`;
        const cur = texts.get(key);
        if (cur && Date.now() - cur.at < TEMPLATE_TTL_MS) return cur.text;
        const p = (async () => {
          const o = await server.api.notifications.getOutput(iid, oid);
          const m = await server.api.notifications.getMessage(iid, o.notification_message_id);
          return typeof m?.text === 'string' ? m.text : undefined;
        })().catch(() => undefined);
        texts.set(key, { at: Date.now(), text: p });
        return p;
      }

      async function send(msg: Msg, iid: number): Promise<void> {
        const oid = await ctx.read(OUTPUT, msg);
        // msg.operation "send" on a node saved for another operation: its template compiles now
        if (mode === 'template' && !template) template = templateOf(config);
        let data: Record<string, unknown>;
        try {
          data = notificationData(msg, mode, template);
        } catch (e) {
          if ((e as { field?: string }).field === 'msg.data') throw ctx.error('data', undefined, 'msg.data');
          throw e;
        }
        // read alongside the send (cached a minute): the output's message text, for the missing-field warning
        const textRead = messageText(iid, oid);
        try {
          await server.api.notifications.send(iid, oid, data);
        } catch (err) {
          const e = err as { status?: number; code?: string; failure?: string };
          if (mayHaveActed(err)) {
            // the client's "look whether it exists" does not fit a send: a notification cannot be looked up
            const reason = e.status ? `HTTP ${e.status}` : t(e.code === 'ETIMEDOUT' ? 'reason.timeout' : 'reason.lost');
            throw Object.assign(ctx.error('sendUncertain', { oid, iid, reason }, 'output'), {
              status: e.status,
              code: e.code,
              failure: e.failure,
            });
          }
          if (e.status !== 404) throw err;
          throw Object.assign(ctx.error('outputNotFound', { oid, iid }, 'output'), { status: 404, code: 'EHTTP' });
        }
        msg.notification = { installation_id: iid, output_id: oid, data };
        const tpl = await textRead;
        if (tpl !== undefined) {
          for (const f of missingFields(tpl, data)) {
            const key = `${iid}/${oid}/${f}`;
            if (warned.has(key)) continue;
            warned.add(key);
            node.warn(t('warn.missingField', { field: f, oid, fields: templateFields(tpl).join(', ') }));
          }
        }
        node.status({ fill: 'green', shape: 'dot', text: t('status.sent') });
      }

      /** An output body from msg.payload: executor by id or by type/name, message by id or {name, text} (found or created). */
      async function outputBody(iid: number, b: Record<string, unknown>): Promise<OutputInput> {
        const api = server.api.notifications;
        const name = text(b, 'name', 'the output name');
        let executor: number;
        if (b.notification_output_executor_id !== undefined) {
          executor = asId(b.notification_output_executor_id, {
            label: 'msg.payload.notification_output_executor_id',
            prop: 'payload.notification_output_executor_id',
            source: 'msg',
          });
        } else if (typeof b.executor === 'string' && b.executor.trim() !== '') {
          const want = b.executor.trim().toLowerCase();
          const named = (await api.listExecutors(iid)).filter(
            (e) => String(e.type ?? '').toLowerCase() === want || String(e.name ?? '').toLowerCase() === want,
          );
          const ex = named.find((e) => e.id);
          if (!ex && named.length)
            throw new InputError(
              `msg.payload.executor: the server lists notification executor "${b.executor}" without its id: give msg.payload.notification_output_executor_id`,
              'msg.payload.executor',
            );
          if (!ex)
            throw new InputError(
              `msg.payload.executor: installation ${iid} has no notification executor of type or name "${b.executor}"`,
              'msg.payload.executor',
            );
          executor = ex.id!;
        } else {
          throw new InputError(
            'msg.payload needs notification_output_executor_id or executor (a type or name such as "sms" or "mail")',
            'msg.payload.executor',
          );
        }
        let message: number;
        if (b.notification_message_id !== undefined) {
          message = asId(b.notification_message_id, {
            label: 'msg.payload.notification_message_id',
            prop: 'payload.notification_message_id',
            source: 'msg',
          });
        } else if (b.message && typeof b.message === 'object' && !Array.isArray(b.message)) {
          const m = b.message as Record<string, unknown>;
          const mb = { name: text(m, 'name', 'the message name'), text: text(m, 'text', 'the message text') };
          const r = await findOrCreateLock.run(`${config.server}:message:${iid}:${mb.name}`, () => api.findOrCreateMessage(iid, mb));
          if (!r.obj.id)
            throw new InputError(
              `the server lists message "${mb.name}" without its id: give msg.payload.notification_message_id`,
              'msg.payload.message',
            );
          message = r.obj.id;
        } else {
          throw new InputError('msg.payload needs notification_message_id or message {name, text}', 'msg.payload.message');
        }
        const cfg = b.config === undefined ? {} : validateMeta(b.config, 'msg.payload.config');
        return { name, notification_output_executor_id: executor, notification_message_id: message, config: cfg };
      }

      async function manage(msg: Msg, op: (typeof OPERATIONS)[number], iid: number): Promise<void> {
        const api = server.api.notifications;
        const done = (payload: unknown, extra: Record<string, unknown> = {}) => {
          msg.payload = payload;
          Object.assign(msg, extra);
        };
        switch (op) {
          case 'message-list':
            return done(await api.listMessages(iid));
          case 'message-get': {
            const mid = await ctx.read(MESSAGE, msg);
            return done(await api.getMessage(iid, mid), { message_id: mid });
          }
          case 'message-create': {
            const b = payloadObject(msg.payload, MESSAGE_EXAMPLE);
            const m = await api.createMessage(iid, {
              name: text(b, 'name', 'the message name'),
              text: text(b, 'text', 'the message text'),
            });
            return done(m, { message_id: m.id });
          }
          case 'message-update': {
            const mid = await ctx.read(MESSAGE, msg);
            const b = payloadObject(msg.payload, MESSAGE_EXAMPLE);
            return done(
              await api.updateMessage(iid, mid, { name: text(b, 'name', 'the message name'), text: text(b, 'text', 'the message text') }),
              {
                message_id: mid,
              },
            );
          }
          case 'message-delete': {
            const mid = await ctx.read(MESSAGE, msg);
            await api.deleteMessage(iid, mid);
            return done({ deleted: true, id: mid }, { message_id: mid });
          }
          case 'message-find-or-create': {
            const b = payloadObject(msg.payload, MESSAGE_EXAMPLE);
            const mb = { name: text(b, 'name', 'the message name'), text: text(b, 'text', 'the message text') };
            const r = await findOrCreateLock.run(`${config.server}:message:${iid}:${mb.name}`, () => api.findOrCreateMessage(iid, mb));
            // a platform that lists messages without id (the spec's examples): said, not a silent undefined
            if (!r.obj.id) node.warn(t('warn.noMessageId', { name: mb.name }));
            return done(r.obj, { message_id: r.obj.id, created: r.created });
          }
          case 'output-list':
            return done(await api.listOutputs(iid));
          case 'output-get': {
            const oid = await ctx.read(OUTPUT, msg);
            return done(await api.getOutput(iid, oid), { output_id: oid });
          }
          case 'output-create': {
            const o: NotificationOutput = await api.createOutput(iid, await outputBody(iid, payloadObject(msg.payload, OUTPUT_EXAMPLE)));
            return done(o, { output_id: o.id });
          }
          case 'output-update': {
            const oid = await ctx.read(OUTPUT, msg);
            return done(await api.updateOutput(iid, oid, await outputBody(iid, payloadObject(msg.payload, OUTPUT_EXAMPLE))), {
              output_id: oid,
            });
          }
          case 'output-delete': {
            const oid = await ctx.read(OUTPUT, msg);
            await api.deleteOutput(iid, oid);
            return done({ deleted: true, id: oid }, { output_id: oid });
          }
          case 'output-find-or-create': {
            const b = payloadObject(msg.payload, OUTPUT_EXAMPLE);
            const name = text(b, 'name', 'the output name');
            const r = await findOrCreateLock.run(`${config.server}:output:${iid}:${name}`, async () =>
              api.findOrCreateOutput(iid, await outputBody(iid, b)),
            );
            return done(r.obj, { output_id: r.obj.id, created: r.created });
          }
        }
      }

      return {
        async input(msg, v: Values<typeof FIELDS>, sendOn) {
          const { operation: op, installation: iid } = v;
          if (op === 'send') await send(msg, iid);
          else {
            await manage(msg, op, iid);
            msg.installation_id = iid;
            // only find-or-create sets msg.created; another operation may carry one from upstream (an installation found or created)
            const said = !op.endsWith('find-or-create') ? 'status.done' : msg.created ? 'status.created' : 'status.found';
            node.status({ fill: 'green', shape: 'dot', text: t(said, { operation: op }) });
          }
          sendOn(msg);
        },
      };
    },
  });
};
