'use strict';
// src/util/secret-binding.ts: which server a stored secret was entered for (no Node-RED).
const assert = require('node:assert/strict');
const path = require('node:path');

const { endpointsOf, judge, bindSecret, sameSecret, stripEntered, refusalMessage, ENTERED_MARK } = require(
  path.resolve(__dirname, '../../dist/src/util/secret-binding'),
);

describe('secret binding (src/util/secret-binding.ts)', function () {
  const here = endpointsOf('https://lynx.example.com/base', 'mqtts://lynx.example.com:8883');
  const there = endpointsOf('https://evil.example.net', 'mqtts://lynx.example.com:8883');

  it('names endpoints by scheme, host and port', () => {
    assert.deepEqual(here, { api: 'https://lynx.example.com', mqtt: 'mqtts://lynx.example.com:8883' });
    assert.deepEqual(endpointsOf('http://127.0.0.1:8080', 'wss://h/mqtt'), { api: 'http://127.0.0.1:8080', mqtt: 'wss://h' });
  });

  it('keeps a fingerprint, never the secret, and tells the secret apart', () => {
    const b = bindSecret('key-0123456789', here);
    assert.equal(JSON.stringify(b).includes('key-0123456789'), false);
    assert.equal(sameSecret(b, 'key-0123456789'), true);
    assert.equal(sameSecret(b, 'key-0123456788'), false);
  });

  it('binds when entered, unbound or replaced; accepts at home; refuses the same secret elsewhere', () => {
    const b = bindSecret('k-123456', here);
    assert.equal(judge('k-123456', false, b, here).kind, 'ok');
    assert.equal(judge('k-123456', false, b, there).kind, 'refuse');
    assert.equal(judge('k-123456', false, b, { ...here, mqtt: 'mqtt://other:1883' }).kind, 'refuse');
    assert.equal(judge('k-123456', true, b, there).kind, 'bind');
    assert.equal(judge('k-123456', false, undefined, there).kind, 'bind');
    assert.equal(judge('k-123456', false, { junk: true }, there).kind, 'bind');
    assert.equal(judge('another-key', false, b, there).kind, 'bind');
    assert.equal(judge('k-123456', true, b, there).binding.api, there.api);
  });

  it('strips the dialog mark and names both ends in a refusal', () => {
    assert.deepEqual(stripEntered(`${ENTERED_MARK}abc`), { value: 'abc', entered: true });
    assert.deepEqual(stripEntered('abc'), { value: 'abc', entered: false });
    assert.match(
      refusalMessage('apiKey', here, there),
      /^The API key was entered for https:\/\/lynx\.example\.com, not for https:\/\/evil\.example\.net: enter it again/,
    );
    assert.match(
      refusalMessage('password', here, { ...here, mqtt: 'mqtt://x:1' }),
      /^The password was entered for the broker mqtts:\/\/lynx\.example\.com:8883, not for mqtt:\/\/x:1/,
    );
  });
});
