// iotopen-notify: triggers a notification output of an installation with a
// JSON data object built from the message (default, or a Handlebars template).
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { getServer, InputError, noServerError, requireId, type LynxServer } from '../lib';
import { deregisterOnClose, settle } from '../lib/input';
import { installationOf, pick, pickerRoute } from '../lib/admin';
import { compileTemplate, defaultData, type CompiledTemplate, type TemplateFormat } from '../../src/util/notify-template';

interface NotifyNodeDef extends NodeDef {
  server: string;
  installation: string;
  output: string;
  dataMode: 'default' | 'template';
  template: string;
  format: TemplateFormat;
  field: string;
}

type Msg = NodeMessage & Record<string, unknown>;

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

export = function (RED: NodeAPI): void {
  registerAdminRoutes(RED);

  function IotopenNotifyNode(this: Node, config: NotifyNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const server: LynxServer | null = getServer(RED, config.server);
    let template: CompiledTemplate | undefined;
    let templateError: Error | undefined;
    if (config.dataMode === 'template') {
      try {
        template = compileTemplate(config.template, config.format === 'text' ? 'text' : 'json', config.field || 'message');
      } catch (e) {
        // Reported at deploy, and again on every message (through done(err)).
        templateError = new InputError((e as Error).message, 'template');
        node.error(templateError.message);
      }
    }
    if (!server) node.status({ fill: 'red', shape: 'ring', text: 'iotopen-notify.status.noServer' });
    else if (templateError) node.status({ fill: 'red', shape: 'ring', text: 'iotopen-notify.status.badTemplate' });
    else server.register(node);

    node.on('input', (raw: NodeMessage, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      const msg = raw as Msg;
      let iid = 0;
      let oid = 0;
      settle(node, msg, done, (async () => {
        if (templateError) throw templateError;
        if (!server) throw noServerError();
        iid = requireId(msg.installation_id ?? (config.installation || undefined), msg.installation_id !== undefined ? 'msg.installation_id' : 'installation');
        oid = requireId(msg.output_id ?? (config.output || undefined), msg.output_id !== undefined ? 'msg.output_id' : 'output');
        let data: Record<string, unknown>;
        if (msg.data !== undefined) {
          if (!msg.data || typeof msg.data !== 'object' || Array.isArray(msg.data)) {
            throw new InputError('msg.data must be an object (the notification data), or leave it unset to build it from the message', 'msg.data');
          }
          data = msg.data as Record<string, unknown>;
        } else if (template) {
          data = template.render(msg);
        } else {
          data = defaultData(msg);
        }
        await server.api.notifications.send(iid, oid, data);
        msg.notification = { installation_id: iid, output_id: oid, data };
        node.status({ fill: 'green', shape: 'dot', text: 'iotopen-notify.status.sent' });
        send(msg);
      })(), {
        statusText: 'iotopen-notify.status.error',
        adjust: (e) => {
          if (e.status === 404) {
            e.message = `notification output ${oid} was not found in installation ${iid} (404): pick an existing output in the node or set msg.output_id`;
          }
        },
      });
    });

    deregisterOnClose(node, templateError ? null : server);
  }
  RED.nodes.registerType('iotopen-notify', IotopenNotifyNode as never);
};
