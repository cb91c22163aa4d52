'use strict';
// A refused login in the real Node-RED runtime: the client backs the login off (5 s, doubling),
// every call meanwhile fails at once with the advice to check the config node's user name and
// password, the status says when it tries again, and a redeploy with new credentials (a new
// config node, a new ApiClient) logs in at once.
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, dist, catchNode, watchers, useNodeRed } = require('../support/nodered');
const { first } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const configMod = nodeModule('iotopen-config');
// The helper stubs RED._ to give back the key: here the en-US catalogue fills it in, so the
// status text can be read as a user reads it.
const strings = require(path.join(dist, 'nodes/iotopen-config/locales/en-US/iotopen-config.json'));
const withStrings = (mod) => (RED) => {
  RED._ = (key, params = {}) => {
    const text = key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), strings);
    return typeof text === 'string' ? text.replace(/__(\w+)__/g, (_m, k) => String(params[k])) : key;
  };
  return mod(RED);
};
const configWithStrings = withStrings(configMod);
const devicexMod = nodeModule('iotopen-devicex');

const USER = 'demo@example.com';
const PASSWORD = 'demo-password';

describe('iotopen-config: refused login backoff (runtime)', function () {
  this.timeout(20000);
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });
  useNodeRed();

  const flow = (name = 'sandbox') => [
    { id: 'cfg', type: 'iotopen-config', name, apiUrl: sb.api, mqttUrl: sb.mqtt, authMode: 'login' },
    { id: 'n', type: 'iotopen-devicex', server: 'cfg', installation: '101', operation: 'list', wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'user', type: 'helper' },
    ...watchers('n'),
  ];
  const logins = () => sb.requests.filter((r) => r.method === 'POST' && r.path === '/api/v2/auth').length;

  it('logs in once for a stream of messages while refused, fails each at once, shows "login refused, retrying in N s", and logs in at once after a redeploy with the right password', async () => {
    await helper.load([configWithStrings, devicexMod, catchNode], flow(), { cfg: { username: USER, password: 'wrong password' } });
    const cfg = helper.getNode('cfg');
    const user = helper.getNode('user');
    const statuses = [];
    user.status = (s) => statuses.push(s);
    cfg.register(user, { mqtt: true });
    sb.resetRequests();

    const n = helper.getNode('n');
    const run = () => first({ out: helper.getNode('out'), caught: helper.getNode('caught') }, () => n.receive({ payload: null }));
    const t0 = Date.now();
    const slow = [];
    let messages = 0;
    while (Date.now() - t0 < 3000) {
      const m0 = Date.now();
      const r = await run();
      assert.ok(r.caught, 'each message fails');
      assert.match(r.caught.error.message, /username or password was refused; check the username and password in the config node/);
      if (messages > 0 && Date.now() - m0 > 200) slow.push(Date.now() - m0);
      messages++;
      await new Promise((r2) => setTimeout(r2, 50));
    }
    assert.ok(messages >= 20, `${messages} messages`);
    assert.equal(logins(), 1, `${logins()} logins for ${messages} messages in 3 s (the next one is due after 5 s)`);
    assert.equal(sb.requests.filter((r) => r.path.startsWith('/api/v2/devicex')).length, 0, 'no call reached the server');
    assert.deepEqual(slow, [], 'held messages fail at once');

    // the config node's status, as register({ mqtt: true }) shows it
    assert.match(cfg.connectionStatus().text, /^login refused, retrying in [1-5] s$/);
    assert.equal(cfg.connectionStatus().fill, 'red');
    assert.ok(
      statuses.some((s) => /^login refused, retrying in 5 s$/.test(s.text)),
      JSON.stringify(statuses),
    );
    assert.equal(cfg.api.authState.state, 'refused');

    // the user enters the right password and deploys: a new config node logs in at once
    const oldApi = cfg.api;
    const f = flow();
    // as the editor deploys a node whose credentials changed: they ride on the node itself,
    // which makes a 'nodes' deploy restart it (a new config node, a new ApiClient)
    f[0].credentials = { username: USER, password: PASSWORD };
    await helper._redNodes.setFlows(f, { cfg: { username: USER, password: PASSWORD } }, 'nodes');
    let cfg2 = helper.getNode('cfg');
    for (let i = 0; !cfg2 && i < 100; i++) {
      await new Promise((r2) => setTimeout(r2, 20));
      cfg2 = helper.getNode('cfg');
    }
    assert.notEqual(cfg2.api, oldApi, 'a new ApiClient');
    sb.resetRequests();
    const t1 = Date.now();
    const n2 = helper.getNode('n');
    const r = await first({ out: helper.getNode('out'), caught: helper.getNode('caught') }, () => n2.receive({ payload: null }));
    assert.ok(r.out, `listed: ${r.caught && r.caught.error.message}`);
    assert.ok(Array.isArray(r.out.payload));
    assert.ok(Date.now() - t1 < 2000, 'no wait for the old backoff');
    assert.equal(logins(), 1);
    assert.equal(cfg2.api.authState.state, 'ok');
    assert.doesNotMatch(String(cfg2.connectionStatus().text), /refused/);
  });
});
