'use strict';
// The package's main entry (package.json "main"): the library, usable without Node-RED.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');

describe('package main entry', function () {
  it('loads in a fresh process without loading Node-RED or any node', function () {
    const script = `
      const lib = require(${JSON.stringify(root)});
      const files = Object.keys(require.cache);
      console.log(JSON.stringify({
        exports: Object.keys(lib).filter((k) => typeof lib[k] === 'function'),
        nodeRed: files.filter((f) => /node_modules[\\\\/](node-red|@node-red)[\\\\/]/.test(f)),
        nodes: files.filter((f) => f.includes(${JSON.stringify(path.join(root, 'dist', 'nodes'))})),
      }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    for (const name of [
      'ApiClient',
      'LynxApiError',
      'MqttHub',
      'TopicTrie',
      'Catalog',
      'decodeLynxPayload',
      'deployEdgeApp',
      'parseManifest',
      'startSandbox',
    ]) {
      assert.ok(out.exports.includes(name), `${name} is exported`);
    }
    assert.deepEqual(out.nodeRed, [], 'src/ imports no Node-RED');
    assert.deepEqual(out.nodes, [], 'the library loads no node');
  });

  it('runs a sandbox and a client against it through the main entry', async function () {
    const lib = require(root);
    const sb = await lib.startSandbox({ port: 0, mqttPort: 0 });
    try {
      const api = new lib.ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: sb.apiKey } });
      assert.equal((await api.installations.list()).length, sb.installations.length);
      await api.close();
    } finally {
      await sb.stop();
    }
  });
});
