'use strict';
// iotopen-functionx-out in the real Node-RED runtime: writes arrive at the
// broker as Lynx JSON on {client_id}/{topic_write}; bad input fails through
// done(err) to a Catch node with a message naming what came and what is accepted.
const assert = require('node:assert/strict');
const { helper, nodeModule, configNode, catchNode, completeNode, watchers, useNodeRed } = require('../support/nodered');
const { first } = require('../support/util');
const { IID, CLIENT, seed, variants, device, until, localized } = require('./functionx-support');

const TYPE = 'iotopen-functionx-out';
const LAMP_SET = `${CLIENT}/set/obj/test/lamp`;

for (const v of variants()) {
  describe(`${TYPE} (${v.name})`, function () {
    let env;
    let sb;
    let dev;
    let mod;
    const written = [];
    before(async () => {
      mod = await localized(TYPE);
      env = await v.start(seed());
      sb = env.sb;
      dev = await device(sb);
      dev.on('message', (topic, payload) => written.push({ topic, body: JSON.parse(payload.toString()) }));
      await dev.subscribeAsync(`${CLIENT}/set/#`, { qos: 1 });
      await dev.subscribeAsync(`${CLIENT}/obj/test/lamp_alt`, { qos: 1 });
    });
    after(async () => {
      if (dev) await dev.endAsync(true);
      if (sb) await sb.stop();
      if (env) await env.stop();
    });
    beforeEach(() => {
      written.length = 0;
    });
    useNodeRed();

    /** Deploys an out node with a Complete and a Catch node; run(msg) resolves {done} or {caught}. */
    async function deploy(props = {}) {
      const cfg = configNode(sb);
      await helper.load(
        [nodeModule('iotopen-config'), mod, catchNode, completeNode],
        [
          cfg.node,
          {
            id: 'n',
            type: TYPE,
            server: 'cfg',
            installation: String(IID),
            installationType: 'num',
            function: '11',
            functionType: 'num',
            qos: '1',
            ...props,
          },
          ...watchers('n', { complete: true }),
        ],
        cfg.credentials,
      );
      const node = helper.getNode('n');
      const caught = helper.getNode('caught');
      const completed = helper.getNode('completed');
      return (msg) => first({ done: completed, caught }, () => node.receive(msg));
    }

    async function writes(run, msg) {
      const r = await run(msg);
      assert.ok(r.done, `expected done(), got error: ${r.caught && r.caught.error.message}`);
      return r.done;
    }

    async function fails(run, msg, re) {
      const r = await run(msg);
      assert.ok(r.caught, 'expected done(err)');
      assert.match(r.caught.error.message, re);
      assert.ok(!r.caught.error.message.includes(sb.apiKey));
      return r.caught.error.message;
    }

    it('writes numbers, booleans, numeric strings, state names and objects as Lynx JSON', async () => {
      const run = await deploy();
      const t0 = Date.now() / 1000;
      const inputs = [21.5, true, false, ' 0.25 ', 'on', 'OFF', { value: 'on', msg: 'by flow', timestamp: 1700000000.5 }, { value: 3 }];
      for (const payload of inputs) await writes(run, { payload });
      await until(() => written.length >= inputs.length, 'all writes at the broker');
      assert.ok(written.every((w) => w.topic === LAMP_SET));
      assert.deepEqual(
        written.map((w) => w.body.value),
        [21.5, 1, 0, 0.25, 1, 0, 1, 3],
      );
      assert.deepEqual(written[6].body, { value: 1, timestamp: 1700000000.5, msg: 'by flow' });
      const ts = written[0].body.timestamp;
      assert.ok(typeof ts === 'number' && ts >= t0 - 1 && ts <= Date.now() / 1000 + 1, `timestamp is now in unix seconds: ${ts}`);
      assert.equal(written[7].body.msg, undefined);
    });

    it('takes the target from msg, another topic key, and QoS/retain from msg', async () => {
      const run = await deploy({ installation: '', function: '' });
      await writes(run, { payload: 1, installation_id: IID, function_id: 14, qos: 0 });
      await writes(run, { payload: 'off', installation_id: String(IID), function_id: '11', topic_key: 'topic_alt', retain: false });
      await until(() => written.length >= 1, 'the alt write');
      assert.deepEqual(
        written.map((w) => [w.topic, w.body.value]),
        [[`${CLIENT}/obj/test/lamp_alt`, 0]],
      );
      // function 14 writes to obj/test/sp: the sandbox records it as the latest status.
      await until(() => sb.store.status.get(IID).get(`${CLIENT}/obj/test/sp`), 'the setpoint status');
      assert.equal(sb.store.status.get(IID).get(`${CLIENT}/obj/test/sp`).value, 1);
    });

    it('refuses bad input through done(err), naming the field and the fix', async () => {
      const run = await deploy();
      let m = await fails(run, { payload: 'banana' }, /^msg\.payload cannot be written to a function: got the string "banana"/);
      assert.match(m, /accepted: a number, a boolean/);
      assert.match(m, /on, off/, 'lists the state names');
      await fails(run, { payload: [1, 2] }, /an array of 2/);
      await fails(run, { payload: null }, /got null/);
      await fails(run, { payload: NaN }, /number NaN/);
      await fails(run, { payload: { value: {} } }, /payload\.value/);
      await fails(run, { payload: { value: 1, msg: 5 } }, /^msg\.payload\.msg must be a string, got number 5/);
      await fails(run, { payload: { value: 1, timestamp: 'yesterday' } }, /^msg\.payload\.timestamp must be unix seconds/);
      await fails(run, { payload: 1, function_id: 999 }, /function_id 999 does not exist in installation 1/);
      await fails(run, { payload: 1, function_id: 'abc' }, /function_id must be a positive integer id/);
      await fails(run, { payload: 1, installation_id: 999 }, /installation_id 999 is not visible/);
      m = await fails(run, { payload: 1, function_id: 10 }, /function 10 has no topic_write/);
      assert.match(m, /topic_read/, 'lists the keys it has');
      await fails(run, { payload: 1, topic_key: 'write' }, /topic_key must start with topic_/);
      await fails(run, { payload: 1, qos: 2 }, /qos must be 0 or 1/);
      assert.equal(written.length, 0, 'nothing was published');
      // The node still works after all that.
      await writes(run, { payload: 'on' });
    });

    it('refuses a message without ids when the node has none', async () => {
      const run = await deploy({ installation: '', function: '' });
      await fails(
        run,
        { payload: 1 },
        /installation_id must be a positive integer id, got nothing: pick one in the node or set installation_id/,
      );
      await fails(run, { payload: 1, installation_id: 1 }, /function_id must be a positive integer id/);
    });

    it('reads the function id from env through its TypedInput', async () => {
      process.env.LYNX_TEST_FN = '11';
      try {
        const run = await deploy({ function: 'LYNX_TEST_FN', functionType: 'env' });
        await writes(run, { payload: 0 });
        await until(() => written.length === 1, 'the write');
        assert.equal(written[0].topic, LAMP_SET);
      } finally {
        delete process.env.LYNX_TEST_FN;
      }
    });
  });
}
