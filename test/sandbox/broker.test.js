'use strict';
// The embedded broker: Lynx-like auth and topic ACL, obj values feeding status
// and log, REST publish, and a restart on the same port.
const assert = require('node:assert/strict');
const { sandbox, call, connect, nextMessage, until } = require('./helpers');

const RESTRICTED = 'sandbox-stockholm-only-4e8a2c6b1d3f5a7c';

describe('sandbox: embedded broker', function () {
  let sb;
  const clients = [];
  const open = async (pw, opts) => {
    const c = await connect(sb.mqtt, pw, opts);
    clients.push(c);
    return c;
  };
  before(async () => {
    sb = await sandbox.startSandbox({ port: 0, mqttPort: 0 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  after(async () => {
    await sb.stop();
  });

  it('refuses a wrong password and a missing one, accepts the key with any username', async () => {
    await assert.rejects(connect(sb.mqtt, 'wrong'), /Bad username or password/);
    await assert.rejects(connect(sb.mqtt, undefined), /Bad username or password/);
    const c = await open(sb.apiKey, { username: 'whatever' });
    assert.equal(c.connected, true);
  });

  it('accepts a login token as password; refuses it once revoked', async () => {
    const login = await call(sb, 'POST', '/api/v2/auth', { key: null, body: { email: 'demo@example.com', password: 'demo-password' } });
    await open(login.body.token);
    sb.store.revokeToken(login.body.token);
    await assert.rejects(connect(sb.mqtt, login.body.token), /Bad username or password/);
  });

  it('ACL: a restricted key may subscribe only under its client_ids; wildcard-first only for the main key', async () => {
    const r = await open(RESTRICTED);
    // mqtt.js rejects when any filter is refused; the SUBACK codes are on the error
    const err = await r.subscribeAsync(['2101/obj/#', '2102/obj/#', '+/obj/#', '#', '$share/g/2101/evt/#']).then(
      () => null,
      (e) => e,
    );
    assert.ok(err && err.packet, 'subscribe must report refused filters');
    assert.deepEqual(err.packet.granted, [0, 128, 128, 128, 0]);
    const m = await open(sb.apiKey);
    const all = await m.subscribeAsync(['+/obj/#', '2103/#']);
    assert.deepEqual(
      all.map((g) => g.qos),
      [0, 0],
    );
  });

  it("ACL: a publish outside the key's installations is dropped, inside it is delivered", async () => {
    const watcher = await open(sb.apiKey);
    await watcher.subscribeAsync('+/obj/acl/#');
    const r = await open(RESTRICTED);
    const deniedBefore = sb.brokerDenied.publish;
    const got = nextMessage(watcher);
    await r.publishAsync('2102/obj/acl/x', JSON.stringify({ value: 1 }), { qos: 1 });
    await r.publishAsync('2101/obj/acl/y', JSON.stringify({ value: 2 }), { qos: 1 });
    assert.equal((await got).topic, '2101/obj/acl/y', 'the denied message must not arrive first');
    assert.equal(sb.brokerDenied.publish, deniedBefore + 1);
    assert.equal(r.connected, true, 'a denied publish does not disconnect the client');
    const st = await call(sb, 'GET', '/api/v2/status/102?topics=obj/acl/x');
    assert.deepEqual(st.body, []);
  });

  it('obj values become the latest status and log entries (timestamp, msg kept)', async () => {
    const c = await open(sb.apiKey);
    await c.publishAsync('2102/obj/test/sensor', JSON.stringify({ value: 3.5, timestamp: 1700000000.25, msg: 'old' }), { qos: 1 });
    await c.publishAsync('2102/obj/test/sensor', JSON.stringify({ value: 4.5 }), { qos: 1 });
    const st = await until(async () => {
      const r = await call(sb, 'GET', '/api/v2/status/102?topics=obj/test/sensor');
      return r.body.length && r.body[0].value === 4.5 ? r : null;
    });
    assert.equal(st.body[0].topic, '2102/obj/test/sensor');
    assert.equal(st.body[0].installation_id, 102);
    assert.equal(st.body[0].client_id, 2102);
    const log = await call(sb, 'GET', '/api/v3beta/log/102?from=1600000000&topics=obj/test/sensor&order=asc');
    assert.deepEqual(
      log.body.data.map((e) => [e.value, e.msg]),
      [
        [3.5, 'old'],
        [4.5, undefined],
      ],
    );
    assert.equal(log.body.data[0].timestamp, 1700000000.25);
  });

  it('an older timestamp is logged but does not replace the latest status; non-JSON is ignored', async () => {
    const c = await open(sb.apiKey);
    await c.publishAsync('2103/obj/t/order', JSON.stringify({ value: 2, timestamp: 1800000000 }), { qos: 1 });
    await c.publishAsync('2103/obj/t/order', JSON.stringify({ value: 1, timestamp: 1700000000 }), { qos: 1 });
    await c.publishAsync('2103/obj/t/order', 'not json', { qos: 1 });
    const log = await until(async () => {
      const r = await call(sb, 'GET', '/api/v3beta/log/103?from=0&to=1900000000&topics=obj/t/order&order=asc');
      return r.body.total === 2 ? r : null;
    });
    assert.deepEqual(
      log.body.data.map((e) => e.value),
      [1, 2],
    );
    const st = await call(sb, 'GET', '/api/v2/status/103?topics=obj/t/order');
    assert.equal(st.body[0].value, 2);
  });

  it("POST /api/v2/mqtt/publish publishes under the installation's client_id", async () => {
    const c = await open(sb.apiKey);
    await c.subscribeAsync('2101/obj/rest/#');
    const got = nextMessage(c);
    const r = await call(sb, 'POST', '/api/v2/mqtt/publish/101', { body: { topic: 'obj/rest/1', payload: { value: 22.1 } } });
    assert.equal(r.status, 200);
    const m = await got;
    assert.equal(m.topic, '2101/obj/rest/1');
    assert.deepEqual(JSON.parse(m.payload), { value: 22.1 });
  });

  it('POST /api/v2/mqtt/publish honours the spec\'s "retained" flag', async () => {
    const r = await call(sb, 'POST', '/api/v2/mqtt/publish/101', { body: { topic: 'obj/kept/1', payload: { value: 7 }, retained: true } });
    assert.equal(r.status, 200);
    await call(sb, 'POST', '/api/v2/mqtt/publish/101', { body: { topic: 'obj/notkept/1', payload: { value: 8 } } });
    const late = await open(sb.apiKey);
    const got = nextMessage(late);
    await late.subscribeAsync(['2101/obj/notkept/#', '2101/obj/kept/#']);
    const m = await got;
    assert.equal(m.topic, '2101/obj/kept/1', 'only the retained message is replayed to a later subscriber');
    assert.deepEqual(JSON.parse(m.payload), { value: 7 });
  });

  it('stopBroker()/startBroker() keep the port; clients reconnect; REST publish says 503 meanwhile', async () => {
    const port = new URL(sb.mqtt).port;
    const c = await open(sb.apiKey, { reconnectPeriod: 50 });
    const closed = new Promise((r) => c.once('close', r));
    await sb.stopBroker();
    await closed;
    const r = await call(sb, 'POST', '/api/v2/mqtt/publish/101', { body: { topic: 'obj/x', payload: { value: 1 } } });
    assert.equal(r.status, 503);
    const back = new Promise((res) => c.once('connect', res));
    await sb.startBroker();
    assert.equal(new URL(sb.mqtt).port, port);
    await back;
    await c.subscribeAsync('2101/obj/after/#');
    const got = nextMessage(c);
    await call(sb, 'POST', '/api/v2/mqtt/publish/101', { body: { topic: 'obj/after/1', payload: { value: 5 } } });
    assert.equal((await got).topic, '2101/obj/after/1');
  });
});
