'use strict';
// The limits of Test connection (POST /iotopen/test) in the real Node-RED runtime: http(s)
// only, only the Lynx API's requests, no redirect followed, a short timeout, and the
// settings.js host allowlist (iotopenConfigTestHosts).
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { helper, nodeModule, configNode, dist } = require('../support/nodered');
const { startBlackhole } = require('../support/brokers');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const { parseHostList, hostAllowed } = require(path.join(dist, 'src/lynx/connection'));
const configMod = nodeModule('iotopen-config');

/** An HTTP server that records every request and connection; `answer(req, res)` replies. */
async function recorder(answer) {
  const seen = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url });
    answer(req, res);
  });
  server.on('connection', () => connections++);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    seen,
    get connections() {
      return connections;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

function testConnection(body) {
  return helper
    .request()
    .post('/iotopen/test')
    .send(body)
    .expect(200)
    .then((r) => r.body);
}

describe('Test connection limits', function () {
  let sb;
  let target;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
    target = await recorder((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.method === 'POST' && req.url === '/api/v2/auth' ? '{"token":"t-123456789"}' : '[]');
    });
  });
  after(async () => {
    await target.close();
    await sb.stop();
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    target.seen.length = 0;
  });

  async function load(settings) {
    if (settings) helper.settings(settings);
    const cfg = configNode(sb);
    await helper.load(configMod, [cfg.node], cfg.credentials);
  }

  it('refuses schemes other than http(s) without connecting', async () => {
    await load();
    const port = new URL(target.url).port;
    const before = target.connections;
    for (const scheme of ['ws', 'wss', 'ftp', 'file', 'gopher', 'mqtt']) {
      const a = await testConnection({ apiUrl: `${scheme}://127.0.0.1:${port}`, authMode: 'apikey', credentials: { apiKey: 'k-123456' } });
      assert.equal(a.ok, false, scheme);
      assert.match(a.message, /apiUrl (must start with https:\/\/|".*" is not a URL)/, scheme);
    }
    assert.equal(target.connections, before, 'no connection was made');
  });

  it('requests only the Lynx API paths under the base address', async () => {
    await load();
    const key = await testConnection({ apiUrl: `${target.url}/lynx`, authMode: 'apikey', credentials: { apiKey: 'k-123456' } });
    assert.equal(key.ok, true, key.message);
    assert.deepEqual(target.seen, [{ method: 'GET', url: '/lynx/api/v2/installationinfo?assigned=false' }]);
    target.seen.length = 0;
    const login = await testConnection({
      apiUrl: target.url,
      authMode: 'login',
      credentials: { username: 'u@example.com', password: 'pw-123456' },
    });
    assert.equal(login.ok, true, login.message);
    assert.deepEqual(
      target.seen.map((r) => `${r.method} ${r.url.split('?')[0]}`),
      ['POST /api/v2/auth', 'GET /api/v2/installationinfo'],
    );
  });

  it('does not follow a redirect, and says where the problem is', async () => {
    await load();
    const redirecting = await recorder((req, res) => {
      res.writeHead(302, { location: `${target.url}${req.url}` });
      res.end();
    });
    try {
      const a = await testConnection({ apiUrl: redirecting.url, authMode: 'apikey', credentials: { apiKey: 'k-123456' } });
      assert.equal(a.ok, false);
      assert.match(a.message, /redirect \(HTTP 302\), which is not followed/);
      assert.equal(redirecting.seen.length, 1, 'one request to the typed address');
      assert.deepEqual(target.seen, [], 'nothing sent to where the redirect points');
    } finally {
      await redirecting.close();
    }
  });

  it('gives up after 5 s when the host does not answer', async function () {
    this.timeout(15000);
    await load();
    const hole = await startBlackhole();
    try {
      const started = Date.now();
      const a = await testConnection({
        apiUrl: `http://127.0.0.1:${hole.port}`,
        authMode: 'login',
        credentials: { username: 'u@example.com', password: 'pw-123456' },
      });
      const took = Date.now() - started;
      assert.equal(a.ok, false);
      assert.match(a.message, /No answer from 127\.0\.0\.1:\d+ within 5 s/);
      assert.ok(took >= 4500 && took < 8000, `the test took ${took} ms`);
    } finally {
      await hole.close();
    }
  });

  it('reaches only the hosts settings.js lists in iotopenConfigTestHosts', async () => {
    await load({ iotopenConfigTestHosts: ['lynx.example.com', '*.iotopen.se'] });
    const before = target.connections;
    const a = await testConnection({ apiUrl: target.url, authMode: 'apikey', credentials: { apiKey: 'k-123456' } });
    assert.equal(a.ok, false);
    assert.match(
      a.message,
      /only reach the hosts listed in iotopenConfigTestHosts in settings\.js, and 127\.0\.0\.1:\d+ is not one of them/,
    );
    assert.equal(target.connections, before, 'no connection was made');
    assert.deepEqual(target.seen, []);
  });

  it('reaches a listed host (with its port, when the entry names one)', async () => {
    const port = new URL(sb.api).port;
    await load({ iotopenConfigTestHosts: [`127.0.0.1:${port}`] });
    const ok = await testConnection({ apiUrl: sb.api, authMode: 'apikey', credentials: { apiKey: sb.apiKey } });
    assert.equal(ok.ok, true, ok.message);
    const otherPort = await testConnection({ apiUrl: target.url, authMode: 'apikey', credentials: { apiKey: 'k-123456' } });
    assert.equal(otherPort.ok, false);
    assert.match(otherPort.message, /iotopenConfigTestHosts/);
    assert.deepEqual(target.seen, []);
  });

  it('allows nothing when iotopenConfigTestHosts is not a list of hosts', async () => {
    await load({ iotopenConfigTestHosts: 'lynx.example.com' });
    const a = await testConnection({ apiUrl: target.url, authMode: 'apikey', credentials: { apiKey: 'k-123456' } });
    assert.equal(a.ok, false);
    assert.match(a.message, /iotopenConfigTestHosts in settings\.js is not a list/);
    assert.deepEqual(target.seen, []);
  });

  it('runs one test at a time', async () => {
    await load();
    const hole = await startBlackhole();
    try {
      const first = testConnection({ apiUrl: `http://127.0.0.1:${hole.port}`, authMode: 'apikey', credentials: { apiKey: 'k-123456' } });
      while (hole.open < 1) await new Promise((r) => setImmediate(r));
      const second = await testConnection({ apiUrl: target.url, authMode: 'apikey', credentials: { apiKey: 'k-123456' } });
      assert.equal(second.ok, false);
      assert.match(second.message, /Another connection test is still running/);
      assert.deepEqual(target.seen, []);
      await hole.close();
      await first;
    } finally {
      await hole.close().catch(() => {});
    }
  });
});

describe('host allowlist rules (src/lynx/connection.ts)', function () {
  it('matches host names case-insensitively, wildcards on subdomains only, ports when named', () => {
    const list = parseHostList(['Lynx.Example.com', '*.iotopen.se', '10.0.0.5:8080', '[::1]'], 'x');
    assert.equal(hostAllowed('https://lynx.example.com', list), true);
    assert.equal(hostAllowed('https://LYNX.example.com:8443/api', list), true);
    assert.equal(hostAllowed('https://example.com', list), false);
    assert.equal(hostAllowed('https://lynx.iotopen.se', list), true);
    assert.equal(hostAllowed('https://iotopen.se', list), false);
    assert.equal(hostAllowed('https://eviliotopen.se', list), false);
    assert.equal(hostAllowed('http://10.0.0.5:8080', list), true);
    assert.equal(hostAllowed('http://10.0.0.5', list), false);
    assert.equal(hostAllowed('http://[::1]:3000', list), true);
    assert.deepEqual(parseHostList(['h:443'], 'x'), [{ host: 'h', wildcard: false, port: '443' }]);
    assert.equal(hostAllowed('https://h', parseHostList(['h:443'], 'x')), true);
    assert.equal(hostAllowed('http://h', parseHostList(['h:443'], 'x')), false);
  });

  it('refuses a setting that is not a list of host names, naming it', () => {
    for (const bad of ['lynx.example.com', [''], ['http://x'], ['a/b'], ['user@h'], [42], ['*'], ['h:port']]) {
      assert.throws(() => parseHostList(bad, 'iotopenConfigTestHosts'), /iotopenConfigTestHosts in settings\.js/, JSON.stringify(bad));
    }
  });
});

describe('Test connection: the broker and environment variables', function () {
  const { freePort, next } = require('../support/util');
  const ENV = ['LYNX_T_API_URL', 'LYNX_T_MQTT_URL', 'LYNX_T_KEY', 'LYNX_T_UNSET'];
  let sb;
  let target;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
    // An API that accepts any key: the broker's answer is then the broker's own.
    target = await recorder((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
  });
  after(async () => {
    await target.close();
    await sb.stop();
  });
  afterEach(async () => {
    for (const k of ENV) delete process.env[k];
    await helper.unload();
    helper.settings({});
  });

  async function load(settings) {
    if (settings) helper.settings(settings);
    const cfg = configNode(sb);
    await helper.load(configMod, [cfg.node], cfg.credentials);
  }

  it('tries the broker too, with the MQTT user and the API key as password', async () => {
    await load();
    const a = await testConnection({
      apiUrl: sb.api,
      mqttUrl: sb.mqtt,
      mqttUsername: 'me',
      authMode: 'apikey',
      credentials: { apiKey: sb.apiKey },
    });
    assert.equal(a.ok, true, a.message);
    assert.equal(a.mqtt.ok, true, a.mqtt.message);
    assert.match(a.mqtt.message, /accepted the connection/);
  });

  it("in login mode gives the broker the login's token, and does not try it when the login fails", async () => {
    await load();
    const user = sb.store.users.find((u) => !u.twofa);
    const ok = await testConnection({
      apiUrl: sb.api,
      mqttUrl: sb.mqtt,
      authMode: 'login',
      credentials: { username: user.email, password: user.password },
    });
    assert.equal(ok.ok, true, ok.message);
    assert.equal(ok.mqtt.ok, true, ok.mqtt.message);
    const wrong = await testConnection({
      apiUrl: sb.api,
      mqttUrl: sb.mqtt,
      authMode: 'login',
      credentials: { username: user.email, password: 'nope-123456' },
    });
    assert.equal(wrong.ok, false);
    assert.equal(wrong.mqtt.ok, false);
    assert.match(wrong.mqtt.message, /Not tested: the broker takes the login's token/);
  });

  it('reports a broker where nothing listens apart from an API that answers', async () => {
    await load();
    const port = await freePort();
    const a = await testConnection({
      apiUrl: sb.api,
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      authMode: 'apikey',
      credentials: { apiKey: sb.apiKey },
    });
    assert.equal(a.ok, true, a.message);
    assert.match(a.message, /^Connected/);
    assert.equal(a.mqtt.ok, false);
    assert.match(a.mqtt.message, new RegExp(`Connection refused by 127\\.0\\.0\\.1:${port}: nothing is listening there`));
    assert.doesNotMatch(a.mqtt.message, /Error:/);
  });

  it('says mqtts:// to a plain broker is a TLS problem', async () => {
    await load();
    const plain = new URL(sb.mqtt);
    const a = await testConnection({
      apiUrl: sb.api,
      mqttUrl: `mqtts://${plain.host}`,
      authMode: 'apikey',
      credentials: { apiKey: sb.apiKey },
    });
    assert.equal(a.ok, true, a.message);
    assert.equal(a.mqtt.ok, false);
    assert.match(a.mqtt.message, /TLS problem with the MQTT broker at 127\.0\.0\.1:\d+/);
  });

  it('says the broker rejected the credentials (CONNACK 5)', async () => {
    await load();
    const a = await testConnection({ apiUrl: target.url, mqttUrl: sb.mqtt, authMode: 'apikey', credentials: { apiKey: 'k-not-the-key' } });
    assert.equal(a.ok, true, 'the recording API takes any key');
    assert.equal(a.mqtt.ok, false);
    assert.match(a.mqtt.message, /rejected the credentials \(CONNACK [45]: .+\): check the MQTT user and the API key/);
    assert.ok(!a.mqtt.message.includes('k-not-the-key'));
  });

  it('does not reach an MQTT host that iotopenConfigTestHosts does not list', async () => {
    const hole = await startBlackhole();
    try {
      await load({ iotopenConfigTestHosts: [`127.0.0.1:${new URL(sb.api).port}`] });
      const a = await testConnection({
        apiUrl: sb.api,
        mqttUrl: `mqtt://127.0.0.1:${hole.port}`,
        authMode: 'apikey',
        credentials: { apiKey: sb.apiKey },
      });
      assert.equal(a.ok, true, a.message);
      assert.equal(a.mqtt.ok, false);
      assert.match(
        a.mqtt.message,
        new RegExp(`iotopenConfigTestHosts in settings\\.js, and 127\\.0\\.0\\.1:${hole.port} is not one of them`),
      );
      assert.equal(hole.open, 0, 'no connection to the broker');
    } finally {
      await hole.close();
    }
  });

  it('sends a stored key only to the broker it was entered for', async () => {
    await load();
    const port = await freePort();
    const a = await testConnection({
      id: 'cfg',
      apiUrl: sb.api,
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      authMode: 'apikey',
      credentials: { apiKey: '__PWRD__' },
    });
    assert.equal(a.ok, true, a.message);
    assert.equal(a.mqtt.ok, false);
    assert.match(a.mqtt.message, /entered for the broker mqtt:\/\/127\.0\.0\.1:\d+: enter the secret again/);
  });

  it('resolves ${NAME} in the URLs and the key from the runtime environment', async () => {
    await load();
    process.env.LYNX_T_API_URL = sb.api;
    process.env.LYNX_T_MQTT_URL = sb.mqtt;
    process.env.LYNX_T_KEY = sb.apiKey;
    const a = await testConnection({
      apiUrl: '${LYNX_T_API_URL}',
      mqttUrl: '$(LYNX_T_MQTT_URL)',
      authMode: 'apikey',
      credentials: { apiKey: '${LYNX_T_KEY}' },
    });
    assert.equal(a.ok, true, a.message);
    assert.equal(a.mqtt.ok, true, a.mqtt.message);
  });

  it('names the environment variable that is not set', async () => {
    await load();
    const a = await testConnection({ apiUrl: '${LYNX_T_UNSET}', authMode: 'apikey', credentials: { apiKey: sb.apiKey } });
    assert.equal(a.ok, false);
    assert.match(a.message, /environment variable LYNX_T_UNSET \(in apiUrl\) is not set/);
    assert.doesNotMatch(a.message, /is not a URL/);
  });

  it('a deployed config node with ${LYNX_T_API_URL} and the key from the environment works', async () => {
    process.env.LYNX_T_API_URL = sb.api;
    process.env.LYNX_T_MQTT_URL = sb.mqtt;
    process.env.LYNX_T_KEY = sb.apiKey;
    const flow = [
      { id: 'cfg', type: 'iotopen-config', name: 'env', apiUrl: '${LYNX_T_API_URL}', mqttUrl: '${LYNX_T_MQTT_URL}', authMode: 'apikey' },
      { id: 'f1', type: 'tab' },
      {
        id: 'api',
        z: 'f1',
        type: 'iotopen-api',
        server: 'cfg',
        method: 'GET',
        path: '/api/v2/installationinfo',
        installation: '',
        params: '',
        query: '',
        queryType: 'json',
        ret: 'json',
        wires: [['out']],
      },
      { id: 'out', z: 'f1', type: 'helper' },
    ];
    await helper.load([configMod, nodeModule('iotopen-api')], flow, { cfg: { apiKey: '${LYNX_T_KEY}' } });
    const cfg = helper.getNode('cfg');
    assert.equal(cfg.configError, null, cfg.configError && cfg.configError.message);
    assert.equal(cfg.apiUrl, sb.api);
    assert.equal(cfg.mqttUrl, sb.mqtt);
    const got = next(helper.getNode('out'));
    helper.getNode('api').receive({ payload: '' });
    const m = await got;
    assert.equal(m.statusCode, 200);
    assert.ok(Array.isArray(m.payload) && m.payload.some((i) => i.id === sb.installations[0].id), JSON.stringify(m.payload));
  });
});
