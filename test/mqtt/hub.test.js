'use strict';
// MqttHub against real brokers (embedded aedes, Mosquitto when installed, MQTT_URL),
// with an MQTT-aware proxy in between that records what the hub sends.
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const { MqttHub } = require('../../dist/src/mqtt');
const { brokers, startCountingProxy, startBlackhole, startAedes } = require('../support/brokers');
const { waitState, logger, receiver } = require('../support/hub');
const { waitFor, freePort } = require('../support/util');

const uniq = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

for (const b of brokers) {
  describe(`MqttHub on ${b.name}`, function () {
    let broker;
    let proxy;
    let hub;
    const cleanups = [];

    before(async () => {
      broker = await b.start();
    });
    after(async () => {
      if (broker) await broker.stop();
    });
    beforeEach(async () => {
      proxy = await startCountingProxy(broker.url);
    });
    afterEach(async () => {
      if (hub) await hub.close();
      hub = null;
      while (cleanups.length) await cleanups.pop()();
      await proxy.close();
    });

    function makeHub(extra = {}) {
      hub = new MqttHub({ url: proxy.url, minReconnectMs: 20, maxReconnectMs: 200, ...extra });
      return hub;
    }

    it('connects on the first acquire, with a random client id per hub', async () => {
      const log = logger();
      makeHub({ log });
      const other = new MqttHub({ url: proxy.url });
      assert.match(hub.clientId, /^nr-iotopen-[0-9a-f]{12}$/);
      assert.notEqual(hub.clientId, other.clientId);
      await other.close();
      assert.equal(hub.state.state, 'disconnected');
      hub.acquire('n1');
      await waitState(hub, 'connected');
      assert.ok(log.infos.some((m) => /connected to mqtt:\/\/127\.0\.0\.1/.test(m)));
    });

    it('ref-counts subscriptions: one SUBSCRIBE on the first ref, one UNSUBSCRIBE on the last', async () => {
      makeHub();
      hub.acquire('n1');
      await waitState(hub, 'connected');
      const t = uniq();
      const got = { a1: 0, a2: 0, b: 0, end: 0 };
      const a1 = hub.subscribe('A', `${t}/x`, () => got.a1++);
      const a2 = hub.subscribe('A', `${t}/x`, () => got.a2++);
      const bb = hub.subscribe('B', `${t}/x`, () => got.b++);
      hub.subscribe('C', `${t}/end`, () => got.end++);
      await waitFor(() => proxy.subscribes.length === 2);
      assert.deepEqual(proxy.subscribes, [[`${t}/x`], [`${t}/end`]]);
      assert.equal(hub.subscriptionCount, 2);

      const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
      cleanups.push(() => pub.endAsync(true));
      await pub.publishAsync(`${t}/x`, '1', { qos: 1 });
      await waitFor(() => got.a1 === 1 && got.a2 === 1 && got.b === 1);

      a1.unsubscribe();
      a2.unsubscribe();
      a2.unsubscribe(); // twice is harmless
      assert.equal(proxy.unsubscribes.length, 0);
      bb.unsubscribe();
      await waitFor(() => proxy.unsubscribes.length === 1);
      assert.deepEqual(proxy.unsubscribes, [[`${t}/x`]]);
      // The broker no longer sends t/x; the sentinel published after it proves the order.
      await pub.publishAsync(`${t}/x`, '2', { qos: 1 });
      await pub.publishAsync(`${t}/end`, 'e', { qos: 1 });
      await waitFor(() => got.end === 1);
      assert.deepEqual(got, { a1: 1, a2: 1, b: 1, end: 1 });
      assert.equal(proxy.subscribes.length, 2);
    });

    it('dispatches through wildcards, and a throwing handler does not starve the others', async () => {
      const log = logger();
      makeHub({ log });
      hub.acquire('n1');
      await waitState(hub, 'connected');
      const t = uniq();
      const seen = [];
      hub.subscribe('bad', `${t}/+/temp`, () => {
        throw new Error('boom');
      });
      hub.subscribe('good', `${t}/+/temp`, (topic, payload) => seen.push([topic, payload.toString()]));
      await waitFor(() => proxy.subscribes.length === 1);
      await hub.publish(`${t}/room1/temp`, '{"value":21}', { qos: 1 });
      await waitFor(() => seen.length === 1);
      assert.deepEqual(seen, [[`${t}/room1/temp`, '{"value":21}']]);
      assert.ok(log.warns.some((m) => /handler of bad .* threw: boom/.test(m)));
    });

    it('rejects bad publish arguments with a message naming the problem', async () => {
      makeHub();
      await assert.rejects(hub.publish('a/+', 'x'), /wildcard/);
      await assert.rejects(hub.publish('', 'x'), /non-empty/);
      await assert.rejects(hub.publish('a', 42), /string or a Buffer/);
      await assert.rejects(hub.publish('a', 'x', { qos: 2 }), /qos must be 0 or 1/);
      assert.throws(() => hub.subscribe('o', 'a/#/b', () => {}), /last level/);
    });

    it('queues QoS 0 and 1 while offline and delivers each exactly once, in order, after reconnect', async () => {
      makeHub();
      const t = uniq();
      const rx = await receiver(broker.url, `${t}/#`);
      cleanups.push(rx.end);
      hub.acquire('n1');
      await waitState(hub, 'connected');
      proxy.down();
      await waitState(hub, 'disconnected');
      const results = [];
      for (let i = 0; i < 20; i++) results.push(await hub.publish(`${t}/m`, String(i), { qos: i % 4 === 0 ? 0 : 1 }));
      assert.ok(results.every((r) => r.queued === true));
      assert.equal(hub.queued, 20);
      proxy.reset();
      proxy.up();
      await waitState(hub, 'connected');
      const last = await hub.publish(`${t}/m`, 'end', { qos: 1 });
      assert.deepEqual(last, { queued: false });
      await waitFor(() => rx.got.length === 21);
      const all = [...Array.from({ length: 20 }, (_, i) => String(i)), 'end'];
      // MQTT orders messages per QoS level only, and brokers do interleave levels (Mosquitto does).
      const q0 = (p) => p !== 'end' && Number(p) % 4 === 0;
      const got = rx.got.map((m) => m.payload);
      assert.deepEqual([...got].sort(), [...all].sort());
      assert.deepEqual(got.filter(q0), all.filter(q0));
      assert.deepEqual(
        got.filter((p) => !q0(p)),
        all.filter((p) => !q0(p)),
      );
      assert.equal(hub.queued, 0);
      // Exactly once and in order on the wire: no DUP re-send by mqtt.js on top of our queue.
      const sent = proxy.publishes.filter((p) => p.topic === `${t}/m`);
      assert.equal(sent.length, 21);
      assert.ok(sent.every((p) => !p.dup));
      assert.deepEqual(
        sent.map((p) => p.qos),
        all.map((p) => (q0(p) ? 0 : 1)),
      );
    });

    it('drops the oldest on queue overflow and says how many were dropped', async () => {
      const log = logger();
      makeHub({ queueLimit: 5, log });
      const t = uniq();
      const rx = await receiver(broker.url, `${t}/#`);
      cleanups.push(rx.end);
      hub.acquire('n1');
      await waitState(hub, 'connected');
      proxy.down();
      await waitState(hub, 'disconnected');
      for (let i = 0; i < 8; i++) assert.deepEqual(await hub.publish(`${t}/m`, String(i), { qos: 1 }), { queued: true });
      assert.equal(hub.queued, 5);
      assert.ok(
        log.warns.some((m) => /queue full \(limit 5\).*1 dropped so far/.test(m)),
        log.warns.join('\n'),
      );
      proxy.up();
      await waitState(hub, 'connected');
      await waitFor(() => rx.got.length === 5);
      assert.deepEqual(
        rx.got.map((m) => m.payload),
        ['3', '4', '5', '6', '7'],
      );
      assert.ok(
        log.warns.some((m) => /sending 5 queued message\(s\); 3 were dropped/.test(m)),
        log.warns.join('\n'),
      );
    });

    it('re-subscribes every filter in one SUBSCRIBE after the connection comes back', async () => {
      makeHub();
      const t = uniq();
      const got = [];
      hub.acquire('n1');
      await waitState(hub, 'connected');
      for (const f of [`${t}/a`, `${t}/b/+`, `${t}/c/#`]) hub.subscribe('n1', f, (topic) => got.push(topic));
      await waitFor(() => proxy.subscribes.length === 3);
      proxy.reset();
      const gone = waitState(hub, 'disconnected');
      if (b.restartable) {
        await broker.restart();
        await gone;
      } else {
        proxy.down();
        await gone;
        proxy.up();
      }
      await waitState(hub, 'connected');
      await waitFor(() => proxy.subscribes.length === 1);
      assert.deepEqual(proxy.subscribes[0].sort(), [`${t}/a`, `${t}/b/+`, `${t}/c/#`]);
      const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
      cleanups.push(() => pub.endAsync(true));
      await pub.publishAsync(`${t}/c/deep/er`, '1', { qos: 1 });
      await waitFor(() => got.length === 1);
      assert.deepEqual(got, [`${t}/c/deep/er`]);
    });

    it('subscribes $share/<group>/<filter> at the broker and dispatches on <filter>', async () => {
      makeHub({ shareGroup: 'nr' });
      const t = uniq();
      hub.acquire('n1');
      await waitState(hub, 'connected');
      const got = [];
      hub.subscribe('n1', `${t}/+`, (topic) => got.push(topic));
      await waitFor(() => proxy.subscribes.length === 1);
      assert.deepEqual(proxy.subscribes[0], [`$share/nr/${t}/+`]);
      if (b.name === 'aedes') return; // aedes 1.x has no shared subscriptions
      const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
      cleanups.push(() => pub.endAsync(true));
      await pub.publishAsync(`${t}/x`, '1', { qos: 1 });
      await waitFor(() => got.length === 1);
      assert.deepEqual(got, [`${t}/x`]);
    });

    it('keeps a { shared: false } subscription out of the share group', async () => {
      makeHub({ shareGroup: 'nr' });
      const t = uniq();
      hub.acquire('n1');
      await waitState(hub, 'connected');
      hub.subscribe('catalog', `${t}/evt/functionx/updated`, () => {}, { shared: false });
      hub.subscribe('n1', `${t}/obj/1`, () => {});
      await waitFor(() => proxy.subscribes.length === 2);
      assert.deepEqual(proxy.subscribes, [[`${t}/evt/functionx/updated`], [`$share/nr/${t}/obj/1`]]);
    });

    it('announces the offline queue length at most once a second, the last count included', async () => {
      makeHub();
      hub.acquire('n1');
      await waitState(hub, 'connected');
      proxy.down();
      await waitState(hub, 'disconnected');
      const events = [];
      hub.on('state', (s) => events.push(s));
      for (let i = 0; i < 500; i++) void hub.publish(`${uniq()}/q`, String(i), { qos: 1 });
      await waitFor(() => events.length && events[events.length - 1].queued === 500);
      assert.ok(events.length <= 3, `${events.length} state events for 500 queued messages`);
      assert.equal(events[0].queued, 1, 'the first change is announced at once');
      proxy.up();
      await waitState(hub, 'connected');
    });

    it('disconnects on the last release and connects again on the next acquire', async () => {
      makeHub();
      hub.acquire('a');
      hub.acquire('b');
      await waitState(hub, 'connected');
      hub.release('a');
      assert.equal(hub.state.state, 'connected');
      hub.release('b');
      assert.equal(hub.state.state, 'disconnected');
      assert.match(hub.state.reason, /no node uses/);
      hub.acquire('c');
      await waitState(hub, 'connected');
    });

    it('says nothing when nodes unsubscribe and the last one leaves at once (a redeploy)', async () => {
      const log = logger();
      makeHub({ log });
      hub.acquire('a');
      const subs = ['x/1', 'x/2', 'x/3', 'x/4'].map((t) => hub.subscribe('a', `${uniq()}/${t}`, () => {}));
      await waitState(hub, 'connected');
      await waitFor(() => proxy.subscribes.length >= 1);
      for (const s of subs) s.unsubscribe();
      hub.release('a');
      assert.equal(hub.state.state, 'disconnected');
      // Let the closed connection fail its pending UNSUBSCRIBEs; none of that is worth a warning.
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(log.warns, []);
    });
  });
}

describe('MqttHub failures', () => {
  it('reports auth-failed on CONNACK 5, retries once soon with a refreshed password, then after authRetryMs', async () => {
    const broker = await startAedes({ password: 'right-key' });
    const log = logger();
    let password = 'wrong-key-secret';
    const refreshes = [];
    const hub = new MqttHub({
      url: broker.url,
      minReconnectMs: 10,
      maxReconnectMs: 100,
      authRetryMs: 300,
      log,
      password: ({ refresh }) => {
        refreshes.push(refresh);
        return password;
      },
    });
    try {
      hub.acquire('n');
      const s = await waitState(hub, 'auth-failed');
      assert.match(s.reason, /rejected the credentials \(CONNACK 5/);
      assert.match(s.reason, /API key/);
      const authWarns = () => log.warns.filter((m) => /authentication failed/.test(m));
      await waitFor(() => authWarns().length >= 2);
      assert.doesNotMatch(JSON.stringify(s) + log.warns.join(), /wrong-key-secret/);
      assert.doesNotMatch(authWarns()[0], /retrying in 0\.3 s/, 'the first refusal is retried soon (a renewed token may be accepted)');
      assert.match(authWarns()[1], /retrying in 0\.3 s/, 'a repeated refusal waits authRetryMs');
      assert.deepEqual(refreshes.slice(0, 2), [false, true], 'the password is asked for again, refreshed, after a refusal');
      password = 'right-key';
      await waitState(hub, 'connected');
      const before = refreshes.length;
      await broker.down();
      await waitState(hub, 'disconnected');
      await broker.up();
      await waitState(hub, 'connected');
      assert.ok(refreshes.length > before);
      assert.equal(refreshes[refreshes.length - 1], false, 'after a success the password is no longer refreshed');
    } finally {
      await hub.close();
      await broker.stop();
    }
  });

  it('renews an expired login token the broker refuses, and reconnects (login auth)', async () => {
    const { startSandbox } = require('../../dist/src/sandbox');
    const { ApiClient } = require('../../dist/src/api');
    const sb = await startSandbox({ port: 0, mqttPort: 0 });
    const api = new ApiClient({ baseUrl: sb.api, auth: { type: 'login', username: 'demo@example.com', password: 'demo-password' } });
    const hub = new MqttHub({
      url: sb.mqtt,
      minReconnectMs: 10,
      maxReconnectMs: 200,
      authRetryMs: 60000,
      password: ({ refresh }) => api.token({ refresh }),
    });
    try {
      hub.acquire('n');
      await waitState(hub, 'connected');
      const first = await api.token();
      sb.store.revokeToken(first);
      await sb.stopBroker();
      await waitState(hub, 'disconnected');
      await sb.startBroker();
      // The old token is refused once; the next attempt logs in again and gets in, well before authRetryMs (60 s).
      await waitState(hub, 'auth-failed');
      await waitState(hub, 'connected');
      assert.notEqual(await api.token(), first, 'a new login token was made');
    } finally {
      await hub.close();
      await api.close();
      await sb.stop();
    }
  });

  it('reports a password function failure as auth-failed when the API says EAUTH', async () => {
    const hub = new MqttHub({
      url: 'mqtt://127.0.0.1:1',
      maxReconnectMs: 60000,
      password: () => Promise.reject(Object.assign(new Error('the API key was refused (401): check it'), { code: 'EAUTH' })),
    });
    hub.acquire('n');
    const s = await waitState(hub, 'auth-failed');
    assert.match(s.reason, /could not get the MQTT password: the API key was refused/);
    await hub.close();
    assert.equal(hub.state.state, 'closed');
  });

  it('says why a connection is refused, then backs off and keeps trying', async () => {
    const port = await freePort();
    const log = logger();
    const hub = new MqttHub({ url: `mqtt://127.0.0.1:${port}`, minReconnectMs: 10, maxReconnectMs: 40, log });
    let attempts = 0;
    hub.on('attempt', () => attempts++);
    hub.acquire('n');
    const s = await waitState(hub, 'disconnected');
    assert.match(s.reason, /refused the connection: is the broker running/);
    await waitFor(() => attempts >= 3);
    // A broker appears on that port: the hub gets there by itself.
    const broker = await startAedes({ port });
    await waitState(hub, 'connected');
    await hub.close();
    await broker.stop();
  });

  it('backs off in [d/2, d], d = min(max, min * 2^n): quick first retries, then one every max/2 to max', async () => {
    const port = await freePort();
    const hub = new MqttHub({ url: `mqtt://127.0.0.1:${port}`, minReconnectMs: 20, maxReconnectMs: 160 });
    const retries = [];
    hub.on('retry', (r) => retries.push(r));
    hub.acquire('n');
    await waitFor(() => retries.length >= 8);
    await hub.close();
    retries.slice(0, 8).forEach((r, n) => {
      const cap = Math.min(160, 20 * 2 ** n);
      assert.equal(r.attempt, n + 1);
      assert.ok(r.delayMs >= cap / 2 && r.delayMs <= cap, `retry ${n + 1} waits ${r.delayMs} ms, not in [${cap / 2}, ${cap}]`);
    });
  });

  it('starts the backoff again at every CONNACK; a connection that did not last waits the longest delay', async () => {
    const broker = await startAedes();
    const hub = new MqttHub({ url: broker.url, minReconnectMs: 20, maxReconnectMs: 400, stableMs: 300 });
    const retries = [];
    hub.on('retry', (r) => retries.push(r));
    try {
      hub.acquire('n');
      await waitState(hub, 'connected');
      // Dropped right after its CONNACK: a flap.
      await broker.restart();
      await waitFor(() => retries.length >= 1);
      assert.ok(retries[0].delayMs >= 200 && retries[0].delayMs <= 400, `after a flap: ${retries[0].delayMs} ms`);
      await waitState(hub, 'connected');
      // Up longer than stableMs: the next outage starts with the quick retries again.
      await new Promise((r) => setTimeout(r, 400));
      await broker.down();
      await waitFor(() => retries.length >= 3);
      assert.ok(retries[1].delayMs >= 10 && retries[1].delayMs <= 20, `first retry after a stable connection: ${retries[1].delayMs} ms`);
      assert.ok(retries[2].delayMs >= 20 && retries[2].delayMs <= 40, `second: ${retries[2].delayMs} ms`);
      await broker.up();
      await waitState(hub, 'connected');
    } finally {
      await hub.close();
      await broker.stop();
    }
  });

  it('keeps the status of a failure while it retries (no flicker), and logs an outage once, not every attempt', async () => {
    const port = await freePort();
    const log = logger();
    const hub = new MqttHub({ url: `mqtt://127.0.0.1:${port}`, minReconnectMs: 10, maxReconnectMs: 20, log });
    const states = [];
    let attempts = 0;
    hub.on('state', (s) => states.push(s.state));
    hub.on('attempt', () => attempts++);
    hub.acquire('n');
    await waitFor(() => attempts >= 10);
    await hub.close();
    assert.deepEqual(states, ['connecting', 'disconnected', 'closed']);
    assert.equal(log.warns.filter((m) => /refused the connection/.test(m)).length, 1, log.warns.join('\n'));
  });

  it('close() finishes within 2 s while the broker hangs, and emits closed', async () => {
    const hole = await startBlackhole();
    const hub = new MqttHub({ url: hole.url, connectTimeoutMs: 30000 });
    const states = [];
    hub.on('state', (s) => states.push(s.state));
    hub.acquire('n');
    await waitState(hub, 'connecting');
    await hub.publish('a/b', 'x', { qos: 1 });
    const t0 = Date.now();
    await hub.close();
    const ms = Date.now() - t0;
    assert.ok(ms < 2000, `close took ${ms} ms`);
    assert.equal(states[states.length - 1], 'closed');
    await assert.rejects(hub.publish('a/b', 'x'), /closed/);
    await hole.close();
  });

  it('close() finishes within 2 s while the password never comes', async () => {
    const hub = new MqttHub({ url: 'mqtt://127.0.0.1:1', password: () => new Promise(() => {}) });
    hub.acquire('n');
    await waitState(hub, 'connecting');
    const t0 = Date.now();
    await hub.close();
    assert.ok(Date.now() - t0 < 2000);
  });

  it('refuses a URL it cannot use, naming the accepted schemes', () => {
    assert.throws(() => new MqttHub({ url: 'http://x' }), /mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//);
  });
});
