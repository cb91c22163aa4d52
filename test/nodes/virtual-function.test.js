'use strict';
// iotopen-virtual-function in the real Node-RED runtime against the sandbox: its
// function is created once (20 redeploys, a restart), updated only when a setting
// changed, its values reach the status API and the log, a write the platform publishes
// comes out of it, the rate limit and only-on-change hold, removal deletes only when
// asked (never on a redeploy or a disable), bad input goes to Catch with nothing published.
const assert = require('node:assert/strict');
const { helper, nodeModule, useNodeRed } = require('../support/nodered');
const { collect, sleep } = require('../support/util');
const { IID, CLIENT, until, api } = require('./functionx-support');

const { TYPE, virtualFixture } = require('./virtual-function-support');

describe(TYPE, function () {
  const fx = virtualFixture();
  const { vf, functionsWith, devicesWith, count, statuses, ready, deploy, redeploy } = fx;
  const seen = fx.seen;
  let sb;
  before(() => {
    sb = fx.sb;
  });

  it('creates its function once over 20 redeploys and a restart, and never writes an unchanged one', async () => {
    const node = vf('v1');
    await deploy([node]);
    let n = await ready('v1');
    assert.ok(statuses(n).includes(`function ${functionsWith('node-red-v1')[0].id} created`));
    for (let i = 0; i < 20; i++) {
      await redeploy([node]);
      n = await ready('v1', n);
    }
    await helper.unload();
    await deploy([node]);
    n = await ready('v1', n);
    const fns = functionsWith('node-red-v1');
    assert.equal(fns.length, 1, 'one function');
    assert.equal(count('POST', `/api/v2/functionx/${IID}`), 1, 'created once');
    assert.equal(count('PUT', `/api/v2/functionx/${IID}`), 0, 'an unchanged function is not written');
    assert.equal(fns[0].type, 'temperature');
    assert.deepEqual(fns[0].meta, {
      name: 'Virtual v1',
      ext_id: 'node-red-v1',
      topic_read: 'obj/node-red/node-red-v1/value',
      unit: '°C',
      format: '%.1f',
    });
  });

  it('updates the meta when a setting changes, keeping keys added in the app', async () => {
    await deploy([vf('v2', { kind: 'control', extId: 'setpoint-2' })]);
    const n = await ready('v2');
    const [fn] = functionsWith('setpoint-2');
    assert.equal(fn.meta.topic_write, 'set/obj/node-red/setpoint-2/value');
    await api(sb, 'POST', `/api/v2/functionx/${IID}/${fn.id}/meta/room`, { value: 'Hall', protected: false });
    sb.resetRequests();
    await redeploy([
      vf('v2', {
        kind: 'control',
        extId: 'setpoint-2',
        unit: '%',
        fname: 'Fan speed',
        states: [{ name: 'max', value: '100', text: 'Full' }],
      }),
    ]);
    await ready('v2', n);
    assert.equal(count('PUT', `/api/v2/functionx/${IID}/${fn.id}`), 1, 'one update');
    const [now] = functionsWith('setpoint-2');
    assert.equal(now.id, fn.id);
    assert.deepEqual(now.meta, {
      name: 'Fan speed',
      ext_id: 'setpoint-2',
      topic_read: 'obj/node-red/setpoint-2/value',
      topic_write: 'set/obj/node-red/setpoint-2/value',
      unit: '%',
      format: '%.1f',
      state_max: '100',
      text_max: 'Full',
      room: 'Hall',
    });
    // Back to a sensor: topic_write and the state go, room stays.
    await redeploy([vf('v2', { extId: 'setpoint-2', fname: 'Fan speed' })]);
    await until(() => !functionsWith('setpoint-2')[0].meta.topic_write, 'the second update');
    const [last] = functionsWith('setpoint-2');
    assert.equal(last.meta.state_max, undefined);
    assert.equal(last.meta.room, 'Hall');
  });

  it("publishes values that reach the status API and the log, as Lynx JSON on the function's topic_read", async () => {
    await deploy([vf('v3', { extId: 'avg' })]);
    const n = await ready('v3');
    const caught = collect(helper.getNode('caught'));
    n.receive({ payload: 21.25 });
    n.receive({ payload: { value: 22, msg: 'mean of 3' } });
    await until(() => seen.length === 2, 'both values at the broker');
    assert.deepEqual(
      seen.map((s) => [s.topic, s.body.value, s.body.msg]),
      [
        [`${CLIENT}/obj/node-red/avg/value`, 21.25, undefined],
        [`${CLIENT}/obj/node-red/avg/value`, 22, 'mean of 3'],
      ],
    );
    assert.equal(typeof seen[0].body.timestamp, 'number');
    const status = await until(async () => {
      const s = await api(sb, 'GET', `/api/v2/status/${IID}?topics=obj/node-red/avg/value`);
      return s.length && s[0].value === 22 && s;
    }, 'the status API');
    assert.equal(status[0].msg, 'mean of 3');
    const log = await api(sb, 'GET', `/api/v3beta/log/${IID}?topics=obj/node-red/avg/value&order=asc`);
    assert.deepEqual(
      log.data.map((e) => e.value),
      [21.25, 22],
    );
    await until(() => statuses(n).includes('22.0 °C'), 'the value in the status, formatted');
    assert.equal(caught.length, 0);
  });

  it('sends a write the platform publishes on topic_write out with its state name, and echoes it when asked', async () => {
    await deploy([
      vf('v4', { kind: 'switch', extId: 'vacation', ftype: 'switch', fname: 'Vacation mode', echo: true, unit: '', format: '' }),
    ]);
    await ready('v4');
    const [fn] = functionsWith('vacation');
    assert.equal(fn.meta.state_on, '1');
    assert.equal(fn.meta.text_off, 'Off');
    const out = collect(helper.getNode('out'));
    // The app's switch: the platform publishes the write on the function's topic_write (REST publish).
    const write = () =>
      api(sb, 'POST', `/api/v2/mqtt/publish/${IID}`, { topic: fn.meta.topic_write, payload: { value: 1, timestamp: 1700000000 } });
    await until(async () => {
      if (out.length) return true;
      await write(); // until the node's subscription is live
      return false;
    }, 'the write at the output');
    assert.equal(out[0].payload, 1);
    assert.equal(out[0].state, 'on');
    assert.equal(out[0].topic, 'set/obj/node-red/vacation/value');
    assert.equal(out[0].function_id, fn.id);
    assert.deepEqual(out[0].lynx, { value: 1, timestamp: 1700000000, msg: undefined });
    await until(
      () => seen.some((s) => s.topic === `${CLIENT}/obj/node-red/vacation/value` && s.body.value === 1),
      'the echo on topic_read',
    );
    const st = await until(async () => {
      const s = await api(sb, 'GET', `/api/v2/status/${IID}?topics=obj/node-red/vacation/value`);
      return s.length && s;
    }, 'the echo in the status');
    assert.equal(st[0].value, 1);
    // A state name written by the flow.
    helper.getNode('v4').receive({ payload: 'OFF' });
    await until(() => seen.some((s) => s.body.value === 0), 'off published');
  });

  it('publishes at most once per interval (the latest value) and only on change', async () => {
    await deploy([vf('v5', { extId: 'limited', minInterval: '0.3' }), vf('v6', { extId: 'changes', onlyChanged: true })]);
    const a = await ready('v5');
    const b = await ready('v6');
    for (const value of [1, 2, 3, 4]) a.receive({ payload: value });
    for (const value of [5, 5, 5, 6, 6, 5]) b.receive({ payload: value });
    const on = (ext) => seen.filter((s) => s.topic === `${CLIENT}/obj/node-red/${ext}/value`).map((s) => s.body.value);
    await until(() => on('limited').includes(4) && on('changes').length === 3, 'the values');
    assert.deepEqual(on('limited'), [1, 4], 'the first at once, then the latest after the interval');
    assert.deepEqual(on('changes'), [5, 6, 5]);
  });

  it('a redeploy keeps the latest held value (the successor sends it) and what was last sent', async () => {
    const nodes = [vf('h1', { extId: 'held', minInterval: '0.5' }), vf('h2', { extId: 'same', onlyChanged: true })];
    await deploy(nodes);
    const a = await ready('h1');
    const b = await ready('h2');
    a.receive({ payload: 1 });
    a.receive({ payload: 2 });
    b.receive({ payload: 5 });
    const on = (ext) => seen.filter((x) => x.topic === `${CLIENT}/obj/node-red/${ext}/value`).map((x) => x.body.value);
    await until(() => on('held').length === 1 && on('same').length === 1, 'the first values');
    await until(() => statuses(a).some((x) => /waiting for the interval/.test(String(x))), '2 held back');
    await redeploy(nodes);
    const b2 = await ready('h2', b);
    await until(() => on('held').includes(2), 'the held value, sent by the successor');
    assert.deepEqual(on('held'), [1, 2]);
    b2.receive({ payload: 5 });
    b2.receive({ payload: 6 });
    await until(() => on('same').includes(6), 'the change');
    assert.deepEqual(on('same'), [5, 6], 'the same value again after a redeploy is no change');
    const errors = helper
      .log()
      .args.map((x) => x[0])
      .filter((e) => e.level === helper.log().ERROR);
    assert.deepEqual(errors, [], 'nothing went to the closing server');
  });

  it('leaves its function when deleted without the option; with it deletes it and the emptied device, never on a redeploy or disable', async () => {
    const g = (id, extra) => vf(id, { group: true, deviceName: 'Flow devices', deleteOnRemove: true, ...extra });
    const nodes = [g('a1'), g('a2'), g('a3'), vf('keep', { group: true })];
    await deploy(nodes);
    for (const id of ['a1', 'a2', 'a3', 'keep']) await ready(id);
    const devs = devicesWith('node-red-flow-tab');
    assert.equal(devs.length, 1, 'one device for the tab, though four nodes deployed at once');
    assert.equal(devs[0].meta.name, 'Flow devices');
    for (const id of ['a1', 'a2', 'a3', 'keep']) assert.equal(functionsWith(`node-red-${id}`)[0].meta.device_id, String(devs[0].id));

    // A redeploy and a disable keep everything.
    await redeploy(nodes);
    await ready('a1');
    await redeploy([g('a1', { d: true }), g('a2'), g('a3'), vf('keep', { group: true })]);
    await ready('a2');
    await sleep(300); // a removal runs once the flows have started: give a wrong one the time to show
    assert.equal(count('DELETE', '/api/v2/functionx/'), 0, 'disabling is not deleting');
    assert.equal(functionsWith('node-red-a1').length, 1);
    await redeploy(nodes, 'nodes');
    await ready('a1');

    // Deleted without the option: stays. Deleted with it: goes, the device stays while functions are in it.
    // A full deploy (the config node restarts too, its client closed) as well as a 'nodes' one.
    sb.resetRequests();
    await redeploy([g('a2'), g('a3')], 'full');
    await until(() => functionsWith('node-red-a1').length === 0, 'a1 deleted');
    assert.equal(functionsWith('node-red-keep').length, 1, 'the node without the option left its function');
    assert.equal(devicesWith('node-red-flow-tab').length, 1, 'the device still holds functions');
    assert.equal(count('DELETE', `/api/v2/devicex/`), 0);

    // The rest deleted (keep's function still names the device): the device stays; once keep's goes, so would it.
    await api(sb, 'DELETE', `/api/v2/functionx/${IID}/${functionsWith('node-red-keep')[0].id}`);
    await redeploy([], 'nodes');
    await until(() => functionsWith('node-red-a2').length === 0 && functionsWith('node-red-a3').length === 0, 'a2 and a3 deleted');
    await until(() => devicesWith('node-red-flow-tab').length === 0, 'the emptied device deleted');
  });

  it('creates the device and the function once when the answers to their creates are lost (500 after the create)', async () => {
    // Every POST acts, then its answer is replaced by a 500: the node must look before creating again.
    sb.faults.set({ errorRate: 1, errorStatus: 500, phase: 'after', methods: ['POST'], count: 2 });
    try {
      await deploy([vf('l1', { group: true }), vf('l2', { group: true })]);
      await ready('l1');
      await ready('l2');
      assert.equal(sb.faults.stats().after.error, 2, 'both creates acted and lost their answer');
    } finally {
      sb.faults.clear();
    }
    assert.equal(devicesWith('node-red-flow-tab').length, 1, 'one device');
    assert.equal(functionsWith('node-red-l1').length, 1, 'one function for l1');
    assert.equal(functionsWith('node-red-l2').length, 1, 'one function for l2');
    // clean up for the tests after (they count devices of this tab)
    for (const f of [...functionsWith('node-red-l1'), ...functionsWith('node-red-l2')])
      await api(sb, 'DELETE', `/api/v2/functionx/${IID}/${f.id}`);
    for (const d of devicesWith('node-red-flow-tab')) await api(sb, 'DELETE', `/api/v2/devicex/${IID}/${d.id}`);
  });

  it('keeps values in the shared offline queue while the broker is down and sends them after, in order', async () => {
    await deploy([vf('q1', { extId: 'queued' })]);
    const n = await ready('q1');
    const hub = helper.getNode('cfg').hub;
    await until(() => hub.connected, 'the connection');
    await sb.stopBroker();
    try {
      await until(() => !hub.connected, 'the hub to notice');
      for (const payload of [31, 32, 33]) n.receive({ payload });
      await until(() => hub.queued === 3, 'three values queued');
      assert.ok(statuses(n).includes('offline: 3 queued'));
    } finally {
      await sb.startBroker();
      await fx.rewatch();
    }
    await until(
      async () => {
        const log = await api(sb, 'GET', `/api/v3beta/log/${IID}?topics=obj/node-red/queued/value&order=asc`);
        return log.data.length === 3 && log;
      },
      'the queued values in the log',
      20000,
    ).then((log) =>
      assert.deepEqual(
        log.data.map((e) => e.value),
        [31, 32, 33],
      ),
    );
  });

  it("never takes over another integration's function that has the same ext_id", async () => {
    const other = await api(sb, 'POST', `/api/v2/functionx/${IID}`, {
      installation_id: IID,
      type: 'switch',
      meta: { name: 'PLC relay', ext_id: 'relay-1', topic_read: 'obj/plc/relay/1' },
    });
    await deploy([vf('o1', { extId: 'relay-1', deleteOnRemove: true })]);
    await ready('o1');
    const mine = functionsWith('relay-1').filter((f) => f.id !== other.id);
    assert.equal(mine.length, 1, 'a function of its own');
    assert.equal(sb.store.functions.get(other.id).meta.topic_read, 'obj/plc/relay/1', 'the other one untouched');
    await redeploy([], 'nodes');
    await until(() => functionsWith('relay-1').length === 1, 'its own deleted');
    assert.ok(sb.store.functions.get(other.id), 'the other one kept');
  });

  it("a switch whose server's hub closes before its installation is known logs that, and never rejects unhandled", async () => {
    const unhandled = [];
    const onUnhandled = (e) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      sb.faults.set({ latencyMs: 300, path: '/api/v2/installationinfo', methods: ['GET'] });
      await deploy([vf('hc', { kind: 'switch', extId: 'hub-closed', ftype: 'switch' })]);
      await helper.getNode('cfg').hub.close();
      const errors = () =>
        helper
          .log()
          .args.map((x) => x[0])
          .filter((e) => e.level === helper.log().ERROR && e.id === 'hc' && /closed/.test(String(e.msg)));
      await until(() => errors().length > 0, 'the failed subscribe in the log');
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
    } finally {
      sb.faults.clear();
      process.removeListener('unhandledRejection', onUnhandled);
    }
  });

  it('refuses bad input through Catch, naming it, and publishes nothing', async () => {
    await deploy([vf('v7', { kind: 'switch', extId: 'bad', unit: '', format: '' })]);
    const n = await ready('v7');
    const caught = collect(helper.getNode('caught'));
    const inputs = ['banana', NaN, { msg: 'no value' }, [1], null, { value: 'maybe' }];
    for (const payload of inputs) n.receive({ payload });
    await until(() => caught.length === inputs.length, 'every bad input caught');
    const texts = caught.map((m) => m.error.message);
    assert.match(texts[0], /msg\.payload cannot be published as the value of this virtual function: got the string "banana"/);
    assert.match(texts[0], /on, off/, 'names the states');
    assert.match(texts[1], /number NaN/);
    assert.match(texts[2], /payload\.value: nothing/);
    assert.match(texts[5], /payload\.value: the string "maybe"/);
    n.receive({ payload: 'on' });
    await until(() => seen.length === 1, 'the good value after');
    assert.equal(seen[0].body.value, 1, 'nothing else was published');
  });

  it('a setting it cannot use is a config error naming it, and nothing is created', async () => {
    await deploy([vf('v8', { extId: 'has space' }), vf('v9', { kind: 'switch', states: [{ name: 'on', value: 'x' }] })]);
    await until(
      () => statuses(helper.getNode('v8')).includes('config error') && statuses(helper.getNode('v9')).includes('config error'),
      'config errors',
    );
    assert.equal(count('POST', '/api/v2/functionx'), 0);
    const caught = collect(helper.getNode('caught'));
    helper.getNode('v8').receive({ payload: 1 });
    await until(() => caught.length === 1, 'the message failed');
    assert.match(caught[0].error.message, /ext_id must be letters, digits/);
  });
});

describe(`${TYPE}: the example "Expose a computed value and a switch to IoT Open"`, function () {
  const path = require('node:path');
  const { dist, core } = require('../support/nodered');
  const { loadExample } = require('../support/example-flow');
  const FILE = 'Expose a computed value and a switch to IoT Open.json';
  let sb;
  before(async () => {
    sb = await require(path.join(dist, 'src', 'sandbox')).startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    if (sb) await sb.stop();
  });
  useNodeRed();

  it('shows the average as a virtual sensor and the vacation switch under one device; a write from the app reaches the flow', async () => {
    const modules = [
      nodeModule('iotopen-functionx-in'),
      nodeModule(TYPE),
      core('function/10-function.js'),
      core('function/15-change.js'),
      core('common/90-comment.js'),
    ];
    await loadExample(FILE, sb, modules);
    const fn = (ext) => [...sb.store.functions.values()].find((f) => f.installation_id === 101 && f.meta.ext_id === ext);
    await until(() => fn('example-average-temperature') && fn('example-vacation-mode'), 'both virtual functions');
    const dev = [...sb.store.devices.values()].filter((d) => d.installation_id === 101 && d.meta.ext_id === 'node-red-flow-vf-tab');
    assert.equal(dev.length, 1);
    assert.equal(dev[0].meta.name, 'Node-RED example');
    assert.equal(fn('example-average-temperature').meta.device_id, String(dev[0].id));
    assert.equal(fn('example-vacation-mode').meta.device_id, String(dev[0].id));
    assert.equal(fn('example-vacation-mode').meta.text_on, 'Away');

    // The seeded temperatures come in at deploy (latest value): their average reaches the status API.
    const avg = await until(async () => {
      const s = await api(sb, 'GET', '/api/v2/status/101?topics=obj/node-red/example-average-temperature/value');
      return s.length && s[0];
    }, 'the average in the status API');
    assert.ok(Number.isFinite(avg.value), `a number: ${avg.value}`);

    // The app switches vacation mode on: the flow gets it, with its state name.
    const debug = helper.getNode('vf-debug');
    const got = collect(debug);
    const topic = fn('example-vacation-mode').meta.topic_write;
    await until(async () => {
      if (got.length) return true;
      await api(sb, 'POST', '/api/v2/mqtt/publish/101', { topic, payload: { value: 1 } });
      return false;
    }, 'the write at the debug node');
    assert.equal(got[0].state, 'on');
    assert.equal(helper.getNode('vf-remember').context().flow.get('vacation'), 'on');
    // Echoed: the app shows the new state.
    await until(async () => {
      const s = await api(sb, 'GET', '/api/v2/status/101?topics=obj/node-red/example-vacation-mode/value');
      return s.length && s[0].value === 1;
    }, 'the echo in the status API');
  });
});
