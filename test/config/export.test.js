'use strict';
// iotopen-config in a complete Node-RED (own process, adminAuth on, credential
// encryption on), with this pack installed in its user dir: secrets stay out of
// flow exports and files, and the admin routes refuse users without permission.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { dist } = require('../support/nodered');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const root = path.resolve(__dirname, '../..');

/** Starts Node-RED on a fresh user dir; resolves { url, logs, stop() }. */
async function startNodeRed(userDir) {
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures/run-nodered.js'), userDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  const port = await new Promise((resolve, reject) => {
    const onData = (d) => {
      logs += d;
      const m = /\{"port":(\d+)\}/.exec(logs);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (logs += d));
    child.once('exit', (code) => reject(new Error(`Node-RED exited with ${code} before starting:\n${logs}`)));
  });
  child.stdout.on('data', () => {});
  return {
    url: `http://127.0.0.1:${port}`,
    logs: () => logs,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

async function call(base, method, urlPath, { token, body } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers['x-test-token'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

describe('iotopen-config in a complete Node-RED', function () {
  this.timeout(30000);
  let sb;
  let nr;
  let userDir;
  const apiKeyOf = () => sb.apiKey;

  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotopen-config-nr-'));
    fs.mkdirSync(path.join(userDir, 'node_modules', '@lynxflow'), { recursive: true });
    fs.symlinkSync(root, path.join(userDir, 'node_modules', '@lynxflow', 'node-red-iotopen'), 'dir');
    const flows = [
      { id: 'tab1', type: 'tab', label: 'Test' },
      {
        id: 'cfg',
        type: 'iotopen-config',
        name: 'Sandbox',
        apiUrl: sb.api,
        mqttUrl: sb.mqtt,
        authMode: 'apikey',
        mqttUsername: 'node-red',
        queueLimit: 1000,
        shareGroup: '',
      },
      { id: 'c1', type: 'comment', z: 'tab1', name: 'uses cfg', x: 100, y: 40, wires: [] },
    ];
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
    nr = await startNodeRed(userDir);
    // Set the key as the editor does when it is typed in the dialog: the
    // credentials ride along with the deploy, and Node-RED stores them apart.
    const body = flows.map((n) => (n.id === 'cfg' ? { ...n, credentials: { apiKey: apiKeyOf() } } : n));
    const deploy = await call(nr.url, 'POST', '/flows', { token: 'token-admin', body });
    assert.ok(deploy.status === 200 || deploy.status === 204, `deploy answered ${deploy.status} ${deploy.text}`);
  });

  after(async () => {
    if (nr) await nr.stop();
    if (sb) await sb.stop();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('loads the node set without errors', async () => {
    const res = await call(nr.url, 'GET', '/nodes', { token: 'token-reader' });
    assert.equal(res.status, 200);
    const set = res.json.find((s) => s.types && s.types.includes('iotopen-config'));
    assert.ok(set, 'iotopen-config is registered');
    assert.equal(set.enabled, true);
    assert.equal(set.err, undefined);
    assert.equal(set.module, '@lynxflow/node-red-iotopen');
  });

  it('keeps the API key out of GET /flows; /credentials only says it is set', async () => {
    const flows = await call(nr.url, 'GET', '/flows', { token: 'token-reader' });
    assert.equal(flows.status, 200);
    assert.ok(
      flows.json.find((n) => n.id === 'cfg'),
      'the config node is exported',
    );
    assert.equal(flows.text.includes(apiKeyOf()), false, 'no key in the flow export');
    const creds = await call(nr.url, 'GET', '/credentials/iotopen-config/cfg', { token: 'token-reader' });
    assert.equal(creds.status, 200);
    assert.equal(creds.json.has_apiKey, true);
    assert.equal(creds.json.has_password, false);
    assert.equal(creds.text.includes(apiKeyOf()), false);
  });

  it('stores the key encrypted on disk, apart from the flows, and uses it', async () => {
    const flowFile = fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8');
    const credFile = fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8');
    assert.ok(
      JSON.parse(flowFile).find((n) => n.id === 'cfg'),
      'the deploy was saved',
    );
    assert.equal(flowFile.includes(apiKeyOf()), false);
    assert.equal(credFile.includes(apiKeyOf()), false);
    assert.ok(JSON.parse(credFile).$, 'credentials file is encrypted');
    const list = await call(nr.url, 'GET', '/iotopen/cfg/installations', { token: 'token-reader' });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.length, sb.installations.length);
  });

  it('refuses the picker routes without iotopen-config.read', async () => {
    assert.equal((await call(nr.url, 'GET', '/iotopen/cfg/installations')).status, 401);
    assert.equal((await call(nr.url, 'GET', '/iotopen/cfg/installations', { token: 'token-flows-only' })).status, 401);
    assert.equal(
      (await call(nr.url, 'GET', `/iotopen/cfg/functions?installation=${sb.installations[0].id}`, { token: 'bogus' })).status,
      401,
    );
    const ok = await call(nr.url, 'GET', `/iotopen/cfg/functions?installation=${sb.installations[0].id}`, { token: 'token-reader' });
    assert.equal(ok.status, 200);
    assert.ok(Array.isArray(ok.json));
  });

  it('refuses Test connection without iotopen-config.write', async () => {
    const body = { id: 'cfg', apiUrl: sb.api, authMode: 'apikey', credentials: { apiKey: '__PWRD__' } };
    assert.equal((await call(nr.url, 'POST', '/iotopen/test', { body })).status, 401);
    assert.equal((await call(nr.url, 'POST', '/iotopen/test', { token: 'token-reader', body })).status, 401);
    const ok = await call(nr.url, 'POST', '/iotopen/test', { token: 'token-admin', body });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.ok, true, ok.json.message);
  });

  it('never writes the key to the log', () => {
    assert.match(nr.logs(), /Started flows/);
    assert.equal(nr.logs().includes(apiKeyOf()), false);
  });
});
