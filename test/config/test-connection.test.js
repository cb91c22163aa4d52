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
