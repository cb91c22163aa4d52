// iotopen-config: one per Lynx server/account. Owns the REST client, and lazily
// the shared MQTT connection (MqttHub) and the Catalog. Flow nodes register
// with it to show the connection state, and the editor's pickers reach the
// platform through its admin routes (never through a URL sent by the browser).
import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import { ApiClient } from '../../src/api';
import { MqttHub, HubHolder, hubQueueFile, queuePending } from '../../src/mqtt';
import type { MqttHubOptions } from '../../src/mqtt';
import { reportDroppedToOrigin } from '../lib/dropped';
import { Catalog } from '../../src/catalog';
import { deployableApps } from '../../src/edge/deploy';
import { InputError } from '../lib';
import { pick, pickerRoute, installationOf, type AdminApp, type Handler } from '../lib/admin';
import { bounded } from '../lib/input';
import {
  ConfigError,
  describeConnectionError,
  normaliseApiUrl,
  parseQueueLimit,
  parseQueueMaxAge,
  parseShareGroup,
  resolveMqttUrl,
} from './connection';

type AuthMode = 'apikey' | 'login';

interface ConfigDef extends NodeDef {
  apiUrl?: string;
  mqttUrl?: string;
  authMode?: AuthMode;
  mqttUsername?: string;
  usetls?: boolean;
  tls?: string;
  queueLimit?: number | string;
  queueMaxAge?: number | string;
  shareGroup?: string;
}

interface Credentials {
  apiKey?: string;
  username?: string;
  password?: string;
}

type HubState = 'connecting' | 'connected' | 'disconnected' | 'auth-failed' | 'closed';
interface StateEvent {
  state: HubState;
  reason?: string;
  queued?: number;
}

interface TlsOptions {
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
  passphrase?: string;
  rejectUnauthorized?: boolean;
  servername?: string;
  ALPNProtocols?: string[];
}

interface TlsConfigNode extends Node {
  addTLSOptions(opts: TlsOptions): TlsOptions;
}

export interface ConfigNode extends Node<Credentials> {
  name: string;
  apiUrl: string;
  mqttUrl: string;
  authMode: AuthMode;
  api: ApiClient;
  readonly hub: MqttHub;
  readonly catalog: Catalog;
  /** Why the node cannot work (a field is wrong), or null. */
  configError: ConfigError | null;
  register(node: Node, opts?: { mqtt?: boolean }): void;
  deregister(node: Node, done?: () => void): void;
  /** The status register({ mqtt: true }) shows: a node puts it back after a warning of its own. */
  connectionStatus(): NodeStatus;
  /** Functions or devices of an installation changed: refresh the catalog's list, if there is a catalog. */
  functionsChanged(iid: number): void;
}

const CLOSE_BUDGET_MS = 1800;
/** The MQTT connection outlives its last user this long: a redeploy's nodes come back to it. */
const HUB_LINGER_MS = 5000;
const TEST_TIMEOUT_MS = 8000;
const SECRET_PLACEHOLDER = '__PWRD__';
/** Admin apps that already carry our routes: once per runtime, not per node. */
const routed = new WeakSet<object>();

function tlsOptions(RED: NodeAPI, usetls: unknown, tlsId: unknown): TlsOptions | undefined {
  if (!usetls || typeof tlsId !== 'string' || !tlsId) return undefined;
  const tlsNode = RED.nodes.getNode(tlsId) as TlsConfigNode | null;
  if (!tlsNode || typeof tlsNode.addTLSOptions !== 'function') return undefined;
  return tlsNode.addTLSOptions({});
}

function authFrom(mode: AuthMode, creds: Credentials): ApiClientAuth {
  if (mode === 'login') {
    if (!creds.username || !creds.password) {
      throw new ConfigError('Login mode needs a user name and a password: enter both in the config node, or switch to "API key"', 'username');
    }
    return { type: 'login', username: creds.username, password: creds.password };
  }
  if (!creds.apiKey) {
    throw new ConfigError('No API key: paste an API key (security token) into the config node, or switch to "Login"', 'apiKey');
  }
  return { type: 'apikey', apiKey: creds.apiKey };
}

/**
 * Stands in for the ApiClient when the config is wrong: every call rejects with
 * the config error (field and fix), so the nodes' Catch handling shows it.
 */
function unusableApi(err: ConfigError): ApiClient {
  const fail = () => Promise.reject(err);
  const area = (): unknown =>
    new Proxy(fail, {
      get: (_t, prop) => (prop === 'then' ? undefined : area()),
      apply: () => fail(),
    });
  return new Proxy({} as ApiClient, {
    get: (_t, prop) => {
      if (prop === 'close') return () => Promise.resolve();
      if (prop === 'then') return undefined;
      return area();
    },
  });
}

type ApiClientAuth = ConstructorParameters<typeof ApiClient>[0]['auth'];
type ApiClientTls = ConstructorParameters<typeof ApiClient>[0]['tls'];

function asApiTls(opts: TlsOptions | undefined): ApiClientTls {
  return opts as ApiClientTls;
}

module.exports = function (RED: NodeAPI) {
  function IotOpenConfigNode(this: ConfigNode, def: ConfigDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const creds: Credentials = node.credentials || {};
    const users = new Map<string, Node>();
    let state: StateEvent = { state: 'closed', queued: 0 };
    let hub: MqttHub | null = null;
    // The queue outlives a redeploy (handed to the successor) and a restart (journal in the user dir).
    const holder = new HubHolder(def.id);
    const queueFile = hubQueueFile(RED.settings.userDir, def.id);
    let catalog: Catalog | null = null;
    let closing = false;

    node.name = def.name || '';
    node.authMode = def.authMode === 'login' ? 'login' : 'apikey';
    node.configError = null;
    const tls = tlsOptions(RED, def.usetls, def.tls);

    // Settings that are wrong are reported once here (with the field and the
    // fix) and again to every node that registers; nothing throws out of the
    // constructor, so a bad config never stops the rest of the flows.
    let auth: ApiClientAuth | null = null;
    try {
      node.apiUrl = normaliseApiUrl(def.apiUrl);
      auth = authFrom(node.authMode, creds);
    } catch (err) {
      node.configError = err as ConfigError;
      if (!node.apiUrl) node.apiUrl = typeof def.apiUrl === 'string' ? def.apiUrl.trim() : '';
      node.error((err as Error).message);
    }
    let mqttUrl = '';
    let queueLimit = 1000;
    let queueMaxAge = 0;
    let shareGroup: string | undefined;
    if (!node.configError || node.configError.field !== 'apiUrl') try {
      mqttUrl = resolveMqttUrl(def.mqttUrl, node.apiUrl);
      queueLimit = parseQueueLimit(def.queueLimit);
      queueMaxAge = parseQueueMaxAge(def.queueMaxAge);
      shareGroup = parseShareGroup(def.shareGroup);
    } catch (err) {
      node.configError = node.configError || (err as ConfigError);
      node.error((err as Error).message);
    }
    node.mqttUrl = mqttUrl;

    node.api = auth && !node.configError
      ? new ApiClient({ baseUrl: node.apiUrl, auth, tls: asApiTls(tls) })
      : unusableApi(node.configError as ConfigError);

    function statusFor(s: StateEvent): NodeStatus {
      if (node.configError) return { fill: 'red', shape: 'ring', text: RED._('iotopen-config.status.config-error') };
      switch (s.state) {
        case 'connecting':
          return { fill: 'yellow', shape: 'ring', text: RED._('iotopen-config.status.connecting') };
        case 'connected':
          return { fill: 'green', shape: 'dot', text: RED._('iotopen-config.status.connected') };
        case 'disconnected': {
          const queued = s.queued ? RED._('iotopen-config.status.queued', { count: s.queued }) : '';
          return { fill: 'red', shape: 'ring', text: RED._('iotopen-config.status.disconnected', { reason: s.reason || '?' }) + queued };
        }
        case 'auth-failed':
          return { fill: 'red', shape: 'dot', text: RED._('iotopen-config.status.auth-failed') };
        default:
          return {};
      }
    }

    function pushState(s: StateEvent) {
      state = s;
      const status = statusFor(s);
      for (const user of users.values()) user.status(status);
    }

    function getHub(): MqttHub {
      if (hub) return hub;
      if (closing) throw new Error('The IoT Open config node is closing: redeploy to reconnect');
      if (node.configError) throw new InputError(node.configError.message, node.configError.field);
      const username = typeof def.mqttUsername === 'string' && def.mqttUsername.trim() ? def.mqttUsername.trim() : 'node-red';
      // The predecessor's hub (queue, connection) when redeployed with the same settings: src/mqtt/handover.ts.
      hub = holder.open({
        url: mqttUrl,
        username,
        password: ({ refresh }) => node.api.token({ refresh }),
        clientIdPrefix: 'nr-iotopen-',
        tls: tls as MqttHubOptions['tls'],
        queueLimit,
        maxQueueAgeMs: queueMaxAge * 1000,
        queueFile,
        lingerMs: HUB_LINGER_MS,
        shareGroup,
        log: { warn: (m: string) => node.warn(m), info: (m: string) => node.log(m) },
      }, {
        broker: { apiUrl: node.apiUrl, authMode: node.authMode, user: creds.username },
        secrets: [creds.apiKey, creds.password],
      }, {
        state: (s) => pushState(s as StateEvent),
        // Dropped writes without a live sender callback (read back after a restart): to the node that made them.
        dropped: (err, reported) => reported || reportDroppedToOrigin(RED, node, err),
      });
      return hub;
    }

    Object.defineProperty(node, 'hub', { enumerable: false, configurable: true, get: getHub });
    // Writes queued before a redeploy or restart wait for this node: send them even if no node uses MQTT now.
    if (!node.configError && queuePending(node.id, queueFile)) getHub();
    Object.defineProperty(node, 'catalog', {
      enumerable: false,
      configurable: true,
      get(): Catalog {
        if (!catalog) catalog = new Catalog(node.api, getHub());
        return catalog;
      },
    });

    node.register = function (user: Node, opts: { mqtt?: boolean } = {}) {
      if (node.configError) {
        user.status(statusFor(state));
        return;
      }
      // API-only nodes neither open the MQTT connection nor get its state in their status.
      if (!opts.mqtt) return;
      users.set(user.id, user);
      try {
        const h = getHub();
        h.acquire(user.id);
        state = h.state as StateEvent;
        if (state.state === 'closed' || (state.state === 'disconnected' && state.reason === 'not started')) {
          state = { state: 'connecting', queued: h.queued };
        }
      } catch (err) {
        user.status({ fill: 'red', shape: 'ring', text: RED._('iotopen-config.status.config-error') });
        user.error((err as Error).message);
        return;
      }
      user.status(statusFor(state));
    };

    node.connectionStatus = () => statusFor(state);

    // Never creates the catalog: with no catalog there is no cached list to refresh.
    node.functionsChanged = (iid: number) => {
      if (catalog) catalog.refreshFunctions(iid);
    };

    node.deregister = function (user: Node, done?: () => void) {
      users.delete(user.id);
      try {
        hub?.release(user.id);
      } catch (err) {
        node.warn(`release of ${user.id} failed: ${(err as Error).message}`);
      }
      if (done) done();
    };

    node.on('close', function (removed: boolean, done: () => void) {
      closing = true;
      users.clear();
      // Bounded: Node-RED waits for done, and a deploy must not hang on a dead server.
      const finish = bounded(done, CLOSE_BUDGET_MS);
      const closers: Array<Promise<unknown>> = [];
      const c = catalog;
      if (c) closers.push(Promise.resolve().then(() => c.close()));
      // Redeploy or stop: parked for a successor (queue kept); deleted: queued writes reported dropped.
      if (hub) closers.push(holder.close(removed));
      hub = null;
      closers.push(node.api.close());
      Promise.allSettled(closers).then(finish, finish);
    });
  }

  RED.nodes.registerType('iotopen-config', IotOpenConfigNode as never, {
    credentials: {
      apiKey: { type: 'password' },
      username: { type: 'text' },
      password: { type: 'password' },
    },
  });

  registerAdminRoutes(RED);
};

// ---------------------------------------------------------------------------
// Admin routes for the editor: pickers and "Test connection".

function registerAdminRoutes(RED: NodeAPI) {
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
  route('functions', async (s, req) => pick((await s.api.functionx.list(installationOf(req))) as object[], ['id', 'installation_id', 'type', 'meta']));
  route('devices', async (s, req) => pick((await s.api.devicex.list(installationOf(req))) as object[], ['id', 'installation_id', 'type', 'meta']));
  route('schedules', async (s, req) => s.api.schedules.list(installationOf(req)));
  // An output's config may hold webhook tokens or addresses: only what a picker shows.
  route('outputs', async (s, req) =>
    pick((await s.api.notifications.listOutputs(installationOf(req))) as object[], ['id', 'name', 'installation_id', 'notification_output_executor_id', 'notification_message_id']),
  );
  // The organisations' own apps, unpublished ones included (GET /edge/app lists published ones only).
  route('edgeapps', async (s) => pick((await deployableApps(s.api)) as object[], ['id', 'name', 'short_description', 'category', 'publisher', 'tags']));

  app.post('/iotopen/test', write, (req, res) => {
    testConnection(RED, deployed, req.body).then(
      (answer) => res.json(answer),
      (err) => res.json({ ok: false, message: `Unexpected error: ${(err as Error).message}` }),
    );
  });
}

interface TestBody {
  id?: string;
  apiUrl?: string;
  authMode?: string;
  usetls?: boolean;
  tls?: string;
  credentials?: Credentials;
}

/** Tries the dialog's settings against GET /api/v2/installationinfo; answers {ok, message}. */
async function testConnection(RED: NodeAPI, deployed: (id: string) => ConfigNode | null, raw: unknown): Promise<{ ok: boolean; message: string }> {
  const body = (raw && typeof raw === 'object' ? raw : {}) as TestBody;
  const authMode: AuthMode = body.authMode === 'login' ? 'login' : 'apikey';
  let apiUrl: string;
  try {
    apiUrl = normaliseApiUrl(body.apiUrl);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const given = body.credentials || {};
  const creds: Credentials = { apiKey: given.apiKey, username: given.username, password: given.password };
  const secret: keyof Credentials = authMode === 'login' ? 'password' : 'apiKey';
  if (creds[secret] === SECRET_PLACEHOLDER || creds[secret] === undefined || creds[secret] === '') {
    // The dialog sends a placeholder for a secret it did not change: use the
    // stored one, but only towards the server it was saved for.
    const server = typeof body.id === 'string' && body.id ? deployed(body.id) : null;
    const stored = server ? ((RED.nodes.getCredentials(server.id) || {}) as Credentials) : {};
    creds[secret] = stored[secret] || undefined;
    if (creds[secret] && server && server.apiUrl !== apiUrl) {
      return {
        ok: false,
        message: 'The API URL differs from the deployed one: enter the secret again to test against the new URL (a stored secret is only sent to the server it was saved for).',
      };
    }
    if (!creds.username && stored.username) creds.username = stored.username;
  }
  let auth: ApiClientAuth;
  try {
    auth = authFrom(authMode, creds);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const api = new ApiClient({
    baseUrl: apiUrl,
    auth,
    timeoutMs: TEST_TIMEOUT_MS,
    retries: 0,
    tls: asApiTls(tlsOptions(RED, body.usetls, body.tls)),
  });
  try {
    const list = (await api.installations.list()) as unknown;
    if (!Array.isArray(list)) {
      return { ok: false, message: `${new URL(apiUrl).host} answered, but not like a Lynx API (no installation list). Check the API URL.` };
    }
    const n = list.length;
    return {
      ok: true,
      message: n === 0 ? 'Connected, but this account sees no installations yet.' : `Connected: ${n} installation${n === 1 ? '' : 's'} visible.`,
    };
  } catch (err) {
    return { ok: false, message: describeConnectionError(err, { apiUrl, authMode, timeoutMs: TEST_TIMEOUT_MS }) };
  } finally {
    api.close().catch(() => undefined);
  }
}
