'use strict';
// Changes made by the functionx/devicex nodes, silent ones included (no change event),
// reach the config node's catalog at once: functionx-out writes to the new topic_write,
// functionx-in follows a new function, and a flow without catalog users creates none.
const assert = require('node:assert/strict');
const path = require('node:path');
const mqtt = require('mqtt');
const { helper, nodeModule, configNode, dist, catchNode, watchers, useNodeRed } = require('../support/nodered');
const { first, collect } = require('../support/util');
const { IID, CLIENT, seed, until, probe } = require('./functionx-support');

const TYPES = ['iotopen-config', 'iotopen-functionx', 'iotopen-devicex', 'iotopen-functionx-out', 'iotopen-functionx-in'];

describe('silent functionx/devicex changes and the catalog', function () {
  let sb;
  let dev;
  const writes = [];
  before(async () => {
    const { startSandbox } = require(path.join(dist, 'src', 'sandbox'));
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
    dev = await mqtt.connectAsync(sb.mqtt, { username: 'device', password: sb.apiKey, reconnectPeriod: 0 });
    dev.on('message', (topic, payload) => writes.push({ topic, payload: JSON.parse(payload.toString()) }));
    await dev.subscribeAsync(`${CLIENT}/set/#`, { qos: 1 });
  });
  after(async () => {
    if (dev) await dev.endAsync(true);
    if (sb) await sb.stop();
  });
  useNodeRed();

  async function load(nodes) {
    const cfg = configNode(sb);
    const flow = [
      cfg.node,
      ...nodes.map((n) => ({ server: 'cfg', installation: String(IID), wires: [['out']], ...n })),
      { id: 'out', type: 'helper' },
      ...watchers('x'),
    ];
    flow.find((n) => n.type === 'catch').scope = null;
    await helper.load([...TYPES.map(nodeModule), catchNode], flow, cfg.credentials);
    const out = helper.getNode('out');
    const caught = helper.getNode('caught');
    /** Sends msg to node id; resolves with its output, or fails with the caught error. */
    const run = async (id, msg) => {
      const r = await first({ out, caught }, () => helper.getNode(id).receive(msg));
      assert.ok(r.out, `${id}: ${r.caught && r.caught.error.message}`);
      return r.out;
    };
    return { out, caught, run, server: helper.getNode('cfg') };
  }

  it('functionx-out writes to the topic_write set by a silent meta change, with no redeploy', async () => {
    const { caught } = await load([
      {
        id: 'fx',
        type: 'iotopen-functionx',
        operation: 'meta-set',
        objectId: '11',
        metaKey: 'topic_write',
        metaKeyType: 'str',
        silent: true,
      },
      { id: 'fxout', type: 'iotopen-functionx-out', installationType: 'num', function: '11', functionType: 'num', wires: [] },
    ]);
    const fx = helper.getNode('fx');
    const out = helper.getNode('out');
    const errors = collect(caught);
    const write = async (value, topic) => {
      writes.length = 0;
      helper.getNode('fxout').receive({ payload: value });
      await until(() => writes.length > 0 || errors.length > 0, `a write to ${topic}`);
      assert.deepEqual(
        errors.map((e) => e.error.message),
        [],
      );
      assert.deepEqual([writes[0].topic, writes[0].payload.value], [topic, value]);
    };
    try {
      await write(1, `${CLIENT}/set/obj/test/lamp`); // the catalog now holds the old list
      const changed = new Promise((resolve) => out.once('input', resolve));
      fx.receive({ payload: 'set/obj/test/lamp_v2' });
      await changed;
      assert.equal(sb.store.collection('functionx').get(11).meta.topic_write, 'set/obj/test/lamp_v2');
      await write(0, `${CLIENT}/set/obj/test/lamp_v2`);
    } finally {
      sb.store.collection('functionx').get(11).meta.topic_write = 'set/obj/test/lamp';
    }
  });

  it('functionx-in follows a function created silently by the functionx node', async () => {
    const { run } = await load([
      { id: 'fx', type: 'iotopen-functionx', operation: 'create', silent: true },
      { id: 'fxin', type: 'iotopen-functionx-in', selectBy: 'type', ftype: 'silent_kind' },
    ]);
    const server = helper.getNode('cfg');
    await until(() => server.hub.connected, 'the connection');
    const got = collect(helper.getNode('out'));
    const created = await run('fx', { payload: { type: 'silent_kind', meta: { name: 'Silent', topic_read: 'obj/test/silent' } } });
    assert.equal(typeof created.function_id, 'number');
    const i = await probe(dev, `${CLIENT}/obj/test/silent`, got);
    assert.equal(got[i - 1].lynx.function.id, created.function_id);
    sb.store.collection('functionx').delete(created.function_id);
  });

  it('a silent device change refreshes the cached function list too', async () => {
    const { run } = await load([
      { id: 'dx', type: 'iotopen-devicex', operation: 'create', silent: true },
      { id: 'fxin', type: 'iotopen-functionx-in', selectBy: 'function', function: '10' },
    ]);
    const server = helper.getNode('cfg');
    await until(() => server.hub.connected, 'the connection');
    await probe(dev, `${CLIENT}/obj/test/temp`, collect(helper.getNode('out'))); // fxin is live: the catalog holds the list
    sb.resetRequests();
    const m = await run('dx', { payload: { type: 'gateway', meta: { name: 'Silent device' } } });
    await until(
      () => sb.requests.some((r) => r.method === 'GET' && r.path === `/api/v2/functionx/${IID}`),
      'a refresh of the function list',
    );
    sb.store.collection('devicex').delete(m.device_id);
  });

  it('creates no catalog (and asks nothing more) when no node uses one', async () => {
    const { run } = await load([
      { id: 'fx', type: 'iotopen-functionx', operation: 'meta-set', objectId: '12', metaKey: 'room', metaKeyType: 'str', silent: true },
    ]);
    sb.resetRequests();
    await run('fx', { payload: 'porch' });
    await run('fx', { operation: 'get' });
    assert.deepEqual(
      sb.requests.map((r) => `${r.method} ${r.path}`),
      // a meta-set of a plain value reads the key's protected flag first (metaPutBody), then writes it
      [`GET /api/v2/functionx/${IID}/12/meta/room`, `PUT /api/v2/functionx/${IID}/12/meta/room`, `GET /api/v2/functionx/${IID}/12`],
    );
  });
});
