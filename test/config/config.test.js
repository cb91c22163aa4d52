'use strict';
// iotopen-config in the real Node-RED runtime (node-red-node-test-helper) against
// the sandbox: admin routes, Test connection, login mode, status, close.
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { helper, nodeModule, configNode, dist } = require('../support/nodered');
const { freePort: closedPort } = require('../support/util');
const { startBlackhole: blackHole } = require('../support/brokers');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const configMod = nodeModule('iotopen-config');

/** An HTTP server that is not Lynx: 404 with an HTML page for every path. */
async function notLynxServer() {
  const server = http.createServer((req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<html><body>Not Found</body></html>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Resolves with the first status of `node` that matches. */
function statusMatching(node, pred) {
  return new Promise((resolve) => {
    const seen = [];
    const orig = node.status.bind(node);
    node.status = (s) => {
      seen.push(s);
      orig(s);
      if (pred(s)) resolve({ status: s, seen });
    };
  });
}

function testConnection(body) {
  return helper
    .request()
    .post('/iotopen/test')
    .send(body)
    .expect(200)
    .then((r) => r.body);
}

describe('iotopen-config node', function () {
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });
  afterEach(async () => {
    await helper.unload();
  });

  describe('admin routes', function () {
    beforeEach(async () => {
      const cfg = configNode(sb);
      await helper.load(configMod, [cfg.node], cfg.credentials);
    });

    it('lists the installations the deployed server sees', async () => {
      const res = await helper.request().get('/iotopen/cfg/installations').expect(200);
      const ids = res.body.map((i) => i.id).sort();
      assert.deepEqual(ids, sb.installations.map((i) => i.id).sort());
      const first = res.body.find((i) => i.id === sb.installations[0].id);
      assert.equal(first.client_id, sb.installations[0].client_id);
      assert.equal(first.name, sb.installations[0].name);
    });

    it('lists functions and devices of an installation, without protected meta', async () => {
      const iid = sb.installations[0].id;
      const fx = await helper.request().get(`/iotopen/cfg/functions?installation=${iid}`).expect(200);
      const expected = [...sb.store.functions.values()]
        .filter((f) => f.installation_id === iid)
        .map((f) => f.id)
        .sort((a, b) => a - b);
      assert.ok(expected.length > 0, 'the seed has functions in the first installation');
      assert.deepEqual(
        fx.body.map((f) => f.id).sort((a, b) => a - b),
        expected,
      );
      for (const f of fx.body) {
        assert.equal(f.installation_id, iid);
        assert.equal(typeof f.meta, 'object');
        assert.equal('protected_meta' in f, false);
      }
      const dx = await helper.request().get(`/iotopen/cfg/devices?installation=${iid}`).expect(200);
      const devices = [...sb.store.devices.values()]
        .filter((d) => d.installation_id === iid)
        .map((d) => d.id)
        .sort((a, b) => a - b);
      assert.deepEqual(
        dx.body.map((d) => d.id).sort((a, b) => a - b),
        devices,
      );
    });

    it('lists schedules, notification outputs and edge apps', async () => {
      const iid = sb.installations[0].id;
      const schedules = await helper.request().get(`/iotopen/cfg/schedules?installation=${iid}`).expect(200);
      assert.ok(Array.isArray(schedules.body));
      const outputs = await helper.request().get(`/iotopen/cfg/outputs?installation=${iid}`).expect(200);
      assert.ok(Array.isArray(outputs.body));
      for (const o of outputs.body) {
        assert.equal(typeof o.id, 'number');
        assert.equal('config' in o, false, 'output config (may hold tokens) is not sent to the editor');
      }
      const apps = await helper.request().get('/iotopen/cfg/edgeapps').expect(200);
      assert.ok(Array.isArray(apps.body));
    });

    it('lists schedules with only the fields the picker shows', async () => {
      const iid = sb.installations[0].id;
      const url = `/iotopen/cfg/schedules?installation=${iid}`;
      const first = await helper.request().get(url).expect(200);
      assert.ok(first.body.length > 0, 'the seed has schedules in the first installation');
      const stored = sb.store.schedules.get(first.body[0].id);
      stored.extra_field = 'not for the editor';
      try {
        const res = await helper.request().get(url).expect(200);
        const shown = ['id', 'installation_id', 'active', 'topic', 'value', 'minute', 'hour', 'day_of_month', 'month', 'day_of_week'];
        for (const s of res.body) {
          for (const k of Object.keys(s)) assert.ok(shown.includes(k), `schedule field ${k} is not sent to the editor`);
          const orig = sb.store.schedules.get(s.id);
          assert.equal(orig.installation_id, iid);
          for (const k of shown) if (k in orig) assert.deepEqual(s[k], orig[k], k);
        }
        assert.ok(res.body.every((s) => !('executor' in s) && !('extra_field' in s)));
      } finally {
        delete stored.extra_field;
      }
    });

    it('answers 400 naming the field when the installation is missing or not an id', async () => {
      const missing = await helper.request().get('/iotopen/cfg/functions').expect(400);
      assert.equal(missing.body.field, 'installation');
      assert.match(missing.body.error, /installation/);
      const bad = await helper.request().get('/iotopen/cfg/devices?installation=abc').expect(400);
      assert.match(bad.body.error, /installation must be a positive integer/);
    });

    it('answers 404 with a deploy hint for a config node that is not deployed', async () => {
      const res = await helper.request().get('/iotopen/not-deployed/installations').expect(404);
      assert.equal(res.body.hint, 'deploy');
      assert.match(res.body.error, /deploy/i);
      await helper.request().get('/iotopen/not-deployed/functions?installation=1').expect(404);
    });

    it('passes a platform error on as 502 with the API status, and no key', async () => {
      const res = await helper
        .request()
        .get('/iotopen/cfg/functions?installation=999999')
        .expect((r) => assert.ok(r.status >= 400));
      assert.equal(res.status, 502);
      assert.ok(res.body.status >= 400);
      assert.equal(JSON.stringify(res.body).includes(sb.apiKey), false);
    });
  });

  describe('Test connection', function () {
    beforeEach(async () => {
      const cfg = configNode(sb);
      await helper.load(configMod, [cfg.node], cfg.credentials);
    });

    it('says how many installations the key sees', async () => {
      const a = await testConnection({ apiUrl: sb.api, authMode: 'apikey', credentials: { apiKey: sb.apiKey } });
      assert.equal(a.ok, true);
      assert.match(a.message, new RegExp(`${sb.installations.length} installations visible`));
    });

    it('uses the stored key when the dialog sends the placeholder, only for the same URL', async () => {
      const same = await testConnection({ id: 'cfg', apiUrl: `${sb.api}/`, authMode: 'apikey', credentials: { apiKey: '__PWRD__' } });
      assert.equal(same.ok, true, same.message);
      const other = await notLynxServer();
      try {
        const moved = await testConnection({ id: 'cfg', apiUrl: other.url, authMode: 'apikey', credentials: { apiKey: '__PWRD__' } });
        assert.equal(moved.ok, false);
        assert.match(moved.message, /enter the secret again/);
      } finally {
        await other.close();
      }
    });

    it('reports a wrong key without echoing it', async () => {
      const wrong = 'wrong-key-5566778899';
      const a = await testConnection({ apiUrl: sb.api, authMode: 'apikey', credentials: { apiKey: wrong } });
      assert.equal(a.ok, false);
      assert.match(a.message, /refused the API key/);
      assert.equal(a.message.includes(wrong), false);
    });

    it('reports a missing key', async () => {
      const a = await testConnection({ apiUrl: sb.api, authMode: 'apikey', credentials: { apiKey: '' } });
      assert.equal(a.ok, false);
      assert.match(a.message, /No API key/);
    });

    it('reports a closed port as connection refused', async () => {
      const port = await closedPort();
      const a = await testConnection({ apiUrl: `http://127.0.0.1:${port}`, authMode: 'apikey', credentials: { apiKey: 'k-123456' } });
      assert.equal(a.ok, false);
      assert.match(a.message, /Connection refused/);
    });

    it('reports a URL that is not a Lynx API', async () => {
      const other = await notLynxServer();
      try {
        const a = await testConnection({ apiUrl: other.url, authMode: 'apikey', credentials: { apiKey: 'k-123456' } });
        assert.equal(a.ok, false);
        assert.match(a.message, /not a Lynx API/);
      } finally {
        await other.close();
      }
    });

    it('reports a host name that does not resolve', async () => {
      const a = await testConnection({
        apiUrl: 'http://lynx.does-not-exist.invalid',
        authMode: 'apikey',
        credentials: { apiKey: 'k-123456' },
      });
      assert.equal(a.ok, false);
      assert.match(a.message, /Host not found|No answer/);
    });

    it('reports TLS spoken to a plain HTTP server as a TLS problem', async () => {
      const a = await testConnection({
        apiUrl: sb.api.replace('http://', 'https://'),
        authMode: 'apikey',
        credentials: { apiKey: sb.apiKey },
      });
      assert.equal(a.ok, false);
      assert.match(a.message, /TLS/);
      assert.equal(a.message.includes(sb.apiKey), false);
    });

    it('rejects a URL that is not http(s) with the field named', async () => {
      const a = await testConnection({ apiUrl: 'ftp://example.com', authMode: 'apikey', credentials: { apiKey: 'x-123456' } });
      assert.equal(a.ok, false);
      assert.match(a.message, /apiUrl must start with https:\/\//);
    });

    it('logs in with user name and password, refuses a wrong password, explains 2FA', async () => {
      const user = sb.store.users.find((u) => !u.twofa);
      const ok = await testConnection({
        apiUrl: sb.api,
        authMode: 'login',
        credentials: { username: user.email, password: user.password },
      });
      assert.equal(ok.ok, true, ok.message);
      const wrong = await testConnection({
        apiUrl: sb.api,
        authMode: 'login',
        credentials: { username: user.email, password: 'not-the-password' },
      });
      assert.equal(wrong.ok, false);
      assert.match(wrong.message, /Login refused/);
      assert.equal(wrong.message.includes('not-the-password'), false);
      const twofa = await testConnection({
        apiUrl: sb.api,
        authMode: 'login',
        credentials: { username: 'twofactor@example.com', password: 'demo-password' },
      });
      assert.equal(twofa.ok, false);
      assert.match(twofa.message, /two-factor/);
    });
  });

  describe('runtime', function () {
    it('works in login mode: API calls and MQTT with the login token', async () => {
      const flow = [
        { id: 'cfg', type: 'iotopen-config', apiUrl: sb.api, mqttUrl: sb.mqtt, authMode: 'login' },
        { id: 'user', type: 'helper' },
      ];
      await helper.load(configMod, flow, { cfg: { username: 'demo@example.com', password: 'demo-password' } });
      const server = helper.getNode('cfg');
      const list = await server.api.installations.list();
      assert.equal(list.length, sb.installations.length);
      const user = helper.getNode('user');
      const connected = statusMatching(user, (s) => s.fill === 'green');
      server.register(user, { mqtt: true });
      const { status } = await connected;
      assert.equal(status.shape, 'dot');
      assert.match(status.text, /connected/);
    });

    it('pushes connection state to registered nodes, including a broker outage', async () => {
      const cfg = configNode(sb);
      await helper.load(configMod, [cfg.node, { id: 'user', type: 'helper' }], cfg.credentials);
      const server = helper.getNode('cfg');
      const user = helper.getNode('user');
      const connected = statusMatching(user, (s) => s.fill === 'green');
      server.register(user, { mqtt: true });
      await connected;
      const down = statusMatching(user, (s) => s.fill === 'red');
      await sb.stopBroker();
      try {
        const { status } = await down;
        assert.match(status.text, /disconnected/);
        const back = statusMatching(user, (s) => s.fill === 'green');
        await sb.startBroker();
        await back;
      } finally {
        await sb.startBroker().catch(() => {});
      }
      await new Promise((resolve) => server.deregister(user, resolve));
    });

    it('opens no MQTT connection for API-only users, and leaves their status alone', async () => {
      const cfg = configNode(sb);
      await helper.load(configMod, [cfg.node, { id: 'user', type: 'helper' }], cfg.credentials);
      const server = helper.getNode('cfg');
      const user = helper.getNode('user');
      const statuses = [];
      user.status = (s) => statuses.push(s);
      server.register(user);
      const list = await server.api.installations.list();
      assert.equal(list.length, sb.installations.length);
      assert.equal(server.hub.state.state === 'connecting' || server.hub.state.state === 'connected', false, 'no connection was opened');
      assert.deepEqual(statuses, []);
      await new Promise((resolve) => server.deregister(user, resolve));
    });

    it('shares one hub and one catalog between users', async () => {
      const cfg = configNode(sb);
      await helper.load(configMod, [cfg.node], cfg.credentials);
      const server = helper.getNode('cfg');
      assert.equal(server.hub, server.hub);
      assert.equal(server.catalog, server.catalog);
      const inst = await server.catalog.installations();
      assert.equal(inst.length, sb.installations.length);
    });

    it('defaults the MQTT URL to mqtts://<api host>:8883', async () => {
      await helper.load(configMod, [{ id: 'cfg', type: 'iotopen-config', apiUrl: 'https://lynx.example.com/', authMode: 'apikey' }], {
        cfg: { apiKey: 'k-123456' },
      });
      const server = helper.getNode('cfg');
      assert.equal(server.mqttUrl, 'mqtts://lynx.example.com:8883');
      assert.equal(server.apiUrl, 'https://lynx.example.com');
    });

    it('rejects an MQTT URL with another scheme, naming the field, without crashing', async () => {
      await helper.load(
        configMod,
        [
          { id: 'cfg', type: 'iotopen-config', apiUrl: sb.api, mqttUrl: 'http://127.0.0.1:1883', authMode: 'apikey' },
          { id: 'user', type: 'helper' },
        ],
        { cfg: { apiKey: sb.apiKey } },
      );
      const server = helper.getNode('cfg');
      assert.equal(server.configError.field, 'mqttUrl');
      assert.match(server.configError.message, /mqttUrl must start with mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//);
      const user = helper.getNode('user');
      const errors = [];
      user.error = (e) => errors.push(String(e));
      const red = statusMatching(user, (s) => s.fill === 'red');
      server.register(user);
      await red;
      await assert.rejects(() => server.api.installations.list(), /mqttUrl must start with/);
    });

    it('makes API calls fail with a clear error when no key is set', async () => {
      await helper.load(configMod, [{ id: 'cfg', type: 'iotopen-config', apiUrl: sb.api, authMode: 'apikey' }], {});
      const server = helper.getNode('cfg');
      await assert.rejects(
        () => server.api.functionx.list(101),
        (err) => err.field === 'apiKey' && /No API key/.test(err.message),
      );
      const res = await helper.request().get('/iotopen/cfg/installations').expect(409);
      assert.equal(res.body.field, 'apiKey');
    });

    it('closes within 2 s while the API and broker do not answer', async () => {
      const hole = await blackHole();
      try {
        const flow = [
          {
            id: 'cfg',
            type: 'iotopen-config',
            apiUrl: `http://127.0.0.1:${hole.port}`,
            mqttUrl: `mqtt://127.0.0.1:${hole.port}`,
            authMode: 'apikey',
          },
          { id: 'user', type: 'helper' },
        ];
        await helper.load(configMod, flow, { cfg: { apiKey: 'k-123456' } });
        const server = helper.getNode('cfg');
        server.register(helper.getNode('user'), { mqtt: true });
        const pending = server.api.installations.list().catch((e) => e);
        // Both the HTTP request and the MQTT connect are now hanging on the black hole.
        while (hole.open < 2) await new Promise((r) => setImmediate(r));
        const started = Date.now();
        await helper.unload();
        const took = Date.now() - started;
        assert.ok(took < 2000, `close took ${took} ms`);
        const err = await pending;
        assert.equal(err.code, 'EABORT');
      } finally {
        await hole.close();
      }
    });
  });
});
