'use strict';
// The real Node-RED runtime, through node-red-node-test-helper, and the built nodes.
const path = require('node:path');
const helper = require('node-red-node-test-helper');

// NODE_RED_PATH runs the suite against another Node-RED install (e.g. 5.x on
// Node 22, see scripts/test-node-red-5.js); the default is the dev dependency.
helper.init(process.env.NODE_RED_PATH ? require.resolve(process.env.NODE_RED_PATH) : require.resolve('node-red'));

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
