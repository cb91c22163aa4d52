'use strict';
// iotopen-edge-app in the real Node-RED runtime against the sandbox (real HTTP on loopback, real MQTT).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodeModule, configNode, dist, catchNode, watchers } = require('../support/nodered');
const { next } = require('../support/util');
const { seed, appLua, appJson, heaterOf, outputOf } = require('./fixtures');
const { loadEdge, runEdge, onTab } = require('./harness');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const { edgeState } = require(path.join(dist, 'src/sandbox/edge.js'));
const configMod = nodeModule('iotopen-config');
const edgeMod = nodeModule('iotopen-edge-app');

const ALL = [1, 2, 3];
const perSite = (ids, extra = {}) => ids.map((id) => ({ installation_id: id, config: { heater: heaterOf[id], ...extra } }));

/** Flow nodes need a tab and a position, else the runtime takes them for config nodes. */

describe('iotopen-edge-app node', function () {
  let sb;
  let tmp;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-app-'));
  });
  after(async () => {
    await sb.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  afterEach(async () => {
    sb.faults.clear();
    await helper.unload();
  });

  const state = () => edgeState(sb.store);
  const snapshot = () =>
    JSON.stringify({
      apps: [...state().apps.values()],
      versions: [...state().versions.entries()].map(([k, v]) => [k, v.map((x) => [x.hash, x.name])]),
      instances: [...state().instances.values()],
    });

  const load = (props = {}) =>
    loadEdge(sb, {
      appName: 'Heater keeper',
      publish: true,
      config: '{"setpoint": 21}',
      instanceName: 'hall heat',
      ...props,
    });
  const run = runEdge;

  const deployMsg = (extra = {}) => ({
    app_lua: appLua,
    app_json: JSON.stringify(appJson),
    version: '1.0.0',
    installations: perSite([1]),
    ...extra,
  });

  let appId;

  it('first deploy: creates the listing, uploads, publishes and configures the instance', async () => {
    const n = await load();
    const { out, error } = await run(n, deployMsg());
    assert.equal(error, undefined);
    const p = out.payload;
    assert.equal(p.app.created, true);
    appId = p.app.id;
    assert.ok(state().apps.has(appId));
    assert.equal(p.version.name, '1.0.0');
    assert.equal(p.version.uploaded, true);
    assert.equal(p.version.published, true);
    assert.match(p.version.hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      p.installations.map((i) => [i.installation_id, i.status, i.action]),
      [[1, 'ok', 'create']],
    );
    const inst = state().instances.get(p.instances['1']);
    assert.deepEqual(
      { app: inst.app_id, iid: inst.installation_id, version: inst.version, name: inst.name, config: inst.config },
      { app: appId, iid: 1, version: '1.0.0', name: 'hall heat', config: { setpoint: 21, heater: 11, enabled: true } },
    );
  });

  it('re-deploy of the identical version: unchanged, no new version, no duplicate instance', async () => {
    const n = await load({ appId: String(appId) });
    const before = snapshot();
    const { out, error } = await run(n, deployMsg({ app_lua: Buffer.from(appLua), app_json: Buffer.from(JSON.stringify(appJson)) }));
    assert.equal(error, undefined);
    const p = out.payload;
    assert.equal(p.app.created, false);
    assert.deepEqual(p.version, { ...p.version, name: '1.0.0', uploaded: false, unchanged: true, published: false });
    assert.deepEqual(
      p.installations.map((i) => [i.installation_id, i.status]),
      [[1, 'unchanged']],
    );
    assert.equal(snapshot(), before);
    assert.equal([...state().instances.values()].filter((i) => i.name === 'hall heat').length, 1);
  });

  it('without an app id, the listing with the same name is reused, not duplicated', async () => {
    const n = await load({ appId: '', appName: 'Heater keeper' });
    const before = snapshot();
    const { out, error } = await run(n, deployMsg());
    assert.equal(error, undefined);
    assert.deepEqual(out.payload.app, { id: appId, created: false, name: 'Heater keeper' });
    assert.deepEqual(
      out.payload.installations.map((i) => i.status),
      ['unchanged'],
    );
    assert.equal(snapshot(), before);
  });

  it('a new version rolled out to 3 installations: one update, two creates, progress in the status', async () => {
    const n = await load({ appId: String(appId) });
    const statuses = [];
    n.edge.on('call:status', (c) => statuses.push(c.args[0]));
    const lua2 = appLua.replace('started', 'started (v1.1)');
    const { out, error } = await run(
      n,
      deployMsg({ app_lua: lua2, version: '1.1.0', installations: perSite(ALL), config: { setpoint: 22 } }),
    );
    assert.equal(error, undefined);
    const p = out.payload;
    assert.equal(p.version.name, '1.1.0');
    assert.equal(p.version.uploaded, true);
    assert.deepEqual(
      p.installations.map((i) => [i.installation_id, i.status, i.action]),
      [
        [1, 'ok', 'update'],
        [2, 'ok', 'create'],
        [3, 'ok', 'create'],
      ],
    );
    const insts = [...state().instances.values()].filter((i) => i.app_id === appId);
    assert.equal(insts.length, 3);
    for (const i of insts) {
      assert.equal(i.version, '1.1.0');
      assert.equal(i.config.heater, heaterOf[i.installation_id]);
      assert.equal(p.instances[String(i.installation_id)], i.id);
    }
    assert.ok(
      statuses.some((s) => s.text === '3/3'),
      `progress status, got ${JSON.stringify(statuses.map((s) => s.text))}`,
    );
  });

  it('"all" from the node config reaches every installation the key sees', async () => {
    const n = await load({ appId: String(appId), installations: 'all', version: '1.1.0', config: '{"setpoint": 22}' });
    // no sources: configure the published 1.1.0 with the same config -> heater missing is a validation error
    const { error, out } = await run(n, {}, { expectOut: false });
    assert.equal(out, undefined);
    assert.match(error.message, /installation 1: input "heater" \(Heater\) is required/);
    assert.match(error.message, /installation 3: input "heater"/);
  });

  it('a config that fails validation changes nothing and names the input and installation', async () => {
    const n = await load({ appId: String(appId) });
    const before = snapshot();
    const bad = [
      { installation_id: 1, config: { heater: 11, setpoint: 'warm' } },
      { installation_id: 2, config: { heater: 11, alarm: outputOf[1] } }, // installation 1's ids, not 2's
      { installation_id: 3, config: { heater: 31, enabled: 'yes' } },
    ];
    const { error, out } = await run(n, deployMsg({ app_lua: appLua + '-- changed\n', version: '1.2.0', installations: bad }), {
      expectOut: false,
    });
    assert.equal(out, undefined);
    assert.equal(error.source.id, 'edge');
    assert.match(error.message, /nothing was changed/);
    assert.match(error.message, /installation 1: input "setpoint" \(Setpoint\) must be a number, got "warm"/);
    assert.match(error.message, /installation 2: input "heater" \(Heater\): function 11 does not exist in this installation/);
    assert.match(error.message, /installation 2: input "alarm": notification output 5 does not exist in this installation/);
    assert.match(error.message, /installation 3: input "enabled" is a toggle/);
    assert.equal(snapshot(), before, 'the sandbox store is unchanged');
  });

  it('an app.json without input fails before any call', async () => {
    const n = await load({ appId: String(appId) });
    sb.resetRequests();
    const { error } = await run(n, deployMsg({ app_json: '{"guide": []}', version: '9.0.0' }), { expectOut: false });
    assert.match(error.message, /app_json has no "input" object/);
    assert.deepEqual(
      sb.requests.filter((r) => r.path.startsWith('/api/v2/edge')),
      [],
    );
  });

  it('one installation failing mid roll-out: the others succeed, the result says why, a Catch node gets the error', async () => {
    const n = await load({ appId: String(appId) });
    sb.faults.set({ path: '/api/v2/edge/app/configured/2', errorRate: 1, errorStatus: 500 });
    const lua3 = appLua + '-- v1.3\n';
    const { out, error } = await run(n, deployMsg({ app_lua: lua3, version: '1.3.0', installations: perSite(ALL) }));
    const byId = Object.fromEntries(out.payload.installations.map((i) => [i.installation_id, i]));
    assert.equal(byId[1].status, 'ok');
    assert.equal(byId[3].status, 'ok');
    assert.equal(byId[2].status, 'failed');
    assert.equal(byId[2].statusCode, 500);
    assert.ok(byId[2].error.length > 0);
    assert.deepEqual(out.payload.summary, { total: 3, ok: 2, unchanged: 0, failed: 1, skipped: 0 });
    assert.match(error.message, /failed on 1 of 3 installations: installation 2:/);
    const versions = Object.fromEntries(
      [...state().instances.values()].filter((i) => i.app_id === appId).map((i) => [i.installation_id, i.version]),
    );
    assert.deepEqual(versions, { 1: '1.3.0', 2: '1.1.0', 3: '1.3.0' });
  });

  it('stop at first failure skips what has not started', async () => {
    const n = await load({ appId: String(appId), concurrency: 1, stopOnFailure: true });
    sb.faults.set({ path: '/api/v2/edge/app/configured/1', errorRate: 1, errorStatus: 503 });
    const { out, error } = await run(n, deployMsg({ app_lua: appLua + '-- v1.4\n', version: '1.4.0', installations: perSite(ALL) }));
    assert.deepEqual(
      out.payload.installations.map((i) => i.status),
      ['failed', 'skipped', 'skipped'],
    );
    assert.match(error.message, /failed on 1 of 3/);
    const versions = [...state().instances.values()].filter((i) => i.app_id === appId).map((i) => i.version);
    assert.ok(!versions.includes('1.4.0'));
  });

  it('a key that may not see one installation: that installation fails, the rest roll out', async () => {
    const cfg = configNode({ ...sb, apiKey: 'edge-limited-key' });
    await helper.load(
      [configMod, edgeMod, catchNode],
      [
        cfg.node,
        ...onTab([
          {
            id: 'edge',
            type: 'iotopen-edge-app',
            server: 'cfg',
            mode: 'deploy',
            appId: String(appId),
            upload: true,
            publish: true,
            configure: true,
            config: '{"setpoint": 23}',
            configType: 'json',
            instanceName: 'hall heat',
            installationsType: 'str',
            versionType: 'str',
            instanceNameType: 'str',
            wires: [['out']],
          },
          { id: 'out', type: 'helper' },
          ...watchers('edge'),
        ]),
      ],
      cfg.credentials,
    );
    const n = { edge: helper.getNode('edge'), out: helper.getNode('out'), caught: helper.getNode('caught') };
    const out = next(n.out);
    const caught = next(n.caught);
    n.edge.receive(deployMsg({ app_lua: appLua + '-- v1.5\n', version: '1.5.0', installations: perSite(ALL) }));
    const [o, c] = await Promise.all([out, caught]);
    assert.deepEqual(
      o.payload.installations.map((i) => [i.installation_id, i.status]),
      [
        [1, 'ok'],
        [2, 'ok'],
        [3, 'failed'],
      ],
    );
    assert.equal(o.payload.installations[2].statusCode, 403);
    assert.match(c.error.message, /installation 3/);
  });

  it('dry run reports what would change and changes nothing', async () => {
    const n = await load({ appId: String(appId), dryRun: true });
    const before = snapshot();
    const { out, error } = await run(
      n,
      deployMsg({ app_lua: appLua + '-- v2\n', version: '2.0.0', installations: perSite(ALL), config: { setpoint: 25 } }),
    );
    assert.equal(error, undefined);
    const p = out.payload;
    assert.equal(p.dryRun, true);
    assert.ok(p.changes.includes('upload a new version of app.lua and app.json'));
    assert.ok(p.changes.includes('publish version "2.0.0"'));
    assert.deepEqual(
      p.installations.map((i) => [i.status, i.action]),
      [
        ['ok', 'update'],
        ['ok', 'update'],
        ['ok', 'update'],
      ],
    );
    assert.equal(snapshot(), before);
  });

  it('dry run of the deployed code says unchanged', async () => {
    const n = await load({ appId: String(appId), dryRun: true });
    const current = [...state().instances.values()].find((i) => i.app_id === appId && i.installation_id === 1);
    const v = state()
      .versions.get(appId)
      .find((x) => x.name === current.version);
    const { out } = await run(n, {
      app_lua: v.lua.toString(),
      app_json: v.json.toString(),
      version: current.version,
      installations: [{ installation_id: 1, config: current.config }],
      config: {},
    });
    assert.equal(out.payload.version.unchanged, true);
    assert.deepEqual(
      out.payload.installations.map((i) => i.status),
      ['unchanged'],
    );
    assert.deepEqual(out.payload.changes, []);
  });

  it('reads app.lua and app.json from files in the node config', async () => {
    const luaFile = path.join(tmp, 'app.lua');
    const jsonFile = path.join(tmp, 'app.json');
    fs.writeFileSync(luaFile, appLua + '-- from file\n');
    fs.writeFileSync(jsonFile, JSON.stringify(appJson, null, 2));
    const n = await load({ appId: String(appId), luaFile, jsonFile, version: '3.0.0', installations: '1' });
    const { out, error } = await run(n, { config: { setpoint: 21, heater: 11 } });
    assert.equal(error, undefined);
    assert.equal(out.payload.version.name, '3.0.0');
    assert.equal(
      state()
        .versions.get(appId)
        .find((x) => x.name === '3.0.0')
        .lua.toString(),
      appLua + '-- from file\n',
    );
    await helper.unload();
    const missing = await load({
      appId: String(appId),
      luaFile: path.join(tmp, 'nope.lua'),
      jsonFile,
      version: '3.0.1',
      installations: '1',
    });
    const r = await run(missing, {}, { expectOut: false });
    assert.match(r.error.message, /luaFile: cannot read .*nope\.lua \(ENOENT\)/);
  });

  it('code already published under another name keeps that name, with a warning', async () => {
    const n = await load({ appId: String(appId) });
    const { out, error } = await run(n, deployMsg({ version: '5.0.0' })); // the 1.0.0 code again
    assert.equal(error, undefined);
    assert.equal(out.payload.version.name, '1.0.0');
    assert.equal(out.payload.version.published, false);
    assert.match(out.payload.warnings[0], /already published as version "1\.0\.0": "5\.0\.0" was not applied/);
    assert.ok(
      !state()
        .versions.get(appId)
        .some((v) => v.name === '5.0.0'),
    );
    const inst = [...state().instances.values()].find((i) => i.app_id === appId && i.installation_id === 1);
    assert.equal(inst.version, '1.0.0');
  });

  it('remove mode deletes the named instance on each installation', async () => {
    const n = await load({ appId: String(appId), mode: 'remove', installations: '1,2,3' });
    const { out, error } = await run(n, {});
    assert.equal(error, undefined);
    assert.deepEqual(
      out.payload.installations.map((i) => [i.status, i.action]),
      [
        ['ok', 'delete'],
        ['ok', 'delete'],
        ['ok', 'delete'],
      ],
    );
    assert.equal([...state().instances.values()].filter((i) => i.app_id === appId).length, 0);
    const again = await run(n, {});
    assert.deepEqual(
      again.out.payload.installations.map((i) => i.status),
      ['unchanged', 'unchanged', 'unchanged'],
    );
  });

  it('bad input names the field: installations and concurrency', async () => {
    const n = await load({ appId: String(appId) });
    let r = await run(n, deployMsg({ installations: [1, 'x'] }), { expectOut: false });
    assert.match(r.error.message, /msg\.installations\[1\] must be a positive integer id/);
    r = await run(n, deployMsg({ concurrency: 0 }), { expectOut: false });
    assert.match(r.error.message, /msg\.concurrency must be a whole number from 1 to 32/);
    r = await run(n, deployMsg({ version: '' }), { expectOut: false });
    assert.match(r.error.message, /version name is missing/);
  });

  it('never shows the API key in payload, status or errors', async () => {
    const n = await load({ appId: String(appId) });
    const texts = [];
    n.edge.on('call:status', (c) => texts.push(JSON.stringify(c.args[0])));
    sb.faults.set({ path: '/api/v2/edge/app/configured/1', errorRate: 1, errorStatus: 401 });
    const { out, error } = await run(n, deployMsg({ app_lua: appLua + '-- v4\n', version: '4.0.0' }));
    for (const t of [JSON.stringify(out.payload), error.message, ...texts]) assert.ok(!t.includes(sb.apiKey), t);
  });
});
