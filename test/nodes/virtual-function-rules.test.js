'use strict';
// The rules of virtual functions without Node-RED (src/lynx/virtual.ts): the ext_id and
// topics, the meta made from the settings, and the update rule (managed keys set or
// removed, the app's own keys kept, null when nothing differs).
const assert = require('node:assert/strict');
const path = require('node:path');
const v = require(path.resolve(__dirname, '../../dist/src/lynx/virtual'));

describe('virtual function rules (src/lynx/virtual)', () => {
  it('derives a topic-safe ext_id from the node id, and takes a user one only when it is topic-safe', () => {
    assert.equal(v.extId('', 'a1b2.c3'), 'node-red-a1b2_c3');
    assert.equal(v.extId(undefined, 'abc'), 'node-red-abc');
    assert.equal(v.extId(' vacation-mode ', 'abc'), 'vacation-mode');
    for (const bad of ['has space', 'a/b', 'a+', '#', '-lead', 'x'.repeat(101), 5]) {
      assert.throws(
        () => v.extId(bad, 'abc'),
        (e) => e.key === 'virtual.extId' && e.field === 'extId',
        String(bad),
      );
    }
    assert.deepEqual(v.virtualTopics('avg'), { read: 'obj/node-red/avg/value', write: 'set/obj/node-red/avg/value' });
  });

  it('checks states: names, values as numbers, no name twice', () => {
    assert.deepEqual(
      v.virtualStates([
        { name: 'on', value: '1', text: ' On ' },
        { name: 'off', value: 0 },
      ]),
      [
        { name: 'on', value: 1, text: 'On' },
        { name: 'off', value: 0 },
      ],
    );
    assert.deepEqual(v.virtualStates(undefined), []);
    assert.throws(
      () => v.virtualStates([{ name: 'o n', value: 1 }]),
      (e) => e.key === 'virtual.stateName',
    );
    assert.throws(
      () => v.virtualStates([{ name: 'on', value: 'x' }]),
      (e) => e.key === 'virtual.stateValue',
    );
    assert.throws(
      () =>
        v.virtualStates([
          { name: 'on', value: 1 },
          { name: 'ON', value: 2 },
        ]),
      (e) => e.key === 'virtual.stateTwice',
    );
    assert.throws(
      () => v.virtualStates('on=1'),
      (e) => e.key === 'virtual.states',
    );
    assert.throws(
      () => v.virtualKind('lamp'),
      (e) => e.key === 'virtual.kind',
    );
  });

  it('makes the meta of each kind: topic_write only for a writable one, device_id when grouped', () => {
    const base = { type: 'temperature', name: 'Avg', unit: '°C', format: '%.1f', states: [], extId: 'avg' };
    assert.deepEqual(v.virtualFunction({ ...base, kind: 'sensor' }), {
      type: 'temperature',
      meta: { name: 'Avg', ext_id: 'avg', topic_read: 'obj/node-red/avg/value', unit: '°C', format: '%.1f' },
    });
    const sw = v.virtualFunction({ ...base, kind: 'switch', type: 'switch', unit: '', format: '', states: v.SWITCH_STATES, deviceId: 7 });
    assert.deepEqual(sw.meta, {
      name: 'Avg',
      ext_id: 'avg',
      topic_read: 'obj/node-red/avg/value',
      topic_write: 'set/obj/node-red/avg/value',
      state_on: '1',
      text_on: 'On',
      state_off: '0',
      text_off: 'Off',
      device_id: '7',
    });
  });

  it('updates only what the node manages, and says when nothing differs', () => {
    const desired = { name: 'Avg', ext_id: 'avg', topic_read: 'obj/node-red/avg/value', state_on: '1' };
    assert.equal(v.metaUpdate({ ...desired }, desired, false), null, 'the same: nothing to write');
    assert.equal(v.metaUpdate({ ...desired, room: 'Hall' }, desired, false), null, "the app's own keys are not a difference");
    assert.deepEqual(
      v.metaUpdate({ ...desired, room: 'Hall', state_off: '0', text_off: 'Off', unit: 'C', topic_write: 'x' }, desired, false),
      {
        ...desired,
        room: 'Hall',
      },
    );
    assert.deepEqual(v.metaUpdate({ ...desired, name: 'Old' }, desired, false), desired);
    // device_id is the node's only while it groups.
    assert.equal(v.metaUpdate({ ...desired, device_id: '3' }, desired, false), null);
    assert.deepEqual(v.metaUpdate({ ...desired, device_id: '3' }, desired, true), desired);
    assert.equal(v.metaUpdate({ ...desired, device_id: '3' }, { ...desired, device_id: '3' }, true), null);
  });

  it('names the state of a value', () => {
    assert.equal(v.stateOf(v.SWITCH_STATES, 1), 'on');
    assert.equal(v.stateOf(v.SWITCH_STATES, 0.5), undefined);
  });
});
