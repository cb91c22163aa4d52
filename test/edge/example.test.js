'use strict';
// The shipped example "Edge app roll-out" runs as imported, in the real Node-RED runtime,
// against a sandbox with the default seed; its template nodes carry examples/edge-app verbatim.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, nodeModule, dist, core, catchNode } = require('../support/nodered');
const { readExample } = require('../support/example-flow');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const { edgeState } = require(path.join(dist, 'src/sandbox/edge.js'));
const root = path.resolve(__dirname, '../..');
const example = readExample('Edge app roll-out.json');

describe('example: Edge app roll-out', function () {
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await helper.unload();
    await sb.stop();
  });

  it('carries examples/edge-app/app.lua and app.json verbatim', function () {
    const byId = Object.fromEntries(example.map((n) => [n.id, n]));
    assert.equal(byId['edge-lua'].template, fs.readFileSync(path.join(root, 'examples/edge-app/app.lua'), 'utf8'));
    assert.equal(byId['edge-json'].template, fs.readFileSync(path.join(root, 'examples/edge-app/app.json'), 'utf8'));
    assert.deepEqual(byId['iotopen-sandbox'], {
      id: 'iotopen-sandbox',
      type: 'iotopen-config',
      name: 'Lynx sandbox',
      apiUrl: 'http://127.0.0.1:18080',
      mqttUrl: 'mqtt://127.0.0.1:18830',
      authMode: 'apikey',
    });
  });

  it('deploys to the installations of organisation 1 of the default seed, then finds nothing to change', async function () {
    // the same flow, pointed at this test's sandbox; inject and debug nodes become helper nodes
    const flow = example.map((n) => {
      if (n.type === 'iotopen-config') return { ...n, apiUrl: sb.api, mqttUrl: sb.mqtt };
      if (n.type === 'inject' || n.type === 'debug') return { id: n.id, z: n.z, x: n.x, y: n.y, type: 'helper', wires: n.wires || [] };
      return n;
    });
    await helper.load(
      [
        nodeModule('iotopen-config'),
        nodeModule('iotopen-edge-app'),
        core('function/80-template.js'),
        core('function/15-change.js'),
        catchNode,
      ],
      flow,
      { 'iotopen-sandbox': { apiKey: sb.apiKey } },
    );
    const result = helper.getNode('edge-result');
    const errors = helper.getNode('edge-err');
    const deploy = async () => {
      const got = Promise.race([
        new Promise((resolve) => result.once('input', resolve)),
        new Promise((resolve) => errors.once('input', (m) => resolve({ error: m.error }))),
      ]);
      helper.getNode('edge-deploy').send({ payload: Date.now() });
      return got;
    };

    const first = await deploy();
    assert.equal(first.error, undefined, first.error && first.error.message);
    const ids = sb.store.installations.filter((i) => i.organization_id === 1).map((i) => i.id);
    assert.deepEqual(ids, [101, 102]);
    assert.deepEqual(
      first.payload.installations.map((i) => [i.installation_id, i.status]),
      ids.map((id) => [id, 'ok']),
    );
    assert.equal(first.payload.version.name, '1.0.0');
    const insts = [...edgeState(sb.store).instances.values()];
    assert.deepEqual(insts.map((i) => i.installation_id).sort(), [...ids].sort());
    for (const i of insts) assert.equal(i.name, 'temperature watch');

    const second = await deploy();
    assert.deepEqual(
      second.payload.installations.map((i) => i.status),
      ids.map(() => 'unchanged'),
    );
    assert.equal(second.payload.app.created, false);
    assert.equal(edgeState(sb.store).apps.size, 1);
  });
});
