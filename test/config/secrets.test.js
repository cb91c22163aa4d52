'use strict';
// Secrets stay with their server, in the real Node-RED runtime against the sandbox: every
// config node's secrets are masked in what any node of the pack logs, shows or hands to a
// Catch node.
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, dist, catchNode, watchers } = require('../support/nodered');
const { next } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const configMod = nodeModule('iotopen-config');
const apiMod = nodeModule('iotopen-api');

const IID = 101;
const OTHER_KEY = 'other-config-node-key-5f1c9a7e2b';

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

  describe('masking', function () {
    /** cfgA (another account: OTHER_KEY, or a login) and cfgB (the sandbox key), and an api node on cfgB. */
    async function load(cfgA = { authMode: 'apikey' }, credsA = { apiKey: OTHER_KEY }) {
      const flow = [
        { id: 'cfgA', type: 'iotopen-config', name: 'A', apiUrl: sb.api, mqttUrl: sb.mqtt, ...cfgA },
        { id: 'cfgB', type: 'iotopen-config', name: 'B', apiUrl: sb.api, mqttUrl: sb.mqtt, authMode: 'apikey' },
        { id: 'f1', type: 'tab' },
        { id: 'api', z: 'f1', type: 'iotopen-api', server: 'cfgB', method: 'GET', path: '/api/v2/functionx/{installation_id}', installation: String(IID), params: '', query: '', queryType: 'json', ret: 'json', wires: [['out']] },
        { id: 'out', z: 'f1', type: 'helper' },
        ...watchers('api', { z: 'f1' }),
      ];
      await helper.load([configMod, apiMod, catchNode], flow, { cfgA: credsA, cfgB: { apiKey: sb.apiKey } });
      return { api: helper.getNode('api'), caught: helper.getNode('caught') };
    }

    /** The api node (on cfgB) fails with a server message echoing `secret`; resolves with what Catch got. */
    async function failEchoing(n, secret) {
      sb.faults.set({ errorRate: 1, errorStatus: 400, errorBody: JSON.stringify({ message: `bad request, key ${secret} is not valid here` }), path: '/api/v2/functionx', count: 1 });
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
      sb.faults.set({ errorRate: 1, errorStatus: 400, errorBody: JSON.stringify({ message: `echo ${OTHER_KEY}` }), path: '/api/v2/functionx', count: 1 });
      const res = await helper.request().get(`/iotopen/cfgB/functions?installation=${IID}`).expect(502);
      assert.equal(JSON.stringify(res.body).includes(OTHER_KEY), false);
      assert.match(res.body.error, /echo \*\*\*/);
    });

    it('stops masking the secrets of a config node that is gone', async () => {
      await load();
      const { mask } = require(path.join(dist, 'nodes/lib/secrets'));
      assert.equal(mask(`x ${OTHER_KEY} y ${sb.apiKey}`), 'x *** y ***');
      await helper.unload();
      await helper.load([configMod], [{ id: 'cfgB', type: 'iotopen-config', apiUrl: sb.api, mqttUrl: sb.mqtt, authMode: 'apikey' }], { cfgB: { apiKey: sb.apiKey } });
      assert.equal(mask(`x ${OTHER_KEY} y ${sb.apiKey}`), `x ${OTHER_KEY} y ***`);
    });
  });
});
