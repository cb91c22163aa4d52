'use strict';
// The devicex, functionx and schedule example flows run against the sandbox:
// every inject reaches its debug (a helper here), and only the deliberate bad
// input ends at the Catch node.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, nodeModule } = require('../support/nodered');
const { startSandbox } = require('./modelx-suite');

const injectNode = require('@node-red/nodes/core/common/20-inject.js');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

const examples = {
  'Devices - list and find or create.json': 'iotopen-devicex',
  'Functions - list, read and set meta.json': 'iotopen-functionx',
  'Schedules - weekday lights.json': 'iotopen-schedule',
};

describe('devicex/functionx/schedule example flows', function () {
  let sb;
  before(async () => {
    sb = await startSandbox();
  });
  after(async () => {
    if (sb) await sb.stop();
  });
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
  });

  for (const [file, type] of Object.entries(examples)) {
    it(`${file} runs against the sandbox`, async () => {
      const flow = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples', file), 'utf8'));
      const cfg = flow.find((n) => n.type === 'iotopen-config');
      assert.deepEqual(cfg, { id: 'iotopen-sandbox', type: 'iotopen-config', name: 'Lynx sandbox', apiUrl: 'http://127.0.0.1:18080', mqttUrl: 'mqtt://127.0.0.1:18830', authMode: 'apikey' });
      assert.ok(flow.some((n) => n.type === type));
      // point the config node at this test's sandbox; debug nodes become helpers
      cfg.apiUrl = sb.api;
      cfg.mqttUrl = sb.mqtt;
      const errorSinks = new Set(flow.filter((n) => n.type === 'catch').flatMap((n) => n.wires.flat()));
      for (const n of flow) if (n.type === 'debug') n.type = 'helper';
      await helper.load([nodeModule('iotopen-config'), nodeModule(type), injectNode, catchNode], flow, { 'iotopen-sandbox': { apiKey: sb.apiKey } });
      const injects = flow.filter((n) => n.type === 'inject');
      for (const inj of injects) {
        const target = flow.find((n) => n.id === inj.wires[0][0]);
        const expectError = /invalid/i.test(inj.name);
        const sinks = [...new Set(target.wires.flat())].map((id) => helper.getNode(id));
        const errSinks = [...errorSinks].map((id) => helper.getNode(id));
        const got = await new Promise((resolve) => {
          const listeners = [];
          const finish = (r) => {
            for (const [node, fn] of listeners) node.removeListener('input', fn);
            resolve(r);
          };
          for (const s of sinks) { const fn = (m) => finish({ ok: m }); s.on('input', fn); listeners.push([s, fn]); }
          for (const s of errSinks) { const fn = (m) => finish({ err: m }); s.on('input', fn); listeners.push([s, fn]); }
          helper.getNode(inj.id).receive({});
        });
        if (expectError) {
          assert.ok(got.err, `${inj.name}: expected the Catch node`);
          assert.match(got.err.error.message, /hour "25"/);
        } else {
          assert.ok(got.ok, `${inj.name}: ${got.err && got.err.error.message}`);
        }
      }
    });
  }
});
