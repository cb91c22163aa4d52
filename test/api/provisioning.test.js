'use strict';
// Provisioning through the API client against the sandbox (real HTTP on loopback):
// installation CRUD and meta, notification message and output CRUD, find-or-create
// without duplicates (also when a create's answer is lost), and the sandbox's status
// codes and required fields as the spec has them (docs/PLATFORM.md).
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { dist } = require('../support/nodered');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const { ApiClient, LynxApiError } = require(path.join(dist, 'src/api'));

const KEY = 'provisioning-key-0123456789';
const LIMITED = 'limited-key-0123456789abc';
const seed = () => ({
  apiKey: KEY,
  apiKeys: [{ key: LIMITED, installations: [10] }],
  installations: [
    { id: 10, client_id: 1010, name: 'Office', organization_id: 7 },
    { id: 20, client_id: 1020, name: 'Warehouse', organization_id: 8 },
  ],
  notifications: {
    executors: [{ id: 1, type: 'sms', name: 'SMS', organization_id: 7, config: { endpoint: 'http://127.0.0.1/x' } }],
    messages: [{ id: 5, installation_id: 10, name: 'Door alarm', text: 'Door {{.payload.message}}' }],
    outputs: [],
  },
});

async function rejects(p, status, re) {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof LynxApiError, String(e));
    assert.equal(e.status, status, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

async function raw(sb, method, p, body, key = KEY) {
  const r = await fetch(sb.api + p, {
    method,
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

describe('api: provisioning (installations, notification messages and outputs)', function () {
  let sb;
  let api;
  beforeEach(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
    api = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: KEY }, retries: 2 });
  });
  afterEach(async () => {
    await api.close();
    await sb.stop();
  });

  describe('installations', () => {
    it('create answers the new row (id, client_id); it is listed, read, updated, deleted', async () => {
      const made = await api.installations.create({ name: 'Site A', organization_id: 7, meta: { site_code: 'A1' } });
      assert.ok(made.id > 20 && made.client_id > 1020, JSON.stringify(made));
      assert.deepEqual([made.name, made.organization_id, made.notes, made.users, made.meta], ['Site A', 7, '', [], { site_code: 'A1' }]);
      assert.ok(
        (await api.installations.list()).some((i) => i.id === made.id && i.client_id === made.client_id),
        'in installationinfo',
      );
      assert.deepEqual(
        (await api.installations.rows({ site_code: 'A*' })).map((r) => r.id),
        [made.id],
        'meta filter with a wildcard',
      );
      assert.equal((await api.installations.get(made.id)).name, 'Site A');
      const up = await api.installations.update(made.id, { name: 'Site A (north)' });
      assert.deepEqual([up.name, up.organization_id, up.meta], ['Site A (north)', 7, { site_code: 'A1' }], 'other fields kept');
      assert.deepEqual(await api.installations.delete(made.id), { message: 'Deleted' });
      await rejects(api.installations.get(made.id), 404);
      assert.ok(!(await api.installations.list()).some((i) => i.id === made.id));
    });

    it('update sends the protected_meta the row has (as go-lynx and node-lynx send the row they read)', async () => {
      const puts = [];
      const row = {
        id: 5,
        name: 'S',
        client_id: 55,
        organization_id: 7,
        notes: 'n',
        users: [3],
        meta: { a: '1' },
        protected_meta: { pin: '42' },
      };
      const server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          if (req.method === 'PUT') puts.push(JSON.parse(body));
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify(req.method === 'PUT' ? { ...row, ...JSON.parse(body) } : row));
        });
      });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const c = new ApiClient({ baseUrl: `http://127.0.0.1:${server.address().port}`, auth: { type: 'apikey', apiKey: KEY }, retries: 0 });
      try {
        await c.installations.update(5, { name: 'S2' });
        await c.installations.update(5, { protected_meta: { pin: '7' } });
        assert.deepEqual(
          puts.map((b) => [b.name, b.notes, b.users, b.meta, b.protected_meta]),
          [
            ['S2', 'n', [3], { a: '1' }, { pin: '42' }],
            ['S', 'n', [3], { a: '1' }, { pin: '7' }],
          ],
        );
      } finally {
        await c.close();
        await new Promise((r) => server.close(r));
      }
    });

    it('meta: POST creates (409 when it exists), PUT 404 unless create_missing, DELETE 404 when gone', async () => {
      assert.deepEqual(await api.installations.createMeta(10, 'contract', { value: 'C-1' }), { value: 'C-1', protected: false });
      await rejects(api.installations.createMeta(10, 'contract', { value: 'C-2' }), 409);
      await rejects(api.installations.updateMeta(10, 'missing', { value: 'x' }), 404);
      assert.deepEqual(await api.installations.updateMeta(10, 'missing', { value: 'x' }, { createMissing: true }), {
        value: 'x',
        protected: false,
      });
      assert.equal((await api.installations.getMeta(10, 'contract')).value, 'C-1');
      await api.installations.deleteMeta(10, 'contract');
      await rejects(api.installations.getMeta(10, 'contract'), 404);
      await rejects(api.installations.deleteMeta(10, 'contract'), 404);
    });

    it("meta PUT sends a whole MetaX: without protected it sends the key's current flag, read first (a missing key: false)", async () => {
      sb.store.installation(10).protected_meta = { pin: '1234' };
      sb.resetRequests();
      assert.deepEqual(await api.installations.updateMeta(10, 'pin', { value: '4321' }), { value: '4321', protected: true });
      assert.deepEqual(
        sb.requests.map((r) => `${r.method} ${r.path}`),
        ['GET /api/v2/installation/10/meta/pin', 'PUT /api/v2/installation/10/meta/pin'],
      );
      assert.deepEqual(sb.store.installation(10).protected_meta, { pin: '4321' });
      // said explicitly: no read, the flag as given
      sb.resetRequests();
      assert.deepEqual(await api.installations.updateMeta(10, 'pin', { value: 'open', protected: false }), {
        value: 'open',
        protected: false,
      });
      assert.deepEqual(
        sb.requests.map((r) => r.method),
        ['PUT'],
      );
      // a missing key: the read answers 404, the create_missing PUT makes it unprotected
      assert.deepEqual(await api.installations.updateMeta(10, 'fresh', { value: 'x' }, { createMissing: true }), {
        value: 'x',
        protected: false,
      });
      // the read is a GET: retried after a 503
      sb.faults.set({ errorRate: 1, errorStatus: 503, path: '/api/v2/installation/10/meta/pin', methods: ['GET'], count: 1 });
      assert.equal((await api.installations.updateMeta(10, 'pin', { value: 'again' })).value, 'again');
    });

    it('find-or-create by a meta key: a second call finds it, also after a lost answer', async () => {
      const body = { name: 'Site B', organization_id: 7, meta: { site_code: 'B2' } };
      const first = await api.installations.findOrCreate(body, { site_code: 'B2' });
      const again = await api.installations.findOrCreate(body, { site_code: 'B2' });
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.obj.id, first.obj.id);
      // the create acts, then its answer is lost: the lookup finds it, no second one
      sb.faults.set({ errorRate: 1, errorStatus: 502, phase: 'after', path: '/api/v2/installation', methods: ['POST'], count: 1 });
      const c = { name: 'Site C', organization_id: 7, meta: { site_code: 'C3' } };
      const lost = await api.installations.findOrCreate(c, { site_code: 'C3' });
      assert.equal(lost.created, true);
      assert.equal(sb.store.installations.filter((i) => i.meta && i.meta.site_code === 'C3').length, 1, 'made once');
      assert.equal((await api.installations.findOrCreate(c, { site_code: 'C3' })).obj.id, lost.obj.id);
    });

    it('find-or-create looks in the organisation asked for: the same site code in another organisation is not found', async () => {
      sb.store.installation(20).meta = { site_code: 'S1' }; // organisation 8
      const r = await api.installations.findOrCreate({ name: 'Shop', organization_id: 7, meta: { site_code: 'S1' } }, { site_code: 'S1' });
      assert.deepEqual([r.created, r.obj.organization_id], [true, 7]);
      assert.notEqual(r.obj.id, 20);
      const again = await api.installations.findOrCreate(
        { name: 'Shop', organization_id: 8, meta: { site_code: 'S1' } },
        { site_code: 'S1' },
      );
      assert.deepEqual([again.created, again.obj.id], [false, 20]);
    });

    it('refuses bodies that would make find-or-create create every time', async () => {
      await assert.rejects(
        api.installations.findOrCreate({ name: 'X', organization_id: 7, meta: {} }, { site_code: 'X' }),
        /meta\.site_code/,
      );
      await assert.rejects(api.installations.findOrCreate({ name: 'X', organization_id: 7 }, {}), /at least one meta key/);
    });

    it('visibility: a limited key sees the installation it creates, and creates only in its organisations', async () => {
      const limited = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: LIMITED }, retries: 0 });
      try {
        await rejects(limited.installations.get(20), 403);
        await rejects(limited.installations.create({ name: 'Elsewhere', organization_id: 8 }), 403);
        const mine = await limited.installations.create({ name: 'Mine', organization_id: 7 });
        assert.deepEqual((await limited.installations.list()).map((i) => i.id).sort(), [10, mine.id].sort());
        assert.deepEqual((await limited.installations.rows()).map((i) => i.id).sort(), [10, mine.id].sort());
      } finally {
        await limited.close();
      }
    });
  });

  describe('sandbox: installation status codes and required fields (spec Installation)', () => {
    const ok = { name: 'N', organization_id: 7, notes: '', users: [] };
    for (const [field, body, re] of [
      ['name', { ...ok, name: undefined }, /missing required field "name"/],
      ['organization_id', { ...ok, organization_id: undefined }, /missing required field "organization_id"/],
      ['notes', { ...ok, notes: undefined }, /missing required field "notes"/],
      ['users', { ...ok, users: undefined }, /missing required field "users"/],
      ['users (type)', { ...ok, users: ['a'] }, /field "users" must be an array of integer user ids/],
      ['meta (type)', { ...ok, meta: { a: 1 } }, /field "meta\.a" must be a string/],
    ]) {
      it(`400 naming ${field}`, async () => {
        const r = await raw(sb, 'POST', '/api/v2/installation', body);
        assert.equal(r.status, 400);
        assert.match(r.body.message, re);
        const u = await raw(sb, 'PUT', '/api/v2/installation/10', body);
        assert.equal(u.status, 400);
      });
    }
    it('404 for an unknown installation, 403 for one the key may not see, 401 without a key', async () => {
      assert.equal((await raw(sb, 'GET', '/api/v2/installation/999')).status, 404);
      assert.equal((await raw(sb, 'DELETE', '/api/v2/installation/999')).status, 404);
      assert.equal((await raw(sb, 'GET', '/api/v2/installation/20', undefined, LIMITED)).status, 403);
      assert.equal((await raw(sb, 'GET', '/api/v2/installation/10/meta/x', undefined, LIMITED)).status, 404);
      assert.equal((await raw(sb, 'GET', '/api/v2/installation', undefined, 'wrong-key')).status, 401);
      assert.equal((await raw(sb, 'POST', '/api/v2/installation/10/meta/k', {})).status, 400, 'MetaX value required');
    });
    it('delete removes what was in the installation', async () => {
      const made = await api.installations.create({ name: 'Temp', organization_id: 7 });
      await api.functionx.create(made.id, { type: 'switch', meta: {} });
      await api.installations.delete(made.id);
      assert.equal([...sb.store.functions.values()].filter((f) => f.installation_id === made.id).length, 0);
    });
  });

  describe('notification messages and outputs', () => {
    it('message CRUD and find-or-create by name', async () => {
      const m = await api.notifications.createMessage(10, { name: 'Leak', text: 'Leak at {{.payload.message}}' });
      assert.ok(m.id);
      assert.equal((await api.notifications.getMessage(10, m.id)).text, 'Leak at {{.payload.message}}');
      assert.equal(
        (await api.notifications.updateMessage(10, m.id, { name: 'Leak', text: 'Water: {{.payload.message}}' })).text,
        'Water: {{.payload.message}}',
      );
      const f = await api.notifications.findOrCreateMessage(10, { name: 'Leak', text: 'ignored when found' });
      assert.deepEqual([f.created, f.obj.id], [false, m.id]);
      const n = await api.notifications.findOrCreateMessage(10, { name: 'Fire', text: 'Fire!' });
      assert.equal(n.created, true);
      assert.equal((await api.notifications.listMessages(10)).filter((x) => x.name === 'Fire').length, 1);
      await api.notifications.deleteMessage(10, m.id);
      await rejects(api.notifications.getMessage(10, m.id), 404);
    });

    it('output CRUD and find-or-create by name, once also after a lost answer', async () => {
      const body = { name: 'SMS on-call', notification_output_executor_id: 1, notification_message_id: 5, config: { to: '+4670000' } };
      sb.faults.set({
        errorRate: 1,
        errorStatus: 500,
        phase: 'after',
        path: '/api/v2/notification/10/output',
        methods: ['POST'],
        count: 1,
      });
      const o = await api.notifications.findOrCreateOutput(10, body);
      assert.equal(o.created, true);
      const again = await api.notifications.findOrCreateOutput(10, body);
      assert.deepEqual([again.created, again.obj.id], [false, o.obj.id]);
      assert.equal((await api.notifications.listOutputs(10)).length, 1, 'one output, not two');
      const up = await api.notifications.updateOutput(10, o.obj.id, { ...body, config: { to: '+4671111' } });
      assert.deepEqual(up.config, { to: '+4671111' });
      await api.notifications.deleteOutput(10, o.obj.id);
      await rejects(api.notifications.getOutput(10, o.obj.id), 404);
    });

    it('sandbox: required fields answer 400 naming them; a message of another installation is refused', async () => {
      assert.match((await raw(sb, 'POST', '/api/v2/notification/10/message', { name: 'x' })).body.message, /"text"/);
      const noExec = await raw(sb, 'POST', '/api/v2/notification/10/output', { name: 'x', notification_message_id: 5, config: {} });
      assert.equal(noExec.status, 400);
      assert.match(noExec.body.message, /notification_output_executor_id/);
      const other = await raw(sb, 'POST', '/api/v2/notification/20/output', {
        name: 'x',
        notification_output_executor_id: 1,
        notification_message_id: 5,
        config: {},
      });
      assert.equal(other.status, 400);
      assert.match(other.body.message, /notification_message_id/);
      assert.equal((await raw(sb, 'DELETE', '/api/v2/notification/10/output/999')).status, 404);
    });

    it('the client refuses empty names before calling', async () => {
      await assert.rejects(api.notifications.createMessage(10, { name: '', text: 'x' }), /message name must be a non-empty string/);
      await assert.rejects(
        api.notifications.createOutput(10, { name: 'o', notification_output_executor_id: 0, notification_message_id: 5 }),
        /notification_output_executor_id/,
      );
    });
  });
});
