'use strict';
// Auth, access control, errors and CRUD behaviour of the sandbox's REST API.
const assert = require('node:assert/strict');
const { sandbox, call, connect, nextMessage } = require('./helpers');

const RESTRICTED = 'sandbox-stockholm-only-4e8a2c6b1d3f5a7c';
const basic = (u, p) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

describe('sandbox: REST API', function () {
  let sb;
  before(async () => {
    sb = await sandbox.startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });

  describe('auth', () => {
    it('401 without a key, with a wrong key, and {"message"} as body', async () => {
      for (const key of [null, 'wrong-key']) {
        const r = await call(sb, 'GET', '/api/v2/installationinfo', { key });
        assert.equal(r.status, 401);
        assert.deepEqual(r.body, { message: 'Unauthorized' });
      }
    });

    it('accepts Basic auth with any user and the key as password', async () => {
      const r = await call(sb, 'GET', '/api/v2/installationinfo?assigned=false', { key: null, headers: basic('anyone', sb.apiKey) });
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 3);
    });

    it('a restricted key sees only its installations: 403 for others', async () => {
      const list = await call(sb, 'GET', '/api/v2/installationinfo', { key: RESTRICTED });
      assert.deepEqual(
        list.body.map((i) => i.id),
        [101],
      );
      assert.equal((await call(sb, 'GET', '/api/v2/functionx/102', { key: RESTRICTED })).status, 403);
      assert.equal((await call(sb, 'GET', '/api/v2/status/103', { key: RESTRICTED })).status, 403);
      assert.equal((await call(sb, 'GET', '/api/v2/functionx/101', { key: RESTRICTED })).status, 200);
    });

    it('login token works as X-API-Key until revoked through sb.store', async () => {
      const login = await call(sb, 'POST', '/api/v2/auth', { key: null, headers: basic('demo@example.com', 'demo-password') });
      const token = login.body.token;
      assert.equal((await call(sb, 'GET', '/api/v2/functionx/101', { key: token })).status, 200);
      assert.equal(sb.store.revokeToken(token), true);
      assert.equal((await call(sb, 'GET', '/api/v2/functionx/101', { key: token })).status, 401);
    });

    it('login also takes a JSON body, and DELETE /api/v2/auth logs out', async () => {
      const login = await call(sb, 'POST', '/api/v2/auth', { key: null, body: { email: 'demo@example.com', password: 'demo-password' } });
      assert.equal(login.status, 200);
      assert.equal((await call(sb, 'DELETE', '/api/v2/auth', { key: login.body.token })).status, 200);
      assert.equal((await call(sb, 'GET', '/api/v2/installationinfo', { key: login.body.token })).status, 401);
    });

    it('a 2FA token is useless until the SMS challenge is answered', async () => {
      const first = await call(sb, 'POST', '/api/v2/auth', { key: null, headers: basic('twofactor@example.com', 'demo-password') });
      assert.equal(first.body.nextstep, 'smslogin');
      assert.equal((await call(sb, 'GET', '/api/v2/installationinfo', { key: first.body.token })).status, 401);
      const wrong = await call(sb, 'PUT', '/api/v2/auth', { key: first.body.token, body: { challenge: '000000' } });
      assert.equal(wrong.status, 401);
      const ok = await call(sb, 'PUT', '/api/v2/auth', { key: first.body.token, body: { challenge: '123456' } });
      assert.equal(ok.status, 200);
      assert.equal((await call(sb, 'GET', '/api/v2/installationinfo', { key: ok.body.token })).status, 200);
    });
  });

  describe('errors', () => {
    it('404 for unknown installation, object, path; 405 for a known path with the wrong method', async () => {
      assert.equal((await call(sb, 'GET', '/api/v2/functionx/999')).status, 404);
      assert.equal((await call(sb, 'GET', '/api/v2/functionx/101/9999')).status, 404);
      assert.equal((await call(sb, 'GET', '/api/v2/functionx/102/1')).status, 404, 'function 1 belongs to 101');
      assert.equal((await call(sb, 'GET', '/api/v2/nothing')).status, 404);
      assert.equal((await call(sb, 'GET', '/api/v2/installationinfo/9999')).status, 404);
      assert.equal((await call(sb, 'PATCH', '/api/v2/functionx/101')).status, 405);
    });

    it('400 names the field on malformed JSON, missing or mistyped fields', async () => {
      const bad = await call(sb, 'POST', '/api/v2/functionx/101', { rawBody: '{"type":', headers: { 'content-type': 'application/json' } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /malformed JSON/);
      const noType = await call(sb, 'POST', '/api/v2/functionx/101', { body: { installation_id: 101, meta: {} } });
      assert.equal(noType.status, 400);
      assert.match(noType.body.message, /"type"/);
      const badMeta = await call(sb, 'POST', '/api/v2/functionx/101', { body: { installation_id: 101, type: 'x', meta: { a: 1 } } });
      assert.match(badMeta.body.message, /"meta\.a" must be a string/);
      const sched = await call(sb, 'POST', '/api/v2/schedule/101', { body: { installation_id: 101, active: true, topic: 'set/obj/x' } });
      assert.equal(sched.status, 400);
      assert.match(sched.body.message, /"value"/);
      const pub = await call(sb, 'POST', '/api/v2/mqtt/publish/101', { body: { payload: {} } });
      assert.match(pub.body.message, /"topic"/);
      const id = await call(sb, 'GET', '/api/v2/functionx/abc');
      assert.equal(id.status, 400);
      assert.match(id.body.message, /installation_id/);
      const order = await call(sb, 'GET', '/api/v3beta/log/101?order=up');
      assert.match(order.body.message, /"order"/);
    });

    it('409 on a duplicate meta key; update 404s unless create_missing=true', async () => {
      assert.equal((await call(sb, 'POST', '/api/v2/functionx/101/1/meta/name', { body: { value: 'x' } })).status, 409);
      assert.equal((await call(sb, 'PUT', '/api/v2/functionx/101/1/meta/fresh', { body: { value: 'a' } })).status, 404);
      const r = await call(sb, 'PUT', '/api/v2/functionx/101/1/meta/fresh?create_missing=true', { body: { value: 'a', protected: true } });
      assert.deepEqual(r.body, { value: 'a', protected: true });
      const fx = await call(sb, 'GET', '/api/v2/functionx/101/1');
      assert.equal(fx.body.protected_meta.fresh, 'a');
      assert.equal(fx.body.meta.fresh, undefined);
    });

    it('414 when the request URL exceeds 4096 bytes; the POST variant answers', async () => {
      const topics = Array.from({ length: 300 }, (_, i) => `obj/zwave/node/${i}/temperature`);
      const qs = topics.map((t) => `topics=${encodeURIComponent(t)}`).join('&');
      assert.ok(qs.length > 4096);
      const r = await call(sb, 'GET', `/api/v2/status/101?${qs}`);
      assert.equal(r.status, 414);
      assert.equal((await call(sb, 'GET', `/api/v3beta/log/101?${qs}`)).status, 414);
      const p = await call(sb, 'POST', '/api/v2/status/101', { body: [...topics, 'obj/zwave/node/4/temperature'] });
      assert.equal(p.status, 200);
      assert.deepEqual(
        p.body.map((e) => e.topic),
        ['2101/obj/zwave/node/4/temperature'],
      );
    });
  });

  describe('functionx / devicex', () => {
    it('lists with type and meta filters, * wildcard, repeated values', async () => {
      const sw = await call(sb, 'GET', '/api/v2/functionx/101?type=switch');
      assert.deepEqual(
        sw.body.map((f) => f.id),
        [1],
      );
      const byName = await call(sb, 'GET', `/api/v2/functionx/101?name=${encodeURIComponent('Meeting room*')}`);
      assert.deepEqual(byName.body.map((f) => f.id).sort(), [2, 3]);
      const mid = await call(sb, 'GET', '/api/v2/functionx/101?topic_read=*node/6*');
      assert.deepEqual(mid.body.map((f) => f.id).sort(), [5, 6]);
      const both = await call(sb, 'GET', '/api/v2/functionx/101?type=power&topic_read=*node/6*');
      assert.deepEqual(
        both.body.map((f) => f.id),
        [6],
      );
      const none = await call(sb, 'GET', '/api/v2/functionx/101?name=Nope');
      assert.deepEqual(none.body, []);
      const dev = await call(sb, 'GET', '/api/v2/devicex/102?room=Cold*');
      assert.deepEqual(
        dev.body.map((d) => d.id),
        [6],
      );
    });

    it('create, update (replaces meta), delete', async () => {
      const c = await call(sb, 'POST', '/api/v2/devicex/103', {
        body: { installation_id: 103, type: 'zwave', meta: { name: 'Sauna sensor', room: 'Sauna' } },
      });
      assert.equal(c.body.installation_id, 103);
      const u = await call(sb, 'PUT', `/api/v2/devicex/103/${c.body.id}`, {
        body: { installation_id: 103, type: 'zwave', meta: { name: 'Sauna' } },
      });
      assert.deepEqual(u.body.meta, { name: 'Sauna' });
      assert.equal(u.body.type, 'zwave');
      assert.equal((await call(sb, 'DELETE', `/api/v2/devicex/103/${c.body.id}`)).status, 200);
      assert.equal((await call(sb, 'GET', `/api/v2/devicex/103/${c.body.id}`)).status, 404);
    });
  });

  describe('schedules and notifications', () => {
    it('lists schedules by executor (default "gateway"), CRUD keeps cron defaults', async () => {
      const gw = await call(sb, 'GET', '/api/v2/schedule/101');
      assert.ok(gw.body.length >= 1 && gw.body.every((s) => s.executor === 'gateway'));
      const cloud = await call(sb, 'GET', '/api/v2/schedule/101?executor=cloud');
      assert.deepEqual(
        cloud.body.map((s) => s.id),
        [4],
      );
      const body = { installation_id: 102, active: true, topic: 'set/obj/a', value: 2, hour: '6' };
      assert.equal((await call(sb, 'POST', '/api/v2/schedule/102', { body })).text, '', 'the spec: 200 with no body');
      const c = { body: (await call(sb, 'GET', '/api/v2/schedule/102')).body.find((s) => s.topic === 'set/obj/a') };
      assert.equal(c.body.minute, '*');
      assert.equal(c.body.hour, '6');
      const u = await call(sb, 'PUT', `/api/v2/schedule/102/${c.body.id}`, { body: { ...body, active: false } });
      assert.equal(u.body.active, false);
      assert.equal(u.body.topic, 'set/obj/a');
      assert.equal(u.body.hour, '6');
      assert.equal((await call(sb, 'DELETE', `/api/v2/schedule/102/${c.body.id}`)).body.message, 'deleted');
      assert.equal((await call(sb, 'GET', `/api/v2/schedule/102/${c.body.id}`)).status, 404);
    });

    it("send records the notification in sb.store; other installation's output is 404", async () => {
      const before = sb.store.sentNotifications.length;
      const r = await call(sb, 'POST', '/api/v2/notification/101/output/2/send', { body: { message: 'Door open' } });
      assert.equal(r.status, 200);
      const last = sb.store.sentNotifications.at(-1);
      assert.equal(sb.store.sentNotifications.length, before + 1);
      assert.deepEqual([last.installation_id, last.output_id, last.data], [101, 2, { message: 'Door open' }]);
      assert.equal((await call(sb, 'POST', '/api/v2/notification/101/output/3/send', { body: {} })).status, 404);
    });
  });

  describe('evt publishing on CRUD', () => {
    let client;
    before(async () => {
      client = await connect(sb.mqtt, sb.apiKey);
      await client.subscribeAsync('+/evt/#');
    });
    after(() => client.endAsync(true));

    for (const [kind, iid, cid, mk] of [
      ['functionx', 101, 2101, () => ['POST', '/api/v2/functionx/101', { installation_id: 101, type: 'switch', meta: {} }]],
      ['devicex', 102, 2102, () => ['POST', '/api/v2/devicex/102', { installation_id: 102, type: 'zwave', meta: {} }]],
      ['schedule', 103, 2103, () => ['POST', '/api/v2/schedule/103', { installation_id: 103, active: true, topic: 'set/obj/x', value: 1 }]],
      ['functionx', 101, 2101, () => ['PUT', '/api/v2/functionx/101/1/meta/name', { value: 'Lights' }]],
    ]) {
      it(`${mk()[0]} ${mk()[1]} publishes ${cid}/evt/${kind}/updated`, async () => {
        const got = nextMessage(client, (t) => t.startsWith(`${cid}/evt/`));
        const [m, p, body] = mk();
        assert.equal((await call(sb, m, p, { body })).status, 200);
        assert.equal((await got).topic, `${cid}/evt/${kind}/updated`);
        void iid;
      });
    }

    it('silent=true publishes nothing (the next event seen is the non-silent one)', async () => {
      const got = nextMessage(client, (t) => t.startsWith('2101/evt/'));
      await call(sb, 'POST', '/api/v2/functionx/101?silent=true', {
        body: { installation_id: 101, type: 'switch', meta: { marker: 'silent' } },
      });
      await call(sb, 'POST', '/api/v2/schedule/101', { body: { installation_id: 101, active: true, topic: 'set/obj/x', value: 1 } });
      assert.equal((await got).topic, '2101/evt/schedule/updated');
    });
  });
});
