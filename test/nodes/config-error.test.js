'use strict';
// The realtime nodes (functionx-in/out, mqtt-publish, status) behind a config node
// whose settings are broken (no API key): each node is created, shows the config
// error, logs it as words (not as an error object), fails its messages through
// done(err) naming the fix, and closes; nothing touches the MQTT hub or catalog.
const assert = require('node:assert/strict');
const { helper, nodeModule, catchNode, watchers, useNodeRed } = require('../support/nodered');
const { first } = require('../support/util');

const TYPES = ['iotopen-functionx-in', 'iotopen-functionx-out', 'iotopen-mqtt-publish', 'iotopen-status'];

describe('nodes behind a config node with a config error', function () {
  useNodeRed();

  /** Status calls made on node `id` (the helper spies on every node's status()). */
  const statuses = (id) =>
    helper._NodePrototype.status
      .getCalls()
      .filter((c) => c.thisValue && c.thisValue.id === id)
      .map((c) => c.args[0]);
  const errors = (id) =>
    helper
      .log()
      .args.map((a) => a[0])
      .filter((e) => e.level === helper.log().ERROR && e.id === id);

  async function load() {
    const flow = [
      // No credentials: the config node's configError names apiKey. The URL is never called.
      { id: 'cfg', type: 'iotopen-config', name: 'broken', apiUrl: 'http://127.0.0.1:9', authMode: 'apikey' },
      {
        id: 'fxin',
        type: 'iotopen-functionx-in',
        server: 'cfg',
        installation: '1',
        selectBy: 'function',
        function: '10',
        wires: [['out']],
      },
      {
        id: 'fxout',
        type: 'iotopen-functionx-out',
        server: 'cfg',
        installation: '1',
        installationType: 'num',
        function: '10',
        functionType: 'num',
        wires: [],
      },
      {
        id: 'pub',
        type: 'iotopen-mqtt-publish',
        server: 'cfg',
        installation: '1',
        topic: 'obj/a',
        qos: '',
        retain: '',
        mode: 'mqtt',
        wires: [['out']],
      },
      {
        id: 'pubapi',
        type: 'iotopen-mqtt-publish',
        server: 'cfg',
        installation: '1',
        topic: 'obj/a',
        qos: '',
        retain: '',
        mode: 'api',
        wires: [['out']],
      },
      { id: 'st', type: 'iotopen-status', server: 'cfg', installation: '1', select: 'all', output: 'array', wires: [['out']] },
      { id: 'out', type: 'helper' },
      ...watchers('fxin').map((n) => (n.type === 'catch' ? { ...n, scope: null } : n)),
    ];
    await helper.load([nodeModule('iotopen-config'), ...TYPES.map(nodeModule), catchNode], flow, {});
    return { out: helper.getNode('out'), caught: helper.getNode('caught') };
  }

  it('functionx-in is created, shows the config error, logs its message once and closes', async () => {
    await load();
    const node = helper.getNode('fxin');
    assert.ok(node, 'the node exists (nothing threw out of its constructor)');
    const st = statuses('fxin');
    assert.ok(st.length > 0, 'a status was shown');
    assert.equal(st[st.length - 1].fill, 'red');
    const errs = errors('fxin');
    assert.equal(errs.length, 1, `one error logged: ${JSON.stringify(errs)}`);
    assert.equal(typeof errs[0].msg, 'string');
    assert.match(errs[0].msg, /No API key/);
    // The close handler runs (unload would hang or throw otherwise).
    await helper.unload();
  });

  for (const id of ['fxout', 'pub', 'pubapi', 'st']) {
    it(`${id}: a message fails through done(err) naming the config error`, async () => {
      const n = await load();
      const node = helper.getNode(id);
      assert.ok(node);
      const last = statuses(id).pop();
      assert.equal(last && last.fill, 'red');
      const r = await first({ out: n.out, caught: n.caught }, () => node.receive({ payload: 1, topic: 'obj/a' }));
      assert.ok(r.caught, `expected an error, got ${JSON.stringify(r.out)}`);
      assert.equal(r.caught.error.source.id, id);
      assert.match(r.caught.error.message, /No API key/);
    });
  }
});
