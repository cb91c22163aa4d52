'use strict';
// The sandbox is no more lenient than Lynx: bare topic filters, visible vs. assigned
// installations, required body fields (spec schemas), empty answers where the spec
// documents none, and the behaviour switches for IoT Open's clients' readings.
const assert = require('node:assert/strict');
const { sandbox, call } = require('./helpers');

const MAIN = 'sandbox-7f3c9a1e5b2d4f60a8c1e3b5d7f9a2c4';
const RESTRICTED = 'sandbox-stockholm-only-4e8a2c6b1d3f5a7c';
const basic = (u, p) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
const ids = (r) => r.body.map((i) => i.id);

describe('sandbox: strictness', function () {
  let sb;
  before(async () => {
    sb = await sandbox.startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });

  describe('topic filters are bare', () => {
    let tb;
    const T0 = 1700000000;
    before(async () => {
      tb = await sandbox.startSandbox({
        port: 0,
        mqttPort: 0,
        seed: {
          apiKey: 'k',
          installations: [{ id: 1, client_id: 2101, name: 'One' }],
          log: [
            { installation_id: 1, topic: 'obj/zwave/node/3/switch', value: 1, timestamp: T0 },
            // an entry of another client id in the same installation keeps its own prefix
            { installation_id: 1, client_id: 3333, topic: 'obj/zwave/node/3/switch', value: 2, timestamp: T0 + 1 },
            { installation_id: 1, topic: '2101/obj/other', value: 3, timestamp: T0 + 2 },
          ],
        },
      });
    });
    after(() => tb.stop());
    const k = { key: 'k' };

    it("status: a bare filter matches every client id's entry, each with its own prefix", async () => {
      const g = await call(tb, 'GET', '/api/v2/status/1?topics=obj/zwave/node/3/switch', k);
      assert.deepEqual(g.body.map((e) => [e.topic, e.client_id, e.installation_id, e.value]).sort(), [
        ['2101/obj/zwave/node/3/switch', 2101, 1, 1],
        ['3333/obj/zwave/node/3/switch', 3333, 1, 2],
      ]);
      const p = await call(tb, 'POST', '/api/v2/status/1', { ...k, body: ['obj/other', 'obj/zwave/node/3/switch'] });
      assert.equal(p.body.length, 3);
      const c = await call(tb, 'GET', '/api/v2/status/1?topics=obj/other,obj/none', k);
      assert.deepEqual(
        c.body.map((e) => e.topic),
        ['2101/obj/other'],
      );
    });

    it('status and log: a prefixed filter matches nothing', async () => {
      assert.deepEqual((await call(tb, 'GET', '/api/v2/status/1?topics=2101/obj/zwave/node/3/switch', k)).body, []);
      assert.deepEqual((await call(tb, 'POST', '/api/v2/status/1', { ...k, body: ['2101/obj/other'] })).body, []);
      const l = await call(tb, 'GET', `/api/v3beta/log/1?from=${T0}&to=${T0 + 9}&topics=2101/obj/zwave/node/3/switch`, k);
      assert.deepEqual([l.body.total, l.body.data], [0, []]);
      const lp = await call(tb, 'POST', `/api/v3beta/log/1?from=${T0}&to=${T0 + 9}`, { ...k, body: ['2101/obj/other'] });
      assert.equal(lp.body.total, 0);
    });

    it("log: bare filters, answers with each entry's own full topic", async () => {
      const l = await call(tb, 'GET', `/api/v3beta/log/1?from=${T0}&to=${T0 + 9}&order=asc&topics=obj/zwave/node/3/switch`, k);
      assert.deepEqual(
        l.body.data.map((e) => [e.topic, e.client_id, e.installation_id]),
        [
          ['2101/obj/zwave/node/3/switch', 2101, 1],
          ['3333/obj/zwave/node/3/switch', 3333, 1],
        ],
      );
      const lp = await call(tb, 'POST', `/api/v3beta/log/1?from=${T0}&to=${T0 + 9}&order=asc`, { ...k, body: ['obj/other'] });
      assert.deepEqual(
        lp.body.data.map((e) => e.topic),
        ['2101/obj/other'],
      );
      const all = await call(tb, 'GET', `/api/v3beta/log/1?from=${T0}&to=${T0 + 9}`, k);
      assert.equal(all.body.total, 3);
    });
  });

  describe('installationinfo: visible vs. assigned', () => {
    it('the main key sees every installation but is assigned to 101 and 102 only', async () => {
      const def = await call(sb, 'GET', '/api/v2/installationinfo');
      assert.deepEqual(ids(def), [101, 102]);
      assert.ok(def.body.every((i) => i.assigned === true));
      for (const v of ['true', '1']) assert.deepEqual(ids(await call(sb, 'GET', `/api/v2/installationinfo?assigned=${v}`)), [101, 102]);
      for (const v of ['false', '0']) {
        const r = await call(sb, 'GET', `/api/v2/installationinfo?assigned=${v}`);
        assert.deepEqual(
          r.body.map((i) => [i.id, i.assigned]),
          [
            [101, true],
            [102, true],
            [103, false],
          ],
        );
      }
      const one = await call(sb, 'GET', '/api/v2/installationinfo/2103');
      assert.deepEqual([one.status, one.body.assigned], [200, false]);
    });

    it('every other endpoint works on a visible, unassigned installation', async () => {
      for (const p of [
        '/api/v2/functionx/103',
        '/api/v2/devicex/103',
        '/api/v2/status/103',
        '/api/v3beta/log/103',
        '/api/v2/schedule/103',
        '/api/v2/notification/103/message',
      ]) {
        assert.equal((await call(sb, 'GET', p)).status, 200, p);
      }
    });

    it('organization_id filters, repeatable; a non-integer is 400', async () => {
      assert.deepEqual(ids(await call(sb, 'GET', '/api/v2/installationinfo?assigned=false&organization_id=2')), [103]);
      assert.deepEqual(ids(await call(sb, 'GET', '/api/v2/installationinfo?organization_id=2')), []);
      assert.deepEqual(
        ids(await call(sb, 'GET', '/api/v2/installationinfo?assigned=0&organization_id=1&organization_id=2')),
        [101, 102, 103],
      );
      const bad = await call(sb, 'GET', '/api/v2/installationinfo?organization_id=x');
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /"organization_id"/);
      const badA = await call(sb, 'GET', '/api/v2/installationinfo?assigned=maybe');
      assert.equal(badA.status, 400);
      assert.match(badA.body.message, /"assigned"/);
    });

    it('the stockholm-only key: assigned to all it sees (default); users follow the same model', async () => {
      const r = await call(sb, 'GET', '/api/v2/installationinfo?assigned=false', { key: RESTRICTED });
      assert.deepEqual(
        r.body.map((i) => [i.id, i.assigned]),
        [[101, true]],
      );
      const login = await call(sb, 'POST', '/api/v2/auth', { key: null, headers: basic('demo@example.com', 'demo-password') });
      const tok = login.body.token;
      assert.deepEqual(ids(await call(sb, 'GET', '/api/v2/installationinfo', { key: tok })), [101, 102]);
      assert.deepEqual(ids(await call(sb, 'GET', '/api/v2/installationinfo?assigned=false', { key: tok })), [101, 102, 103]);
      assert.equal(MAIN, sb.apiKey);
    });

    it('seeds: assigned defaults to everything visible; old per-installation assigned:false is mapped; a non-subset is refused', async () => {
      const s = await sandbox.startSandbox({
        port: 0,
        mqttPort: 0,
        seed: {
          apiKey: 'main',
          apiKeys: [
            { key: 'scoped', installations: [1, 2] },
            { key: 'explicit', installations: [1, 2], assigned: [2] },
          ],
          installations: [
            { id: 1, client_id: 11, name: 'a' },
            { id: 2, client_id: 12, name: 'b', assigned: false },
          ],
        },
      });
      try {
        assert.deepEqual(
          (await call(s, 'GET', '/api/v2/installationinfo', { key: 'main' })).body.map((i) => i.id),
          [1],
        );
        assert.deepEqual(
          (await call(s, 'GET', '/api/v2/installationinfo', { key: 'scoped' })).body.map((i) => i.id),
          [1],
        );
        assert.deepEqual(
          (await call(s, 'GET', '/api/v2/installationinfo', { key: 'explicit' })).body.map((i) => i.id),
          [2],
        );
        assert.equal((await call(s, 'GET', '/api/v2/installationinfo?assigned=false', { key: 'main' })).body.length, 2);
      } finally {
        await s.stop();
      }
      await assert.rejects(
        sandbox.startSandbox({
          port: 0,
          mqttPort: 0,
          seed: {
            apiKeys: [{ key: 'x', installations: [1], assigned: [2] }],
            installations: [
              { id: 1, client_id: 11, name: 'a' },
              { id: 2, client_id: 12, name: 'b' },
            ],
          },
        }),
        /"assigned" lists 2, not in its "installations"/,
      );
    });
  });

  describe('schedules', () => {
    const body = { installation_id: 101, active: true, topic: 'set/obj/strict', value: 1 };
    afterEach(() => {
      sb.store.behaviour.scheduleCreateAnswer = 'empty';
    });

    it('POST answers 200 with no body by default; behaviour.scheduleCreateAnswer "schedule" answers the Schedule', async () => {
      const r = await call(sb, 'POST', '/api/v2/schedule/101', { body });
      assert.equal(r.status, 200);
      assert.equal(r.text, '');
      assert.equal(r.headers.get('content-type'), null);
      sb.store.behaviour.scheduleCreateAnswer = 'schedule';
      const s = await call(sb, 'POST', '/api/v2/schedule/101', { body: { ...body, minute: '5' } });
      assert.equal(s.status, 200);
      assert.match(s.headers.get('content-type'), /application\/json/);
      assert.deepEqual(
        [s.body.topic, s.body.minute, s.body.hour, s.body.day_of_week, s.body.executor],
        ['set/obj/strict', '5', '*', '*', 'gateway'],
      );
      assert.equal(typeof s.body.id, 'number');
    });

    it('the seed field behaviour.scheduleCreateAnswer', async () => {
      const s = await sandbox.startSandbox({
        port: 0,
        mqttPort: 0,
        seed: { apiKey: 'k', behaviour: { scheduleCreateAnswer: 'schedule' }, installations: [{ id: 1, client_id: 11, name: 'a' }] },
      });
      try {
        const r = await call(s, 'POST', '/api/v2/schedule/1', { key: 'k', body: { ...body, installation_id: 1 } });
        assert.equal(r.body.installation_id, 1);
      } finally {
        await s.stop();
      }
      await assert.rejects(
        sandbox.startSandbox({
          seed: { behaviour: { scheduleCreateAnswer: 'full' }, installations: [{ id: 1, client_id: 1, name: 'a' }] },
        }),
        /scheduleCreateAnswer must be "empty" or "schedule"/,
      );
    });

    for (const [method, path] of [
      ['POST', '/api/v2/schedule/101'],
      ['PUT', '/api/v2/schedule/101/1'],
    ]) {
      it(`${method}: active, installation_id, topic, value required (400 naming the field); installation_id must be the path's`, async () => {
        for (const f of ['active', 'installation_id', 'topic', 'value']) {
          const b = { ...body };
          delete b[f];
          const r = await call(sb, method, path, { body: b });
          assert.equal(r.status, 400, f);
          assert.match(r.body.message, new RegExp(`"${f}"`));
        }
        const other = await call(sb, method, path, { body: { ...body, installation_id: 102 } });
        assert.equal(other.status, 400);
        assert.match(other.body.message, /"installation_id" \(102\) must equal the path's installation_id \(101\)/);
        const types = [
          ['active', 'yes'],
          ['value', '1'],
          ['topic', 5],
          ['minute', 5],
        ];
        for (const [f, v] of types) {
          const r = await call(sb, method, path, { body: { ...body, [f]: v } });
          assert.equal(r.status, 400, f);
          assert.match(r.body.message, new RegExp(`"${f}" must be`));
        }
      });
    }

    it('PUT: the body is a whole Schedule, absent cron fields become "*"', async () => {
      const u = await call(sb, 'PUT', '/api/v2/schedule/101/1', { body: { ...body, hour: '7' } });
      assert.equal(u.status, 200);
      assert.deepEqual([u.body.hour, u.body.minute, u.body.topic], ['7', '*', 'set/obj/strict']);
    });
  });

  describe('two-factor answer spelling', () => {
    afterEach(() => {
      sb.store.behaviour.twoFactorField = 'nextstep';
    });
    it('nextstep by default (the spec); behaviour.twoFactorField "next_step" answers node-lynx\'s spelling', async () => {
      const h = { key: null, headers: basic('twofactor@example.com', 'demo-password') };
      const a = await call(sb, 'POST', '/api/v2/auth', h);
      assert.deepEqual(Object.keys(a.body).sort(), ['nextstep', 'token']);
      assert.equal(a.body.nextstep, 'smslogin');
      sb.store.behaviour.twoFactorField = 'next_step';
      const b = await call(sb, 'POST', '/api/v2/auth', h);
      assert.deepEqual(Object.keys(b.body).sort(), ['next_step', 'token']);
      assert.equal(b.body.next_step, 'smslogin');
    });
  });

  describe('notifications', () => {
    afterEach(() => {
      sb.store.behaviour.omitIds = { messages: false, executors: false };
    });
    const base = '/api/v2/notification/101';

    it('behaviour.omitIds leaves id out of message and executor list/get answers', async () => {
      assert.equal(typeof (await call(sb, 'GET', `${base}/message/1`)).body.id, 'number');
      sb.store.behaviour.omitIds.messages = true;
      const ml = await call(sb, 'GET', `${base}/message`);
      assert.ok(ml.body.length && ml.body.every((m) => !('id' in m) && m.name && m.text));
      assert.deepEqual(Object.keys((await call(sb, 'GET', `${base}/message/1`)).body).sort(), ['name', 'text']);
      assert.ok((await call(sb, 'GET', `${base}/executor`)).body.every((e) => typeof e.id === 'number'));
      sb.store.behaviour.omitIds.executors = true;
      const el = await call(sb, 'GET', `${base}/executor`);
      assert.ok(el.body.length && el.body.every((e) => !('id' in e) && e.type && e.config));
      assert.equal('id' in (await call(sb, 'GET', `${base}/executor/1`)).body, false);
    });

    it('message create/update: name and text required strings', async () => {
      for (const m of ['POST', 'PUT']) {
        const path = m === 'POST' ? `${base}/message` : `${base}/message/1`;
        const noName = await call(sb, m, path, { body: { text: 'x' } });
        assert.equal(noName.status, 400);
        assert.match(noName.body.message, /"name"/);
        const badText = await call(sb, m, path, { body: { name: 'x', text: 1 } });
        assert.match(badText.body.message, /"text" must be a string/);
      }
    });

    it('output create/update: name, executor, message (of this installation), config (object of strings) required', async () => {
      const ok = { name: 'o', notification_output_executor_id: 1, notification_message_id: 1, config: { to: 'a' } };
      for (const m of ['POST', 'PUT']) {
        const path = m === 'POST' ? `${base}/output` : `${base}/output/1`;
        for (const f of Object.keys(ok)) {
          const b = { ...ok };
          delete b[f];
          const r = await call(sb, m, path, { body: b });
          assert.equal(r.status, 400, `${m} ${f}`);
          assert.match(r.body.message, new RegExp(`"${f}"`));
        }
        const otherMsg = await call(sb, m, path, { body: { ...ok, notification_message_id: 2 } });
        assert.match(otherMsg.body.message, /"notification_message_id": no notification message 2 in installation 101/);
        const noEx = await call(sb, m, path, { body: { ...ok, notification_output_executor_id: 99 } });
        assert.match(noEx.body.message, /"notification_output_executor_id"/);
        const badCfg = await call(sb, m, path, { body: { ...ok, config: { to: 1 } } });
        assert.match(badCfg.body.message, /"config\.to" must be a string/);
        const frac = await call(sb, m, path, { body: { ...ok, notification_message_id: 1.5 } });
        assert.match(frac.body.message, /"notification_message_id" must be an integer/);
        assert.equal((await call(sb, m, path, { body: ok })).status, 200);
      }
    });

    it('send answers 200 with an empty body', async () => {
      const r = await call(sb, 'POST', `${base}/output/1/send`, { body: { message: 'x' } });
      assert.deepEqual([r.status, r.text, r.headers.get('content-type')], [200, '', null]);
    });
  });

  describe('functionx / devicex bodies are ModelXNoID', () => {
    for (const kind of ['functionx', 'devicex']) {
      for (const [method, path] of [
        ['POST', `/api/v2/${kind}/101`],
        ['PUT', `/api/v2/${kind}/101/${kind === 'functionx' ? 2 : 2}`],
      ]) {
        it(`${method} ${kind}: installation_id (the path's), type, meta required`, async () => {
          const ok = { installation_id: 101, type: 'temperature', meta: { name: 'n' } };
          for (const f of Object.keys(ok)) {
            const b = { ...ok };
            delete b[f];
            const r = await call(sb, method, path, { body: b });
            assert.equal(r.status, 400, f);
            assert.match(r.body.message, new RegExp(`missing required field "${f}"`));
          }
          assert.match(
            (await call(sb, method, path, { body: { ...ok, installation_id: 102 } })).body.message,
            /"installation_id" \(102\) must equal/,
          );
          assert.match(
            (await call(sb, method, path, { body: { ...ok, installation_id: '101' } })).body.message,
            /"installation_id" must be an integer/,
          );
          assert.match((await call(sb, method, path, { body: { ...ok, meta: [] } })).body.message, /"meta" must be an object of strings/);
          assert.equal((await call(sb, method, path, { body: ok })).status, 200);
        });
      }
    }

    it('meta POST/PUT bodies are MetaX: value a string, protected a boolean', async () => {
      const p = '/api/v2/functionx/101/1/meta/strictkey';
      assert.match((await call(sb, 'POST', p, { body: {} })).body.message, /missing required field "value"/);
      assert.match((await call(sb, 'POST', p, { body: { value: 1 } })).body.message, /"value" must be a string/);
      assert.match((await call(sb, 'POST', p, { body: { value: 'a', protected: 'no' } })).body.message, /"protected" must be a boolean/);
      assert.match((await call(sb, 'PUT', p, { body: { value: 'a', protected: null } })).body.message, /"protected" must be a boolean/);
    });
  });

  describe('MQTT API publish (MQTTPublish)', () => {
    const p = '/api/v2/mqtt/publish/101';
    it('payload must be a JSON object; topic required; qos 0-2; retained boolean', async () => {
      for (const payload of ['{"value":1}', 1, [1], null]) {
        const r = await call(sb, 'POST', p, { body: { topic: 'obj/x', payload } });
        assert.equal(r.status, 400, JSON.stringify(payload));
        assert.match(r.body.message, /"payload" must be a JSON object/);
      }
      assert.match((await call(sb, 'POST', p, { body: { topic: 'obj/x' } })).body.message, /missing required field "payload"/);
      assert.match((await call(sb, 'POST', p, { body: { payload: {} } })).body.message, /missing required field "topic"/);
      for (const qos of [3, -1, 1.5, '1']) {
        assert.match(
          (await call(sb, 'POST', p, { body: { topic: 'obj/x', payload: {}, qos } })).body.message,
          /"qos" must be an integer 0, 1 or 2/,
        );
      }
      assert.match(
        (await call(sb, 'POST', p, { body: { topic: 'obj/x', payload: {}, retained: 'yes' } })).body.message,
        /"retained" must be a boolean/,
      );
      for (const qos of [0, 1, 2]) {
        const ok = await call(sb, 'POST', p, { body: { topic: 'obj/x', payload: { value: 1 }, qos, retained: false } });
        assert.equal(ok.status, 200, ok.text);
      }
    });
  });

  it('DELETE /api/v2/auth answers 200 with an empty body', async () => {
    const login = await call(sb, 'POST', '/api/v2/auth', { key: null, body: { email: 'demo@example.com', password: 'demo-password' } });
    const r = await call(sb, 'DELETE', '/api/v2/auth', { key: login.body.token });
    assert.deepEqual([r.status, r.text, r.headers.get('content-type')], [200, '', null]);
  });
});
