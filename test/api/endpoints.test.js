'use strict';
// Every ApiClient method against the real sandbox over loopback HTTP.
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const { ApiClient, LynxApiError, MAX_URL_LENGTH } = require('../../dist/src/api');
const { startSandbox } = require('../../dist/src/sandbox');
const { API_KEY, seed, served } = require('./fixtures');

describe('api: endpoints against the sandbox', function () {
  this.timeout(10000);
  let sb;
  let api;

  beforeEach(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
    api = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: sb.apiKey }, retryBaseMs: 5 });
  });
  afterEach(async () => {
    await api.close();
    await sb.stop();
  });

  describe('installations', () => {
    it('lists installations with id and client_id', async () => {
      const list = await api.installations.list();
      assert.deepEqual(
        list.map((i) => [i.id, i.client_id, i.name]),
        [
          [10, 1010, 'Office'],
          [20, 1020, 'Warehouse'],
        ],
      );
    });
    it('finds one by MQTT client id', async () => {
      const inst = await api.installations.byClientId(1020);
      assert.equal(inst.id, 20);
      assert.equal(inst.name, 'Warehouse');
    });
    it('rejects an unknown client id with a 404 LynxApiError', async () => {
      await assert.rejects(api.installations.byClientId(9999), (e) => e instanceof LynxApiError && e.status === 404 && e.code === 'EHTTP');
    });
  });

  for (const kind of ['functionx', 'devicex']) {
    describe(kind, () => {
      it('creates, gets, lists, updates and deletes', async () => {
        const x = api[kind];
        const created = await x.create(10, { type: 'dimmer', meta: { name: 'Spot', room: 'hall' } });
        assert.equal(created.installation_id, 10);
        assert.equal(created.type, 'dimmer');
        assert.deepEqual(created.meta, { name: 'Spot', room: 'hall' });
        assert.ok(Number.isInteger(created.id));

        const got = await x.get(10, created.id);
        assert.deepEqual(got.meta, created.meta);

        const all = await x.list(10);
        assert.ok(all.some((f) => f.id === created.id));
        assert.ok(all.every((f) => f.installation_id === 10));

        const updated = await x.update(10, created.id, { meta: { name: 'Spot 2' } });
        assert.equal(updated.type, 'dimmer', 'type kept when not given');
        assert.deepEqual(updated.meta, { name: 'Spot 2' });
        const retyped = await x.update(10, created.id, { type: 'switch', meta: { name: 'Spot 3' } }, { silent: true });
        assert.equal(retyped.type, 'switch');

        const del = await x.delete(10, created.id);
        assert.equal(typeof del.message, 'string');
        await assert.rejects(x.get(10, created.id), (e) => e.status === 404 && e.path === `/api/v2/${kind}/10/${created.id}`);
      });

      it('manages meta keys (create, get, update with create_missing, delete)', async () => {
        const x = api[kind];
        const f = await x.create(10, { type: 't', meta: {} }, { silent: true });
        const m = await x.createMeta(10, f.id, 'unit', { value: '°C' });
        assert.deepEqual(m, { value: '°C', protected: false });
        assert.deepEqual(await x.getMeta(10, f.id, 'unit'), { value: '°C', protected: false });
        await assert.rejects(x.createMeta(10, f.id, 'unit', { value: 'K' }), (e) => e.status === 409);

        assert.deepEqual(await x.updateMeta(10, f.id, 'unit', { value: 'K' }), { value: 'K', protected: false });
        await assert.rejects(x.updateMeta(10, f.id, 'secret/key', { value: '1' }), (e) => e.status === 404);
        const made = await x.updateMeta(10, f.id, 'secret/key', { value: '1', protected: true }, { createMissing: true, silent: true });
        assert.deepEqual(made, { value: '1', protected: true });
        assert.deepEqual(
          await x.getMeta(10, f.id, 'secret/key'),
          { value: '1', protected: true },
          'meta key with a slash is encoded in the path',
        );
        // a PUT of a plain value keeps the key protected: the spec's MetaX needs `protected`, so the
        // client reads the key's flag first (sending false would unprotect it)
        sb.resetRequests();
        assert.deepEqual(await x.updateMeta(10, f.id, 'secret/key', { value: '2' }), { value: '2', protected: true });
        assert.deepEqual(
          sb.requests.map((r) => r.method),
          ['GET', 'PUT'],
        );

        await x.deleteMeta(10, f.id, 'unit');
        await assert.rejects(x.getMeta(10, f.id, 'unit'), (e) => e.status === 404);
      });
    });
  }

  it('filters functionx lists by type and meta (wildcards in values)', async () => {
    assert.deepEqual((await api.functionx.list(10, { type: 'temperature' })).map((f) => f.id).sort(), [2, 3]);
    assert.deepEqual((await api.functionx.list(10, { meta: { room: 'hall' } })).map((f) => f.id).sort(), [1, 2]);
    assert.deepEqual(
      (await api.functionx.list(10, { type: 'temperature', meta: { room: 'hall' } })).map((f) => f.id),
      [2],
    );
    assert.deepEqual((await api.functionx.list(10, { meta: { name: '*temperature' } })).map((f) => f.id).sort(), [2, 3]);
    assert.deepEqual(await api.functionx.list(10, { meta: { room: 'attic' } }), []);
  });

  it('sends silent=true so no evt/functionx/updated is published, and publishes without it', async () => {
    const client = mqtt.connect(sb.mqtt, { username: 'test', password: sb.apiKey, reconnectPeriod: 0 });
    try {
      await new Promise((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
      });
      await client.subscribeAsync('1010/evt/functionx/updated', { qos: 1 });
      const events = [];
      const second = new Promise((resolve) =>
        client.on('message', (t) => {
          events.push(t);
          resolve();
        }),
      );
      const f = await api.functionx.create(10, { type: 'x', meta: {} }, { silent: true });
      await api.functionx.update(10, f.id, { meta: { a: '1' } }); // not silent: exactly this one event
      await second;
      // Both were published by the same broker client in order: a silent-create
      // event would have arrived before the update's.
      assert.deepEqual(events, ['1010/evt/functionx/updated']);
      assert.equal(events.length, 1);
    } finally {
      await client.endAsync(true);
    }
  });

  describe('status', () => {
    beforeEach(() => {
      const inst = sb.store.installation(10);
      sb.store.record(inst, '1010/obj/zwave/node/1/switch', 1, Date.now() / 1000);
    });

    it('gets all latest values', async () => {
      const st = await api.status.get(10);
      const topics = st.map((s) => s.topic).sort();
      assert.deepEqual(topics, ['1010/obj/room/1/humidity', '1010/obj/room/1/temperature', '1010/obj/zwave/node/1/switch']);
      const t = st.find((s) => s.topic === '1010/obj/room/1/temperature');
      assert.equal(t.value, 22.2);
      assert.equal(typeof t.timestamp, 'number');
    });

    it('filters by topics with a GET (repeated topics)', async () => {
      sb.resetRequests();
      const st = await api.status.get(10, { topics: ['obj/room/1/humidity', 'obj/zwave/node/1/switch'] });
      assert.deepEqual(st.map((s) => s.topic).sort(), ['1010/obj/room/1/humidity', '1010/obj/zwave/node/1/switch']);
      assert.equal(st.find((s) => s.topic.endsWith('humidity')).msg, 'h4');
      assert.equal(served(sb, 'GET', '/api/v2/status/10'), 1);
      assert.equal(served(sb, 'POST', '/api/v2/status/10'), 0);
    });

    it('uses the POST variant when the URL would be too long', async () => {
      const topics = ['obj/room/1/temperature'];
      for (let i = 0; i < 200; i++) topics.push(`obj/some/rather/long/topic/name/${i}`);
      assert.ok(api.url('/api/v2/status/10', { topics }).length > MAX_URL_LENGTH);
      sb.resetRequests();
      const st = await api.status.get(10, { topics });
      assert.deepEqual(
        st.map((s) => s.topic),
        ['1010/obj/room/1/temperature'],
      );
      assert.equal(served(sb, 'GET', '/api/v2/status/10'), 0);
      assert.equal(served(sb, 'POST', '/api/v2/status/10'), 1);
    });

    it('falls back to POST when the GET answers 414', async () => {
      sb.faults.set({ errorRate: 1, errorStatus: 414, path: '/api/v2/status/10', count: 1 });
      sb.resetRequests();
      const st = await api.status.get(10, { topics: ['obj/room/1/temperature'] });
      assert.deepEqual(
        st.map((s) => s.topic),
        ['1010/obj/room/1/temperature'],
      );
      assert.deepEqual(
        sb.requests.map((r) => r.method),
        ['GET', 'POST'],
      );
    });
  });

  describe('log v3', () => {
    it('queries with from/to/limit/offset/order/topics', async () => {
      const now = Math.floor(Date.now() / 1000);
      const all = await api.log.query(10, { from: now - 7200, to: now + 10 });
      assert.equal(all.total, 28);
      assert.equal(all.count, 28);
      assert.ok(all.data[0].timestamp >= all.data[1].timestamp, 'default order is desc');

      const asc = await api.log.query(10, { from: now - 7200, topics: ['obj/room/1/temperature'], order: 'asc', limit: 5, offset: 2 });
      assert.equal(asc.total, 23);
      assert.equal(asc.count, 5);
      assert.deepEqual(
        asc.data.map((e) => e.value),
        [20.2, 20.3, 20.4, 20.5, 20.6],
      );
      assert.equal(asc.last, asc.data[0].timestamp);
      assert.ok(asc.data.every((e) => e.topic === '1010/obj/room/1/temperature'));
    });

    it('uses the POST variant for a long topic list, and on 414', async () => {
      const topics = ['obj/room/1/humidity'];
      for (let i = 0; i < 200; i++) topics.push(`obj/some/rather/long/topic/name/${i}`);
      sb.resetRequests();
      const page = await api.log.query(10, { topics, limit: 2, order: 'asc' });
      assert.equal(page.total, 5);
      assert.deepEqual(
        page.data.map((e) => e.msg),
        ['h0', 'h1'],
      );
      assert.deepEqual(
        sb.requests.map((r) => r.method),
        ['POST'],
      );

      sb.faults.set({ errorRate: 1, errorStatus: 414, path: '/api/v3beta/log/10', count: 1 });
      sb.resetRequests();
      const again = await api.log.query(10, { topics: ['obj/room/1/humidity'], limit: 2, offset: 3, order: 'asc' });
      assert.deepEqual(
        again.data.map((e) => e.msg),
        ['h3', 'h4'],
      );
      assert.deepEqual(
        sb.requests.map((r) => r.method),
        ['GET', 'POST'],
      );
    });

    it('pages with offset += count until total', async () => {
      sb.resetRequests();
      const pages = [];
      for await (const p of api.log.pages(10, { topics: ['obj/room/1/temperature'], limit: 7, order: 'asc' })) pages.push(p);
      assert.deepEqual(
        pages.map((p) => p.count),
        [7, 7, 7, 2],
      );
      const values = pages.flatMap((p) => p.data.map((e) => e.value));
      assert.equal(values.length, 23);
      assert.equal(new Set(values).size, 23, 'no entry twice');
      assert.equal(served(sb, 'GET', '/api/v3beta/log/10'), 4);
    });

    it('stops paging on an empty page and passes the signal through', async () => {
      const empty = [];
      for await (const p of api.log.pages(10, { topics: ['obj/nothing'] })) empty.push(p);
      assert.deepEqual(
        empty.map((p) => [p.total, p.count]),
        [[0, 0]],
      );

      const ac = new AbortController();
      const seen = [];
      await assert.rejects(
        async () => {
          for await (const p of api.log.pages(10, { limit: 5 }, { signal: ac.signal })) {
            seen.push(p.count);
            ac.abort();
          }
        },
        (e) => e instanceof LynxApiError && e.code === 'EABORT',
      );
      assert.deepEqual(seen, [5]);
    });

    it('refuses a bad order before calling', async () => {
      sb.resetRequests();
      await assert.rejects(api.log.query(10, { order: 'up' }), /order must be "asc" or "desc"/);
      assert.equal(sb.requests.length, 0);
    });
  });

  describe('schedules', () => {
    it('lists (default executor gateway, or a given one), gets, creates, updates, deletes', async () => {
      assert.deepEqual(
        (await api.schedules.list(10)).map((s) => s.id),
        [1],
      );
      assert.deepEqual(
        (await api.schedules.list(10, { executor: 'cloud' })).map((s) => s.id),
        [2],
      );
      const one = await api.schedules.get(10, 1);
      assert.equal(one.hour, '7');
      assert.equal(one.topic, 'set/obj/zwave/node/1/switch');

      const created = await api.schedules.create(10, {
        active: true,
        topic: 'set/obj/x',
        value: 5,
        hour: '12',
        minute: '15',
        day_of_week: '1,2,3',
      });
      assert.equal(created.installation_id, 10);
      assert.equal(created.day_of_week, '1,2,3');
      assert.equal(created.month, '*');

      const updated = await api.schedules.update(10, created.id, { ...created, active: false, value: 6 });
      assert.equal(updated.active, false);
      assert.equal(updated.value, 6);
      assert.equal((await api.schedules.get(10, created.id)).value, 6);

      await api.schedules.delete(10, created.id, { silent: true });
      await assert.rejects(api.schedules.get(10, created.id), (e) => e.status === 404);
    });
  });

  describe('notifications', () => {
    it('lists and gets messages, outputs and executors', async () => {
      assert.deepEqual(
        (await api.notifications.listMessages(10)).map((m) => m.name),
        ['Alarm'],
      );
      assert.equal((await api.notifications.getMessage(10, 1)).text, '{{.payload.message}}');
      const outs = await api.notifications.listOutputs(10);
      assert.deepEqual(
        outs.map((o) => [o.id, o.name]),
        [[1, 'Mail ops']],
      );
      assert.equal((await api.notifications.getOutput(10, 1)).config.recipients, 'ops@example.com');
      assert.deepEqual(
        (await api.notifications.listExecutors(10)).map((e) => e.type),
        ['mail'],
      );
      assert.equal((await api.notifications.getExecutor(10, 1)).name, 'Mail');
      await assert.rejects(api.notifications.getOutput(10, 99), (e) => e.status === 404);
    });

    it('sends through an output with template data', async () => {
      await api.notifications.send(10, 1, { message: 'Door open' });
      assert.equal(sb.store.sentNotifications.length, 1);
      assert.deepEqual(sb.store.sentNotifications[0].data, { message: 'Door open' });
      assert.equal(sb.store.sentNotifications[0].output_id, 1);
    });
  });

  describe('mqtt publish', () => {
    it('publishes on the installation topic through the API', async () => {
      const client = mqtt.connect(sb.mqtt, { username: 'test', password: sb.apiKey, reconnectPeriod: 0 });
      try {
        await new Promise((resolve, reject) => {
          client.once('connect', resolve);
          client.once('error', reject);
        });
        await client.subscribeAsync('1010/obj/api/test', { qos: 1 });
        const got = new Promise((resolve) => client.once('message', (t, p) => resolve([t, p.toString()])));
        const res = await api.mqtt.publish(10, { topic: 'obj/api/test', payload: { value: 22.5 }, qos: 1 });
        assert.equal(typeof res.message, 'string');
        const [topic, payload] = await got;
        assert.equal(topic, '1010/obj/api/test');
        assert.deepEqual(JSON.parse(payload), { value: 22.5 });
      } finally {
        await client.endAsync(true);
      }
    });
  });

  describe('generic request', () => {
    it('repeats array query values, and returns text or a Buffer when asked', async () => {
      const list = await api.request('GET', '/api/v2/functionx/10', { query: { room: ['kitchen', 'hall'], type: 'temperature' } });
      assert.deepEqual(list.map((f) => f.id).sort(), [2, 3]);
      const text = await api.request('GET', '/api/v2/installationinfo', { responseType: 'text' });
      assert.equal(typeof text, 'string');
      assert.equal(JSON.parse(text).length, 2);
      const buf = await api.request('GET', '/api/v2/installationinfo', { responseType: 'buffer' });
      assert.ok(Buffer.isBuffer(buf));
    });

    it('keeps a query already in the path, and never lets a caller header replace the key', async () => {
      const list = await api.request('GET', '/api/v2/functionx/10?type=temperature', {
        query: { room: 'kitchen' },
        headers: { 'X-API-Key': 'someone-elses-key', 'x-trace': 'abc' },
      });
      assert.deepEqual(
        list.map((f) => f.id),
        [3],
      );
    });

    it('token() returns the API key in apikey mode', async () => {
      assert.equal(await api.token(), API_KEY);
    });

    it('rejects bad ids before calling, naming the field', async () => {
      sb.resetRequests();
      await assert.rejects(api.functionx.get(10, 'abc'), /functionx id must be a positive integer id/);
      await assert.rejects(api.status.get(-1), /installation id must be a positive integer id/);
      assert.equal(sb.requests.length, 0);
    });
  });
});
