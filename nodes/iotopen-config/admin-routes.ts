// Admin routes of the iotopen-config node for the editor: the pickers' lists
// (through a deployed config node, never a URL sent by the browser) and
// "Test connection". Added once per runtime, not per node.
import type { NodeAPI } from 'node-red';
import { deployableApps } from '../../src/edge/deploy';
import { mask } from '../lib/secrets';
import { pick, pickerRoute, installationOf, type AdminApp, type Handler } from '../lib/admin';
import type { ConfigNode } from './options';
import { testConnection } from './test-connection';

/** Admin apps that already carry our routes: once per runtime, not per node. */
const routed = new WeakSet<object>();

export function registerAdminRoutes(RED: NodeAPI) {
  const app = RED.httpAdmin as unknown as AdminApp;
  if (!app || routed.has(app)) return;
  routed.add(app);
  const write = RED.auth.needsPermission('iotopen-config.write') as unknown as Handler;

  const deployed = (id: string): ConfigNode | null => {
    const n = RED.nodes.getNode(id) as ConfigNode | null;
    return n && n.type === 'iotopen-config' && n.api ? n : null;
  };

  const route = pickerRoute(RED, deployed);
  route('installations', async (s) => pick((await s.api.installations.list()) as object[], ['id', 'client_id', 'name', 'organization_id']));
  // protected_meta may hold secrets: the editor never needs it.
  route('functions', async (s, req) =>
    pick((await s.api.functionx.list(installationOf(req))) as object[], ['id', 'installation_id', 'type', 'meta']),
  );
  route('devices', async (s, req) =>
    pick((await s.api.devicex.list(installationOf(req))) as object[], ['id', 'installation_id', 'type', 'meta']),
  );
  // What the schedule picker shows (cron fields, topic, value, active), like the other lists.
  route('schedules', async (s, req) =>
    pick((await s.api.schedules.list(installationOf(req))) as object[], [
      'id',
      'installation_id',
      'active',
      'topic',
      'value',
      'minute',
      'hour',
      'day_of_month',
      'month',
      'day_of_week',
    ]),
  );
  // An output's config may hold webhook tokens or addresses: only what a picker shows.
  route('outputs', async (s, req) =>
    pick((await s.api.notifications.listOutputs(installationOf(req))) as object[], [
      'id',
      'name',
      'installation_id',
      'notification_output_executor_id',
      'notification_message_id',
    ]),
  );
  // The organisations' own apps, unpublished ones included (GET /edge/app lists published ones only).
  route('edgeapps', async (s) =>
    pick((await deployableApps(s.api)) as object[], ['id', 'name', 'short_description', 'category', 'publisher', 'tags']),
  );

  app.post('/iotopen/test', write, (req, res) => {
    testConnection(RED, deployed, req.body).then(
      (answer) => res.json(answer),
      (err) => res.json({ ok: false, message: mask(`Unexpected error: ${(err as Error).message}`) }),
    );
  });
}
