'use strict';
// Faults on the realtime path, in the real Node-RED runtime: broker stopped and
// restarted mid-flow, QoS 1 writes while the broker is down, 20 redeploys, and
// closing with the broker unreachable.
const assert = require('node:assert/strict');
const { helper, nodeModule, configNode, catchNode, completeNode, watchers, useNodeRed } = require('../support/nodered');
const { startCountingProxy, startBlackhole } = require('../support/brokers');
const { IID, CLIENT, seed, variants, device, until, collect, probe, localized, gate } = require('./functionx-support');

const IN = 'iotopen-functionx-in';
const OUT = 'iotopen-functionx-out';

for (const v of variants()) {
  describe(`realtime faults (${v.name})`, function () {
    this.timeout(60000);
    let env;
    let sb;
    let inMod;
    let outMod;
    const extra = [];
    before(async () => {
      inMod = await localized(IN);
      outMod = await localized(OUT);
      env = await v.start(seed());
      sb = env.sb;
    });
    after(async () => {
      if (sb) await sb.stop();
      if (env) await env.stop();
    });
    useNodeRed();
    afterEach(async () => {
      while (extra.length) await extra.pop()();
    });

    /** Stops/starts the broker: the embedded one for real; an external one restarted (or partitioned by a gate). */
    async function brokerControl({ restart = false } = {}) {
      if (v.embedded) return { url: sb.mqtt, down: () => sb.stopBroker(), up: () => sb.startBroker() };
      if (restart && v.restartable) return { url: sb.mqtt, down: () => env.broker.down(), up: () => env.broker.up() };
      // A broker this process does not own (MQTT_URL): cut the node off from it instead.
      const g = await gate(sb.mqtt);
      extra.push(() => g.close());
      return { url: g.url, down: () => g.down(), up: () => g.up() };
    }

    it('input nodes resume after the broker is stopped and restarted', async () => {
      const ctl = await brokerControl({ restart: true });
      const cfg = configNode({ ...sb, mqtt: ctl.url });
      await helper.load(
        [nodeModule('iotopen-config'), inMod],
        [
          cfg.node,
          { id: 'n', type: IN, server: 'cfg', installation: String(IID), selectBy: 'type', ftype: 'temperature', wires: [['out']] },
          { id: 'out', type: 'helper' },
        ],
        cfg.credentials,
      );
      const got = collect(helper.getNode('out'));
      const hub = helper.getNode('cfg').hub;
      let dev = await device(sb);
      await probe(dev, `${CLIENT}/obj/test/temp`, got);
      await dev.endAsync(true);

      await ctl.down();
      await until(() => !hub.connected, 'the hub to notice the broker is gone');
      await ctl.up();

      dev = await until(() => device(sb).catch(() => null), 'the broker back');
      extra.push(() => dev.endAsync(true));
      const mark = got.length;
      await until(
        async () => {
          if (got.slice(mark).some((m) => m.topic === `${CLIENT}/obj/test/hall_temp` && m.payload === 7)) return true;
          await dev.publishAsync(`${CLIENT}/obj/test/hall_temp`, '{"value":7}', { qos: 1 });
          await new Promise((r) => setTimeout(r, 200));
          return false;
        },
        'a value after the restart',
        30000,
      );
    });

    it('QoS 1 writes made while the broker is down arrive exactly once after reconnect', async () => {
      const ctl = await brokerControl();
      // The witness: a client straight on the broker (external) or the sandbox's own recorder (embedded).
      let seen;
      if (v.embedded) {
        seen = () => (sb.store.logs.get(IID).byTopic.get(`${CLIENT}/obj/test/sp`) || []).map((e) => e.value);
      } else {
        const w = await device(sb);
        extra.push(() => w.endAsync(true));
        const vals = [];
        w.on('message', (_t, p) => vals.push(JSON.parse(p.toString()).value));
        await w.subscribeAsync(`${CLIENT}/obj/test/sp`, { qos: 1 });
        seen = () => vals;
      }
      const cfg = configNode({ ...sb, mqtt: ctl.url });
      await helper.load(
        [nodeModule('iotopen-config'), outMod, catchNode, completeNode],
        [
          cfg.node,
          {
            id: 'n',
            type: OUT,
            server: 'cfg',
            installation: String(IID),
            installationType: 'num',
            function: '14',
            functionType: 'num',
            qos: '1',
          },
          ...watchers('n', { complete: true }),
        ],
        cfg.credentials,
      );
      const completed = collect(helper.getNode('completed'));
      const caught = collect(helper.getNode('caught'));
      const node = helper.getNode('n');
      const statuses = [];
      const realStatus = node.status.bind(node);
      node.status = (s) => {
        statuses.push(s);
        return realStatus(s);
      };
      const hub = helper.getNode('cfg').hub;
      // Online first: a write made before the connection is up is queued too, and would be
      // counted among the writes queued while the broker is down.
      await until(() => hub.connected, 'the first connection');
      node.receive({ payload: 100 });
      await until(() => completed.length === 1, 'the first write while online');

      await ctl.down();
      await until(() => !hub.connected, 'the hub to notice the broker is gone');
      for (const value of [101, 102, 103]) node.receive({ payload: value });
      await until(() => completed.length === 4, 'done() for the queued writes');
      assert.equal(caught.length, 0);
      assert.equal(hub.queued, 3);
      assert.ok(
        statuses.some((s) => /3 queued/.test(s.text || '')),
        `status shows the queue: ${JSON.stringify(statuses)}`,
      );

      await ctl.up();
      await until(() => hub.connected && hub.queued === 0, 'the reconnect and the flush', 40000);
      node.receive({ payload: 104 });
      await until(() => seen().includes(104), 'the write after reconnect');
      const values = seen().filter((x) => x >= 100);
      assert.deepEqual(
        values.filter((x) => x >= 101 && x <= 103),
        [101, 102, 103],
        `each queued write exactly once, in order: ${values}`,
      );
    });

    it('keeps one subscription per topic at the broker across 20 redeploys', async () => {
      const proxy = await startCountingProxy(sb.mqtt);
      extra.push(() => proxy.close());
      const cfg = configNode({ ...sb, mqtt: proxy.url });
      const flow = (i) => [
        cfg.node,
        {
          id: 'a',
          type: IN,
          name: `a${i}`,
          server: 'cfg',
          installation: String(IID),
          selectBy: 'type',
          ftype: 'temperature',
          wires: [['out']],
        },
        {
          id: 'b',
          type: IN,
          name: `b${i}`,
          server: 'cfg',
          installation: String(IID),
          selectBy: 'function',
          function: '10',
          wires: [['out']],
        },
        {
          id: 'c',
          type: IN,
          name: `c${i}`,
          server: 'cfg',
          installation: String(IID),
          selectBy: 'function',
          function: '11',
          wires: [['out']],
        },
        // Unchanged by the redeploys: keeps the config node's connection open, so every
        // SUBSCRIBE/UNSUBSCRIBE the proxy counts belongs to one session.
        { id: 'd', type: IN, server: 'cfg', installation: String(IID), selectBy: 'function', function: '12', wires: [[]] },
        { id: 'out', type: 'helper' },
      ];
      await helper.load([nodeModule('iotopen-config'), inMod], flow(0), cfg.credentials);
      const outNode = helper.getNode('out');
      for (let i = 1; i <= 20; i++) {
        // A 'nodes' deploy restarts the changed flow nodes and keeps the config node (and its connection).
        await helper._redNodes.setFlows(flow(i), cfg.credentials, 'nodes');
        await until(() => helper.getNode('a') && helper.getNode('a').name === `a${i}`, `deploy ${i} to start`);
      }
      assert.equal(helper.getNode('out'), outNode, 'a nodes deploy keeps the unchanged nodes');
      const got = collect(outNode);
      const dev = await device(sb);
      extra.push(() => dev.endAsync(true));
      const topics = ['obj/test/temp', 'obj/test/hall_temp', 'obj/test/lamp'].map((t) => `${CLIENT}/${t}`);
      for (const t of topics) await probe(dev, t, got);

      const net = new Map();
      for (const list of proxy.subscribes) for (const f of list) net.set(f, (net.get(f) || 0) + 1);
      for (const list of proxy.unsubscribes) for (const f of list) net.set(f, (net.get(f) || 0) - 1);
      for (const t of topics) assert.equal(net.get(t), 1, `net subscriptions to ${t}: ${JSON.stringify([...net])}`);
      assert.ok(
        [...net.values()].every((n) => n <= 1),
        `no filter subscribed twice: ${JSON.stringify([...net])}`,
      );

      // And one delivery per node: temp is followed by a and b, hall_temp by a, lamp by c.
      const mark = got.length;
      await dev.publishAsync(topics[0], '{"value":55}', { qos: 1 });
      await dev.publishAsync(topics[1], '{"value":56}', { qos: 1 });
      await dev.publishAsync(topics[2], '{"value":1}', { qos: 1 });
      await dev.publishAsync(topics[1], '{"value":57}', { qos: 1 });
      await until(() => got.slice(mark).some((m) => m.payload === 57), 'the sentinel');
      const counts = got
        .slice(mark)
        .filter((m) => m.payload !== -999)
        .reduce((acc, m) => ((acc[m.payload] = (acc[m.payload] || 0) + 1), acc), {});
      assert.deepEqual(counts, { 55: 2, 56: 1, 1: 1, 57: 1 });
    });

    it('closes within 2 s with the broker unreachable, with writes still queued', async () => {
      const hole = await startBlackhole();
      extra.push(() => hole.close());
      const cfg = configNode({ ...sb, mqtt: hole.url });
      await helper.load(
        [nodeModule('iotopen-config'), inMod, outMod, completeNode],
        [
          cfg.node,
          {
            id: 'i',
            type: IN,
            server: 'cfg',
            installation: String(IID),
            selectBy: 'type',
            ftype: 'temperature',
            emitLatest: true,
            wires: [[]],
          },
          {
            id: 'o',
            type: OUT,
            server: 'cfg',
            installation: String(IID),
            installationType: 'num',
            function: '11',
            functionType: 'num',
            qos: '1',
          },
          { id: 'k', type: 'complete', scope: ['o'], uncaught: false, wires: [['completed']] },
          { id: 'completed', type: 'helper' },
        ],
        cfg.credentials,
      );
      const completed = collect(helper.getNode('completed'));
      helper.getNode('o').receive({ payload: 1 });
      await until(() => completed.length === 1, 'the write to be queued');
      for (const id of ['i', 'o', 'cfg']) {
        const started = Date.now();
        await Promise.race([
          helper.getNode(id).close(true),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`${id} did not close within 2 s`)), 2000)),
        ]);
        assert.ok(Date.now() - started < 2000);
      }
    });
  });
}
