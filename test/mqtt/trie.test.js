'use strict';
const assert = require('node:assert/strict');
const { TopicTrie, validateFilter, validateTopic, decodeLynxPayload, encodeLynxPayload } = require('../../dist/src/mqtt');

function matches(filters, topic) {
  const t = new TopicTrie();
  for (const f of filters) t.add(f, f);
  return t.match(topic).sort();
}

describe('TopicTrie', () => {
  it('matches exact topics and nothing else', () => {
    assert.deepEqual(matches(['a/b/c', 'a/b', 'a/b/c/d'], 'a/b/c'), ['a/b/c']);
    assert.deepEqual(matches(['a/b/c'], 'a/b/x'), []);
  });

  it('+ matches exactly one level, including an empty one', () => {
    assert.deepEqual(matches(['a/+/c', '+/+/+', '+'], 'a/b/c'), ['+/+/+', 'a/+/c']);
    assert.deepEqual(matches(['a/+/c'], 'a//c'), ['a/+/c']);
    assert.deepEqual(matches(['a/+'], 'a/b/c'), []);
    assert.deepEqual(matches(['+'], 'a'), ['+']);
  });

  it('# matches the parent level and everything below', () => {
    assert.deepEqual(matches(['a/#'], 'a'), ['a/#']);
    assert.deepEqual(matches(['a/#'], 'a/b/c/d'), ['a/#']);
    assert.deepEqual(matches(['#'], 'x/y'), ['#']);
    assert.deepEqual(matches(['a/b/#'], 'a/c'), []);
    assert.deepEqual(matches(['+/obj/#', '100/obj/#', '100/+/zwave/#'], '100/obj/zwave/node/1'), ['+/obj/#', '100/+/zwave/#', '100/obj/#']);
  });

  it('keeps wildcards at the first level away from $ topics', () => {
    assert.deepEqual(matches(['#', '+/x', '$SYS/#', '$SYS/+'], '$SYS/x'), ['$SYS/#', '$SYS/+']);
    assert.deepEqual(matches(['a/#'], 'a/$x'), ['a/#']);
  });

  it('returns each value once even when several paths reach it, and removes cleanly', () => {
    const t = new TopicTrie();
    t.add('a/#', 1);
    t.add('a/#', 1);
    t.add('a/+', 2);
    assert.equal(t.size, 2);
    assert.deepEqual(t.match('a/b').sort(), [1, 2]);
    assert.equal(t.remove('a/+', 2), true);
    assert.equal(t.remove('a/+', 2), false);
    assert.equal(t.remove('never/there', 2), false);
    assert.deepEqual(t.match('a/b'), [1]);
    t.remove('a/#', 1);
    assert.equal(t.size, 0);
    assert.deepEqual(t.match('a/b'), []);
  });

  it('rejects malformed filters and topics with a message naming them', () => {
    assert.throws(() => validateFilter('a/#/b'), /a\/#\/b.*last level/);
    assert.throws(() => validateFilter('a/b+'), /whole level/);
    assert.throws(() => validateFilter(''), /non-empty/);
    assert.throws(() => new TopicTrie().add('#/a', 1), /last level/);
    assert.equal(validateFilter('a/+/#'), 'a/+/#');
    assert.throws(() => validateTopic('a/+'), /wildcard/);
    assert.throws(() => validateTopic(''), /non-empty/);
  });

  it('mixes exact and wildcard filters; exact ones come and go cleanly', () => {
    const t = new TopicTrie();
    t.add('a/b', 'exact');
    t.add('a/b', 'exact2');
    t.add('a/+', 'plus');
    assert.deepEqual(t.match('a/b').sort(), ['exact', 'exact2', 'plus']);
    const seen = [];
    t.forEachMatch('a/b', (v) => seen.push(v));
    assert.deepEqual(seen.sort(), ['exact', 'exact2', 'plus']);
    assert.equal(t.remove('a/b', 'exact'), true);
    assert.equal(t.remove('a/b', 'exact'), false);
    assert.equal(t.remove('a/b', 'exact2'), true);
    assert.deepEqual(t.match('a/b'), ['plus']);
    assert.equal(t.remove('a/+', 'plus'), true);
    assert.equal(t.size, 0);
    assert.deepEqual(t.match('a/b'), []);
  });

  it('works at scale: 10000 filters, a match only visits the topic path', () => {
    const t = new TopicTrie();
    for (let i = 0; i < 10000; i++) t.add(`100/obj/dev/${i}/value`, i);
    t.add('100/obj/#', 'all');
    assert.deepEqual(t.match('100/obj/dev/4242/value').sort(), [4242, 'all'].sort());
  });
});

describe('Lynx payload codec', () => {
  it('decodes {value, timestamp, msg}', () => {
    assert.deepEqual(decodeLynxPayload(Buffer.from('{"value":21.5,"timestamp":1700000000.25,"msg":"ok"}')), {
      ok: true,
      value: 21.5,
      timestamp: 1700000000.25,
      msg: 'ok',
    });
    assert.deepEqual(decodeLynxPayload('{"value":1}'), { ok: true, value: 1 });
  });

  it('gives ok:false with the raw text for non-JSON and non-objects', () => {
    for (const raw of ['on', '22', '[1,2]', 'null', '"x"', '']) {
      const d = decodeLynxPayload(Buffer.from(raw));
      assert.equal(d.ok, false, raw);
      assert.equal(d.raw, raw);
      assert.match(d.error, /JSON|object/);
    }
  });

  it('ignores mistyped timestamp/msg fields', () => {
    assert.deepEqual(decodeLynxPayload('{"value":1,"timestamp":"now","msg":5}'), { ok: true, value: 1 });
  });

  it('encodes, leaving undefined fields out, and round-trips', () => {
    assert.equal(encodeLynxPayload({ value: 1 }), '{"value":1}');
    const s = encodeLynxPayload({ value: 0, timestamp: 12.5, msg: 'hi' });
    assert.deepEqual(decodeLynxPayload(s), { ok: true, value: 0, timestamp: 12.5, msg: 'hi' });
  });
});
