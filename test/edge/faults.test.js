'use strict';
// Edge roll-outs under API faults: the listing, the published version and each instance are
// made exactly once, also when a create's answer is lost after the server made it (the
// deployer looks it up by name / hash / instance name before creating again).
const assert = require('node:assert/strict');
const path = require('node:path');
const { dist } = require('../support/nodered');
const { orgSeed, appLua, appJson, heaterOf } = require('./fixtures');

const { startSandbox } = require(path.join(dist, 'src/sandbox/index.js'));
const { edgeState } = require(path.join(dist, 'src/sandbox/edge.js'));
const { ApiClient } = require(path.join(dist, 'src/api/index.js'));
const { deployEdgeApp } = require(path.join(dist, 'src/edge/deploy.js'));

const listing = (name) => ({ name, category: 'climate', tags: [], short_description: 'x', description: 'x', public: false });
const targets = (ids) => ids.map((id) => ({ installation_id: id, config: { heater: heaterOf[id], setpoint: 21 } }));

describe('edge roll-out under API faults', function () {
  this.timeout(60000);
  let sb;
  let api;
  beforeEach(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: orgSeed });
    api = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: 'edge-org1-key' }, retryBaseMs: 5, retryMaxMs: 20 });
  });
  afterEach(async () => {
    await api.close();
    await sb.stop();
  });
  const state = () => edgeState(sb.store);
  const deploy = (name, version = '1.0.0', lua = appLua) =>
    deployEdgeApp(api, {
      listing: listing(name),
      appLua: lua,
      appJson: JSON.stringify(appJson),
      versionName: version,
      targets: targets([1, 2]),
      instanceName: 'heater',
    });

  for (const [what, route] of [
    ['the listing', /^\/api\/v2\/edge\/app$/],
    ['the upload', /^\/api\/v2\/edge\/app\/\d+\/version$/],
    ['the publish', /^\/api\/v2\/edge\/app\/\d+\/publish$/],
    ['the instances', /^\/api\/v2\/edge\/app\/configured\/\d+$/],
  ]) {
    it(`a 500 after the server made ${what}: looked up, made once`, async () => {
      sb.faults.set({ errorRate: 1, errorStatus: 500, phase: 'after', methods: ['POST'], path: route, count: 1 });
      const r = await deploy('Heater');
      assert.equal(r.summary.ok, 2, JSON.stringify(r.installations));
      assert.equal(sb.faults.stats().after.error, 1, 'the fault struck');
      const s = state();
      assert.equal([...s.apps.values()].filter((a) => a.name === 'Heater').length, 1);
      const app = [...s.apps.values()].find((a) => a.name === 'Heater');
      assert.deepEqual(
        s.versions.get(app.id).map((v) => v.name),
        ['1.0.0'],
      );
      assert.deepEqual([...s.instances.values()].map((i) => [i.installation_id, i.name]).sort(), [
        [1, 'heater'],
        [2, 'heater'],
      ]);
    });
  }

  it('ten roll-outs at a 20 % fault rate: every one succeeds, nothing is duplicated', async () => {
    sb.faults.set({
      seed: 67 /* the same requests fail every run */,
      errorRate: 0.15,
      dropRate: 0.05,
      errorStatus: [500, 502, 503, 504, 429],
      phase: 'either',
      path: '/api/v2/edge/',
    });
    for (let i = 0; i < 10; i++) {
      // a new version every other run, so uploads and publishes happen under faults too
      const v = Math.floor(i / 2);
      const r = await deploy(`Soak ${i % 3}`, `1.0.${v}`, `${appLua}-- v${v}\n`);
      assert.equal(r.summary.failed, 0, JSON.stringify(r.installations));
    }
    sb.faults.clear();
    const s = state();
    for (const name of ['Soak 0', 'Soak 1', 'Soak 2']) assert.equal([...s.apps.values()].filter((a) => a.name === name).length, 1, name);
    for (const app of s.apps.values()) {
      const inst = [...s.instances.values()].filter((x) => x.app_id === app.id);
      assert.deepEqual(inst.map((x) => x.installation_id).sort(), [1, 2], `one instance per installation of ${app.name}`);
    }
    const st = sb.faults.stats();
    assert.ok(st.after.error + st.after.drop > 0 && st.before.error + st.before.drop > 0, JSON.stringify(st));
  });
});
