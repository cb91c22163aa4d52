// iotopen-notify: triggers a notification output of an installation with a
// JSON data object built from the message (default, or a Handlebars template).
import type { NodeAPI, NodeDef } from 'node-red';
import { getServer } from '../lib';
import { defineNode } from '../lib/frame';
import { asId, type Fields } from '../lib/fields';
import { installationOf, pick, pickerRoute } from '../lib/admin';
import { compileTemplate, defaultData, type TemplateFormat } from '../../src/util/notify-template';

interface NotifyNodeDef extends NodeDef {
  server: string;
  installation: string;
  output: string;
  dataMode: 'default' | 'template';
  template: string;
  format: TemplateFormat;
  field: string;
}

const routed = new WeakSet<object>();

/** Editor lists the config node does not offer: messages and executors of an installation (read only). */
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
}

const FIELDS = {
  installation: { msg: 'installation_id', setting: 'installation', name: 'installation', check: asId },
  output: { msg: 'output_id', setting: 'output', name: 'output', check: asId },
} satisfies Fields;

export = function (RED: NodeAPI): void {
  registerAdminRoutes(RED);

  defineNode<NotifyNodeDef, typeof FIELDS>(RED, 'iotopen-notify', {
    fields: FIELDS,
    statusCode: true,
    setup(ctx) {
      const { node, config, server, t } = ctx;
      // A template that does not compile is a config error: reported at deploy, and on every message.
      const template =
        config.dataMode === 'template'
          ? compileTemplate(config.template, config.format === 'text' ? 'text' : 'json', config.field || 'message')
          : undefined;
      return {
        async input(msg, v, send) {
          const { installation: iid, output: oid } = v;
          let data: Record<string, unknown>;
          if (msg.data !== undefined) {
            if (!msg.data || typeof msg.data !== 'object' || Array.isArray(msg.data)) throw ctx.error('data', undefined, 'msg.data');
            data = msg.data as Record<string, unknown>;
          } else {
            data = template ? template.render(msg) : defaultData(msg);
          }
          try {
            await server.api.notifications.send(iid, oid, data);
          } catch (err) {
            if ((err as { status?: number }).status !== 404) throw err;
            throw Object.assign(ctx.error('outputNotFound', { oid, iid }, 'output'), { status: 404, code: 'EHTTP' });
          }
          msg.notification = { installation_id: iid, output_id: oid, data };
          node.status({ fill: 'green', shape: 'dot', text: t('status.sent') });
          send(msg);
        },
      };
    },
  });
};
