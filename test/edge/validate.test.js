'use strict';
// Unit tests of the Node-RED-free edge app checks (src/edge/validate.ts).
const assert = require('node:assert/strict');
const path = require('node:path');
const { dist } = require('../support/nodered');

const v = require(path.join(dist, 'src/edge/validate.js'));

const manifest = {
  input: {
    heater: { type: 'single_function_selector', required: true, name: 'Heater' },
    sensors: { type: 'multi_function_selector', required: true },
    setpoint: { type: 'number', required: true, min: 5, max: 30 },
    enabled: { type: 'toggle', default: true },
    mode: { type: 'toggle', values: ['on', 'off'] },
    alarm: { type: 'single_notification_output_selector' },
    label: { type: 'text' },
  },
  guide: [{ id: 'stage_1', title: 'Pick', input_fields: ['heater', 'setpoint'] }],
};
const good = { heater: 3, sensors: [3, 4], setpoint: 21, mode: 'on', alarm: 9, label: 'Hall' };

describe('edge validate: app.json', function () {
  it('parses a string, a Buffer and an object alike', function () {
    const text = JSON.stringify(manifest);
    for (const input of [text, Buffer.from(text), manifest]) {
      const { manifest: m } = v.parseManifest(input);
      assert.deepEqual(Object.keys(m.input), Object.keys(manifest.input));
    }
  });

  it('rejects invalid JSON naming app_json', function () {
    assert.throws(
      () => v.parseManifest('{"input": '),
      (e) => e.name === 'EdgeValidationError' && e.field === 'app_json' && /not valid JSON/.test(e.message),
    );
  });

  it('rejects an app.json without input', function () {
    assert.throws(
      () => v.parseManifest('{"guide": []}'),
      (e) => e.field === 'app_json.input' && /no "input" object/.test(e.message),
    );
  });

  it('rejects an input without type and a guide step naming an unknown input', function () {
    assert.throws(
      () => v.parseManifest({ input: { a: {} }, guide: [{ input_fields: ['b'] }] }),
      (e) => {
        assert.equal(e.problems.length, 2);
        assert.match(e.message, /input "a" needs a "type"/);
        assert.match(e.message, /names input "b"/);
        return true;
      },
    );
  });

  it('rejects something that is neither text nor Buffer', function () {
    assert.throws(
      () => v.sourceText(42, 'app_lua'),
      (e) => e.field === 'app_lua' && /string or a Buffer/.test(e.message),
    );
  });
});

describe('edge validate: instance config', function () {
  const m = v.parseManifest(manifest).manifest;

  it('accepts a good config, with defaults filled in', function () {
    const cfg = v.withDefaults(m, good);
    assert.equal(cfg.enabled, true);
    assert.deepEqual(v.checkInstanceConfig(m, cfg, { functionIds: [3, 4], notificationOutputIds: [9] }), []);
  });

  it('names a missing required input', function () {
    const { setpoint: _setpoint, ...rest } = good;
    const p = v.checkInstanceConfig(m, rest);
    assert.deepEqual(
      p.map((x) => x.field),
      ['config.setpoint'],
    );
    assert.match(p[0].message, /"setpoint" is required/);
  });

  it('checks numbers, ranges and toggle values', function () {
    const p = v.checkInstanceConfig(m, { ...good, setpoint: '21', enabled: 'yes', mode: true });
    assert.deepEqual(
      p.map((x) => x.field),
      ['config.setpoint', 'config.enabled', 'config.mode'],
    );
    assert.match(p[0].message, /must be a number, got "21"/);
    assert.match(p[1].message, /toggle: its value must be one of true, false/);
    assert.match(p[2].message, /one of "on", "off"/);
    assert.match(v.checkInstanceConfig(m, { ...good, setpoint: 31 })[0].message, /at most 30/);
  });

  it('checks selector shapes and that ids exist in the installation', function () {
    const shape = v.checkInstanceConfig(m, { ...good, heater: [3], sensors: 3 });
    assert.deepEqual(
      shape.map((x) => x.field),
      ['config.heater', 'config.sensors'],
    );
    const refs = { functionIds: [3], notificationOutputIds: [1] };
    const p = v.checkInstanceConfig(m, good, refs);
    assert.deepEqual(
      p.map((x) => x.message),
      [
        'input "sensors": function 4 does not exist in this installation',
        'input "alarm": notification output 9 does not exist in this installation',
      ],
    );
  });

  it('says which references a manifest needs', function () {
    assert.deepEqual(v.neededRefs(m), { functions: true, notificationOutputs: true });
    assert.deepEqual(v.neededRefs({ input: { n: { type: 'number' } } }), { functions: false, notificationOutputs: false });
  });

  it('rejects a config that is not an object', function () {
    assert.equal(v.checkInstanceConfig(m, [1])[0].field, 'config');
  });
});
