'use strict';
// iotopen-virtual-function under faults, in the real Node-RED runtime against the sandbox:
// the API failing at deploy (5xx beyond the client's retries, 429, a create whose answer
// is lost by a timeout) ends in exactly one function once the API is back, with a status
// that never says "all is well" meanwhile and values either at the platform or at Catch;
// redeploys of every kind while a find-or-create is in flight never make a second
// function or device; a broker restart (with or without a full redeploy during the
// outage) loses neither a value nor a write, and a write from Lynx comes out once.
const assert = require('node:assert/strict');
const { helper } = require('../support/nodered');
const { collect, sleep } = require('../support/util');
const { IID, CLIENT, until, api } = require('./functionx-support');

const { TYPE, virtualFixture } = require('./virtual-function-support');

describe(`${TYPE} under faults`, function () {
  this.timeout(60000);
  const fx = virtualFixture({ afterEach: () => fx.sb.faults.clear() });
  const { vf, functionsWith, devicesWith, count, statuses, lastStatus, deploy, redeploy } = fx;
  const ready = (id, prev) => fx.ready(id, prev, 30000);
  const seen = fx.seen;
  let sb;
  before(() => {
    sb = fx.sb;
  });
  const on = (ext) => seen.filter((s) => s.topic === `${CLIENT}/obj/node-red/${ext}/value`).map((s) => s.body.value);
  const lynxStatus = async (ext) => {
    const s = await api(sb, 'GET', `/api/v2/status/${IID}?topics=obj/node-red/${ext}/value`);
    return s.length ? s[0] : undefined;
  };
  /** Publishes a write on the function's topic_write (as the app does) until the node has sent one out. */
  async function firstWrite(fn, out, value = 1) {
    await until(async () => {
      if (out.length) return true;
      await api(sb, 'POST', `/api/v2/mqtt/publish/${IID}`, { topic: fn.meta.topic_write, payload: { value } });
      await sleep(100);
      return false;
    }, 'a write at the output');
    await sleep(300); // the probes still in flight come out before the caller counts
  }
  const cleanUp = async (...exts) => {
    for (const e of exts) for (const f of functionsWith(e)) await api(sb, 'DELETE', `/api/v2/functionx/${IID}/${f.id}`);
    for (const d of devicesWith('node-red-flow-tab')) await api(sb, 'DELETE', `/api/v2/devicex/${IID}/${d.id}`);
  };

  it('an installation lookup failing at deploy beyond the retries: red, values to Catch, then once the API is back one function and writes', async () => {
    sb.faults.set({ errorRate: 1, errorStatus: 503, path: '/api/v2/installationinfo', methods: ['GET'] });
    await deploy([vf('i1', { kind: 'switch', extId: 'inst-down', ftype: 'switch', unit: '', format: '' })]);
    const n = helper.getNode('i1');
    await until(() => lastStatus(n).fill === 'red', 'a red status', 20000);
    const caught = collect(helper.getNode('caught'));
    n.receive({ payload: 'on' });
    await until(() => caught.length === 1, 'the value at Catch, not dropped', 20000);
    assert.match(caught[0].error.message, /503/);
    assert.equal(functionsWith('inst-down').length, 0);
    sb.faults.clear();
    await ready('i1');
    const fns = functionsWith('inst-down');
    assert.equal(fns.length, 1, 'one function once the API is back');
    // The node is whole again: a value is published, a write from the app comes out.
    n.receive({ payload: 'off' });
    await until(() => on('inst-down').includes(0), 'a value after recovery');
    const out = collect(helper.getNode('out'));
    await firstWrite(fns[0], out);
    assert.equal(out[0].state, 'on');
    await cleanUp('inst-down');
  });

  it('a create refused at deploy (503 before it acts): one function once back; a value meanwhile reaches the platform and the status stays honest', async () => {
    sb.faults.set({ errorRate: 1, errorStatus: 503, path: `/api/v2/functionx/${IID}`, methods: ['POST'] });
    await deploy([vf('c1', { extId: 'create-down' })]);
    const n = helper.getNode('c1');
    await until(() => lastStatus(n).fill === 'red', 'a red status', 20000);
    assert.match(String(lastStatus(n).text), /503/);
    const caught = collect(helper.getNode('caught'));
    n.receive({ payload: 21.5 });
    await until(async () => (await lynxStatus('create-down'))?.value === 21.5, 'the value at the platform');
    await sleep(100);
    assert.notEqual(lastStatus(n).fill, 'green', `not provisioned: the status must not say all is well (${JSON.stringify(lastStatus(n))})`);
    assert.match(String(lastStatus(n).text), /21\.5/, 'the status shows the value sent');
    assert.equal(caught.length, 0, 'the value was sent, not failed');
    sb.faults.clear();
    await ready('c1');
    assert.equal(functionsWith('create-down').length, 1, 'one function');
    n.receive({ payload: 22 });
    await until(() => lastStatus(n).fill === 'green' && /22\.0/.test(String(lastStatus(n).text)), 'green once provisioned');
    await cleanUp('create-down');
  });

  it('a function it could not create is still shown after the broker reconnects, not a green "connected"', async () => {
    sb.faults.set({ errorRate: 1, errorStatus: 503, path: `/api/v2/functionx/${IID}`, methods: ['POST'] });
    await deploy([vf('s1', { extId: 'still-red' })]);
    const n = helper.getNode('s1');
    const hub = helper.getNode('cfg').hub;
    await until(() => hub.connected && lastStatus(n).fill === 'red', 'connected, and red for the function');
    await sb.stopBroker();
    try {
      await until(() => !hub.connected, 'the hub to notice');
    } finally {
      await sb.startBroker();
      await fx.rewatch();
    }
    await until(() => hub.connected, 'the reconnect', 20000);
    await sleep(50);
    assert.equal(lastStatus(n).fill, 'red', `the function is still missing: ${JSON.stringify(lastStatus(n))}`);
    assert.match(String(lastStatus(n).text), /503/);
    sb.faults.clear();
    await ready('s1');
    await cleanUp('still-red');
  });

  it('429 with Retry-After at the create, and a create whose answer is lost (a timeout, a connection reset): one function, one device', async () => {
    sb.faults.set({ errorRate: 1, errorStatus: 429, retryAfter: 1, path: `/api/v2/functionx/${IID}`, methods: ['POST'], count: 2 });
    await deploy([vf('r1', { extId: 'rate-limited', group: true })]);
    await ready('r1');
    assert.equal(sb.faults.stats().before.error, 2);
    assert.equal(functionsWith('rate-limited').length, 1);
    await helper.unload();
    await cleanUp('rate-limited');
    // The create acts, then its answer never comes: the client's timeout strikes, the node looks before creating again.
    sb.faults.set({ stallRate: 1, stallMs: 30000, phase: 'after', path: `/api/v2/functionx/${IID}`, methods: ['POST'], count: 1 });
    await deploy([vf('t1', { extId: 'timed-out', group: true })]);
    await ready('t1');
    assert.equal(sb.faults.stats().after.stall, 1, 'the create acted and its answer was lost');
    assert.equal(functionsWith('timed-out').length, 1, 'one function');
    assert.equal(devicesWith('node-red-flow-tab').length, 1, 'one device');
    await helper.unload();
    await cleanUp('timed-out');
    // The socket is destroyed once the create has acted (connection reset): looked up, not created again.
    sb.faults.set({ dropRate: 1, phase: 'after', path: `/api/v2/functionx/${IID}`, methods: ['POST'], count: 1 });
    await deploy([vf('t2', { extId: 'reset', group: true })]);
    await ready('t2');
    assert.equal(sb.faults.stats().after.drop, 1, 'the create acted and the connection was lost');
    assert.equal(functionsWith('reset').length, 1, 'one function');
    assert.equal(devicesWith('node-red-flow-tab').length, 1, 'one device');
    await cleanUp('reset');
  });

  it('redeploys of every kind while the find-or-create is in flight never make a second function or device', async () => {
    sb.faults.set({ latencyMs: 400, path: /^\/api\/v2\/(functionx|devicex)\//, methods: ['GET', 'POST'] });
    const nodes = (i) => [
      vf('d1', { extId: 'inflight', group: true, fname: `In flight ${i}` }),
      vf('d2', { group: true, fname: `Two ${i}` }),
    ];
    await deploy(nodes(0));
    let i = 0;
    for (const type of ['full', 'flows', 'nodes', 'full', 'nodes', 'flows']) {
      await sleep(150); // mid-way through a list or a create
      await redeploy(nodes(++i), type);
    }
    await ready('d1');
    await ready('d2');
    await until(() => functionsWith('inflight')[0]?.meta.name === `In flight ${i}`, 'the last name');
    sb.faults.clear();
    assert.equal(functionsWith('inflight').length, 1, 'one function for d1');
    assert.equal(functionsWith('node-red-d2').length, 1, 'one function for d2');
    assert.equal(devicesWith('node-red-flow-tab').length, 1, 'one device');
    assert.equal(count('POST', `/api/v2/functionx/${IID}`), 2, 'each created once');
    assert.equal(count('DELETE', '/api/v2/'), 0, 'nothing deleted');
    await cleanUp('inflight', 'node-red-d2');
  });

  it('only on change: a held value that failed to publish is no "last value", so sending it again publishes it', async () => {
    // 403 is final (no retries): the installation lookup fails at once while the fault is set.
    sb.faults.set({ errorRate: 1, errorStatus: 403, path: '/api/v2/installationinfo', methods: ['GET'] });
    await deploy([vf('f1', { extId: 'flush-failed', onlyChanged: true, minInterval: '0.5' })]);
    const n = helper.getNode('f1');
    const caught = collect(helper.getNode('caught'));
    n.receive({ payload: 5 });
    await until(() => caught.length === 1, 'the first value at Catch');
    n.receive({ payload: 6 }); // within the interval: held, then its publish fails
    await until(() => statuses(n).some((x) => /waiting for the interval/.test(String(x))), '6 held back');
    await until(() => caught.length === 2, 'the held value at Catch');
    assert.equal(caught[1].payload, 6);
    sb.faults.clear();
    n.receive({ payload: 6 });
    await until(() => on('flush-failed').includes(6), '6 published once the API is back');
    assert.equal(caught.length, 2);
    await ready('f1');
    await cleanUp('flush-failed');
  });

  it("a node replaced in the same deploy by one with the same ext_id keeps the function, though the removed one had 'On delete'", async () => {
    for (const type of ['nodes', 'full']) {
      await deploy([vf('x1', { extId: 'replaced', deleteOnRemove: true })]);
      await ready('x1');
      const [fn] = functionsWith('replaced');
      sb.resetRequests();
      await redeploy([vf('x2', { extId: 'replaced', deleteOnRemove: true })], type);
      await ready('x2');
      await sleep(300); // a removal runs once the flows have started: give a wrong one the time to show
      assert.equal(count('DELETE', '/api/v2/functionx/'), 0, `${type}: nothing deleted`);
      assert.deepEqual(
        functionsWith('replaced').map((f) => f.id),
        [fn.id],
        `${type}: the same function`,
      );
      await helper.unload();
    }
    await cleanUp('replaced');
  });

  it('a full redeploy while the create is on its way (the old server closes) makes no second function', async () => {
    // The first create waits at the server; the full deploy closes its client (the sandbox then drops it unheard).
    sb.faults.set({ latencyMs: 800, path: `/api/v2/functionx/${IID}`, methods: ['POST'], count: 1 });
    const nodes = [vf('p1', { extId: 'closing', group: true })];
    await deploy(nodes);
    await until(() => count('POST', `/api/v2/functionx/${IID}`) === 1, 'the create at the server');
    await redeploy(nodes, 'full');
    await ready('p1');
    await sleep(1000); // a late create would have landed by now
    assert.equal(count('POST', `/api/v2/functionx/${IID}`), 2, 'the successor created it again, the first never acted');
    assert.equal(functionsWith('closing').length, 1, 'one function');
    assert.equal(devicesWith('node-red-flow-tab').length, 1, 'one device');
    await cleanUp('closing');
  });

  it("a Node-RED restart (stop, start) with 'On delete' set keeps the function, and finds it again while the API is slow", async () => {
    const node = vf('z1', { extId: 'restarted', deleteOnRemove: true, group: true });
    await deploy([node]);
    await ready('z1');
    const [fn] = functionsWith('restarted');
    sb.resetRequests();
    await helper.unload();
    await sleep(300); // a removal would run by now
    sb.faults.set({ latencyMs: 300, path: /^\/api\/v2\/(functionx|devicex)\//, methods: ['GET'] });
    await deploy([node]);
    await ready('z1');
    assert.equal(count('DELETE', '/api/v2/'), 0, 'a restart deletes nothing');
    assert.equal(count('POST', '/api/v2/'), 0, 'nothing created again');
    assert.deepEqual(
      functionsWith('restarted').map((f) => f.id),
      [fn.id],
    );
    await cleanUp('restarted');
  });

  it('redeploys of a switch (nodes, flows, full) follow its writes once each; a lowered interval sends the held value at once', async () => {
    const sw = (i, props = {}) =>
      vf('w1', { kind: 'switch', extId: 'redeployed-sw', ftype: 'switch', unit: '', format: '', fname: `Switch ${i}`, ...props });
    await deploy([sw(0)]);
    let n = await ready('w1');
    const [fn] = functionsWith('redeployed-sw');
    let i = 0;
    for (const type of ['nodes', 'flows', 'full']) {
      await redeploy([sw(++i)], type);
      n = await ready('w1', n);
      const out = collect(helper.getNode('out'));
      await firstWrite(fn, out);
      out.length = 0;
      await api(sb, 'POST', `/api/v2/mqtt/publish/${IID}`, { topic: fn.meta.topic_write, payload: { value: 0 } });
      await until(() => out.length === 1, `${type}: the write`);
      await sleep(300);
      assert.equal(out.length, 1, `${type}: the write came out once`);
    }
    // At most every 60 s: 1 sent, 0 held; the user lowers the interval to 0 and redeploys: 0 goes at once.
    await redeploy([sw(++i, { minInterval: '60' })], 'nodes');
    n = await ready('w1', n);
    seen.length = 0;
    n.receive({ payload: 'on' });
    n.receive({ payload: 'off' });
    await until(() => statuses(n).some((x) => /waiting for the interval/.test(String(x))), 'off held back');
    await redeploy([sw(++i, { minInterval: '0' })], 'nodes');
    await until(() => on('redeployed-sw').length === 2, 'the held value sent by the successor', 5000);
    assert.deepEqual(on('redeployed-sw'), [1, 0]);
    assert.equal(functionsWith('redeployed-sw').length, 1);
  });

  it('a broker restart: a write from Lynx after the reconnect comes out once, echoed once; a value sent meanwhile arrives', async () => {
    await deploy([vf('b1', { kind: 'switch', extId: 'restart-sw', ftype: 'switch', unit: '', format: '', echo: true })]);
    const n = await ready('b1');
    const [fn] = functionsWith('restart-sw');
    const out = collect(helper.getNode('out'));
    await firstWrite(fn, out);
    const hub = helper.getNode('cfg').hub;
    await sb.stopBroker();
    try {
      await until(() => !hub.connected, 'the hub to notice');
      n.receive({ payload: 'off' });
      await until(() => hub.queued === 1, 'the value queued');
    } finally {
      await sb.startBroker();
      await fx.rewatch({ clear: true });
    }
    await until(() => hub.connected, 'the reconnect', 20000);
    await until(async () => (await lynxStatus('restart-sw'))?.value === 0, 'the queued value at the platform');
    // The hub subscribes again right after the reconnect: a probe until the write comes out, then one more write.
    out.length = 0;
    await firstWrite(fn, out, 1);
    out.length = 0;
    seen.length = 0;
    await api(sb, 'POST', `/api/v2/mqtt/publish/${IID}`, { topic: fn.meta.topic_write, payload: { value: 0, timestamp: 1700000001 } });
    await until(() => out.length === 1 && on('restart-sw').length === 1, 'the write and its echo');
    await sleep(300); // a duplicate would come within this
    assert.equal(out.length, 1, 'the write came out once');
    assert.deepEqual(on('restart-sw'), [0], 'echoed once');
    assert.equal(out[0].lynx.timestamp, 1700000001);
  });

  it('a full redeploy during a broker outage: the value queued before it arrives, and writes after come out once from the new node', async () => {
    const node = vf('b2', { kind: 'control', extId: 'outage-redeploy', ftype: 'setpoint', unit: '', format: '' });
    await deploy([node]);
    const n = await ready('b2');
    const [fn] = functionsWith('outage-redeploy');
    const hub = helper.getNode('cfg').hub;
    await until(() => hub.connected, 'the connection');
    await sb.stopBroker();
    let n2;
    try {
      await until(() => !hub.connected, 'the hub to notice');
      n.receive({ payload: 17 });
      await until(() => hub.queued === 1, 'the value queued');
      await redeploy([node], 'full');
      n2 = await ready('b2', n);
      n2.receive({ payload: 18 });
    } finally {
      await sb.startBroker();
      await fx.rewatch({ clear: true });
    }
    await until(() => helper.getNode('cfg').hub.connected, 'the new hub connected', 20000);
    const log = await until(
      async () => {
        const l = await api(sb, 'GET', `/api/v3beta/log/${IID}?topics=obj/node-red/outage-redeploy/value&order=asc`);
        return l.data.length >= 2 && l;
      },
      'both values in the log',
      20000,
    );
    assert.deepEqual(
      log.data.map((e) => e.value),
      [17, 18],
      'the value queued before the redeploy and the one after, once each',
    );
    const out = collect(helper.getNode('out'));
    await firstWrite(fn, out, 5);
    out.length = 0;
    await api(sb, 'POST', `/api/v2/mqtt/publish/${IID}`, { topic: fn.meta.topic_write, payload: { value: 6 } });
    await until(() => out.length === 1, 'the write');
    await sleep(300);
    assert.deepEqual(
      out.map((m) => m.payload),
      [6],
      'once, from the running node only',
    );
    assert.equal(functionsWith('outage-redeploy').length, 1);
  });
});
