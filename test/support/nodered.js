'use strict';
// The real Node-RED runtime, through node-red-node-test-helper, and the built nodes.
const path = require('node:path');
const helper = require('node-red-node-test-helper');

// NODE_RED_PATH runs the suite against another Node-RED install (e.g. 5.x on
// Node 22, see scripts/test-node-red-5.js); the default is the dev dependency.
const nodeRedMain = process.env.NODE_RED_PATH ? require.resolve(process.env.NODE_RED_PATH) : require.resolve('node-red');
helper.init(nodeRedMain);

const dist = path.resolve(__dirname, '../../dist');

/** The built runtime module of a node type, as helper.load() wants it. */
function nodeModule(type) {
  return require(path.join(dist, 'nodes', type, `${type}.js`));
}

/** A config node flow entry pointing at a sandbox, with its credentials. */
function configNode(sandbox, id = 'cfg', extra = {}) {
  return {
    node: { id, type: 'iotopen-config', name: 'sandbox', apiUrl: sandbox.api, mqttUrl: sandbox.mqtt, authMode: 'apikey', ...extra },
    credentials: { [id]: { apiKey: sandbox.apiKey } },
  };
}

module.exports = { helper, nodeModule, configNode, dist };

/**
 * Core nodes the tests wire around ours, from the same Node-RED tree as the runtime: the
 * helper preloads that tree's catch/status/complete, and another copy would register twice.
 */
const core = (p) => require(require.resolve(`@node-red/nodes/core/${p}`, { paths: [path.dirname(nodeRedMain)] }));
const catchNode = core('common/25-catch.js');
const completeNode = core('common/24-complete.js');
const injectNode = core('common/20-inject.js');

/**
 * Flow entries that watch node `scope`: a Catch node wired to helper `caught`, and with
 * `complete` a Complete node wired to helper `completed`; `z` puts them on that tab.
 */
function watchers(scope, { complete = false, z } = {}) {
  const on = z ? { z } : {};
  const nodes = [
    { id: 'catcher', ...on, type: 'catch', scope: [scope], uncaught: false, wires: [['caught']] },
    { id: 'caught', ...on, type: 'helper' },
  ];
  if (complete) {
    nodes.push(
      { id: 'completer', ...on, type: 'complete', scope: [scope], uncaught: false, wires: [['completed']] },
      { id: 'completed', ...on, type: 'helper' },
    );
  }
  return nodes;
}

/**
 * Closes the MQTT hubs that config nodes parked for a successor (src/mqtt/handover.ts), as the
 * end of their grace period would: what loads next starts with its own hub, as after a restart
 * of Node-RED. test/support/hooks.js does this after every test.
 */
async function closeParkedHubs() {
  await require(path.join(dist, 'src', 'mqtt')).closeParkedHubs();
}

/** Mocha hooks: a fresh helper server for every test, flows unloaded after it. */
function useNodeRed() {
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
  });
}

Object.assign(module.exports, { core, catchNode, completeNode, injectNode, watchers, useNodeRed, closeParkedHubs });
