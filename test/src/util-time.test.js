'use strict';
// Unit tests of the Node-RED-free helpers behind the log, notify and api nodes.
const assert = require('node:assert/strict');
const { parseTime, parseRange, TimeParseError } = require('../../dist/src/util/time');
const { fillPath, placeholders, checkPathTemplate, PathTemplateError } = require('../../dist/src/util/path-template');
const { compileTemplate, defaultData, TemplateError } = require('../../dist/src/util/notify-template');

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0); // 2024-05-01T12:00:00Z
const NOW_S = NOW / 1000;

describe('parseTime', () => {
  it('reads a Date', () => assert.equal(parseTime(new Date(NOW), 'from'), NOW_S));
  it('reads unix seconds as number and numeric string', () => {
    assert.equal(parseTime(1700000000, 'from'), 1700000000);
    assert.equal(parseTime('1700000000', 'from'), 1700000000);
    assert.equal(parseTime(1700000000.5, 'from'), 1700000000.5);
  });
  it('reads milliseconds above 1e10 as milliseconds', () => assert.equal(parseTime(1700000000123, 'to'), 1700000000.123));
  it('reads ISO strings with and without zone', () => {
    assert.equal(parseTime('2024-05-01T12:00:00Z', 'from'), NOW_S);
    assert.equal(parseTime('2024-05-01T14:00:00+02:00', 'from'), NOW_S);
    assert.equal(parseTime('2024-05-01', 'from'), Date.UTC(2024, 4, 1) / 1000);
  });
  it('reads now and relative offsets', () => {
    assert.equal(parseTime('now', 'to', NOW), NOW_S);
    assert.equal(parseTime('NOW', 'to', NOW), NOW_S);
    assert.equal(parseTime('-1h', 'from', NOW), NOW_S - 3600);
    assert.equal(parseTime('-7d', 'from', NOW), NOW_S - 7 * 86400);
    assert.equal(parseTime('-30m', 'from', NOW), NOW_S - 1800);
    assert.equal(parseTime('-2 weeks', 'from', NOW), NOW_S - 14 * 86400);
    assert.equal(parseTime('+15min', 'to', NOW), NOW_S + 900);
    assert.equal(parseTime('-90s', 'from', NOW), NOW_S - 90);
  });
  it('leaves blanks to the API default', () => {
    assert.equal(parseTime(undefined, 'from'), undefined);
    assert.equal(parseTime(null, 'from'), undefined);
    assert.equal(parseTime('  ', 'from'), undefined);
  });
  it('rejects garbage with an error naming the field and the fix', () => {
    for (const bad of ['yesterday', '-1y', '-h', {}, [], true, -5, NaN, new Date('x'), '2024-13-45T99:00']) {
      assert.throws(
        () => parseTime(bad, 'msg.from', NOW),
        (e) => {
          assert.ok(e instanceof TimeParseError, String(bad));
          assert.equal(e.field, 'msg.from');
          assert.match(e.message, /^msg\.from /);
          return true;
        },
      );
    }
    assert.throws(() => parseTime('-1y', 'from'), /unknown unit 'y'.*-30m/);
    assert.throws(() => parseTime('soon', 'to'), /to 'soon' is not a time: use a Date, an ISO 8601 string/);
  });
});

describe('parseRange', () => {
  it('rounds from down and to up to whole seconds', () => {
    assert.deepEqual(parseRange(1000.7, 2000.2), { from: 1000, to: 2001 });
  });
  it('rejects from after to, naming from', () => {
    assert.throws(
      () => parseRange('-1h', '-2h', { now: NOW }),
      (e) => e.field === 'from' && /is after to/.test(e.message),
    );
  });
  it('allows open bounds', () => assert.deepEqual(parseRange(undefined, '-1h', { now: NOW }), { from: undefined, to: NOW_S - 3600 }));
});

describe('path templates', () => {
  it('lists placeholders once each', () => assert.deepEqual(placeholders('/a/{x}/{y}/{x}'), ['x', 'y']));
  it('fills and URL-encodes values', () => {
    const p = fillPath('/api/v2/functionx/{installation_id}/{id}/meta/{key}', (n) => ({ installation_id: 12, id: '7', key: 'a b/c?' })[n]);
    assert.equal(p, '/api/v2/functionx/12/7/meta/a%20b%2Fc%3F');
  });
  it('names a missing placeholder', () => {
    assert.throws(
      () => fillPath('/api/v2/functionx/{installation_id}/{id}', (n) => (n === 'id' ? 3 : undefined)),
      (e) =>
        e instanceof PathTemplateError &&
        e.field === 'installation_id' &&
        /\{installation_id\}.*msg\.params\.installation_id/.test(e.message),
    );
  });
  it('refuses values that would change the path', () => {
    assert.throws(() => fillPath('/api/v2/x/{a}', () => '..'), /must not be '\.\.'/);
    assert.throws(() => fillPath('/api/v2/x/{a}', () => ({})), /string or number/);
  });
  it('refuses hosts, query strings and broken braces', () => {
    assert.throws(() => checkPathTemplate('https://evil.example/api'), /starting with \/api\//);
    assert.throws(() => checkPathTemplate('//evil.example/api'), /starting with \/api\//);
    assert.throws(() => checkPathTemplate('/api/v2/x?key=1'), /query field/);
    assert.throws(() => checkPathTemplate('/api/v2/{x'), /unbalanced/);
    assert.throws(() => checkPathTemplate(''), /path is empty/);
  });
});

describe('notification templates', () => {
  it('default data carries payload, topic and lynx', () => {
    assert.deepEqual(defaultData({ payload: 1, topic: 't', lynx: { a: 1 }, other: 2 }), { payload: 1, topic: 't', lynx: { a: 1 } });
    assert.deepEqual(defaultData({}), { payload: null });
  });
  it('renders JSON with the json helper escaping quotes', () => {
    const t = compileTemplate('{"text": {{json payload}}, "n": {{count}} }', 'json');
    assert.deepEqual(t.render({ payload: 'say "hi"', count: 3 }), { text: 'say "hi"', n: 3 });
  });
  it('renders text into one field, without HTML escaping', () => {
    const t = compileTemplate('Temp {{payload}} > {{limit}} & rising', 'text');
    assert.deepEqual(t.render({ payload: 25, limit: 20 }), { message: 'Temp 25 > 20 & rising' });
  });
  it('reports a syntax error at compile time', () => {
    assert.throws(
      () => compileTemplate('{{#if payload}}open', 'text'),
      (e) => e instanceof TemplateError && /syntax error/.test(e.message),
    );
    assert.throws(() => compileTemplate('', 'json'), /template is empty/);
    assert.throws(() => compileTemplate('x', 'xml'), /format must be/);
  });
  it('reports rendered text that is not a JSON object', () => {
    const t = compileTemplate('{"text": "{{payload}}"}', 'json');
    assert.throws(() => t.render({ payload: 'a "quoted" word' }), /did not render valid JSON.*json value/);
    assert.throws(() => compileTemplate('[1]', 'json').render({}), /JSON object/);
  });
  it('does not reach prototype properties', () => {
    const t = compileTemplate('{{constructor.name}}', 'text');
    assert.deepEqual(t.render({ payload: 1 }), { message: '' });
  });
});
