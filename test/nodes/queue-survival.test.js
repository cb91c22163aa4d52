'use strict';
// Writes queued while the broker is away, in the real Node-RED runtime: they
// outlive a redeploy (the successor config node takes over the hub) and a
// restart of Node-RED (journal in the user dir), in order, once each; and when
// one really cannot be kept (age limit, queue limit, config node deleted) the
// node that sent it gets a Catch-able error and a status, not only a log line.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, configNode, nodeModule, catchNode, completeNode, useNodeRed, closeParkedHubs } = require('../support/nodered');
const { IID, CLIENT, seed, variants, device, until, collect, localized, gate } = require('./functionx-support');

const OUT = 'iotopen-functionx-out';
const PUB = 'iotopen-mqtt-publish';
const SP = `${CLIENT}/obj/test/sp`;

for (const v of variants()) {
  describe(`queued writes survive (${v.name})`, function () {
    this.timeout(60000);
    let env;
    let sb;
    let outMod;
    let pubMod;
    let userDir;
    const extra = [];
    before(async () => {
      outMod = await localized(OUT);
      pubMod = await localized(PUB);
      env = await v.start(seed());
      sb = env.sb;
    });
    after(async () => {
      if (sb) await sb.stop();
      if (env) await env.stop();
    });
    beforeEach(() => {
      userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lynx-queue-nr-'));
    });
    useNodeRed();
    afterEach(async () => {
      while (extra.length) await extra.pop()();
      helper.settings({ userDir: undefined });
      fs.rmSync(userDir, { recursive: true, force: true });
    });

    /** Takes the broker away and back: the embedded one stopped; another one behind a gate (Mosquitto keeps its clients). */
    async function brokerControl() {
      if (v.embedded) return { url: sb.mqtt, down: () => sb.stopBroker(), up: () => sb.startBroker() };
      const g = await gate(sb.mqtt);
      extra.push(() => g.close());
      return { url: g.url, down: () => g.down(), up: () => g.up() };
    }

    /** The values that reached the broker on the setpoint topic, in order (the broker's own record, or a client on it). */
    async function witness() {
      if (v.embedded) {
        return () => (sb.store.logs.get(IID).byTopic.get(SP) || []).map((e) => e.value);
      }
      const w = await device(sb);
      extra.push(() => w.endAsync(true));
      const vals = [];
      w.on('message', (_t, p) => vals.push(JSON.parse(p.toString()).value));
      await w.subscribeAsync(SP, { qos: 1 });
      return () => vals;
    }

    const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const only = (seen, from, to) => seen().filter((x) => x >= from && x <= to);

    /**
     * The config node, a functionx-out on the setpoint (QoS 1), and Catch/Complete watching the
     * writers, on a tab as in the editor (Node-RED stops a tab's nodes before the config nodes).
     */
    function flow(cfg, { name = '', writers = ['n'], withServer = true, publish = false } = {}) {
      const z = 'tab';
      const nodes = [
        { id: 'tab', type: 'tab', label: 'Writes' },
        {
          id: 'n',
          z,
          type: OUT,
          name,
          server: withServer ? 'cfg' : '',
          installation: String(IID),
          installationType: 'num',
          function: '14',
          functionType: 'num',
          qos: '1',
          wires: [],
        },
        { id: 'catcher', z, type: 'catch', scope: writers, uncaught: false, wires: [['caught']] },
        { id: 'caught', z, type: 'helper', wires: [] },
        { id: 'completer', z, type: 'complete', scope: writers, uncaught: false, wires: [['completed']] },
        { id: 'completed', z, type: 'helper', wires: [] },
      ];
      if (publish)
        nodes.push({
          id: 'p',
          z,
          type: PUB,
          server: 'cfg',
          installation: String(IID),
          topic: 'obj/test/sp',
          qos: '1',
          retain: 'false',
          mode: 'mqtt',
          wires: [[]],
        });
      return withServer ? [{ ...cfg.node, name: name || cfg.node.name }, ...nodes] : nodes;
    }
    const mods = () => [nodeModule('iotopen-config'), outMod, pubMod, catchNode, completeNode];
    const watch = () => ({ completed: collect(helper.getNode('completed')), caught: collect(helper.getNode('caught')) });
    async function redeploy(nodes, cfg, name) {
      await helper._redNodes.setFlows(nodes, cfg.credentials, 'full');
      await until(
        () => helper.getNode('n') && helper.getNode('n').name === name && helper.getNode('completed'),
        `the redeploy "${name}" to start`,
      );
    }

    it('a redeploy hands the queue (and an open connection) to the new config node: nothing lost, order kept', async () => {
      const ctl = await brokerControl();
      const seen = await witness();
      const cfg = configNode({ ...sb, mqtt: ctl.url });
      await helper.load(mods(), flow(cfg, { name: 'a' }), cfg.credentials);
      let w = watch();
      const hub = helper.getNode('cfg').hub;
      await until(() => hub.connected, 'the first connection');
      const attempts = hub.connectAttempts;

      // Redeployed while connected: the same hub and connection.
      await redeploy(flow(cfg, { name: 'b' }), cfg, 'b');
      assert.equal(helper.getNode('cfg').hub, hub, 'the successor took the hub over');
      assert.equal(hub.connected, true);
      w = watch();
      helper.getNode('n').receive({ payload: 100 });
      await until(() => w.completed.length === 1, 'the write while online');
      assert.equal(hub.connectAttempts, attempts, 'no new connection for the redeploy');

      await ctl.down();
      await until(() => !hub.connected, 'the hub to notice the broker is gone');
      for (const value of range(101, 105)) helper.getNode('n').receive({ payload: value });
      await until(() => w.completed.length === 6, 'done() for the queued writes');
      assert.equal(hub.queued, 5);

      // Redeployed while the writes wait: the successor sends them.
      await redeploy(flow(cfg, { name: 'c' }), cfg, 'c');
      const next = helper.getNode('cfg').hub;
      assert.equal(next, hub);
      assert.equal(next.queued, 5, 'the queue went with the hub');
      w = watch();
      for (const value of [106, 107]) helper.getNode('n').receive({ payload: value });
      await until(() => w.completed.length === 2, 'done() for the writes after the redeploy');

      await ctl.up();
      await until(() => next.connected && next.queued === 0 && seen().includes(107), 'the reconnect and the flush', 30000);
      assert.deepEqual(only(seen, 100, 107), range(100, 107), `each write exactly once, in order: ${seen()}`);
      assert.equal(w.caught.length, 0);
    });

    it('a restart (stopped, started again with the same user dir) sends the queued writes after reconnecting, in order', async () => {
      helper.settings({ userDir });
      const ctl = await brokerControl();
      const seen = await witness();
      const cfg = configNode({ ...sb, mqtt: ctl.url });
      await helper.load(mods(), flow(cfg), cfg.credentials);
      let w = watch();
      const hub = helper.getNode('cfg').hub;
      await until(() => hub.connected, 'the first connection');
      helper.getNode('n').receive({ payload: 200 });
      await until(() => w.completed.length === 1, 'the write while online');
      await ctl.down();
      await until(() => !hub.connected, 'the hub to notice the broker is gone');
      for (const value of range(201, 205)) helper.getNode('n').receive({ payload: value });
      await until(() => w.completed.length === 6, 'done() for the queued writes');

      const file = path.join(userDir, 'iotopen-queue', 'cfg.jsonl');
      const onDisk = () =>
        fs
          .readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => JSON.parse(JSON.parse(l).p).value);
      assert.deepEqual(onDisk(), range(201, 205), 'journaled before done()');
      // Node-RED stops; the process ends (no successor takes the parked hub over).
      await helper.unload();
      await closeParkedHubs();
      assert.deepEqual(onDisk(), range(201, 205), 'still on disk after the stop');

      await helper.load(mods(), flow(cfg), cfg.credentials);
      w = watch();
      const again = helper.getNode('cfg').hub;
      assert.notEqual(again, hub, 'a new hub');
      assert.equal(again.queued, 5, 'read back from the user dir');
      helper.getNode('n').receive({ payload: 206 });
      await until(() => w.completed.length === 1, 'done() for a write after the restart');
      await ctl.up();
      await until(() => again.connected && again.queued === 0 && seen().includes(206), 'the reconnect and the flush', 30000);
      assert.deepEqual(only(seen, 200, 206), range(200, 206), `each write exactly once, in order: ${seen()}`);
      await until(() => !fs.existsSync(file), 'the journal to go once the queue is empty');
      assert.equal(w.caught.length, 0);
    });

    it('the age limit drops a write that waited too long: a warning names it, Catch gets it, the node shows it', async () => {
      const ctl = await brokerControl();
      const seen = await witness();
      const cfg = configNode({ ...sb, mqtt: ctl.url }, 'cfg', { queueMaxAge: '1' });
      await helper.load(mods(), flow(cfg), cfg.credentials);
      const w = watch();
      const node = helper.getNode('n');
      const statuses = [];
      const realStatus = node.status.bind(node);
      node.status = (s) => {
        statuses.push(s);
        return realStatus(s);
      };
      const hub = helper.getNode('cfg').hub;
      await until(() => hub.connected, 'the first connection');
      await ctl.down();
      await until(() => !hub.connected, 'the hub to notice the broker is gone');
      node.receive({ payload: 300, _msgid: 'old-write' });
      await until(() => w.caught.length === 1, 'the expiry to reach the Catch node');
      const m = w.caught[0];
      assert.equal(m._msgid, 'old-write', 'the message that was written');
      assert.equal(m.error.source.id, 'n');
      assert.match(
        m.error.message,
        new RegExp(
          `MQTT write to "${SP}" \\(queued .*\\) was not sent: it waited 1(\\.\\d)? s in the offline queue, longer than the age limit of 1 s`,
        ),
      );
      assert.ok(
        statuses.some((s) => s.fill === 'yellow' && s.text === 'write dropped: older than the age limit'),
        JSON.stringify(statuses),
      );
      const warns = helper
        .log()
        .args.map((a) => a[0])
        .filter((e) => e.level === helper.log().WARN && e.id === 'cfg');
      assert.ok(
        warns.some((e) => new RegExp(`1 queued message\\(s\\) expired unsent after the age limit of 1 s: "${SP}" \\(queued `).test(e.msg)),
        JSON.stringify(warns),
      );
      await ctl.up();
      await until(() => hub.connected, 'the reconnect', 30000);
      node.receive({ payload: 301 });
      await until(() => seen().includes(301), 'a later write');
      assert.deepEqual(only(seen, 300, 301), [301], 'the expired write was never sent');
    });

    it('a full queue drops the oldest writes with a Catch-able error to the node that sent each (functionx-out, mqtt-publish)', async () => {
      const ctl = await brokerControl();
      const seen = await witness();
      const cfg = configNode({ ...sb, mqtt: ctl.url }, 'cfg', { queueLimit: 2 });
      await helper.load(mods(), flow(cfg, { writers: ['n', 'p'], publish: true }), cfg.credentials);
      const w = watch();
      const hub = helper.getNode('cfg').hub;
      await until(() => hub.connected, 'the first connection');
      await ctl.down();
      await until(() => !hub.connected, 'the hub to notice the broker is gone');
      const writes = [
        ['n', 400],
        ['p', 401],
        ['n', 402],
        ['p', 403],
      ];
      for (const [id, value] of writes) {
        helper.getNode(id).receive(id === 'p' ? { payload: { value } } : { payload: value });
        await until(() => w.completed.length === writes.findIndex((x) => x[1] === value) + 1, `done() for ${value}`);
      }
      await until(() => w.caught.length === 2, 'the two dropped writes at the Catch node');
      assert.deepEqual(
        w.caught.map((m) => m.error.source.id),
        ['n', 'p'],
      );
      for (const m of w.caught) assert.match(m.error.message, /was not sent: the offline queue is full \(limit 2\) and it was the oldest/);
      assert.deepEqual(w.caught[1].payload, { value: 401 }, 'the Catch node gets the message that was written');
      await ctl.up();
      await until(() => hub.connected && hub.queued === 0 && seen().includes(403), 'the reconnect and the flush', 30000);
      assert.deepEqual(only(seen, 400, 403), [402, 403]);
    });

    it('deleting the config node with writes queued reports each to a Catch node, and deletes the journal', async () => {
      helper.settings({ userDir });
      const ctl = await brokerControl();
      const cfg = configNode({ ...sb, mqtt: ctl.url });
      await helper.load(mods(), flow(cfg, { name: 'a' }), cfg.credentials);
      const w0 = watch();
      const hub = helper.getNode('cfg').hub;
      await until(() => hub.connected, 'the first connection');
      await ctl.down();
      await until(() => !hub.connected, 'the hub to notice the broker is gone');
      for (const value of [500, 501]) helper.getNode('n').receive({ payload: value });
      await until(() => w0.completed.length === 2, 'done() for the queued writes');
      const file = path.join(userDir, 'iotopen-queue', 'cfg.jsonl');
      assert.ok(fs.existsSync(file));

      // The editor clears the Server field of the nodes that used a deleted config node. The
      // drops are reported once the new flows have started: listen from the start on.
      let caught = [];
      helper._events.once('flows:started', () => {
        caught = collect(helper.getNode('caught'));
      });
      await helper._redNodes.setFlows(flow(cfg, { name: 'b', withServer: false }), {}, 'full');
      await until(() => helper.getNode('n') && helper.getNode('n').name === 'b', 'the redeploy to start');
      await until(() => caught.length === 2, 'both dropped writes at the Catch node');
      assert.deepEqual(
        caught.map((m) => m.payload),
        [500, 501],
      );
      for (const m of caught)
        assert.match(m.error.message, /was not sent: the config node was deleted while it waited in the offline queue/);
      assert.equal(fs.existsSync(file), false, 'the journal went with its config node');
      assert.equal(hub.isClosed, true);
      await ctl.up();
    });
  });
}
