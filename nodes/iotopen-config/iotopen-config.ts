// iotopen-config: one per Lynx server/account. Owns the REST client, and lazily
// the shared MQTT connection (MqttHub) and the Catalog. Flow nodes register
// with it to show the connection state, and the editor's pickers reach the
// platform through its admin routes (never through a URL sent by the browser).
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import { ApiClient, type AuthState } from '../../src/api';
import { HubHolder, hubQueueFile, queuePending, type MqttHub } from '../../src/mqtt';
import type { HubState, MqttHubOptions } from '../../src/mqtt';
import { Catalog } from '../../src/catalog';
import { InputError } from '../lib';
import { addSecrets, maskNode, removeSecrets, trackTokens } from '../lib/secrets';
import { bounded } from '../lib/frame';
import { reportDroppedToOrigin } from '../lib/dropped';
import {
  ConfigError,
  normaliseApiUrl,
  parseQueueLimit,
  parseQueueMaxAge,
  parseShareGroup,
  resolveMqttUrl,
} from '../../src/lynx/connection';
import {
  asApiTls,
  authFrom,
  tlsOptions,
  unusableApi,
  type ApiClientAuth,
  type ConfigDef,
  type ConfigNode,
  type Credentials,
} from './options';
import { registerAdminRoutes } from './admin-routes';
import { bindSecrets, SecretBindingError, takeEntered } from './binding';
import { TEST_HOSTS_SETTING } from './test-connection';

/** The MQTT connection outlives its last user this long: a redeploy's nodes come back to it. */
const HUB_LINGER_MS = 5000;

module.exports = function (RED: NodeAPI) {
  function IotOpenConfigNode(this: ConfigNode, def: ConfigDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const creds: Credentials = (node.credentials || {}) as Credentials;
    // This node's secrets are masked in whatever any node of the pack logs or shows.
    let tokens = (): string[] => [];
    addSecrets(node, () => [creds.apiKey, creds.password, ...tokens()]);
    maskNode(node);
    const entered = takeEntered(RED, node, creds);
    const users = new Map<string, Node>();
    /** A user's own status, shown instead of the connection's state while it returns one (register's `own`). */
    const own = new Map<string, () => NodeStatus | undefined>();
    const showTo = (user: Node, status: NodeStatus) => user.status(own.get(user.id)?.() ?? status);
    let state: HubState = { state: 'closed', queued: 0 };
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
    if (!node.configError || node.configError.field !== 'apiUrl')
      try {
        mqttUrl = resolveMqttUrl(def.mqttUrl, node.apiUrl);
        queueLimit = parseQueueLimit(def.queueLimit);
        queueMaxAge = parseQueueMaxAge(def.queueMaxAge);
        shareGroup = parseShareGroup(def.shareGroup);
      } catch (err) {
        node.configError = node.configError || (err as ConfigError);
        node.error((err as Error).message);
      }
    node.mqttUrl = mqttUrl;
    // A stored secret goes only to the server it was entered for (binding.ts).
    if (mqttUrl) {
      const refused = bindSecrets(RED, node, creds, entered, { apiUrl: node.apiUrl, mqttUrl, authMode: node.authMode });
      if (refused && !node.configError) {
        node.configError = refused;
        node.error(refused.message);
      }
    }

    node.api =
      auth && !node.configError
        ? new ApiClient({ baseUrl: node.apiUrl, auth, tls: asApiTls(tls) })
        : unusableApi(node.configError as ConfigError);
    if (!node.configError) tokens = trackTokens(node.api);

    // Refused credentials are backed off by the client (no login / no call until retryAt):
    // the status says so and when it tries again, the log says why once per refusal.
    let refused: AuthState | null = null;
    if (node.api instanceof ApiClient) {
      node.api.on('auth', (a: AuthState) => {
        refused = a.state === 'refused' ? a : null;
        if (refused) node.warn(refused.message ?? 'the credentials were refused');
        else node.log('the server accepts the credentials again');
        pushState(state);
      });
    }

    function statusFor(s: HubState): NodeStatus {
      if (node.configError) {
        const e = node.configError;
        const text = !(e instanceof SecretBindingError)
          ? RED._('iotopen-config.status.config-error')
          : e.field === 'password'
            ? RED._('iotopen-config.status.rebind-password')
            : RED._('iotopen-config.status.rebind-apikey');
        return { fill: 'red', shape: 'ring', text };
      }
      if (refused) {
        const seconds = Math.max(1, Math.ceil(((refused.retryAt ?? 0) - Date.now()) / 1000));
        return {
          fill: 'red',
          shape: 'ring',
          text: RED._(`iotopen-config.status.${refused.auth === 'login' ? 'login-refused' : 'key-refused'}`, { seconds }),
        };
      }
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

    function pushState(s: HubState) {
      state = s;
      const status = statusFor(s);
      for (const user of users.values()) showTo(user, status);
    }

    function getHub(): MqttHub {
      if (hub) return hub;
      if (closing) throw new Error('The IoT Open config node is closing: redeploy to reconnect');
      if (node.configError) throw new InputError(node.configError.message, node.configError.field);
      const username = typeof def.mqttUsername === 'string' && def.mqttUsername.trim() ? def.mqttUsername.trim() : 'node-red';
      // The predecessor's hub (queue, connection) when redeployed with the same settings: src/mqtt/handover.ts.
      hub = holder.open(
        {
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
        },
        {
          broker: { apiUrl: node.apiUrl, authMode: node.authMode, user: creds.username },
          secrets: [creds.apiKey, creds.password],
        },
        {
          state: (s) => pushState(s as HubState),
          // Dropped writes without a live sender callback (read back after a restart): to the node that made them.
          dropped: (err, reported) => reported || reportDroppedToOrigin(RED, node, err),
        },
      );
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

    node.register = function (user: Node, opts: { mqtt?: boolean; own?: () => NodeStatus | undefined } = {}) {
      maskNode(user);
      if (node.configError) {
        user.status(statusFor(state));
        return;
      }
      // API-only nodes neither open the MQTT connection nor get its state in their status.
      if (!opts.mqtt) return;
      users.set(user.id, user);
      if (opts.own) own.set(user.id, opts.own);
      try {
        const h = getHub();
        h.acquire(user.id);
        state = h.state;
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

    // Never creates the catalog either: an installation made, changed or deleted by a flow is seen at once.
    node.installationsChanged = () => {
      if (catalog) catalog.refreshInstallations();
    };

    node.deregister = function (user: Node, done?: () => void) {
      users.delete(user.id);
      own.delete(user.id);
      try {
        hub?.release(user.id);
      } catch (err) {
        node.warn(`release of ${user.id} failed: ${(err as Error).message}`);
      }
      if (done) done();
    };

    node.on('close', () => removeSecrets(node));
    node.on('close', function (removed: boolean, done: () => void) {
      closing = true;
      users.clear();
      own.clear();
      // Bounded: Node-RED waits for done, and a deploy must not hang on a dead server.
      const finish = bounded(done);
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
    // settings.js: the hosts Test connection may reach (unset: any; see test-connection.ts).
    settings: { [TEST_HOSTS_SETTING]: { value: null, exportable: false } },
  });

  registerAdminRoutes(RED);
};
