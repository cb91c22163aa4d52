'use strict';
// iotopen-api in the real Node-RED runtime against the sandbox (real HTTP on loopback).
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, configNode, dist, catchNode, watchers } = require('../support/nodered');
const { next } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const configMod = nodeModule('iotopen-config');
const apiMod = nodeModule('iotopen-api');

const IID = 701;
const seed = () => ({
  apiKey: 'api-node-test-key-0123456789',
  installations: [{ id: IID, client_id: 9701, name: 'API test' }],
  functions: [
    { id: 81, installation_id: IID, type: 'switch', meta: { name: 'Lamp', topic_read: 'obj/lamp', 'a b/c': 'odd key' } },
    { id: 82, installation_id: IID, type: 'temperature', meta: { name: 'Temp', topic_read: 'obj/temp' } },
  ],
});

describe('iotopen-api node', function () {
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
  });
  after(async () => {
    await sb.stop();
  });
  afterEach(async () => {
    sb.faults.clear();
    await helper.unload();
  });

  async function load(props = {}) {
    const cfg = configNode(sb);
    const flow = [
      cfg.node,
      { id: 'f1', type: 'tab' },
      {
        id: 'api',
        z: 'f1',
        type: 'iotopen-api',
        server: 'cfg',
        method: 'GET',
        path: '/api/v2/functionx/{installation_id}',
        installation: String(IID),
        params: '',
        query: '',
        queryType: 'json',
        ret: 'json',
        wires: [['out']],
        ...props,
      },
      { id: 'out', z: 'f1', type: 'helper' },
      ...watchers('api', { z: 'f1' }),
    ];
    await helper.load([configMod, apiMod, catchNode], flow, cfg.credentials);
    return { api: helper.getNode('api'), out: helper.getNode('out'), caught: helper.getNode('caught') };
  }

  it('GETs a list with {installation_id} from the picked installation', async () => {
    const n = await load();
    const got = next(n.out);
    n.api.receive({ payload: 'ignored', keep: 1 });
    const m = await got;
    assert.equal(m.statusCode, 200);
    assert.equal(m.keep, 1);
    assert.deepEqual(m.payload.map((f) => f.id).sort(), [81, 82]);
  });

  it('fills placeholders from msg.params, msg properties and the node params, URL-encoded', async () => {
    const n = await load({ path: '/api/v2/functionx/{installation_id}/{functionx_id}/meta/{meta_key}', params: '{"functionx_id": 81}' });
    sb.resetRequests();
    const got = next(n.out);
    n.api.receive({ params: { meta_key: 'a b/c' } });
    const m = await got;
    assert.equal(m.statusCode, 200);
    assert.match(JSON.stringify(m.payload), /odd key/);
    const metaReq = sb.requests.find((r) => r.path.includes('/meta/'));
    assert.ok(metaReq && /\/functionx\/701\/81\/meta\/a(%20| )b%2Fc$/.test(metaReq.path), JSON.stringify(metaReq));
    const got2 = next(n.out);
    n.api.receive({ functionx_id: 82, path: '/api/v2/functionx/{installation_id}/{functionx_id}' });
    assert.equal((await got2).payload.meta.name, 'Temp');
  });

  it('POSTs msg.payload as the body and reports the status; PUT and DELETE work too', async () => {
    const n = await load({ method: 'POST' });
    let got = next(n.out);
    n.api.receive({ payload: { installation_id: IID, type: 'door', meta: { name: 'Door', topic_read: 'obj/door' } } });
    const created = await got;
    assert.ok(created.statusCode >= 200 && created.statusCode < 300);
    const id = created.payload.id;
    assert.ok(Number.isInteger(id));
    got = next(n.out);
    n.api.receive({
      method: 'PUT',
      path: '/api/v2/functionx/{installation_id}/{id}',
      params: { id },
      payload: { installation_id: IID, type: 'door', meta: { name: 'Front door', topic_read: 'obj/door' } },
    });
    assert.equal((await got).payload.meta.name, 'Front door');
    got = next(n.out);
    n.api.receive({ method: 'delete', path: '/api/v2/functionx/{installation_id}/{id}', params: { id } });
    const deleted = await got;
    assert.ok(deleted.statusCode >= 200 && deleted.statusCode < 300);
    const caught = next(n.caught);
    n.api.receive({ method: 'GET', path: '/api/v2/functionx/{installation_id}/{id}', params: { id } });
    const c = await caught;
    assert.equal(c.statusCode, 404);
  });

  it('sends the query from the node (JSON) or from msg.query', async () => {
    const n = await load({ query: '{"type":"switch"}' });
    let got = next(n.out);
    n.api.receive({});
    assert.deepEqual(
      (await got).payload.map((f) => f.id),
      [81],
    );
    got = next(n.out);
    n.api.receive({ query: { type: 'temperature' } });
    assert.deepEqual(
      (await got).payload.map((f) => f.id),
      [82],
    );
  });

  describe('bad input reaches a Catch node with a clear error', () => {
    const cases = [
      [
        'a missing placeholder value',
        { path: '/api/v2/functionx/{installation_id}/{functionx_id}' },
        /needs a value for \{functionx_id\}.*msg\.params\.functionx_id/,
      ],
      ['an unknown method', { method: 'PATCH' }, /msg\.method must be one of GET, POST, PUT, DELETE/],
      ['a full URL as path', { path: 'https://elsewhere.example/api/v2/x' }, /msg\.path must be a path on the configured server/],
      ['a query string in the path', { path: '/api/v2/functionx/{installation_id}?type=x' }, /msg\.path must not contain '\?'/],
      ['a query that is not an object', { query: [1, 2] }, /msg\.query must be an object/],
      ['a nested query value', { query: { a: { b: 1 } } }, /msg\.query\.a must be a string, number, boolean/],
      ['params that are not an object', { params: 'x' }, /msg\.params must be an object/],
      ['a path value that climbs', { path: '/api/v2/functionx/{installation_id}/{x}', params: { x: '..' } }, /\{x\} must not be '\.\.'/],
    ];
    for (const [what, msg, re] of cases) {
      it(what, async () => {
        const n = await load();
        const caught = next(n.caught);
        n.api.receive(msg);
        assert.match((await caught).error.message, re);
      });
    }

    it('bad params JSON in the node', async () => {
      const n = await load({ params: '{nope' });
      const caught = next(n.caught);
      n.api.receive({});
      assert.match((await caught).error.message, /params must be valid JSON/);
    });

    it('an API error keeps its status and message, and no key', async () => {
      const n = await load({ path: '/api/v2/functionx/{installation_id}/999999' });
      const caught = next(n.caught);
      n.api.receive({});
      const c = await caught;
      assert.equal(c.statusCode, 404);
      assert.match(c.error.message, /404/);
      assert.ok(!JSON.stringify(c).includes(sb.apiKey));
    });

    it('a server error after retries', async () => {
      const n = await load();
      sb.faults.set({ errorRate: 1, errorStatus: 500, path: /^\/api\/v2\/functionx/ });
      const caught = next(n.caught);
      n.api.receive({});
      const c = await caught;
      assert.equal(c.statusCode, 500);
    });
  });
});

describe('iotopen-api example flow', function () {
  const { loadExample } = require('../support/example-flow');
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });
  afterEach(() => helper.unload());

  it('runs against the default seed', async () => {
    await loadExample('API - call any endpoint.json', sb, [apiMod]);
    const dbg = helper.getNode('api-dbg');
    const answer = () => new Promise((r) => dbg.once('input', r));
    let got = answer();
    helper.getNode('api-list').receive({});
    let m = await got;
    assert.ok(m.payload.length > 0 && m.payload.every((f) => f.type === 'switch'));
    got = answer();
    helper.getNode('api-one').receive({ params: { functionx_id: 2 } });
    m = await got;
    assert.equal(m.payload.id, 2);
    got = answer();
    helper.getNode('api-info').receive({});
    m = await got;
    assert.equal(m.statusCode, 200);
    assert.ok(m.payload.some((i) => i.id === 101));
  });
});
