'use strict';
// iotopen-installation in the real Node-RED runtime against the sandbox (real HTTP on loopback):
// every operation, find-or-create without duplicates (re-runs, messages at once, a lost answer),
// bad input reaching a Catch node, and the catalog seeing a new installation at once.
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, configNode, dist, catchNode, watchers } = require('../support/nodered');
const { next } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const configMod = nodeModule('iotopen-config');
const instMod = nodeModule('iotopen-installation');

const seed = () => ({
  apiKey: 'installation-node-key-0123456789',
  installations: [{ id: 1, client_id: 5001, name: 'Head office', organization_id: 3, meta: { site_code: 'HQ' } }],
});

describe('iotopen-installation node', function () {
  let sb;
  beforeEach(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
  });
  afterEach(async () => {
    await helper.unload();
    await sb.stop();
  });

  async function load(props = {}) {
    const cfg = configNode(sb);
    const flow = [
      cfg.node,
      { id: 'f1', type: 'tab' },
      {
        id: 'inst',
        z: 'f1',
        type: 'iotopen-installation',
        server: 'cfg',
        operation: 'find-or-create',
        installation: '',
        organization: '3',
        metaKey: '',
        matchKeys: 'site_code',
        silent: false,
        createMissing: true,
        wires: [['out']],
        ...props,
      },
      { id: 'out', z: 'f1', type: 'helper' },
      ...watchers('inst', { z: 'f1' }),
    ];
    await helper.load([configMod, instMod, catchNode], flow, cfg.credentials);
    return { inst: helper.getNode('inst'), out: helper.getNode('out'), caught: helper.getNode('caught'), cfg: helper.getNode('cfg') };
  }
  const send = async (n, msg) => {
    const got = next(n.out);
    n.inst.receive(msg);
    return got;
  };
  const sites = (code) => sb.store.installations.filter((i) => i.meta && i.meta.site_code === code);

  it('find-or-create: the first message creates, a re-run finds it', async () => {
    const n = await load();
    const a = await send(n, { payload: { name: 'Site Malmö', meta: { site_code: 'MLM' } } });
    assert.equal(a.created, true);
    assert.equal(a.payload.name, 'Site Malmö');
    assert.equal(a.payload.organization_id, 3, "the node's organisation");
    assert.equal(a.installation_id, a.payload.id);
    const b = await send(n, { payload: { name: 'Site Malmö', meta: { site_code: 'MLM' } } });
    assert.deepEqual([b.created, b.installation_id], [false, a.installation_id]);
    assert.equal(sites('MLM').length, 1);
  });

  it('find-or-create: messages at once make one installation, also when a create answer is lost', async () => {
    const n = await load();
    sb.faults.set({ errorRate: 1, errorStatus: 502, phase: 'after', path: '/api/v2/installation', methods: ['POST'], count: 1 });
    const got = next(n.out, 3);
    for (let i = 0; i < 3; i++) n.inst.receive({ payload: { name: 'Site Lund', meta: { site_code: 'LND' } } });
    const msgs = await got;
    assert.equal(new Set(msgs.map((m) => m.installation_id)).size, 1);
    assert.equal(msgs.filter((m) => m.created).length, 1);
    assert.equal(sites('LND').length, 1);
  });

  it('find-or-create: two nodes (in two flows) finding the same site at once make one installation', async () => {
    const cfg = configNode(sb);
    const node = (id, z) => ({
      id,
      z,
      type: 'iotopen-installation',
      server: 'cfg',
      operation: 'find-or-create',
      organization: '3',
      matchKeys: 'site_code',
      wires: [['out']],
    });
    await helper.load(
      [configMod, instMod, catchNode],
      [
        cfg.node,
        { id: 'f1', type: 'tab' },
        { id: 'f2', type: 'tab' },
        node('a', 'f1'),
        node('b', 'f2'),
        { id: 'out', z: 'f1', type: 'helper' },
      ],
      cfg.credentials,
    );
    const got = next(helper.getNode('out'), 2);
    for (const id of ['a', 'b']) helper.getNode(id).receive({ payload: { name: 'Site Ystad', meta: { site_code: 'YST' } } });
    const msgs = await got;
    assert.equal(sites('YST').length, 1, 'one installation');
    assert.deepEqual(msgs.map((m) => m.created).sort(), [false, true]);
    assert.equal(new Set(msgs.map((m) => m.installation_id)).size, 1);
  });

  it('a new installation is in the catalog (ctx.installation of every node) at once, a deleted one gone', async () => {
    const n = await load();
    assert.deepEqual(
      (await n.cfg.catalog.installations()).map((i) => i.id),
      [1],
      'cached before',
    );
    const m = await send(n, { payload: { name: 'Site Umeå', meta: { site_code: 'UME' } } });
    const inCatalog = await n.cfg.catalog.installation(m.installation_id);
    assert.ok(inCatalog, 'the catalog lists it');
    assert.equal(inCatalog.client_id, m.payload.client_id);
    // deleted: gone from the catalog too
    await send(n, { operation: 'delete', installation_id: m.installation_id });
    assert.equal(await n.cfg.catalog.installation(m.installation_id), undefined);
  });

  it('list (with a meta filter), get, create, update, delete', async () => {
    const n = await load({ operation: 'list' });
    assert.deepEqual(
      (await send(n, {})).payload.map((i) => i.id),
      [1],
    );
    const made = await send(n, {
      operation: 'create',
      organization_id: 3,
      payload: { name: 'Depot', notes: 'gate code at reception', meta: { site_code: 'DEP' } },
    });
    assert.equal(made.payload.notes, 'gate code at reception');
    assert.deepEqual(
      (await send(n, { filter: { site_code: 'D*' } })).payload.map((i) => i.name),
      ['Depot'],
    );
    assert.equal((await send(n, { operation: 'get', installation_id: made.installation_id })).payload.name, 'Depot');
    const up = await send(n, { operation: 'update', installation_id: made.installation_id, payload: { name: 'Depot north' } });
    assert.deepEqual([up.payload.name, up.payload.notes, up.payload.meta], ['Depot north', 'gate code at reception', { site_code: 'DEP' }]);
    const del = await send(n, { operation: 'delete', installation_id: made.installation_id });
    assert.deepEqual(del.payload, { deleted: true, id: made.installation_id });
    assert.equal(sb.store.installation(made.installation_id), undefined);
  });

  it('meta-get, meta-set (creating a missing key), meta-delete', async () => {
    const n = await load({ operation: 'meta-set', installation: '1', metaKey: 'contract' });
    assert.equal((await send(n, { payload: 'C-2026-01' })).payload, 'C-2026-01');
    assert.equal(sb.store.installation(1).meta.contract, 'C-2026-01');
    const got = await send(n, { operation: 'meta-get' });
    assert.deepEqual([got.payload, got.protected, got.meta_key], ['C-2026-01', false, 'contract']);
    await send(n, { operation: 'meta-delete' });
    assert.equal(sb.store.installation(1).meta.contract, undefined);
  });

  describe('bad input reaches a Catch node with a clear error', () => {
    const cases = [
      ['no name', {}, { payload: { meta: { site_code: 'X' } } }, /msg\.payload\.name must be the installation's name/],
      ['a payload that is not an object', {}, { payload: 'Site' }, /msg\.payload must be an object/],
      ['a missing match key', {}, { payload: { name: 'X', meta: {} } }, /msg\.payload\.meta\.site_code is missing/],
      ['a wildcard match key', {}, { payload: { name: 'X', meta: { site_code: 'A*' } } }, /contains \*/],
      ['no match keys', { matchKeys: '' }, { payload: { name: 'X', meta: { site_code: 'X' } } }, /needs Match keys/],
      ['no organisation', { organization: '' }, { payload: { name: 'X', meta: { site_code: 'X' } } }, /needs its organisation/],
      [
        'a meta value that is not a string',
        {},
        { payload: { name: 'X', meta: { site_code: 5 } } },
        /msg\.payload\.meta\.site_code must be a string/,
      ],
      ['a bad installation id', { operation: 'get' }, { installation_id: 'abc' }, /msg\.installation_id must be a positive integer id/],
      ['an unknown installation (404)', { operation: 'get' }, { installation_id: 999 }, /404/],
      ['no meta key', { operation: 'meta-get', installation: '1' }, {}, /meta_key must be a meta key/],
      ['an unknown operation', {}, { operation: 'rename' }, /operation "rename" is unknown/],
    ];
    for (const [what, props, msg, re] of cases) {
      it(what, async () => {
        const n = await load(props);
        const caught = next(n.caught);
        n.inst.receive(msg);
        assert.match((await caught).error.message, re);
        assert.equal(sb.store.installations.length, 1, 'nothing created');
      });
    }
  });
});

describe('Onboard a site example flow', function () {
  const { loadExample } = require('../support/example-flow');
  const { core } = require('../support/nodered');
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });
  afterEach(() => helper.unload());

  it('onboards the site once: a second run finds the installation, device, function and output', async () => {
    await loadExample('Onboard a site.json', sb, [
      instMod,
      nodeModule('iotopen-devicex'),
      nodeModule('iotopen-functionx'),
      nodeModule('iotopen-notify'),
      core('function/10-function.js'),
    ]);
    const done = helper.getNode('onb-dbg');
    const err = helper.getNode('onb-err');
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const got = new Promise((resolve, reject) => {
        done.once('input', resolve);
        err.once('input', (m) => reject(new Error(m.error.message)));
      });
      helper.getNode('onb-go').receive({});
      runs.push(await got);
    }
    const [a, b] = runs;
    assert.equal(a.created, true);
    assert.equal(b.created, false);
    assert.equal(a.output_id, b.output_id);
    const inst = sb.store.installations.filter((i) => i.meta && i.meta.site_code === 'KBA-1');
    assert.equal(inst.length, 1, 'one installation');
    const iid = inst[0].id;
    assert.equal(a.installation_id, iid);
    assert.equal([...sb.store.devices.values()].filter((d) => d.installation_id === iid).length, 1, 'one device');
    const fns = [...sb.store.functions.values()].filter((f) => f.installation_id === iid);
    assert.equal(fns.length, 1, 'one function');
    assert.equal(fns[0].meta.device_id, String(a.device_id));
    assert.equal([...sb.store.messages.values()].filter((m) => m.installation_id === iid).length, 1, 'one message');
    const outs = [...sb.store.outputs.values()].filter((o) => o.installation_id === iid);
    assert.equal(outs.length, 1, 'one output');
    assert.equal(outs[0].notification_output_executor_id, 2, 'the SMS executor, found by type');
  });
});
