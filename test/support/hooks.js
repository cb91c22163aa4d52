'use strict';
// Root hooks for every test file (.mocharc.json "require"). After each test, the MQTT
// hubs that config nodes parked for a successor (src/mqtt/handover.ts) are closed, as
// the end of their grace period would close them: the next test's flow, which often
// reuses the config node id 'cfg' and the same sandbox, starts with a hub of its own
// (as after a restart of Node-RED), not with the previous test's connection and queue.
// Tests of the handover itself redeploy within one test. Quietly: a write still queued is
// not reported to a node of the next test that happens to have the same id.
const fs = require('node:fs');
const path = require('node:path');

const mqttLib = path.resolve(__dirname, '../../dist/src/mqtt/index.js');

exports.mochaHooks = {
  async afterEach() {
    if (fs.existsSync(mqttLib)) await require(mqttLib).closeParkedHubs({ quiet: true });
  },
};
