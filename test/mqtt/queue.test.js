'use strict';
// The hub's offline queue beyond sending it: drops reported to their sender (queue
// limit, age limit, close, delete), the journal read back by the next hub, the
// connection kept while messages wait, and the handover of a hub (HubHolder) to a
// successor with the same key.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { MqttHub, HubHolder, closeParkedHubs, parkedHubCount, queuePending, hubQueueFile } = require('../../dist/src/mqtt');
const { startAedes, startCountingProxy } = require('../support/brokers');
const { waitState, logger, receiver } = require('../support/hub');
const { waitFor, freePort, sleep } = require('../support/util');

describe('MqttHub offline queue', function () {
  this.timeout(30000);
  let broker;
  let proxy;
  let dir;
  const cleanups = [];
  before(async () => {
    broker = await startAedes();
  });
  after(async () => {
    await broker.stop();
  });
  beforeEach(async () => {
    proxy = await startCountingProxy(broker.url);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lynx-queue-'));
  });
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()();
    await closeParkedHubs();
    await proxy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const hubOf = (extra = {}) => {
    const hub = new MqttHub({ url: proxy.url, minReconnectMs: 20, maxReconnectMs: 100, ...extra });
    cleanups.push(() => hub.close());
    return hub;
  };
  /** A hub connected through the proxy, then cut off: what it publishes now is queued. */
  async function offlineHub(extra = {}) {
    const hub = hubOf(extra);
    hub.acquire('n');
    await waitState(hub, 'connected');
    proxy.down();
    await waitState(hub, 'disconnected');
    return hub;
  }

  it('reports the oldest queued messages to their sender when the queue is full (onDropped, "dropped")', async () => {
    const log = logger();
    const hub = await offlineHub({ queueLimit: 2, log });
    const drops = [];
    const events = [];
    hub.on('dropped', (err, reported) => events.push({ code: err.code, reported }));
    for (let i = 0; i < 4; i++) {
      const r = await hub.publish(`q/${i}`, String(i), { qos: 1, origin: { node: `n${i}` }, onDropped: (err) => drops.push(err) });
      assert.equal(r.queued, true);
    }
    assert.deepEqual(
      drops.map((e) => [e.code, e.topic, e.origin.node]),
      [
        ['EQUEUEFULL', 'q/0', 'n0'],
        ['EQUEUEFULL', 'q/1', 'n1'],
      ],
    );
    assert.match(drops[0].message, /MQTT write to "q\/0" \(queued .*\) was not sent: the offline queue is full \(limit 2\)/);
    assert.deepEqual(events, [
      { code: 'EQUEUEFULL', reported: true },
      { code: 'EQUEUEFULL', reported: true },
    ]);
    assert.ok(
      log.warns.some((m) => /queue full \(limit 2\).*"q\/0"/.test(m)),
      log.warns.join('\n'),
    );
    assert.equal(hub.queued, 2);
  });

  it('drops a message older than maxQueueAgeMs, tells its sender and warns naming it', async () => {
    const log = logger();
    const hub = await offlineHub({ maxQueueAgeMs: 300, log });
    const drops = [];
    await hub.publish('age/old', '1', { qos: 1, onDropped: (e) => drops.push(e) });
    await sleep(150);
    await hub.publish('age/young', '2', { qos: 1, onDropped: (e) => drops.push(e) });
    await waitFor(() => drops.length === 1);
    assert.equal(drops[0].code, 'EEXPIRED');
    assert.match(drops[0].message, /"age\/old".*waited 0\.\d s in the offline queue, longer than the age limit of 0\.3 s/);
    assert.ok(
      log.warns.some((m) => /1 queued message\(s\) expired unsent after the age limit of 0\.3 s: "age\/old" \(queued /.test(m)),
      log.warns.join('\n'),
    );
    assert.equal(hub.queued, 1);
    await waitFor(() => drops.length === 2);
    assert.equal(drops[1].topic, 'age/young');
  });

  it('reports what is queued when it closes without a journal (ECLOSED) or is discarded (EDISCARDED)', async () => {
    const a = await offlineHub();
    const dropsA = [];
    await a.publish('c/1', '1', { onDropped: (e) => dropsA.push(e.code) });
    await a.close();
    assert.deepEqual(dropsA, ['ECLOSED']);
    proxy.up();
    const b = await offlineHub();
    const dropsB = [];
    await b.publish('c/2', '1', { onDropped: (e) => dropsB.push(e.code) });
    await b.close({ discard: true });
    assert.deepEqual(dropsB, ['EDISCARDED']);
  });

  it('journals the queue: a hub on the same file sends it after connecting, in order, and deletes the file', async () => {
    const file = path.join(dir, 'q.jsonl');
    const a = await offlineHub({ queueFile: file, queueFingerprint: 'fp' });
    for (let i = 0; i < 5; i++) await a.publish('j/m', i === 2 ? Buffer.from('two') : String(i), { qos: 1 });
    await a.close();
    assert.ok(fs.existsSync(file));
    const rx = await receiver(broker.url, 'j/#');
    cleanups.push(rx.end);
    proxy.up();
    const log = logger();
    const b = hubOf({ queueFile: file, queueFingerprint: 'fp', log });
    assert.equal(b.queued, 5, 'read back at construction');
    // Nobody acquires it: the queue alone makes it connect.
    await waitFor(() => rx.got.length === 5);
    assert.deepEqual(
      rx.got.map((m) => m.payload),
      ['0', '1', 'two', '3', '4'],
    );
    await waitFor(() => !fs.existsSync(file));
    await waitState(b, 'disconnected');
    assert.match(b.state.reason, /no node uses/);
    assert.ok(log.infos.some((m) => /5 queued message\(s\) read back/.test(m)));
  });

  it('does not send a journal written for another broker: reports each message with its origin (ESETTINGS)', async () => {
    const file = path.join(dir, 'q.jsonl');
    const a = await offlineHub({ queueFile: file, queueFingerprint: 'broker-a' });
    await a.publish('s/1', '1', { origin: { node: 'n7', msgid: 'm1' } });
    await a.close();
    const b = new MqttHub({ url: 'mqtt://127.0.0.1:1', queueFile: file, queueFingerprint: 'broker-b', log: logger() });
    cleanups.push(() => b.close());
    const events = [];
    b.on('dropped', (err, reported) => events.push([err.code, err.topic, err.origin, reported]));
    await waitFor(() => events.length === 1);
    assert.deepEqual(events, [['ESETTINGS', 's/1', { node: 'n7', msgid: 'm1' }, false]]);
    assert.equal(b.queued, 0);
  });

  it('stays connected after the last release until the queue is sent, then disconnects', async () => {
    const hub = await offlineHub();
    const t = `w${Date.now()}`;
    const rx = await receiver(broker.url, `${t}/#`);
    cleanups.push(rx.end);
    await hub.publish(`${t}/a`, '1', { qos: 1 });
    hub.release('n');
    assert.notEqual(hub.state.reason, 'no node uses the connection');
    proxy.up();
    await waitFor(() => rx.got.length === 1);
    await waitState(hub, 'disconnected');
    assert.match(hub.state.reason, /no node uses/);
  });

  it('keeps the connection for lingerMs after the last release', async () => {
    const hub = hubOf({ lingerMs: 400 });
    hub.acquire('a');
    await waitState(hub, 'connected');
    const attempts = hub.connectAttempts;
    hub.release('a');
    assert.equal(hub.state.state, 'connected');
    hub.acquire('b');
    await sleep(500);
    assert.equal(hub.state.state, 'connected');
    assert.equal(hub.connectAttempts, attempts, 'the same connection');
    hub.release('b');
    await waitState(hub, 'disconnected');
  });

  describe('HubHolder (handover across redeploys)', () => {
    // lingerMs as the config node: its users release the hub just before it is parked.
    const opts = () => ({ url: proxy.url, minReconnectMs: 20, maxReconnectMs: 100, lingerMs: 1000 });

    it('hands a parked hub, its queue and its open connection to a successor with the same key and settings', async () => {
      const t = `h${Date.now()}`;
      const rx = await receiver(broker.url, `${t}/#`);
      cleanups.push(rx.end);
      const one = new HubHolder('cfg-1');
      const states = [];
      const hub = one.open(opts(), { secrets: ['key-1'] }, { state: (s) => states.push(s.state) });
      hub.acquire('n');
      await waitState(hub, 'connected');
      const attempts = hub.connectAttempts;
      hub.release('n');
      await one.close(false);
      assert.equal(parkedHubCount(), 1);
      assert.equal(hub.state.state, 'connected', 'parked with its connection');
      const two = new HubHolder('cfg-1');
      const states2 = [];
      const again = two.open(opts(), { secrets: ['key-1'] }, { state: (s) => states2.push(s.state) });
      assert.equal(again, hub, 'the same hub');
      assert.equal(parkedHubCount(), 0);
      again.acquire('n');
      await again.publish(`${t}/x`, '1', { qos: 1 });
      await waitFor(() => rx.got.length === 1);
      assert.equal(again.connectAttempts, attempts, 'no new connection');
      // The predecessor's listener is gone.
      proxy.cut();
      await waitFor(() => states2.includes('disconnected'));
      assert.ok(!states.includes('disconnected'));
      await two.close(true);
    });

    it('parked while offline: the successor sends the queue, in order, with what it publishes itself', async () => {
      const t = `o${Date.now()}`;
      const rx = await receiver(broker.url, `${t}/#`);
      cleanups.push(rx.end);
      const one = new HubHolder('cfg-2');
      const hub = one.open(opts(), { secrets: ['k'] });
      hub.acquire('n');
      await waitState(hub, 'connected');
      proxy.down();
      await waitState(hub, 'disconnected');
      for (let i = 0; i < 3; i++) await hub.publish(`${t}/m`, String(i), { qos: 1 });
      hub.release('n');
      await one.close(false);
      assert.ok(queuePending('cfg-2'));
      const two = new HubHolder('cfg-2');
      const next = two.open(opts(), { secrets: ['k'] });
      next.acquire('n');
      await next.publish(`${t}/m`, '3', { qos: 1 });
      proxy.up();
      await waitFor(() => rx.got.length === 4);
      assert.deepEqual(
        rx.got.map((m) => m.payload),
        ['0', '1', '2', '3'],
      );
      await two.close(true);
    });

    it('a new secret: a new connection takes over the queue; another broker: the queue is reported, not sent', async () => {
      const one = new HubHolder('cfg-3');
      const hub = one.open(opts(), { secrets: ['old-key'] });
      hub.acquire('n');
      await waitState(hub, 'connected');
      proxy.down();
      await waitState(hub, 'disconnected');
      const drops = [];
      await hub.publish('k/1', '1', { qos: 1, onDropped: (e) => drops.push(e.code) });
      await one.close(false);
      const two = new HubHolder('cfg-3');
      const other = two.open(opts(), { secrets: ['new-key'] });
      assert.notEqual(other, hub);
      assert.equal(hub.isClosed, true);
      assert.equal(other.queued, 1, 'the queue moved');
      await two.close(false);
      const three = new HubHolder('cfg-3');
      const events = [];
      const third = three.open(
        { ...opts(), url: `mqtt://127.0.0.1:${await freePort()}` },
        { secrets: ['new-key'] },
        { dropped: (e, reported) => events.push([e.code, reported]) },
      );
      await waitFor(() => drops.length === 1);
      assert.deepEqual(drops, ['ESETTINGS'], 'the sender is told');
      assert.deepEqual(events, [['ESETTINGS', true]]);
      assert.equal(third.queued, 0);
      await three.close(true);
    });

    it('nobody within the grace period: closes; with a journal the queue stays on disk for the next start', async () => {
      const file = hubQueueFile(dir, 'cfg-4');
      const one = new HubHolder('cfg-4', 200);
      const hub = one.open({ ...opts(), queueFile: file }, { secrets: ['k'] });
      hub.acquire('n');
      await waitState(hub, 'connected');
      proxy.down();
      await waitState(hub, 'disconnected');
      await hub.publish('g/1', '1', { qos: 1 });
      await one.close(false);
      await waitFor(() => hub.isClosed);
      assert.equal(parkedHubCount(), 0);
      assert.ok(queuePending('cfg-4', file), 'still on disk');
      const two = new HubHolder('cfg-4');
      const next = two.open({ ...opts(), queueFile: file }, { secrets: ['k'] });
      assert.equal(next.queued, 1);
      await two.close(true);
      assert.equal(fs.existsSync(file), false, 'deleted with its config node');
    });

    it('close(true): the queue is reported dropped (EDISCARDED) at once', async () => {
      const one = new HubHolder('cfg-5');
      const hub = one.open(opts(), {});
      hub.acquire('n');
      await waitState(hub, 'connected');
      proxy.down();
      await waitState(hub, 'disconnected');
      const drops = [];
      await hub.publish('d/1', '1', { onDropped: (e) => drops.push(e) });
      await one.close(true);
      assert.deepEqual(
        drops.map((e) => e.code),
        ['EDISCARDED'],
      );
      assert.match(drops[0].message, /the config node was deleted/);
      assert.equal(parkedHubCount(), 0);
    });
  });
});
