'use strict';
// The tests devicex and functionx share (same ModelX API, same shared runtime
// in nodes/lib/modelx-node.ts): run once per node type against the sandbox in
// the real Node-RED runtime. Not a *.test.js file: the two test files call it.
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, configNode, dist, catchNode, watchers, useNodeRed } = require('../support/nodered');
const { first } = require('../support/util');

/**
 * Start a flow with one node of `type` (extra config in `props`), a helper on its
 * output and a Catch node scoped to it. Returns { node, run(msg) } where run
 * resolves { out } or { caught } (whichever arrives first).
 */
async function flow(sb, type, props = {}) {
  const cfg = configNode(sb);
  const f = [
    cfg.node,
    { id: 'n', type, server: 'cfg', installation: '101', wires: [['out']], ...props },
    { id: 'out', type: 'helper' },
    ...watchers('n'),
  ];
  await helper.load([nodeModule('iotopen-config'), nodeModule(type), catchNode], f, cfg.credentials);
  const node = helper.getNode('n');
  const out = helper.getNode('out');
  const caught = helper.getNode('caught');
  const run = (msg) => first({ out, caught }, () => node.receive(msg));
  return { node, run };
}

async function ok(run, msg) {
  const r = await run(msg);
  assert.ok(r.out, `expected an output, got error: ${r.caught && r.caught.error && r.caught.error.message}`);
  return r.out;
}

async function fails(run, msg, re) {
  const r = await run(msg);
  assert.ok(r.caught, `expected a caught error, got output ${JSON.stringify(r.out && r.out.payload)}`);
  assert.match(r.caught.error.message, re);
  return r.caught;
}

async function startSandbox() {
  const { startSandbox: start } = require(path.join(dist, 'src', 'sandbox'));
  return start({ port: 0, mqttPort: 0 });
}

function modelxSuite(kind) {
  const type = `iotopen-${kind}`;
  const idField = kind === 'devicex' ? 'device_id' : 'function_id';

  describe(`${type} (shared ModelX operations)`, function () {
    let sb;
    before(async () => {
      sb = await startSandbox();
    });
    after(async () => {
      if (sb) await sb.stop();
    });
    useNodeRed();

    const listOf = async (iid, filter) => {
      const { ApiClient } = require(path.join(dist, 'src', 'api'));
      const api = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: sb.apiKey }, retries: 0 });
      try {
        return await api[kind].list(iid, filter);
      } finally {
        await api.close();
      }
    };

    it('lists with a type filter and a wildcard meta filter (msg.filter), matching the sandbox', async () => {
      const { run } = await flow(sb, type, { operation: 'list' });
      const all = (await ok(run, { payload: null })).payload;
      assert.ok(Array.isArray(all) && all.length > 0);
      assert.ok(all.every((x) => x.installation_id === 101));
      const sample = all.find((x) => x.meta.name);
      const prefix = sample.meta.name.slice(0, 3);
      const m = await ok(run, { filter: { type: sample.type, meta: { name: `${prefix}*` } } });
      const expected = all
        .filter((x) => x.type === sample.type && x.meta.name && x.meta.name.startsWith(prefix))
        .map((x) => x.id)
        .sort();
      assert.deepEqual(m.payload.map((x) => x.id).sort(), expected);
      assert.ok(expected.length < all.length || all.every((x) => x.type === sample.type), 'filter should narrow the list');
    });

    it('lists with the filter set in the node (type + JSON meta) and overrides the installation from msg', async () => {
      const { run } = await flow(sb, type, { operation: 'list', typeFilter: '', filter: '{"name":"*"}', filterType: 'json' });
      const m = await ok(run, { installation_id: 102 });
      assert.equal(m.installation_id, 102);
      assert.ok(m.payload.every((x) => x.installation_id === 102 && typeof x.meta.name === 'string'));
      assert.deepEqual(m.payload.map((x) => x.id).sort(), (await listOf(102, { meta: { name: '*' } })).map((x) => x.id).sort());
    });

    it('creates, gets, updates, sets/gets/deletes meta and deletes, the id flowing from msg', async () => {
      const { run } = await flow(sb, type, { operation: 'create' });
      const created = await ok(run, { payload: { type: 'test-kind', meta: { name: 'Created by test', room: 'Lab' } }, silent: true });
      const id = created.payload.id;
      assert.equal(created[idField], id);
      assert.equal(sb.store.collection(kind).get(id).meta.room, 'Lab');

      const got = await ok(run, { operation: 'get', [idField]: id });
      assert.equal(got.payload.meta.name, 'Created by test');

      const upd = await ok(run, { operation: 'update', id, payload: { meta: { name: 'Renamed' } } });
      assert.equal(upd.payload.type, 'test-kind', 'update without type keeps the type');
      assert.deepEqual(sb.store.collection(kind).get(id).meta, { name: 'Renamed' });

      const set = await ok(run, { operation: 'meta-set', [idField]: id, meta_key: 'unit', payload: 'kWh' });
      assert.equal(set.payload, 'kWh');
      assert.equal(sb.store.collection(kind).get(id).meta.unit, 'kWh');
      const set2 = await ok(run, { operation: 'meta_set', [idField]: id, meta_key: 'unit', payload: { value: 'Wh' } });
      assert.equal(set2.payload, 'Wh');
      const mg = await ok(run, { operation: 'metaGet', [idField]: id, meta_key: 'unit' });
      assert.equal(mg.payload, 'Wh');
      assert.equal(mg.protected, false);

      await fails(run, { operation: 'meta-set', [idField]: id, meta_key: 'absent', payload: 'x', create_missing: false }, /404/);
      assert.equal(sb.store.collection(kind).get(id).meta.absent, undefined);

      await ok(run, { operation: 'meta-delete', [idField]: id, meta_key: 'unit' });
      assert.equal(sb.store.collection(kind).get(id).meta.unit, undefined);
      const gone = await fails(run, { operation: 'meta-get', [idField]: id, meta_key: 'unit' }, /404/);
      assert.equal(gone.error.cause.status, 404);

      const del = await ok(run, { operation: 'delete', [idField]: id });
      assert.deepEqual(del.payload, { deleted: true, id });
      assert.equal(sb.store.collection(kind).get(id), undefined);
    });

    it('silent suppresses the evt/<kind>/updated event, not silent emits it', async () => {
      const mqtt = require('mqtt');
      const client = await mqtt.connectAsync(sb.mqtt, { username: 'test', password: sb.apiKey, reconnectPeriod: 0 });
      try {
        const events = [];
        client.on('message', (topic) => events.push(topic));
        await client.subscribeAsync(`2101/evt/${kind}/updated`, { qos: 1 });
        const { run } = await flow(sb, type, { operation: 'create', silent: true });
        const a = await ok(run, { payload: { type: 't', meta: {} } });
        const b = await ok(run, { payload: { type: 't', meta: {} }, silent: false });
        // a marker publish on the same connection path, so we know earlier events had their chance to arrive
        await client.publishAsync(`2101/evt/${kind}/updated`, 'marker', { qos: 1 });
        await new Promise((r) => {
          const check = () => (events.length >= 2 ? r() : setTimeout(check, 10));
          check();
        });
        assert.equal(events.length, 2, 'one event from the non-silent create, one marker');
        await ok(run, { operation: 'delete', [idField]: a.payload.id });
        await ok(run, { operation: 'delete', [idField]: b.payload.id });
      } finally {
        await client.endAsync();
      }
    });

    it('find-or-create by match keys creates once and then finds (msg.created), even with two messages at once', async () => {
      const { run } = await flow(sb, type, { operation: 'find-or-create', matchKeys: 'ext_id' });
      const body = () => ({ payload: { type: 'integration', meta: { ext_id: 'abc-42', name: 'From integration' } } });
      const [first, second] = await Promise.all([ok(run, body()), ok(run, body())]);
      assert.deepEqual([first.created, second.created].sort(), [false, true]);
      assert.equal(first.payload.id, second.payload.id);
      const again = await ok(run, body());
      assert.equal(again.created, false);
      assert.equal(again[idField], first.payload.id);
      const matches = await listOf(101, { meta: { ext_id: 'abc-42' } });
      assert.equal(matches.length, 1, 'no duplicates');
      // a different key value creates a new one
      const other = await ok(run, { payload: { type: 'integration', meta: { ext_id: 'abc-43' } } });
      assert.equal(other.created, true);
      assert.notEqual(other.payload.id, first.payload.id);
    });

    it('find-or-create: two nodes finding the same object at once make one (the lock is the whole runtime, not one node)', async () => {
      const cfg = configNode(sb);
      const node = (id) => ({
        id,
        type,
        server: 'cfg',
        installation: '101',
        operation: 'find-or-create',
        matchKeys: 'ext_id',
        wires: [['out']],
      });
      await helper.load(
        [nodeModule('iotopen-config'), nodeModule(type), catchNode],
        [cfg.node, node('a'), node('b'), { id: 'out', type: 'helper' }],
        cfg.credentials,
      );
      const out = helper.getNode('out');
      const got = new Promise((resolve) => {
        const msgs = [];
        out.on('input', (m) => msgs.push(m) === 2 && resolve(msgs));
      });
      for (const id of ['a', 'b']) helper.getNode(id).receive({ payload: { type: 'integration', meta: { ext_id: 'two-nodes' } } });
      const msgs = await got;
      assert.deepEqual(msgs.map((m) => m.created).sort(), [false, true]);
      assert.equal((await listOf(101, { meta: { ext_id: 'two-nodes' } })).length, 1, 'no duplicates');
    });

    it('find-or-create with msg.filter and an exact value that is not a wildcard', async () => {
      const { run } = await flow(sb, type, { operation: 'find-or-create' });
      const a = await ok(run, { filter: { meta: { serial: 'S-1' } }, payload: { type: 'x', meta: { serial: 'S-1' } } });
      assert.equal(a.created, true);
      const b = await ok(run, { filter: { meta: { serial: 'S-1' } }, payload: { type: 'x', meta: { serial: 'S-1' } } });
      assert.equal(b.created, false);
      assert.equal(b.payload.id, a.payload.id);
      await fails(run, { payload: { type: 'x', meta: { serial: 'S-2' } } }, /Match keys/);
    });

    it('under 20 % API faults (5xx and 429 before or after the server acted, lost connections): every operation succeeds, find-or-create makes each object once', async function () {
      this.timeout(60000);
      const { run } = await flow(sb, type, { operation: 'find-or-create', matchKeys: 'serial' });
      const keys = Array.from({ length: 8 }, (_, i) => `soak-${kind}-${i}`);
      sb.faults.set({
        seed: 189, // the same requests fail every run: a pass is not luck
        errorRate: 0.15,
        dropRate: 0.05,
        errorStatus: [500, 502, 503, 504, 429],
        phase: 'either',
        path: `/api/v2/${kind}/101`,
      });
      try {
        // each key twice: the second message must find what the first made, lost answers or not
        // (one message at a time: run() takes the node's next output)
        for (const round of [0, 1]) {
          for (const serial of keys) {
            const out = await ok(run, { payload: { type: 'soak', meta: { serial, round: String(round) } } });
            assert.equal(out.payload.meta.serial, serial);
            assert.equal(out.created, round === 0, `${serial} round ${round}: created ${out.created}`);
          }
        }
        // idempotent operations on what was made: get, update, meta-set, meta-get
        const made = (await ok(run, { operation: 'list', filter: { type: 'soak' } })).payload.filter((o) => keys.includes(o.meta.serial));
        assert.equal(made.length, keys.length);
        for (const o of made) {
          await ok(run, { operation: 'get', [idField]: o.id });
          await ok(run, { operation: 'update', [idField]: o.id, payload: { meta: { ...o.meta, touched: 'yes' } } });
          await ok(run, { operation: 'meta-set', [idField]: o.id, meta_key: 'note', payload: 'kept' });
          assert.equal((await ok(run, { operation: 'meta-get', [idField]: o.id, meta_key: 'note' })).payload, 'kept');
        }
        const st = sb.faults.stats();
        assert.ok(st.before.error + st.after.error + st.before.drop + st.after.drop > 0, 'faults were injected');
      } finally {
        sb.faults.clear();
      }
      const all = [...sb.store.collection(kind).values()].filter((o) => o.type === 'soak');
      for (const serial of keys) assert.equal(all.filter((o) => o.meta.serial === serial).length, 1, `one ${kind} with serial ${serial}`);
    });

    describe('bad input reaches a Catch node with a message naming the field', () => {
      it('missing or wrong installation id', async () => {
        const { run } = await flow(sb, type, { operation: 'list', installation: '' });
        await fails(run, { payload: 1 }, /installation_id must be a positive integer id, got nothing/);
        await fails(run, { installation_id: 'abc' }, /installation_id must be a positive integer id, got "abc"/);
        await fails(run, { installation_id: -3 }, /installation_id/);
      });

      it('missing object id, wrong type of id, unknown operation, bad silent', async () => {
        const { run } = await flow(sb, type, { operation: 'get' });
        await fails(run, {}, new RegExp(`${idField} must be a positive integer id`));
        await fails(run, { [idField]: { x: 1 } }, new RegExp(`${idField} must be a positive integer id, got \\{"x":1\\}`));
        await fails(run, { operation: 'destroy', [idField]: 1 }, /operation "destroy" is unknown: use one of list, get/);
        await fails(run, { operation: 'delete', [idField]: 1, silent: 'yes' }, /msg.silent must be true or false/);
        assert.ok(sb.store.collection(kind).get(1), 'nothing deleted on bad input');
      });

      it('unknown id: the API 404 surfaces with its status and message', async () => {
        const { run } = await flow(sb, type, { operation: 'get' });
        const c = await fails(run, { id: 999999 }, /404/);
        assert.match(c.error.message, /Not found/i);
        assert.equal(c.error.cause.status, 404);
        assert.equal(c.error.cause.message, 'Not found');
        assert.ok(!JSON.stringify({ e: c.error, s: c.error.stack }).includes(sb.apiKey), 'the API key never appears in an error');
        const other = await fails(run, { installation_id: 999, id: 1 }, /40[34]/);
        assert.ok(other.error.cause.status === 403 || other.error.cause.status === 404);
      });

      it('invalid create/update bodies name the wrong field and make no call', async () => {
        const { run } = await flow(sb, type, { operation: 'create' });
        sb.resetRequests();
        await fails(run, { payload: 'lamp' }, /msg.payload must be an object \{type, meta\}/);
        await fails(run, { payload: { meta: {} } }, /msg.payload.type must be a non-empty string/);
        await fails(run, { payload: { type: 'switch' } }, /msg.payload.meta is required/);
        await fails(run, { payload: { type: 'switch', meta: { max: 100 } } }, /msg.payload.meta.max must be a string, got 100/);
        await fails(run, { payload: { type: 'switch', meta: [] } }, /msg.payload.meta must be an object/);
        await fails(run, { operation: 'update', id: 1, payload: { type: 7, meta: {} } }, /msg.payload.type must be a non-empty string/);
        await fails(run, { operation: 'meta-set', id: 1, meta_key: 'unit', payload: 5 }, /meta value as a string.*write "5"/);
        await fails(run, { operation: 'meta-set', id: 1, payload: 'x' }, /meta key is missing/);
        await fails(run, { operation: 'list', filter: { name: 'x' } }, /msg.filter has unknown key "name".*msg.filter.meta/);
        await fails(run, { operation: 'list', filter: { meta: { n: 3 } } }, /msg.filter.meta.n must be a string/);
        assert.deepEqual(
          sb.requests.filter((r) => r.path.startsWith(`/api/v2/${kind}`)),
          [],
          'no API call for invalid input',
        );
      });
    });

    it('without a deployed config node every message fails through done(err), nothing crashes', async () => {
      const { run } = await flow(sb, type, { operation: 'list', server: '' });
      const c = await fails(run, { payload: 1 }, /noServer|IoT Open server/);
      assert.equal(c.error.source.id, 'n');
    });
  });
}

module.exports = { modelxSuite, flow, ok, fails, startSandbox };
