'use strict';
// Unit tests of the Node-RED-free schedule validation (src/lynx/schedule.ts).
const assert = require('node:assert/strict');
const path = require('node:path');
const { dist } = require('../support/nodered');

const { validateCronField, validateSchedule, normaliseScheduleTopic, ScheduleValidationError } = require(
  path.join(dist, 'src', 'lynx', 'schedule'),
);

describe('cron validation (src/lynx/schedule)', () => {
  it("accepts *, numbers, lists, ranges and steps within each field's range", () => {
    const good = {
      minute: ['*', '0', '59', '0,15,30,45', '*/5', '0-30/10', '5-10'],
      hour: ['*', '0', '23', '7,19', '8-17', '*/2'],
      day_of_month: ['1', '31', '1-15', '*/7'],
      month: ['1', '12', '3-5,9-11'],
      day_of_week: ['0', '7', '1-5', '0,6', '*'],
    };
    for (const [field, values] of Object.entries(good)) {
      for (const v of values) assert.equal(validateCronField(field, v), v, `${field} ${v}`);
    }
    assert.equal(validateCronField('hour', ' 7 '), '7');
    assert.equal(validateCronField('hour', 7), '7');
  });

  it('refuses out-of-range values, naming the field and the bad value', () => {
    const bad = [
      ['minute', '60', /minute "60" is not valid: 60 is outside 0-59/],
      ['hour', '24', /hour "24".*outside 0-23/],
      ['day_of_month', '0', /day_of_month "0".*outside 1-31/],
      ['day_of_month', '32', /day_of_month "32"/],
      ['month', '13', /month "13".*outside 1-12/],
      ['month', '0', /month "0"/],
      ['day_of_week', '8', /day_of_week "8".*outside 0-7/],
    ];
    for (const [field, v, re] of bad) {
      assert.throws(
        () => validateCronField(field, v),
        (e) => e instanceof ScheduleValidationError && e.field === field && re.test(e.message),
      );
    }
  });

  it('refuses malformed syntax with a reason', () => {
    const cases = [
      ['minute', '', /empty/],
      ['minute', 'abc', /"abc" is not a number/],
      ['minute', '1,,2', /list item is empty/],
      ['hour', '5-2', /runs backwards/],
      ['hour', '*/0', /step "0" must be a positive number/],
      ['hour', '*/30', /step 30 is larger than 23/],
      ['hour', '5/2', /a step needs \* or a range/],
      ['hour', '1-2-3', /not a range/],
      ['hour', '*/2/3', /more than one \//],
      ['hour', '-1', /"" is not a number/],
      ['hour', 1.5, /hour must be a string/],
      ['hour', null, /hour must be a string/],
    ];
    for (const [field, v, re] of cases) {
      assert.throws(() => validateCronField(field, v), re, `${field} ${JSON.stringify(v)}`);
    }
  });

  it('validates a whole schedule: defaults to *, numeric value, active boolean, topic rules', () => {
    const s = validateSchedule({ topic: 'set/obj/lamp', value: '1', hour: '7' });
    assert.deepEqual(
      {
        minute: s.minute,
        hour: s.hour,
        day_of_month: s.day_of_month,
        month: s.month,
        day_of_week: s.day_of_week,
        value: s.value,
        active: s.active,
      },
      { minute: '*', hour: '7', day_of_month: '*', month: '*', day_of_week: '*', value: 1, active: true },
    );
    assert.throws(
      () => validateSchedule({ topic: 'set/obj/lamp', value: 'on' }),
      (e) => e.field === 'value' && /value must be a number.*"on"/.test(e.message),
    );
    assert.throws(
      () => validateSchedule({ topic: 'set/obj/lamp', value: 1, active: 'yes' }),
      (e) => e.field === 'active',
    );
    assert.throws(
      () => validateSchedule({ value: 1 }),
      (e) => e.field === 'topic' && /topic must be a non-empty string/.test(e.message),
    );
    assert.throws(
      () => validateSchedule({ topic: 'set/obj/lamp', value: 1, month: '13' }),
      (e) => e.field === 'month',
    );
    assert.throws(
      () => validateSchedule('0 7 * * *'),
      (e) => e.field === 'payload',
    );
    assert.throws(
      () => validateSchedule({ topic: 'x', value: 1, executor: '' }),
      (e) => e.field === 'executor',
    );
  });

  it("normalises the topic: strips the installation's client_id prefix, refuses wildcards and empty levels", () => {
    assert.equal(normaliseScheduleTopic('2101/set/obj/lamp', 2101), 'set/obj/lamp');
    assert.equal(normaliseScheduleTopic('2102/set/obj/lamp', 2101), '2102/set/obj/lamp');
    assert.equal(normaliseScheduleTopic(' set/obj/lamp '), 'set/obj/lamp');
    assert.throws(() => normaliseScheduleTopic('set/obj/+'), /wildcards/);
    assert.throws(() => normaliseScheduleTopic('set/#'), /wildcards/);
    assert.throws(() => normaliseScheduleTopic('/set/obj'), /empty level/);
    assert.throws(() => normaliseScheduleTopic('set//obj'), /empty level/);
    assert.throws(() => normaliseScheduleTopic(''), /non-empty string/);
  });
});
