'use strict';
// Secrets stay with their server, in the real Node-RED runtime against the sandbox: a stored
// secret is sent only to the endpoints it was entered for (redeploys with another URL and no
// new secret are refused until it is entered again; flows saved before are bound on first
// start), and every config node's secrets are masked in what any node of the pack logs,
// shows or hands to a Catch node.
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { helper, nodeModule, dist, catchNode, watchers } = require('../support/nodered');
const { next } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const configMod = nodeModule('iotopen-config');
const apiMod = nodeModule('iotopen-api');

const { ENTERED_MARK } = require(path.join(dist, 'src/util/secret-binding'));
const IID = 101;
const OTHER_KEY = 'other-config-node-key-5f1c9a7e2b';

/** A server answering like Lynx (no installations), recording each request and the key it carried. */
async function lynxLike() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, key: req.headers['x-api-key'] });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('[]');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

/** Every text the runtime's log received (error, warn, info, ...), as one string. */
function logged() {
  return helper
    .log()
    .args.map((a) => JSON.stringify(a[0], (_k, v) => (v instanceof Error ? { message: v.message, stack: v.stack } : v)))
    .join('\n');
}

describe('iotopen-config secrets', function () {
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });
  afterEach(async () => {
    sb.faults.clear();
    await helper.unload();
  });

  describe('binding to the server', function () {
    let other;
    before(async () => {
      other = await lynxLike();
    });
    after(async () => {
      await other.close();
    });
    afterEach(() => {
      other.seen.length = 0;
    });

    /** The config node's stored credentials, as Node-RED keeps them (to be saved in flows_cred.json). */
    const storedCreds = () => helper._redNodes.getCredentials('cfg');
    const origin = (u) => new URL(u).origin;

    function flow(cfg = {}, credentials) {
      const node = { id: 'cfg', type: 'iotopen-config', apiUrl: sb.api, mqttUrl: sb.mqtt, authMode: 'apikey', ...cfg };
      if (credentials) node.credentials = credentials;
      return [node, { id: 'user', type: 'helper' }];
    }
    /** A deploy from the editor: changed fields, and only the credentials the user typed (Node-RED keeps the others). */
    async function deploy(cfg, credentials) {
      await helper.setFlows(flow(cfg, credentials), 'full');
      return helper.getNode('cfg');
    }

    it('binds a secret of a flow saved before bindings existed on first start, and keeps using it', async () => {
      await helper.load(configMod, flow(), { cfg: { apiKey: sb.apiKey } });
      const server = helper.getNode('cfg');
      assert.equal(server.configError, null);
      assert.equal((await server.api.installations.list()).length, sb.installations.length);
      const bound = storedCreds().boundTo.apiKey;
      assert.equal(bound.api, origin(sb.api));
      assert.equal(bound.mqtt, sb.mqtt);
      assert.equal(JSON.stringify(bound).includes(sb.apiKey), false, 'the binding does not hold the secret');
      // A restart with the saved credentials (binding included) keeps working.
      const saved = JSON.parse(JSON.stringify(storedCreds()));
      await helper.unload();
      await helper.load(configMod, flow(), { cfg: saved });
      assert.equal(helper.getNode('cfg').configError, null);
      assert.equal((await helper.getNode('cfg').api.installations.list()).length, sb.installations.length);
    });

    it('refuses the stored key after the API URL changes without a new key, with a status and an error naming the fix', async () => {
      await helper.load(configMod, flow(), { cfg: { apiKey: sb.apiKey } });
      const server = await deploy({ apiUrl: other.url });
      assert.equal(server.apiUrl, other.url);
      assert.equal(server.configError.code, 'ESECRETHOST');
      assert.equal(server.configError.field, 'apiKey');
      const fix = new RegExp(
        `The API key was entered for ${origin(sb.api)}, not for ${origin(other.url)}: enter it again in the config node to use it with ${origin(other.url)}`,
      );
      assert.match(server.configError.message, fix);
      await assert.rejects(
        () => server.api.installations.list(),
        (err) => fix.test(err.message) && err.field === 'apiKey',
      );
      assert.throws(() => server.hub, fix);
      const user = helper.getNode('user');
      const statuses = [];
      user.on('call:status', (call) => statuses.push(call.args[0]));
      server.register(user, { mqtt: true });
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(statuses.at(-1), { fill: 'red', shape: 'ring', text: 'iotopen-config.status.rebind-apikey' });
      const res = await helper.request().get('/iotopen/cfg/installations').expect(409);
      assert.match(res.body.error, fix);
      assert.equal(res.body.field, 'apiKey');
      assert.deepEqual(other.seen, [], 'nothing was sent to the new server');
      // A restart does not lift the refusal: the binding is kept with the credentials.
      const saved = JSON.parse(JSON.stringify(storedCreds()));
      await helper.unload();
      await helper.load(configMod, flow({ apiUrl: other.url }), { cfg: saved });
      assert.equal(helper.getNode('cfg').configError.code, 'ESECRETHOST');
      assert.deepEqual(other.seen, []);
    });

    it('accepts the key for the new server once it is entered again (the same key), and then refuses the old one', async () => {
      await helper.load(configMod, flow(), { cfg: { apiKey: sb.apiKey } });
      assert.equal((await deploy({ apiUrl: other.url })).configError.code, 'ESECRETHOST');
      // The dialog sends a typed secret marked as entered.
      const server = await deploy({ apiUrl: other.url }, { apiKey: ENTERED_MARK + sb.apiKey });
      assert.equal(server.configError, null);
      await server.api.installations.list();
      assert.deepEqual(
        other.seen.map((r) => r.key),
        [sb.apiKey],
      );
      assert.equal(storedCreds().apiKey, sb.apiKey, 'the secret is stored without the mark');
      assert.equal(storedCreds().boundTo.apiKey.api, origin(other.url));
      const back = await deploy({ apiUrl: sb.api });
      assert.equal(back.configError.code, 'ESECRETHOST');
      assert.match(back.configError.message, new RegExp(`entered for ${origin(other.url)}, not for ${origin(sb.api)}`));
    });

    it('binds a new key that replaces the stored one to the server it is deployed with', async () => {
      await helper.load(configMod, flow(), { cfg: { apiKey: sb.apiKey } });
      // e.g. a deploy through the admin API: a new value, without the dialog's mark
      const server = await deploy({ apiUrl: other.url }, { apiKey: 'another-key-0123456789' });
      assert.equal(server.configError, null);
      await server.api.installations.list();
      assert.deepEqual(
        other.seen.map((r) => r.key),
        ['another-key-0123456789'],
      );
      assert.equal(storedCreds().boundTo.apiKey.api, origin(other.url));
    });

    it('refuses the key for another broker (the MQTT password) until it is entered again', async () => {
      await helper.load(configMod, flow(), { cfg: { apiKey: sb.apiKey } });
      const moved = await deploy({ mqttUrl: 'mqtt://127.0.0.1:1' });
      assert.equal(moved.configError.code, 'ESECRETHOST');
      assert.match(
        moved.configError.message,
        new RegExp(
          `The API key was entered for the broker ${sb.mqtt}, not for mqtt://127\\.0\\.0\\.1:1: enter it again in the config node`,
        ),
      );
      assert.throws(() => moved.hub, /entered for the broker/);
      const again = await deploy({ mqttUrl: 'mqtt://127.0.0.1:1' }, { apiKey: ENTERED_MARK + sb.apiKey });
      assert.equal(again.configError, null);
      assert.equal(storedCreds().boundTo.apiKey.mqtt, 'mqtt://127.0.0.1:1');
    });

    it('binds the login password too, and a stored secret not in use cannot be switched to another server', async () => {
      const user = sb.store.users.find((u) => !u.twofa);
      await helper.load(configMod, flow({ authMode: 'login' }), {
        cfg: { apiKey: sb.apiKey, username: user.email, password: user.password },
      });
      assert.equal((await helper.getNode('cfg').api.installations.list()).length, sb.installations.length);
      assert.equal(storedCreds().boundTo.password.api, origin(sb.api));
      assert.equal(storedCreds().boundTo.apiKey.api, origin(sb.api), 'the API key, not in use, is bound as well');
      const login = await deploy({ authMode: 'login', apiUrl: other.url });
      assert.equal(login.configError.field, 'password');
      assert.match(login.configError.message, /The password was entered for/);
      const status = login.connectionStatus();
      assert.equal(status.text, 'iotopen-config.status.rebind-password');
      const key = await deploy({ authMode: 'apikey', apiUrl: other.url });
      assert.equal(key.configError.field, 'apiKey');
      assert.deepEqual(other.seen, []);
    });

    it('Test connection uses a stored key only towards the server it was entered for', async () => {
      await helper.load(configMod, flow(), { cfg: { apiKey: sb.apiKey } });
      await deploy({ apiUrl: other.url });
      const test = (apiUrl) =>
        helper
          .request()
          .post('/iotopen/test')
          .send({ id: 'cfg', apiUrl, authMode: 'apikey', credentials: { apiKey: '__PWRD__' } })
          .expect(200)
          .then((r) => r.body);
      const towardsDeployed = await test(other.url);
      assert.equal(towardsDeployed.ok, false);
      assert.match(towardsDeployed.message, new RegExp(`The API key was entered for ${origin(sb.api)}: enter the secret again`));
      assert.deepEqual(other.seen, []);
      const towardsBound = await test(`${sb.api}/`);
      assert.equal(towardsBound.ok, true, towardsBound.message);
      // A value the dialog marked as entered (reopened before a deploy) is tested without the mark.
      const marked = await helper
        .request()
        .post('/iotopen/test')
        .send({ apiUrl: other.url, authMode: 'apikey', credentials: { apiKey: ENTERED_MARK + sb.apiKey } })
        .expect(200);
      assert.equal(marked.body.ok, true, marked.body.message);
      assert.deepEqual(
        other.seen.map((r) => r.key),
        [sb.apiKey],
      );
    });

    it('resolves an environment variable reference entered in the dialog, and stores the reference', async () => {
      process.env.IOTOPEN_BINDING_TEST_KEY = sb.apiKey;
      try {
        await helper.load(configMod, flow(), { cfg: { apiKey: `${ENTERED_MARK}\${IOTOPEN_BINDING_TEST_KEY}` } });
        const server = helper.getNode('cfg');
        assert.equal(server.configError, null);
        assert.equal((await server.api.installations.list()).length, sb.installations.length);
        assert.equal(storedCreds().apiKey, '${IOTOPEN_BINDING_TEST_KEY}');
      } finally {
        delete process.env.IOTOPEN_BINDING_TEST_KEY;
      }
    });
  });

  describe('masking', function () {
    /** cfgA (another account: OTHER_KEY, or a login) and cfgB (the sandbox key), and an api node on cfgB. */
    async function load(cfgA = { authMode: 'apikey' }, credsA = { apiKey: OTHER_KEY }) {
      const flow = [
        { id: 'cfgA', type: 'iotopen-config', name: 'A', apiUrl: sb.api, mqttUrl: sb.mqtt, ...cfgA },
        { id: 'cfgB', type: 'iotopen-config', name: 'B', apiUrl: sb.api, mqttUrl: sb.mqtt, authMode: 'apikey' },
        { id: 'f1', type: 'tab' },
        {
          id: 'api',
          z: 'f1',
          type: 'iotopen-api',
          server: 'cfgB',
          method: 'GET',
          path: '/api/v2/functionx/{installation_id}',
          installation: String(IID),
          params: '',
          query: '',
          queryType: 'json',
          ret: 'json',
          wires: [['out']],
        },
        { id: 'out', z: 'f1', type: 'helper' },
        ...watchers('api', { z: 'f1' }),
      ];
      await helper.load([configMod, apiMod, catchNode], flow, { cfgA: credsA, cfgB: { apiKey: sb.apiKey } });
      return { api: helper.getNode('api'), caught: helper.getNode('caught') };
    }

    /** The api node (on cfgB) fails with a server message echoing `secret`; resolves with what Catch got. */
    async function failEchoing(n, secret) {
      sb.faults.set({
        errorRate: 1,
        errorStatus: 400,
        errorBody: JSON.stringify({ message: `bad request, key ${secret} is not valid here` }),
        path: '/api/v2/functionx',
        count: 1,
      });
      const caught = next(n.caught);
      n.api.receive({ payload: 'go' });
      return caught;
    }

    it("masks another config node's API key in a node's error, its Catch message and the log", async () => {
      const n = await load();
      const m = await failEchoing(n, OTHER_KEY);
      const seen = JSON.stringify(m.error);
      assert.match(m.error.message, /bad request, key \*\*\* is not valid here/);
      assert.equal(seen.includes(OTHER_KEY), false, seen);
      assert.equal(logged().includes(OTHER_KEY), false);
      // The node's own key is masked as before.
      const own = await failEchoing(n, sb.apiKey);
      assert.equal(JSON.stringify(own.error).includes(sb.apiKey), false);
      assert.match(own.error.message, /\*\*\*/);
    });

    it("masks another config node's password and login token", async () => {
      const user = sb.store.users.find((u) => !u.twofa);
      const n = await load({ authMode: 'login' }, { username: user.email, password: user.password });
      const token = await helper.getNode('cfgA').api.token();
      assert.ok(token.length >= 8);
      const byPassword = await failEchoing(n, user.password);
      assert.equal(JSON.stringify(byPassword.error).includes(user.password), false);
      const byToken = await failEchoing(n, token);
      assert.equal(JSON.stringify(byToken.error).includes(token), false);
      assert.match(byToken.error.message, /key \*\*\* is not valid/);
      const text = logged();
      assert.equal(text.includes(user.password) || text.includes(token), false);
    });

    it("masks another config node's key in a status and in a picker route's error", async () => {
      const n = await load();
      // What reached Node-RED's own Node.prototype.status (the helper reports each call).
      const shown = new Promise((resolve) => n.api.once('call:status', (call) => resolve(call.args[0])));
      n.api.status({ fill: 'red', shape: 'ring', text: `failed with ${OTHER_KEY}` });
      const status = await shown;
      assert.equal(status.text, 'failed with ***');
      sb.faults.set({
        errorRate: 1,
        errorStatus: 400,
        errorBody: JSON.stringify({ message: `echo ${OTHER_KEY}` }),
        path: '/api/v2/functionx',
        count: 1,
      });
      const res = await helper.request().get(`/iotopen/cfgB/functions?installation=${IID}`).expect(502);
      assert.equal(JSON.stringify(res.body).includes(OTHER_KEY), false);
      assert.match(res.body.error, /echo \*\*\*/);
    });

    it('stops masking the secrets of a config node that is gone', async () => {
      await load();
      const { mask } = require(path.join(dist, 'nodes/lib/secrets'));
      assert.equal(mask(`x ${OTHER_KEY} y ${sb.apiKey}`), 'x *** y ***');
      await helper.unload();
      await helper.load([configMod], [{ id: 'cfgB', type: 'iotopen-config', apiUrl: sb.api, mqttUrl: sb.mqtt, authMode: 'apikey' }], {
        cfgB: { apiKey: sb.apiKey },
      });
      assert.equal(mask(`x ${OTHER_KEY} y ${sb.apiKey}`), `x ${OTHER_KEY} y ***`);
    });
  });
});
