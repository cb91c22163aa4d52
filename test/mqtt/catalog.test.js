'use strict';
// Catalog against the sandbox: real HTTP (ApiClient) and the sandbox's MQTT broker.
const assert = require('node:assert/strict');
const { startSandbox } = require('../../dist/src/sandbox');
const { ApiClient } = require('../../dist/src/api');
const { MqttHub } = require('../../dist/src/mqtt');
const { Catalog } = require('../../dist/src/catalog');

const { waitFor } = require('../support/util');

describe('Catalog', () => {
  let sb;
  let api;
  let hub;
  let catalog;

  beforeEach(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
    api = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: sb.apiKey } });
    hub = new MqttHub({ url: sb.mqtt, password: () => api.token(), minReconnectMs: 20, maxReconnectMs: 200 });
  });
  afterEach(async () => {
    if (catalog) catalog.close();
    await hub.close();
    await api.close();
    await sb.stop();
  });

  it('serves a burst of 200 nodes on one installation with 3 API requests in all', async () => {
    catalog = new Catalog(api, hub);
    sb.resetRequests();
    const calls = [];
    for (let i = 0; i < 200; i++) {
      calls.push(catalog.installations(), catalog.functions(101), catalog.latestStatus(101));
    }
    const results = await Promise.all(calls);
    assert.equal(sb.requests.length, 3, JSON.stringify(sb.requests));
    assert.ok(results[0].some((i) => i.id === 101 && i.client_id === 2101));
    assert.ok(results[1].some((f) => f.meta.topic_read === 'obj/zwave/node/4/temperature'));
    assert.ok(Array.isArray(results[2]));
    // Later calls are answered from the cache.
    await catalog.functions(101);
    await catalog.installations();
    assert.equal(sb.requests.length, 3);
    assert.equal((await catalog.installation(102)).client_id, 2102);
    assert.equal(await catalog.installation(999), undefined);
  });

  it('does not cache a failure: the next call asks again', async () => {
    catalog = new Catalog(api, hub);
    // 403: a failure the client does not retry (a 500 on a GET is retried and would succeed)
    sb.faults.set({ errorRate: 1, errorStatus: 403, path: '/api/v2/functionx/101', count: 1 });
    await assert.rejects(catalog.functions(101));
    sb.faults.clear();
    const list = await catalog.functions(101);
    assert.ok(list.length > 0);
  });

  it('refreshes on {client_id}/evt/functionx/updated, debounced, and emits functions', async () => {
    hub.acquire('test');
    await new Promise((resolve) => hub.on('state', (s) => s.state === 'connected' && resolve()));
    catalog = new Catalog(api, hub, { debounceMs: 250 });
    const before = await catalog.functions(101);
    await waitFor(() => hub.subscriptionCount === 2);
    const emitted = [];
    catalog.on('functions', (iid) => emitted.push(iid));
    // The broker handles one connection's packets in order: a publish sent after
    // the SUBSCRIBEs proves they are live, and exercises the devicex event.
    await hub.publish('2101/evt/devicex/updated', '{}', { qos: 1 });
    await waitFor(() => emitted.length === 1);
    emitted.length = 0;
    sb.resetRequests();

    const fid = before[0].id;
    // Five changes at once through the API: the sandbox announces each on evt.
    await Promise.all([1, 2, 3, 4, 5].map((n) => api.functionx.update(101, fid, { meta: { ...before[0].meta, name: `Renamed ${n}` } })));
    await waitFor(() => emitted.length >= 1);
    assert.deepEqual([...new Set(emitted)], [101]);
    const refreshes = sb.requests.filter((r) => r.method === 'GET' && r.path === '/api/v2/functionx/101');
    assert.ok(refreshes.length >= 1 && refreshes.length < 5, `${refreshes.length} refresh calls for 5 events`);
    const after = await catalog.functions(101);
    assert.match(after.find((f) => f.id === fid).meta.name, /^Renamed [1-5]$/);
  });

  it('sees a silent change (no event) once the followed list is older than watchedMaxAgeMs', async () => {
    hub.acquire('test');
    await new Promise((resolve) => hub.on('state', (s) => s.state === 'connected' && resolve()));
    catalog = new Catalog(api, hub, { watchedMaxAgeMs: 200 });
    const before = await catalog.functions(101);
    await waitFor(() => hub.subscriptionCount === 2);
    const fid = before[0].id;
    await api.functionx.update(101, fid, { meta: { ...before[0].meta, name: 'Silently renamed' } }, { silent: true });
    assert.equal((await catalog.functions(101)).find((f) => f.id === fid).meta.name, before[0].meta.name, 'cached while fresh');
    await new Promise((r) => setTimeout(r, 250));
    assert.equal((await catalog.functions(101)).find((f) => f.id === fid).meta.name, 'Silently renamed');
  });

  it('refreshFunctions(iid): the next call sees a silent change at once, followers get functions; uncached installations cost nothing', async () => {
    catalog = new Catalog(api, hub, { debounceMs: 20 });
    const before = await catalog.functions(101);
    const fid = before[0].id;
    const emitted = [];
    catalog.on('functions', (iid) => emitted.push(iid));
    await api.functionx.update(101, fid, { meta: { ...before[0].meta, name: 'Silently renamed' } }, { silent: true });
    assert.equal((await catalog.functions(101)).find((f) => f.id === fid).meta.name, before[0].meta.name, 'cached until told');
    sb.resetRequests();
    catalog.refreshFunctions(102); // not cached: nothing to refresh
    catalog.refreshFunctions(101);
    assert.equal((await catalog.functions(101)).find((f) => f.id === fid).meta.name, 'Silently renamed');
    await waitFor(() => emitted.length > 0);
    assert.deepEqual(emitted, [101]);
    assert.deepEqual(
      sb.requests.filter((r) => r.path.includes('/102')),
      [],
    );
    assert.ok(
      sb.requests.every((r) => r.method === 'GET' && r.path === '/api/v2/functionx/101'),
      JSON.stringify(sb.requests),
    );
  });

  it('takes one listener per following node without a leak warning (500 nodes are normal)', async () => {
    catalog = new Catalog(api, hub);
    const warnings = [];
    const onWarning = (w) => warnings.push(w);
    process.on('warning', onWarning);
    const listeners = Array.from({ length: 500 }, () => () => {});
    try {
      for (const l of listeners) catalog.on('functions', l);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.filter((w) => w.name === 'MaxListenersExceededWarning'),
        [],
      );
      assert.equal(catalog.listenerCount('functions'), 500);
    } finally {
      process.off('warning', onWarning);
      for (const l of listeners) catalog.off('functions', l);
    }
  });

  it('rejects calls after close with a clear message', async () => {
    catalog = new Catalog(api, hub);
    catalog.close();
    await assert.rejects(catalog.functions(101), /catalog is closed/);
  });
});
