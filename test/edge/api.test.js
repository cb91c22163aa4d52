'use strict';
// EdgeApi (src/api/edge.ts) against the sandbox's edge routes (src/sandbox/edge.ts), over real HTTP.
const assert = require('node:assert/strict');
const path = require('node:path');
const { createHash } = require('node:crypto');
const { dist } = require('../support/nodered');
const { waitFor } = require('../support/util');
const { seed, appLua, appJson } = require('./fixtures');

const { startSandbox } = require(path.join(dist, 'src/sandbox/index.js'));
const { edgeState } = require(path.join(dist, 'src/sandbox/edge.js'));
const { ApiClient } = require(path.join(dist, 'src/api/index.js'));

describe('edge api against the sandbox', function () {
  let sb;
  let api;
  const json = JSON.stringify(appJson);

  before(async function () {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed });
    api = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: sb.apiKey }, retries: 0 });
  });
  after(async function () {
    if (api) await api.close();
    if (sb) await sb.stop();
  });

  let appId;
  let hash;

  it('creates a listing and lists and gets it', async function () {
    const app = await api.edge.createApp({
      name: 'Heater keeper',
      category: 'climate',
      tags: ['heat'],
      short_description: 'Keeps heat',
      description: '',
      publisher: { id: 1 },
      public: false,
    });
    assert.ok(app.id > 0);
    appId = app.id;
    assert.equal(app.name, 'Heater keeper');
    assert.deepEqual(app.tags, ['heat']);
    assert.deepEqual(app.publisher, { id: 1 });
    // not published yet: in the organisation's list, not in the published list
    assert.deepEqual(
      (await api.edge.listApps()).map((a) => a.id),
      [],
    );
    assert.deepEqual(
      (await api.edge.listOrganizationApps(1)).map((a) => a.id),
      [appId],
    );
    assert.equal((await api.edge.getApp(appId)).category, 'climate');
  });

  it('rejects a listing without a name with 400 and the server message', async function () {
    await assert.rejects(
      api.edge.createApp({ category: 'x' }),
      (e) => e.status === 400 && /name is required/.test(e.serverMessage ?? e.message),
    );
  });

  it('uploads a version as multipart: hash is sha256 of lua + json', async function () {
    const up = await api.edge.uploadVersion(appId, { appLua, appJson: json });
    const want = createHash('sha256').update(appLua).update(json).digest('hex');
    assert.deepEqual(up, { hash: want, unchanged: false });
    hash = up.hash;
    const v = edgeState(sb.store).versions.get(appId);
    assert.equal(v.length, 1);
    assert.equal(v[0].lua.toString(), appLua);
  });

  it('an identical upload answers 204 and resolves to the latest hash', async function () {
    sb.resetRequests();
    const up = await api.edge.uploadVersion(appId, { appLua: Buffer.from(appLua), appJson: Buffer.from(json) });
    assert.deepEqual(up, { hash, unchanged: true });
    assert.equal(edgeState(sb.store).versions.get(appId).length, 1);
    assert.ok(sb.requests.some((r) => r.method === 'POST' && r.path === `/api/v2/edge/app/${appId}/version`));
  });

  it('lists unnamed versions only with untagged, and publishes under a name', async function () {
    assert.deepEqual(await api.edge.listVersions(appId), []);
    assert.equal((await api.edge.listVersions(appId, { untagged: true }))[0].hash, hash);
    const pub = await api.edge.publishVersion(appId, { name: '1.0.0', hash });
    assert.equal(pub.name, '1.0.0');
    const named = await api.edge.listVersions(appId);
    assert.deepEqual(
      named.map((v) => [v.name, v.hash]),
      [['1.0.0', hash]],
    );
    // published now: in the published list too
    assert.deepEqual(
      (await api.edge.listApps()).map((a) => a.id),
      [appId],
    );
  });

  it('refuses a version name already used by another version', async function () {
    const up = await api.edge.uploadVersion(appId, { appLua: appLua + '-- 2\n', appJson: json });
    await assert.rejects(
      api.edge.publishVersion(appId, { name: '1.0.0', hash: up.hash }),
      (e) => e.status === 400 && /already used/.test(e.message),
    );
  });

  it('returns app.json from configure and app.lua from download', async function () {
    assert.deepEqual(await api.edge.configureOptions(appId, { version: '1.0.0' }), appJson);
    assert.equal(await api.edge.download(appId, { version: '1.0.0' }), appLua);
    await assert.rejects(api.edge.download(appId, { version: '9.9' }), (e) => e.status === 404);
  });

  it('creates, gets, updates, lists and deletes an instance, with evt/edge_app/updated each time', async function () {
    const mqtt = require('mqtt');
    const client = await mqtt.connectAsync(sb.mqtt, { username: 'test', password: sb.apiKey, reconnectPeriod: 0 });
    const events = [];
    client.on('message', (topic) => events.push(topic));
    await client.subscribeAsync('+/evt/edge_app/updated', { qos: 1 });
    try {
      const body = { app_id: appId, version: '1.0.0', name: 'hall', config: { heater: 11, setpoint: 20 } };
      const x = await api.edge.createInstance(1, body);
      assert.equal(x.installation_id, 1);
      assert.deepEqual(await api.edge.getInstance(1, x.id), x);
      const u = await api.edge.updateInstance(1, x.id, { ...body, config: { heater: 11, setpoint: 22 } });
      assert.equal(u.config.setpoint, 22);
      assert.deepEqual(
        (await api.edge.listInstances(1)).map((i) => i.id),
        [x.id],
      );
      assert.deepEqual(await api.edge.listInstances(2), []);
      assert.equal((await api.edge.deleteInstance(1, x.id)).message, 'deleted');
      await assert.rejects(api.edge.getInstance(1, x.id), (e) => e.status === 404);
      // a silent change publishes nothing; a final loud one tells us all earlier ones arrived
      const y = await api.edge.createInstance(2, body, { silent: true });
      await api.edge.deleteInstance(2, y.id);
      await waitFor(() => events.length >= 4);
      assert.deepEqual(events, [
        '101/evt/edge_app/updated',
        '101/evt/edge_app/updated',
        '101/evt/edge_app/updated',
        '102/evt/edge_app/updated',
      ]);
    } finally {
      await client.endAsync();
    }
  });

  it('refuses an instance of an unknown version with 400, and a hidden installation with 403', async function () {
    await assert.rejects(
      api.edge.createInstance(1, { app_id: appId, version: 'nope', name: 'x', config: {} }),
      (e) => e.status === 400 && /version "nope"/.test(e.message),
    );
    const limited = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: 'edge-limited-key' }, retries: 0 });
    try {
      await assert.rejects(limited.edge.listInstances(3), (e) => e.status === 403);
    } finally {
      await limited.close();
    }
  });
});
