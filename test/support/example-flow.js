'use strict';
// Loads an example flow from examples/ into the real runtime against a running
// sandbox: the config node is pointed at the sandbox (with its key), debug nodes
// become helper nodes so a test can watch what the example would show.
const fs = require('node:fs');
const path = require('node:path');

/** The example flow as shipped (parsed examples/<file>). */
function readExample(file) {
  return JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../examples', file), 'utf8'));
}

function exampleFlow(file, sandbox) {
  const flow = readExample(file);
  const credentials = {};
  for (const n of flow) {
    if (n.type === 'iotopen-config') {
      n.apiUrl = sandbox.api;
      n.mqttUrl = sandbox.mqtt;
      credentials[n.id] = { apiKey: sandbox.apiKey };
    }
    if (n.type === 'debug') {
      n.type = 'helper';
      n.wires = [];
    }
  }
  return { flow, credentials };
}

/**
 * Loads examples/<file> into the runtime against the sandbox, with the config node,
 * the node `modules` and the core inject and catch nodes; resolves with the loaded flow.
 */
async function loadExample(file, sandbox, modules) {
  const { helper, nodeModule, catchNode, injectNode } = require('./nodered');
  const { flow, credentials } = exampleFlow(file, sandbox);
  await helper.load([nodeModule('iotopen-config'), ...modules, catchNode, injectNode], flow, credentials);
  return flow;
}

module.exports = { exampleFlow, readExample, loadExample };
