'use strict';
// The node frame's declarative inputs (nodes/lib/fields.ts) without Node-RED:
// where a field's value comes from (msg, the node's setting through its
// TypedInput, a default), how it is named in messages, and when it is read.
const assert = require('node:assert/strict');
const path = require('node:path');
const { fieldReader, readField, isFixed, asId, asQos, asBoolean } = require(path.resolve(__dirname, '../../dist/nodes/lib/fields'));

const installation = {
  msg: 'installation_id',
  setting: 'installation',
  type: 'installationType',
  defaultType: 'num',
  name: 'installation_id',
  check: asId,
};
// A stand-in for RED.util.evaluateNodeProperty: env reads process.env, num a number.
const evaluate = (value, type) =>
  type === 'env' ? process.env[value] : type === 'num' ? Number(value) : type === 'flow' ? Promise.resolve(`flow:${value}`) : value;

describe('declarative inputs (nodes/lib/fields)', () => {
  it('takes msg first, then the setting, then the default', async () => {
    assert.equal(await readField(installation, { installation_id: '7' }, { installation: '3' }, evaluate), 7);
    assert.equal(await readField(installation, {}, { installation: '3' }, evaluate), 3);
    assert.equal(await readField({ ...installation, default: 9 }, {}, { installation: '' }, evaluate), 9);
  });

  it('names the field msg.<property> when the value came from the message, else by its name', async () => {
    await assert.rejects(readField(installation, { installation_id: 'abc' }, {}, evaluate), {
      message: 'msg.installation_id must be a positive integer id, got "abc": pick one in the node or set installation_id on the message',
      field: 'msg.installation_id',
    });
    await assert.rejects(readField(installation, {}, { installation: '0' }, evaluate), { field: 'installation_id' });
    await assert.rejects(readField(installation, {}, {}, evaluate), {
      message: 'installation_id must be a positive integer id, got nothing: pick one in the node or set installation_id on the message',
    });
    await assert.rejects(
      readField({ msg: 'installation_id', setting: 'installation', check: asId }, {}, {}),
      { field: 'installation' },
      'the setting names it by default',
    );
  });

  it('evaluates a TypedInput setting (env, flow) only when the message has no value', async () => {
    process.env.LYNX_FIELDS_TEST = '42';
    let calls = 0;
    const counting = (v, t, m) => {
      calls++;
      return evaluate(v, t, m);
    };
    try {
      const cfg = { installation: 'LYNX_FIELDS_TEST', installationType: 'env' };
      assert.equal(await readField(installation, {}, cfg, counting), 42);
      assert.equal(await readField(installation, { installation_id: 5 }, cfg, counting), 5);
      assert.equal(calls, 1);
      assert.equal(await readField({ setting: 's', type: 'sType' }, {}, { s: 'x', sType: 'flow' }, evaluate), 'flow:x');
    } finally {
      delete process.env.LYNX_FIELDS_TEST;
    }
  });

  it('reads the first msg property that is set, and a setting that goes first when filled in', async () => {
    const id = { msg: ['device_id', 'id'], setting: 'objectId', name: 'device_id', check: asId };
    assert.equal(await readField(id, { id: 4 }, {}), 4);
    assert.equal(await readField(id, { device_id: 3, id: 4 }, {}), 3);
    await assert.rejects(readField(id, { id: 'x' }, {}), { field: 'msg.id' });
    await assert.rejects(readField(id, {}, {}), /device_id must be a positive integer id, got nothing/);
    const qos = { msg: 'qos', setting: 'qos', settingFirst: true, check: asQos(0) };
    assert.equal(await readField(qos, { qos: 0 }, { qos: '1' }), 1, 'a fixed QoS wins');
    assert.equal(await readField(qos, { qos: 1 }, { qos: '' }), 1, 'blank: msg.qos');
    assert.equal(await readField(qos, {}, { qos: '' }), 0);
    await assert.rejects(readField(qos, { qos: 2 }, { qos: '' }), { message: 'msg.qos must be 0 or 1, got 2' });
  });

  it('reads fixed fields once, when the node starts, and the others per message in the order declared', async () => {
    const fields = {
      pageSize: { setting: 'pageSize', default: 10, check: (v) => Number(v) },
      silent: { msg: 'silent', setting: 'silent', check: asBoolean(false) },
      installation,
    };
    assert.equal(isFixed(fields.pageSize), true);
    assert.equal(isFixed(fields.silent), false);
    const { fixed, read } = fieldReader(fields, { pageSize: '', silent: true, installation: '1' }, evaluate);
    assert.deepEqual(fixed, { pageSize: 10 });
    assert.deepEqual(await read({ silent: 'false' }), { pageSize: 10, silent: false, installation: 1 });
    // the first failing check in declared order
    await assert.rejects(read({ silent: 'x', installation_id: 'y' }), { field: 'msg.silent' });
    assert.throws(() => fieldReader({ bad: { setting: 'n', check: asId } }, { n: 'q' }), {
      message: 'n must be a positive integer id, got "q"',
    });
  });
});
