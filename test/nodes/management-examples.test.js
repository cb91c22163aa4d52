'use strict';
// The devicex, functionx and schedule example flows run against the sandbox:
// every inject reaches its debug (a helper here), and only the deliberate bad
// input ends at the Catch node.
const assert = require('node:assert/strict');
const { helper, nodeModule, useNodeRed } = require('../support/nodered');
const { loadExample, readExample } = require('../support/example-flow');
const { first } = require('../support/util');
const { startSandbox } = require('./modelx-suite');

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
  useNodeRed();

  for (const [file, type] of Object.entries(examples)) {
    it(`${file} runs against the sandbox`, async () => {
      const shipped = readExample(file);
      const cfg = shipped.find((n) => n.type === 'iotopen-config');
      assert.deepEqual(cfg, {
        id: 'iotopen-sandbox',
        type: 'iotopen-config',
        name: 'Lynx sandbox',
        apiUrl: 'http://127.0.0.1:18080',
        mqttUrl: 'mqtt://127.0.0.1:18830',
        authMode: 'apikey',
      });
      assert.ok(shipped.some((n) => n.type === type));
      // the config node points at this test's sandbox; debug nodes become helpers
      const flow = await loadExample(file, sb, [nodeModule(type)]);
      const errorSinks = new Set(flow.filter((n) => n.type === 'catch').flatMap((n) => n.wires.flat()));
      const injects = flow.filter((n) => n.type === 'inject');
      for (const inj of injects) {
        const target = flow.find((n) => n.id === inj.wires[0][0]);
        const expectError = /invalid/i.test(inj.name);
        const sinks = [...new Set(target.wires.flat())].map((id) => helper.getNode(id));
        const errSinks = [...errorSinks].map((id) => helper.getNode(id));
        const got = await first({ ok: sinks, err: errSinks }, () => helper.getNode(inj.id).receive({}));
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
