'use strict';
// iotopen-functionx-in in the real Node-RED runtime, against the sandbox (HTTP
// on loopback, real MQTT broker), and against Mosquitto when available.
const assert = require('node:assert/strict');
const { helper, nodeModule, configNode, useNodeRed } = require('../support/nodered');
const { IID, CLIENT, seed, variants, device, until, collect, probe, api, localized } = require('./functionx-support');

const TYPE = 'iotopen-functionx-in';

for (const v of variants()) {
  describe(`${TYPE} (${v.name})`, function () {
    let env;
    let sb;
    let dev;
    let mod;
    before(async () => {
      mod = await localized(TYPE);
      env = await v.start(seed());
      sb = env.sb;
      dev = await device(sb);
    });
    after(async () => {
      if (dev) await dev.endAsync(true);
      if (sb) await sb.stop();
      if (env) await env.stop();
    });
    useNodeRed();
    afterEach(() => sb && sb.faults.clear());

    /** Deploys config + functionx-in node(s) wired to one helper; returns the messages array. */
    async function deploy(props, more = []) {
      const cfg = configNode(sb);
      const nodes = [props]
        .concat(more)
        .map((p, i) => ({ id: `n${i}`, type: TYPE, server: 'cfg', installation: String(IID), wires: [['out']], ...p }));
      await helper.load([nodeModule('iotopen-config'), mod], [cfg.node, ...nodes, { id: 'out', type: 'helper' }], cfg.credentials);
      return collect(helper.getNode('out'));
    }

    it('sends the value with topic and msg.lynx enrichment (format and unit)', async () => {
      const got = await deploy({ selectBy: 'function', function: '10' });
      const topic = `${CLIENT}/obj/test/temp`;
      const from = await probe(dev, topic, got);
      await dev.publishAsync(topic, JSON.stringify({ value: 21.46, timestamp: 1700000000.25, msg: 'ok' }), { qos: 1 });
      const m = await until(() => got.slice(from).find((x) => x.payload === 21.46), 'the value');
      assert.equal(m.topic, topic);
      assert.equal(m.lynx.installation_id, IID);
      assert.equal(m.lynx.client_id, CLIENT);
      assert.deepEqual(
        { ...m.lynx.function, meta: { ...m.lynx.function.meta } },
        { id: 10, type: 'temperature', meta: seed().functions[0].meta },
      );
      assert.equal(m.lynx.timestamp, 1700000000.25);
      assert.equal(m.lynx.text, 'ok');
      assert.equal(m.lynx.formatted, '21.5 °C');
      assert.equal(m.lynx.error, undefined);
    });

    it('shows the state text for state values and can send the whole object', async () => {
      const got = await deploy({ selectBy: 'function', function: '11', output: 'object' });
      const topic = `${CLIENT}/obj/test/lamp`;
      const from = await probe(dev, topic, got);
      await dev.publishAsync(topic, '{"value":1,"timestamp":1700000001}', { qos: 1 });
      await dev.publishAsync(topic, '{"value":0}', { qos: 1 });
      await dev.publishAsync(topic, '{"value":7,"msg":"manual"}', { qos: 1 });
      await until(() => got.length >= from + 3, 'three values');
      const [on, off, other] = got.slice(from);
      // The object as Lynx sent it: absent fields are absent, not undefined.
      assert.deepEqual(Object.entries(on.payload), [
        ['value', 1],
        ['timestamp', 1700000001],
      ]);
      assert.deepEqual(Object.entries(off.payload), [['value', 0]]);
      assert.deepEqual(other.payload, { value: 7, msg: 'manual' });
      assert.equal(on.lynx.formatted, 'On');
      assert.equal(off.lynx.formatted, 'Off');
      assert.equal(other.lynx.formatted, '7');
    });

    it('selects by type and by meta filter with a wildcard, and follows another topic key', async () => {
      const byType = await deploy({ selectBy: 'type', ftype: 'temp*' });
      for (const t of ['obj/test/temp', 'obj/test/hall_temp']) await probe(dev, `${CLIENT}/${t}`, byType);
      assert.ok(!byType.some((m) => m.topic === '1002/obj/test/temp'), 'another installation is not followed');
      await helper.unload();

      const byMeta = await deploy({
        selectBy: 'meta',
        metaFilter: [
          { key: 'room', value: 'h*l' },
          { key: 'name', value: '*' },
        ],
      });
      const a = await probe(dev, `${CLIENT}/obj/test/door`, byMeta, '{"value":1}');
      assert.equal(byMeta[a - 1].lynx.formatted, 'open', 'a state without text_ shows its name');
      await probe(dev, `${CLIENT}/obj/test/hall_temp`, byMeta);
      await helper.unload();

      const alt = await deploy({ selectBy: 'function', function: '11', topicKey: 'topic_alt' });
      await probe(dev, `${CLIENT}/obj/test/lamp_alt`, alt);
    });

    it('follows functions created and deleted through the API without a redeploy', async () => {
      const got = await deploy({ selectBy: 'type', ftype: 'live_probe' });
      const server = helper.getNode('cfg');
      const created = await api(sb, 'POST', `/api/v2/functionx/${IID}`, {
        installation_id: IID,
        type: 'live_probe',
        meta: { name: 'New', topic_read: 'obj/test/live' },
      });
      const keep = await api(sb, 'POST', `/api/v2/functionx/${IID}`, {
        installation_id: IID,
        type: 'live_probe',
        meta: { name: 'Keep', topic_read: 'obj/test/keep' },
      });
      const liveTopic = `${CLIENT}/obj/test/live`;
      const keepTopic = `${CLIENT}/obj/test/keep`;
      const i = await probe(dev, liveTopic, got);
      assert.equal(got[i - 1].lynx.function.id, created.id);
      await probe(dev, keepTopic, got);
      const before = server.hub.subscriptionCount;

      await api(sb, 'DELETE', `/api/v2/functionx/${IID}/${created.id}`);
      await until(() => server.hub.subscriptionCount === before - 1, 'the unsubscribe after the delete');
      const mark = got.length;
      await dev.publishAsync(liveTopic, '{"value":1}', { qos: 1 });
      await dev.publishAsync(keepTopic, '{"value":2}', { qos: 1 });
      await until(() => got.slice(mark).some((m) => m.topic === keepTopic && m.payload === 2), 'the kept function');
      assert.ok(!got.slice(mark).some((m) => m.topic === liveTopic), 'the deleted function is no longer followed');
      await api(sb, 'DELETE', `/api/v2/functionx/${IID}/${keep.id}`);
    });

    it('only on change drops repeated values per topic', async () => {
      const got = await deploy({ selectBy: 'type', ftype: 'temperature', onlyChange: true });
      const t1 = `${CLIENT}/obj/test/temp`;
      const t2 = `${CLIENT}/obj/test/hall_temp`;
      await probe(dev, t1, got);
      await probe(dev, t2, got);
      const mark = got.length;
      for (const [t, v] of [
        [t1, 1],
        [t1, 1],
        [t2, 1],
        [t1, 2],
        [t1, 2],
        [t2, 1],
        [t1, 1],
        [t2, 5],
      ]) {
        await dev.publishAsync(t, JSON.stringify({ value: v }), { qos: 1 });
      }
      await until(() => got.slice(mark).some((m) => m.topic === t2 && m.payload === 5), 'the last value');
      const seen = got
        .slice(mark)
        .filter((m) => m.payload !== -999)
        .map((m) => `${m.topic === t1 ? 't1' : 't2'}=${m.payload}`);
      assert.deepEqual(seen, ['t1=1', 't2=1', 't1=2', 't1=1', 't2=5']);
    });

    it('sends the latest known values at deploy, with one status request per installation', async () => {
      const inst = sb.store.installation(IID);
      const ts = Math.floor(Date.now() / 1000) + 100; // newer than anything earlier tests published
      sb.store.record(inst, `${CLIENT}/obj/test/temp`, 19.04, ts);
      sb.store.record(inst, `${CLIENT}/obj/test/lamp`, 1, ts);
      sb.resetRequests();
      const got = await deploy({ selectBy: 'function', function: '10', emitLatest: true }, [
        { selectBy: 'function', function: '11', emitLatest: true },
        { selectBy: 'function', function: '12', emitLatest: true },
      ]);
      await until(() => got.length >= 2, 'the latest values');
      const temp = got.find((m) => m.topic === `${CLIENT}/obj/test/temp`);
      const lamp = got.find((m) => m.topic === `${CLIENT}/obj/test/lamp`);
      assert.equal(temp.payload, 19.04);
      assert.equal(temp.lynx.timestamp, ts);
      assert.equal(temp.lynx.formatted, '19.0 °C');
      assert.equal(lamp.lynx.formatted, 'On');
      const statusCalls = sb.requests.filter((r) => r.path.includes('/status/'));
      assert.equal(statusCalls.length, 1, JSON.stringify(sb.requests));
    });

    it('warns about a payload that is not Lynx JSON and still delivers it raw', async () => {
      const got = await deploy({ selectBy: 'function', function: '10' });
      const topic = `${CLIENT}/obj/test/temp`;
      const from = await probe(dev, topic, got);
      await dev.publishAsync(topic, 'twenty-one', { qos: 1 });
      const m = await until(() => got.slice(from).find((x) => x.payload === 'twenty-one'), 'the raw payload');
      assert.equal(m.topic, topic);
      assert.match(m.lynx.error, /not JSON/);
      assert.equal(m.lynx.function.id, 10);
      const warns = helper
        .log()
        .args.map((a) => a[0])
        .filter((e) => e.level === helper.log().WARN && e.id === 'n0');
      assert.ok(
        warns.some((w) => String(w.msg).includes(topic)),
        `warning names the topic: ${JSON.stringify(warns)}`,
      );
      // Still alive afterwards.
      await dev.publishAsync(topic, '{"value":3}', { qos: 1 });
      await until(() => got.some((x) => x.payload === 3), 'the next value');
    });

    /**
     * Deploys with the first function list answered late (a fault with latency, so the
     * node's own status comes after the connection's) and records the node's statuses.
     */
    async function deployLate(props, fault) {
      sb.faults.set({ path: `/api/v2/functionx/${IID}`, count: 1, latencyMs: 1000, ...fault });
      const got = await deploy(props);
      const statuses = [];
      helper.getNode('n0').on('call:status', (c) => statuses.push(c.args[0]));
      const last = () => statuses[statuses.length - 1] || {};
      return { got, last, server: helper.getNode('cfg') };
    }

    it('puts the connection status back once a sync succeeds after "no match"', async () => {
      const type = `later_${v.embedded ? 'a' : 'b'}`;
      const { got, last, server } = await deployLate({ selectBy: 'type', ftype: type }, {});
      await until(() => server.hub.connected && last().fill === 'yellow', 'the no-match status after the connection');
      const fn = await api(sb, 'POST', `/api/v2/functionx/${IID}`, {
        installation_id: IID,
        type,
        meta: { name: 'Later', topic_read: 'obj/test/later' },
      });
      await until(() => last().fill === 'green', 'the connection status once the function matches');
      assert.deepEqual(last(), server.connectionStatus());
      await probe(dev, `${CLIENT}/obj/test/later`, got);
      await api(sb, 'DELETE', `/api/v2/functionx/${IID}/${fn.id}`);
    });

    it('puts the connection status back once a sync succeeds after an error', async () => {
      const { got, last, server } = await deployLate({ selectBy: 'function', function: '10' }, { errorRate: 1, errorStatus: 403 }); // 403: not retried
      await until(() => server.hub.connected && last().fill === 'red', 'the error status after the connection');
      // A change event: the catalog fetches the list again and the node syncs.
      await dev.publishAsync(`${CLIENT}/evt/functionx/updated`, '{}', { qos: 1 });
      await until(() => last().fill === 'green', 'the connection status after the next sync');
      assert.deepEqual(last(), server.connectionStatus());
      await probe(dev, `${CLIENT}/obj/test/temp`, got);
    });

    it('reports a bad configuration in status and log without crashing', async () => {
      await deploy({ selectBy: 'function', function: 'abc' }, [
        { selectBy: 'type', ftype: ' ' },
        { installation: '999', selectBy: 'function', function: '10' },
      ]);
      const errs = () =>
        helper
          .log()
          .args.map((a) => a[0])
          .filter((e) => e.level === helper.log().ERROR);
      await until(() => errs().some((e) => e.id === 'n2'), 'the unknown installation error');
      const byId = (id) =>
        errs()
          .filter((e) => e.id === id)
          .map((e) => String(e.msg))
          .join('\n');
      assert.match(byId('n0'), /function must be a positive integer id/);
      assert.match(byId('n1'), /Type is empty|no-type/);
      assert.match(byId('n2'), /999/);
      for (const id of ['n0', 'n1', 'n2']) assert.ok(!byId(id).includes(sb.apiKey));
    });
  });
}
