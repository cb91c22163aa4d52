'use strict';
// A flow saved by version 0.1.0 of the pack (test/nodes/fixtures/flow-0.1.0.json:
// one node of every flow type, with the editor defaults of that version and the
// picks a user makes) still deploys and works: no error at deploy, and every
// node handles a message. When a node's settings change, its migration (run by
// the node frame before setup) must keep this test passing unchanged.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, nodeModule, dist, catchNode, completeNode } = require('../support/nodered');
const { waitFor } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'flow-0.1.0.json'), 'utf8'));
const pkg = require('../../package.json');
// Node types added after 0.1.0: no flow of that version can hold them.
const SINCE_0_1_0 = new Set(['iotopen-installation', 'iotopen-virtual-function']);
const TYPES = Object.keys(pkg['node-red'].nodes).filter((t) => t !== 'iotopen-config' && !SINCE_0_1_0.has(t));

// What each node is sent, and whether it answers with done() (ok) or done(err) naming a field.
const CASES = {
  'iotopen-functionx-in': null, // no input: it must subscribe and show the connection state
  'iotopen-functionx-out': { msg: { payload: 'on' }, ok: true },
  'iotopen-mqtt-publish': { msg: { payload: { value: 1 } }, ok: true },
  'iotopen-status': { msg: {}, ok: true },
  'iotopen-devicex': { msg: {}, ok: true },
  'iotopen-functionx': { msg: {}, ok: true },
  'iotopen-schedule': { msg: {}, ok: true },
  'iotopen-log': { msg: { from: '-1h' }, ok: true },
  'iotopen-notify': { msg: { payload: 'door open' }, ok: true },
  'iotopen-edge-app': { msg: {}, ok: false, error: /new listing has no version to configure: upload app.lua and app.json/ },
  'iotopen-api': { msg: {}, ok: true },
};

describe('a flow saved by version 0.1.0', function () {
  this.timeout(20000);
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
  });

  it('holds one node of every flow type', function () {
    assert.deepEqual(
      fixture
        .filter((n) => n.z === 'fixture-tab')
        .map((n) => n.type)
        .sort(),
      [...TYPES].sort(),
    );
  });

  it('deploys without an error and every node handles a message', async function () {
    const flow = fixture.map((n) => {
      const c = { ...n };
      if (c.type === 'iotopen-config') Object.assign(c, { apiUrl: sb.api, mqttUrl: sb.mqtt });
      return c;
    });
    const ids = fixture.filter((n) => n.z === 'fixture-tab').map((n) => n.id);
    flow.push(
      { id: 'catcher', z: 'fixture-tab', type: 'catch', scope: ids, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'fixture-tab', type: 'helper' },
      { id: 'completer', z: 'fixture-tab', type: 'complete', scope: ids, uncaught: false, wires: [['completed']] },
      { id: 'completed', z: 'fixture-tab', type: 'helper' },
    );
    const mods = [nodeModule('iotopen-config'), ...TYPES.map(nodeModule), catchNode, completeNode];
    await helper.load(mods, flow, { 'fixture-cfg': { apiKey: sb.apiKey } });
    const cfg = helper.getNode('fixture-cfg');
    await waitFor(() => cfg.hub.connected, { what: 'the MQTT connection', ms: 10000 });

    const errors = () =>
      helper
        .log()
        .args.map((a) => a[0])
        .filter((e) => e.level === helper.log().ERROR);
    const caught = [];
    const completed = [];
    helper.getNode('caught').on('input', (m) => caught.push(m));
    helper.getNode('completed').on('input', (m) => completed.push(m));

    // functionx-in follows function 2: subscribed, and showing the connection state
    const fxIn = helper.getNode('fixture-functionx-in');
    await waitFor(() => cfg.hub.subscriptionCount >= 1, { what: 'the functionx-in subscription', ms: 10000 });
    assert.ok(fxIn, 'functionx-in was created');
    assert.deepEqual(
      errors().map((e) => `${e.type}: ${e.msg}`),
      [],
      'errors logged at deploy',
    );

    for (const type of TYPES) {
      const c = CASES[type];
      if (!c) continue;
      const id = `fixture-${type.slice('iotopen-'.length)}`;
      const node = helper.getNode(id);
      assert.ok(node, `${type} was created`);
      const before = { caught: caught.length, completed: completed.length };
      node.receive({ ...c.msg, _case: type });
      await waitFor(() => caught.length > before.caught || completed.length > before.completed, {
        what: `${type} to finish its message`,
        ms: 10000,
      });
      if (c.ok) {
        assert.equal(
          caught.length,
          before.caught,
          `${type} failed: ${caught[caught.length - 1] && caught[caught.length - 1].error.message}`,
        );
      } else {
        assert.equal(caught.length, before.caught + 1, `${type} should fail naming what is missing`);
        assert.match(caught[caught.length - 1].error.message, c.error);
      }
    }
  });
});
