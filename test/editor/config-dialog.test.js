'use strict';
// The iotopen-config dialog's oneditsave, run on the editor file itself with a stub RED and
// jQuery: a secret the user typed is sent marked as entered (the runtime then binds it to
// this server), a stored secret the dialog did not change (__PWRD__) or an empty field is not.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const root = path.resolve(__dirname, '../..');
const html = fs.readFileSync(path.join(root, 'nodes/iotopen-config/iotopen-config.html'), 'utf8');
const { ENTERED_MARK } = require(path.join(root, 'dist/src/util/secret-binding'));

/** The definition the dialog registers, with `inputs` (selector -> value) standing in for the form. */
function loadDialog(inputs) {
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)[1];
  let def;
  const $ = (selector) => ({
    val(v) {
      if (v === undefined) return inputs[selector];
      inputs[selector] = v;
      return this;
    },
  });
  vm.runInNewContext(script, { RED: { nodes: { registerType: (_type, d) => (def = d), getType: () => null } }, $ });
  return def;
}

describe('iotopen-config dialog: secrets entered', function () {
  const KEY = '#node-config-input-apiKey';
  const PW = '#node-config-input-password';

  it('marks a typed API key and password as entered', () => {
    const inputs = { [KEY]: 'typed-key-123456', [PW]: 'typed-password' };
    loadDialog(inputs).oneditsave.call({});
    assert.equal(inputs[KEY], ENTERED_MARK + 'typed-key-123456');
    assert.equal(inputs[PW], ENTERED_MARK + 'typed-password');
  });

  it('leaves a stored secret (__PWRD__), an empty field and an already marked value as they are', () => {
    const inputs = { [KEY]: '__PWRD__', [PW]: '' };
    const def = loadDialog(inputs);
    def.oneditsave.call({});
    assert.deepEqual(inputs, { [KEY]: '__PWRD__', [PW]: '' });
    inputs[KEY] = ENTERED_MARK + 'k-123456';
    def.oneditsave.call({});
    assert.equal(inputs[KEY], ENTERED_MARK + 'k-123456');
  });

  it('uses the same mark as the runtime', () => {
    assert.match(html, new RegExp(`var ENTERED_MARK = '${ENTERED_MARK}';`));
  });
});
