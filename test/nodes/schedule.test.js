'use strict';
// iotopen-schedule in the real Node-RED runtime against the sandbox.
const assert = require('node:assert/strict');
const { helper, useNodeRed } = require('../support/nodered');
const { flow, ok, fails, startSandbox } = require('./modelx-suite');

const TYPE = 'iotopen-schedule';

describe('iotopen-schedule', function () {
  let sb;
  before(async () => {
    sb = await startSandbox();
  });
  after(async () => {
    if (sb) await sb.stop();
  });
  useNodeRed();

  const stored = (id) => sb.store.schedules.get(id);
  const seeded = () => [...sb.store.schedules.values()].filter((s) => s.installation_id === 101 && s.executor === 'gateway');

  it("lists the installation's schedules (default executor gateway), and by executor from msg.filter", async () => {
    const { run } = await flow(sb, TYPE, { operation: 'list' });
    const m = await ok(run, {});
    assert.deepEqual(
      m.payload.map((s) => s.id).sort(),
      seeded()
        .map((s) => s.id)
        .sort(),
    );
    assert.ok(m.payload.length > 0);
    const other = await ok(run, { filter: { executor: 'nobody' } });
    assert.deepEqual(other.payload, []);
  });

  it("creates from the node's fields with msg.payload overrides, then gets, updates, disables, enables and deletes", async () => {
    const { run } = await flow(sb, TYPE, {
      operation: 'create',
      minute: '30',
      hour: '6',
      dayOfMonth: '*',
      month: '*',
      dayOfWeek: '1-5',
      topic: 'set/obj/zwave/node/3/switch',
      value: '1',
      valueType: 'num',
      active: true,
    });
    const c = await ok(run, { payload: { hour: '7', value: 0 } });
    const id = c.schedule_id;
    assert.equal(typeof id, 'number');
    const s = stored(id);
    assert.equal(s.minute, '30');
    assert.equal(s.hour, '7');
    assert.equal(s.day_of_week, '1-5');
    assert.equal(s.value, 0);
    assert.equal(s.topic, 'set/obj/zwave/node/3/switch');
    assert.equal(s.active, true);

    const g = await ok(run, { operation: 'get', schedule_id: id });
    assert.equal(g.payload.id, id);

    const u = await ok(run, { operation: 'update', schedule_id: id, payload: { minute: '*/15', hour: '8-17' } });
    assert.equal(stored(id).minute, '*/15');
    assert.equal(stored(id).hour, '8-17');
    assert.equal(stored(id).day_of_week, '1-5', 'fields not in the patch are kept');
    assert.equal(u.payload.minute, '*/15');

    await ok(run, { operation: 'disable', id });
    assert.equal(stored(id).active, false);
    await ok(run, { operation: 'enable', id });
    assert.equal(stored(id).active, true);

    const d = await ok(run, { operation: 'delete', schedule_id: id });
    assert.deepEqual(d.payload, { deleted: true, id });
    assert.equal(stored(id), undefined);
  });

  it("strips the installation's client_id prefix from the topic", async () => {
    const { run } = await flow(sb, TYPE, { operation: 'create' });
    const c = await ok(run, { payload: { topic: '2101/set/obj/lamp', value: 1, minute: '0', hour: '12' } });
    assert.equal(stored(c.schedule_id).topic, 'set/obj/lamp');
    await ok(run, { operation: 'delete', schedule_id: c.schedule_id });
  });

  describe('update sends only the fields the user set', () => {
    let id;
    beforeEach(async () => {
      // 07:30 on weekdays, disabled.
      const { run } = await flow(sb, TYPE, { operation: 'create' });
      const c = await ok(run, { payload: { minute: '30', hour: '7', day_of_week: '1-5', topic: 'set/obj/lamp', value: 1, active: false } });
      id = c.schedule_id;
      await helper.unload();
    });
    afterEach(() => sb.store.schedules.delete(id));

    it("an inject's timestamp triggers an update with only the node's filled-in fields", async () => {
      // Blank cron fields, no topic or value, Active ticked (the editor's default).
      const { run } = await flow(sb, TYPE, {
        operation: 'update',
        scheduleId: String(id),
        minute: '',
        hour: '8',
        dayOfMonth: '',
        month: '',
        dayOfWeek: '',
        topic: '',
        value: '',
        valueType: 'num',
        active: true,
      });
      await ok(run, { payload: Date.now() });
      const s = stored(id);
      assert.equal(s.hour, '8');
      assert.equal(s.minute, '30', 'a blank minute is not *');
      assert.equal(s.day_of_month, '*');
      assert.equal(s.day_of_week, '1-5', 'a blank day of week is not *');
      assert.equal(s.active, false, 'a trigger does not enable a disabled schedule');
      assert.equal(s.topic, 'set/obj/lamp');
      assert.equal(s.value, 1);
    });

    it("msg.payload fields go over the node's filled-in fields, over the current schedule", async () => {
      const { run } = await flow(sb, TYPE, { operation: 'update', scheduleId: String(id), hour: '9', value: '0', valueType: 'num' });
      await ok(run, { payload: { minute: '15', active: true } });
      const s = stored(id);
      assert.deepEqual([s.minute, s.hour, s.day_of_week, s.value, s.active], ['15', '9', '1-5', 0, true]);
    });

    it('a trigger with nothing filled in changes nothing and says so', async () => {
      const snapshot = JSON.stringify(stored(id));
      const { run } = await flow(sb, TYPE, { operation: 'update', scheduleId: String(id), active: true });
      await fails(run, { payload: 1700000000000 }, /nothing to change/);
      await fails(run, { payload: '0 8 * * *' }, /msg\.payload must be an object/);
      assert.equal(JSON.stringify(stored(id)), snapshot);
    });
  });

  describe('bad input reaches a Catch node naming the field, with no API write', () => {
    it('invalid cron fields, value, topic and unknown fields', async () => {
      const { run } = await flow(sb, TYPE, { operation: 'create', topic: 'set/obj/lamp', value: '1', valueType: 'num' });
      const before = sb.store.schedules.size;
      await fails(run, { payload: { minute: '60' } }, /minute "60" is not valid: 60 is outside 0-59/);
      await fails(run, { payload: { hour: '24' } }, /hour "24"/);
      await fails(run, { payload: { day_of_month: '0' } }, /day_of_month "0"/);
      await fails(run, { payload: { month: '13' } }, /month "13"/);
      await fails(run, { payload: { day_of_week: '1-9' } }, /day_of_week "1-9".*9 is outside 0-7/);
      await fails(run, { payload: { minute: 'every' } }, /minute "every"/);
      await fails(run, { payload: { value: 'on' } }, /value must be a number/);
      await fails(run, { payload: { topic: 'set/obj/#' } }, /wildcards/);
      await fails(run, { payload: { hours: '7' } }, /msg.payload.hours is not a schedule field/);
      await fails(run, { payload: '0 7 * * *' }, /msg.payload must be a schedule object/);
      assert.equal(sb.store.schedules.size, before, 'nothing created');
      const c = await fails(run, { payload: { month: '13' } }, /month/);
      assert.equal(c.error.code, 'EINPUT');
    });

    it('an invalid update leaves the schedule unchanged', async () => {
      const target = seeded()[0];
      const snapshot = JSON.stringify(stored(target.id));
      const { run } = await flow(sb, TYPE, { operation: 'update' });
      await fails(run, { schedule_id: target.id, payload: { hour: '25' } }, /hour "25"/);
      await fails(run, { schedule_id: target.id, payload: { active: 'yes' } }, /active must be true or false/);
      assert.equal(JSON.stringify(stored(target.id)), snapshot);
    });

    it('missing and wrong ids, unknown operation', async () => {
      const { run } = await flow(sb, TYPE, { operation: 'get', installation: '' });
      await fails(run, { schedule_id: 1 }, /installation_id must be a positive integer id, got nothing/);
      await fails(run, { installation_id: 101 }, /schedule_id must be a positive integer id, got nothing/);
      await fails(run, { installation_id: 101, schedule_id: 'one' }, /schedule_id must be a positive integer id, got "one"/);
      await fails(
        run,
        { installation_id: 101, schedule_id: 1, operation: 'pause' },
        /operation "pause" is unknown: use one of list, get, create/,
      );
      await fails(run, { installation_id: 101, operation: 'list', filter: 'gateway' }, /msg.filter must be an object/);
    });

    it('unknown schedule: the API 404 surfaces with its status and message', async () => {
      const { run } = await flow(sb, TYPE, { operation: 'get' });
      const c = await fails(run, { schedule_id: 987654 }, /404/);
      assert.match(c.error.message, /Not found/i);
      assert.equal(c.error.cause.status, 404);
      const e = await fails(run, { operation: 'enable', schedule_id: 987654 }, /404/);
      assert.equal(e.error.cause.status, 404);
      assert.ok(!JSON.stringify(c.error).includes(sb.apiKey));
    });
  });
});
