'use strict';
// Loads an example flow from examples/ into the real runtime against a running
// sandbox: the config node is pointed at the sandbox (with its key), debug nodes
// become helper nodes so a test can watch what the example would show.
const fs = require('node:fs');
const path = require('node:path');

function exampleFlow(file, sandbox) {
  const flow = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../examples', file), 'utf8'));
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

module.exports = { exampleFlow };
