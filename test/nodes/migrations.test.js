'use strict';
// Config versions (nodes/lib/migrations.ts) without Node-RED: the frame
// migrates saved settings before a node starts; every node's .html saves the
// version its runtime expects. The flow saved by 0.1.0 is deployed in
// saved-flow.test.js.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { MIGRATIONS, currentVersion, migrate, migrateWith, versionOf } = require(path.resolve(__dirname, '../../dist/nodes/lib/migrations'));

const root = path.resolve(__dirname, '../..');
const pkg = require(path.join(root, 'package.json'));
const TYPES = Object.keys(pkg['node-red'].nodes).filter((t) => t !== 'iotopen-config');
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'flow-0.1.0.json'), 'utf8'));

describe('config versions (nodes/lib/migrations)', () => {
  it('every flow node has migrations, numbered 1, 2, ... without gaps', () => {
    assert.deepEqual(Object.keys(MIGRATIONS).sort(), [...TYPES].sort());
    for (const type of TYPES)
      assert.deepEqual(
        MIGRATIONS[type].map((m) => m.version),
        MIGRATIONS[type].map((_m, i) => i + 1),
        type,
      );
  });

  it("every node's editor defaults carry the version its runtime migrates to", () => {
    for (const type of TYPES) {
      const html = fs.readFileSync(path.join(root, 'dist', 'nodes', type, `${type}.html`), 'utf8'); // as built (devicex/functionx are rendered)
      const m = /defaults:\s*\{[\s\S]*?\bconfigVersion:\s*\{\s*value:\s*(\d+)\s*\}/.exec(html);
      assert.ok(m, `${type}.html has no configVersion in its defaults`);
      assert.equal(Number(m[1]), currentVersion(type), type);
    }
  });

  it("brings settings saved by 0.1.0 (no version) to today's version, without changing the saved object", () => {
    for (const saved of fixture.filter((n) => TYPES.includes(n.type))) {
      const before = JSON.stringify(saved);
      const now = migrate(saved.type, saved);
      assert.equal(versionOf(saved), 0);
      assert.equal(JSON.stringify(saved), before, 'the saved settings are not changed');
      const { configVersion, ...rest } = now;
      assert.ok(configVersion === undefined || configVersion === currentVersion(saved.type));
      // notify 1 -> 2: the default data of nodes saved before stays the payload as it is ('raw')
      const expected =
        saved.type === 'iotopen-notify' && (!saved.dataMode || saved.dataMode === 'default') ? { ...saved, dataMode: 'raw' } : saved;
      assert.deepEqual(rest, expected, `${saved.type}: keeps the 0.1.0 settings (but for notify's data mode, named)`);
    }
  });

  it('runs each later step once, in order, on a copy that carries the version reached', () => {
    const steps = [
      { version: 1, up: (c) => c },
      { version: 2, up: (c) => ({ ...c, b: c.a, a: undefined }) },
      { version: 3, up: (c) => ({ ...c, seen: [...(c.seen || []), 3] }) },
    ];
    const v0 = { a: 1 };
    assert.deepEqual(migrateWith(steps, v0), { a: undefined, b: 1, seen: [3], configVersion: 3 });
    assert.deepEqual(v0, { a: 1 });
    assert.deepEqual(migrateWith(steps, { b: 2, configVersion: 2 }), { b: 2, seen: [3], configVersion: 3 });
    const same = { a: 1 };
    assert.equal(migrateWith(steps.slice(0, 1), same), same, 'no step changed anything: no copy');
  });

  it('notify 1 -> 2: a saved default data mode becomes raw (payload as it is), a template stays', () => {
    assert.equal(migrate('iotopen-notify', { dataMode: 'default', configVersion: 1 }).dataMode, 'raw');
    assert.equal(migrate('iotopen-notify', { configVersion: 1 }).dataMode, 'raw');
    assert.equal(migrate('iotopen-notify', { dataMode: 'template', configVersion: 1 }).dataMode, 'template');
    assert.equal(migrate('iotopen-notify', { dataMode: 'default', configVersion: 2 }).dataMode, 'default', 'new nodes wrap');
  });

  it("leaves settings of today's version, or of a later one, as they are", () => {
    const type = TYPES[0];
    const v = currentVersion(type);
    assert.deepEqual(migrate(type, { a: 1, configVersion: v }), { a: 1, configVersion: v });
    assert.deepEqual(migrate(type, { a: 1, configVersion: v + 5 }), { a: 1, configVersion: v + 5 });
  });
});
