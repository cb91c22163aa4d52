'use strict';
// src/util/mask.ts: masking secrets in texts, errors and statuses (no Node-RED).
const assert = require('node:assert/strict');
const path = require('node:path');

const { maskable, maskText, maskError, maskValue, MASK } = require(path.resolve(__dirname, '../../dist/src/util/mask'));

describe('secret masking (src/util/mask.ts)', function () {
  it('masks every secret of at least 4 characters, longer ones first', () => {
    const secrets = maskable(['abc', 'key-1234', 'key-1234-long', undefined, null, 'key-1234']);
    assert.deepEqual(secrets, ['key-1234-long', 'key-1234']);
    assert.equal(maskText('a key-1234-long b key-1234 c abc', secrets), `a ${MASK} b ${MASK} c abc`);
  });

  it('masks an error in place: message, stack, serverMessage and its cause', () => {
    class LynxLike extends Error {
      constructor(m) {
        super(m);
        this.status = 400;
        this.serverMessage = 'server said s3cret-value';
        this.cause = { message: 'cause s3cret-value', status: 400 };
      }
    }
    const err = new LynxLike('failed: s3cret-value');
    const out = maskError(err, maskable(['s3cret-value']));
    assert.equal(out, err);
    assert.ok(out instanceof LynxLike);
    assert.equal(err.message, 'failed: ***');
    assert.equal(err.serverMessage, 'server said ***');
    assert.equal(err.cause.message, 'cause ***');
    assert.equal(err.stack.includes('s3cret-value'), false);
    assert.equal(err.status, 400);
  });

  it('masks a status text (a copy) and leaves other values alone', () => {
    const st = { fill: 'red', shape: 'ring', text: 'no s3cret-value' };
    const out = maskValue(st, ['s3cret-value']);
    assert.deepEqual(out, { fill: 'red', shape: 'ring', text: 'no ***' });
    assert.equal(st.text, 'no s3cret-value');
    const same = { fill: 'green', text: 'ok' };
    assert.equal(maskValue(same, ['s3cret-value']), same);
    assert.equal(maskValue(42, ['s3cret-value']), 42);
    assert.equal(maskValue('x s3cret-value', []), 'x s3cret-value');
  });
});
