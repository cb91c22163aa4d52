'use strict';
// The API client as IoT Open's own clients call the platform (docs/PLATFORM.md), against the
// strict sandbox over real HTTP on loopback.
const assert = require('node:assert/strict');
const path = require('node:path');
const { dist } = require('../support/nodered');
const { seed, API_KEY, USER_2FA, served } = require('./fixtures');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const { ApiClient, LynxApiError } = require(path.join(dist, 'src/api'));
const { aggregationInterval, aggregationMethod, formatGoDuration, parseGoDuration } = require(path.join(dist, 'src/lynx/aggregation'));
const { bareTopic, fullTopic } = require(path.join(dist, 'src/lynx/topics'));

describe('api: platform fidelity', function () {
  let sb;
  let api;
  before(async () => {
    const s = seed();
    s.apiKeys = [{ key: 'assigned-to-office-only-0123', installations: null, assigned: [10] }];
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: s });
    api = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: API_KEY }, retries: 0 });
  });
  after(async () => {
    await api.close();
    await sb.stop();
  });

  describe('topics', () => {
    it('bare and full topics', () => {
      assert.equal(bareTopic(1010, '1010/obj/a'), 'obj/a');
      assert.equal(bareTopic(1010, '/obj/a'), 'obj/a');
      assert.equal(bareTopic(1010, '1020/obj/a'), '1020/obj/a', 'another prefix is not ours to remove');
      assert.equal(fullTopic(1010, 'obj/a'), '1010/obj/a');
      assert.equal(fullTopic(1010, '1010/obj/a'), '1010/obj/a');
    });

    it('status and log filter on bare topics; a prefixed filter matches nothing', async () => {
      const st = await api.status.get(10, { topics: ['obj/room/1/temperature'] });
      assert.equal(st.length, 1);
      assert.equal(st[0].topic, '1010/obj/room/1/temperature');
      assert.deepEqual(await api.status.get(10, { topics: ['1010/obj/room/1/temperature'] }), []);
      const log = await api.log.query(10, { topics: ['obj/room/1/humidity'] });
      assert.equal(log.count, 5);
      assert.equal((await api.log.query(10, { topics: ['1010/obj/room/1/humidity'] })).count, 0);
    });
  });

  describe('installations', () => {
    it('lists every visible installation, assigned or not, and only assigned ones when asked', async () => {
      const key = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: 'assigned-to-office-only-0123' } });
      try {
        sb.resetRequests();
        const all = await key.installations.list();
        assert.deepEqual(all.map((i) => i.id).sort(), [10, 20]);
        assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 1, 'one request');
        assert.deepEqual(all.map((i) => [i.id, i.assigned]).sort(), [
          [10, true],
          [20, false],
        ]);
        assert.deepEqual(
          (await key.installations.list({ assignedOnly: true })).map((i) => i.id),
          [10],
        );
      } finally {
        await key.close();
      }
    });
  });

  describe('log', () => {
    it('pages to the end without total, until a page shorter than the limit', async () => {
      const sizes = [];
      for await (const p of api.log.pages(10, { limit: 10, includeTotal: false, topics: ['obj/room/1/temperature'] })) {
        assert.equal(p.total, undefined);
        sizes.push(p.count);
      }
      assert.deepEqual(sizes, [10, 10, 3]);
      const withTotal = [];
      for await (const p of api.log.pages(10, { limit: 10, topics: ['obj/room/1/temperature'] })) withTotal.push([p.count, p.total]);
      assert.deepEqual(withTotal, [
        [10, 23],
        [10, 23],
        [3, 23],
      ]);
    });

    it('pages exactly to the end when the last page is full (one empty page more, no total)', async () => {
      const sizes = [];
      for await (const p of api.log.pages(10, { limit: 5, includeTotal: false, topics: ['obj/room/1/humidity'] })) sizes.push(p.count);
      assert.deepEqual(sizes, [5, 0]);
    });

    it('sends whole seconds: from rounded down, to up', async () => {
      const now = Math.floor(Date.now() / 1000);
      const p = await api.log.query(10, { from: now - 3000.7, to: now + 0.2, topics: ['obj/room/1/temperature'] });
      assert.equal(p.total, 23);
    });

    it('aggregates on the server: aggr_method and aggr_interval as Go duration text', async () => {
      const p = await api.log.query(10, {
        topics: ['obj/room/1/temperature'],
        order: 'asc',
        aggregation: { method: 'count', interval: '10m' },
      });
      assert.ok(p.count >= 3 && p.count <= 4, `23 minutes of values fall in 3 or 4 ten-minute buckets, got ${p.count}`);
      assert.equal(
        p.data.reduce((s, e) => s + e.value, 0),
        23,
      );
      assert.ok(p.data.every((e) => e.timestamp % 600 === 0 && e.topic === '1010/obj/room/1/temperature'));
      const avg = await api.log.query(10, { topics: ['obj/room/1/humidity'], aggregation: { method: 'avg', interval: 86400 } });
      assert.ok(avg.count <= 2);
    });

    it('refuses an unknown method or a malformed interval before any call, naming the field', async () => {
      sb.resetRequests();
      await assert.rejects(api.log.query(10, { aggregation: { method: 'mean' } }), /aggregation\.method must be one of avg, count, first/);
      await assert.rejects(
        api.log.query(10, { aggregation: { method: 'avg', interval: '10 minutes' } }),
        /aggregation\.interval must be a duration/,
      );
      await assert.rejects(api.log.query(10, { aggregation: { method: 'avg', interval: 0.5 } }), /at least 1 second/);
      assert.equal(served(sb, 'GET', '/api/v3beta/log'), 0);
    });

    it('the sandbox refuses what the platform would: an unknown method or interval is a 400 naming it', async () => {
      for (const q of ['aggr_method=mean', 'aggr_method=avg&aggr_interval=10minutes']) {
        const res = await fetch(`${sb.api}/api/v3beta/log/10?${q}`, { headers: { 'x-api-key': API_KEY } });
        assert.equal(res.status, 400, q);
        assert.match((await res.json()).message, /aggr_(method|interval)/);
      }
    });

    it('Go durations: parsed like time.ParseDuration, written like Duration.String()', () => {
      assert.equal(parseGoDuration('1h30m'), 5400000);
      assert.equal(parseGoDuration('1.5h'), 5400000);
      assert.equal(parseGoDuration('1h0m0s'), 3600000);
      assert.equal(parseGoDuration('300ms'), 300);
      assert.equal(parseGoDuration('10 m'), undefined);
      assert.equal(parseGoDuration('h'), undefined);
      assert.equal(formatGoDuration(3600000), '1h0m0s');
      assert.equal(formatGoDuration(60000), '1m0s');
      assert.equal(formatGoDuration(90000), '1m30s');
      assert.equal(formatGoDuration(1500), '1.5s');
      assert.equal(formatGoDuration(86400000), '24h0m0s');
      assert.equal(aggregationInterval('15m'), '15m0s');
      assert.equal(aggregationInterval(3600), '1h0m0s');
      assert.equal(aggregationInterval('90'), '1m30s');
      assert.equal(aggregationMethod(' percentile(95) '), 'percentile(95)');
      assert.throws(() => aggregationMethod('AVG'), /aggr_method must be one of/, 'names are exact, as the platform has them');
      assert.throws(() => aggregationMethod('percentile(0)'), /aggr_method must be one of/);
      assert.throws(() => aggregationMethod('percentile(101)'), /aggr_method/);
    });
  });

  describe('schedules', () => {
    afterEach(() => {
      sb.store.behaviour.scheduleCreateAnswer = 'empty';
    });
    for (const form of ['empty', 'schedule']) {
      it(`create returns the schedule with its id when the answer is ${form}`, async () => {
        sb.store.behaviour.scheduleCreateAnswer = form;
        const s = await api.schedules.create(10, { topic: 'set/obj/zwave/node/1/switch', value: 1, minute: '45', hour: '5' });
        assert.equal(typeof s.id, 'number');
        assert.equal(sb.store.schedules.get(s.id).minute, '45');
        assert.equal(s.active, true, 'active is sent (the spec requires it)');
      });
    }

    it('create with an empty answer finds the schedule of another executor too', async () => {
      const s = await api.schedules.create(10, {
        topic: 'set/obj/zwave/node/1/switch',
        value: 0,
        minute: '1',
        hour: '2',
        executor: 'cloud',
      });
      assert.equal(sb.store.schedules.get(s.id).executor, 'cloud');
    });
  });

  describe('two-factor login', () => {
    for (const field of ['nextstep', 'next_step']) {
      it(`is refused with the 2FA advice when the answer says ${field}`, async () => {
        sb.store.behaviour.twoFactorField = field;
        const c = new ApiClient({
          baseUrl: sb.api,
          auth: { type: 'login', username: USER_2FA.email, password: USER_2FA.password },
          retries: 0,
        });
        try {
          await assert.rejects(
            c.installations.list(),
            (e) => e instanceof LynxApiError && e.code === 'E2FA' && /second factor \(SMS code\).*API key/.test(e.message),
          );
        } finally {
          sb.store.behaviour.twoFactorField = 'nextstep';
          await c.close();
        }
      });
    }
  });

  describe('empty answers the spec documents', () => {
    it('send, logout and schedule create answer nothing, and the client takes it', async () => {
      assert.equal(await api.notifications.send(10, 1, { message: 'hi' }), undefined);
      const res = await fetch(`${sb.api}/api/v2/notification/10/output/1/send`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), '');
    });
  });
});
