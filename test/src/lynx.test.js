'use strict';
// Unit tests of the platform's rules (src/lynx, no I/O, no Node-RED): the one
// wildcard matcher, plain values, write values, following functions' topics,
// ModelX filters, and the one error type.
const assert = require('node:assert/strict');
const path = require('node:path');
const dist = path.resolve(__dirname, '../../dist/src');
const { LynxError, fillParams, reasonOf } = require(path.join(dist, 'errors'));
const { LynxApiError } = require(path.join(dist, 'api'));
const { wildcard } = require(path.join(dist, 'lynx/match'));
const values = require(path.join(dist, 'lynx/values'));
const { writePayload, decodeLynxPayload, lynxObject } = require(path.join(dist, 'lynx/codec'));
const { functionSelector, planTopics, signature } = require(path.join(dist, 'lynx/follow'));
const { compileMetaFilter, presenter } = require(path.join(dist, 'lynx/present'));
const { matchesFilter, validateModelXFilter, ModelXValidationError } = require(path.join(dist, 'lynx/modelx'));
const { ScheduleValidationError } = require(path.join(dist, 'lynx/schedule'));
const { TimeParseError } = require(path.join(dist, 'util/time'));

const fn = (id, type, meta) => ({ id, installation_id: 1, type, meta });

describe('the one wildcard matcher (src/lynx/match)', () => {
  it('matches exactly without *, any run with *, newlines included, never a missing value', () => {
    assert.equal(wildcard('temp')('temp'), true);
    assert.equal(wildcard('temp')('temp2'), false);
    assert.equal(wildcard('alarm_*')('alarm_door'), true);
    assert.equal(wildcard('a*c')('a\nb\nc'), true, '* spans newlines');
    assert.equal(wildcard('*')(''), true);
    assert.equal(wildcard('*')(undefined), false);
    assert.equal(wildcard('a.c')('abc'), false, 'regex characters are literal');
    assert.equal(wildcard('(x)*')('(x)yz'), true);
  });
  it('is what find-or-create, the meta filter of functionx-in and the type selection use, so they agree', () => {
    const f = fn(1, 'temp', { name: 'Lab\nsouth' });
    assert.equal(matchesFilter(f, { meta: { name: 'Lab*' } }), true);
    assert.equal(compileMetaFilter([{ key: 'name', value: 'Lab*' }])(f), true);
    assert.equal(functionSelector({ selectBy: 'meta', metaFilter: [{ key: 'name', value: 'Lab*' }] })(f), true);
    assert.equal(functionSelector({ selectBy: 'type', ftype: 'te*' })(f), true);
    assert.equal(matchesFilter(f, { meta: { other: '*' } }), false);
  });
});

describe('plain values (src/lynx/values)', () => {
  it('reads ids and names the field, with a hint where to set it', () => {
    assert.equal(values.positiveId('12', 'installation'), 12);
    assert.throws(
      () => values.positiveId('abc', 'msg.installation_id', 'installation_id'),
      (e) =>
        e instanceof LynxError &&
        e.field === 'msg.installation_id' &&
        e.key === 'id.pick' &&
        e.code === 'EINPUT' &&
        e.message ===
          'msg.installation_id must be a positive integer id, got "abc": pick one in the node or set installation_id on the message',
    );
    assert.throws(() => values.positiveId(undefined, 'function'), { message: 'function must be a positive integer id, got nothing' });
    assert.deepEqual(values.idList('1, 2,3', 'functions'), [1, 2, 3]);
    assert.throws(() => values.idList(['1', 'x'], 'functions'), /functions must be a positive integer id, got "x"/);
  });
  it('parses QoS and switches one way for every node', () => {
    assert.equal(values.parseQos(undefined, 'qos', 1), 1);
    assert.equal(values.parseQos('', 'qos', 0), 0);
    assert.equal(values.parseQos('0', 'qos', 1), 0);
    assert.equal(values.parseQos(1, 'qos', 0), 1);
    assert.throws(() => values.parseQos(2, 'msg.qos', 0), { message: 'msg.qos must be 0 or 1, got 2' });
    assert.equal(values.parseBoolean('true', 'retain', false), true);
    assert.equal(values.parseBoolean(false, 'retain', true), false);
    assert.equal(values.parseBoolean('', 'retain', true), true);
    assert.throws(() => values.parseBoolean('yes', 'msg.retain', false), { message: 'msg.retain must be true or false, got "yes"' });
  });
  it('reads topic keys, operations, whole numbers and topic lists', () => {
    assert.equal(values.topicKey(' topic_write ', 'topic_key'), 'topic_write');
    assert.throws(() => values.topicKey('write', 'msg.topic_key'), /msg.topic_key must start with topic_/);
    assert.equal(values.operation('metaGet', ['list', 'meta-get']), 'meta-get');
    assert.equal(values.operation(' META_GET ', ['list', 'meta-get']), 'meta-get');
    assert.throws(() => values.operation('destroy', ['list', 'get']), {
      message: 'operation "destroy" is unknown: use one of list, get (in the node or msg.operation)',
    });
    assert.equal(values.wholeNumber('0', 'limit', undefined), undefined);
    assert.equal(values.wholeNumber(' 25 ', 'limit', undefined), 25);
    assert.throws(() => values.wholeNumber(-1, 'msg.limit', undefined), /msg.limit must be a whole number/);
    assert.deepEqual(values.topicList('/obj/a, obj/b,obj/a', 'topics'), ['obj/a', 'obj/b']);
    assert.throws(() => values.topicList([1], 'msg.topics'), /msg.topics must only hold strings/);
  });
});

describe('write values (src/lynx/codec)', () => {
  const states = presenter({ state_on: '1', state_off: '0' }).states;
  it('takes numbers, booleans, numeric text, state names and objects', () => {
    assert.deepEqual(writePayload(21.5, states, 10), { value: 21.5, timestamp: 10 });
    assert.deepEqual(writePayload(true, states, 10), { value: 1, timestamp: 10 });
    assert.deepEqual(writePayload(' 0.25 ', states, 10), { value: 0.25, timestamp: 10 });
    assert.deepEqual(writePayload('OFF', states, 10), { value: 0, timestamp: 10 });
    assert.deepEqual(writePayload({ value: 'on', msg: 'by flow', timestamp: 5 }, states, 10), { value: 1, timestamp: 5, msg: 'by flow' });
  });
  it('refuses anything else naming what came and what is accepted', () => {
    assert.throws(
      () => writePayload('banana', states, 1),
      (e) => e.key === 'write.valueOrState' && /the string "banana".*accepted: a number.*on, off/.test(e.message),
    );
    assert.throws(
      () => writePayload([1, 2], new Map(), 1),
      (e) => e.key === 'write.value' && /an array of 2/.test(e.message),
    );
    assert.throws(() => writePayload({ value: 1, msg: 5 }, states, 1), {
      field: 'msg.payload.msg',
      message: /^msg\.payload\.msg must be a string/,
    });
    assert.throws(() => writePayload({ value: 1, timestamp: 'x' }, states, 1), {
      field: 'msg.payload.timestamp',
      message: /^msg\.payload\.timestamp must be unix seconds/,
    });
  });
  it('decodes once and gives the payload object back', () => {
    const d = decodeLynxPayload(Buffer.from('{"value":1,"timestamp":2,"msg":"m"}'));
    assert.deepEqual(lynxObject(d), { value: 1, timestamp: 2, msg: 'm' });
    assert.deepEqual(lynxObject({ value: 3 }), { value: 3 });
  });
});

describe('following functions (src/lynx/follow)', () => {
  const fns = [
    fn(1, 'temp', { topic_read: 'obj/a' }),
    fn(2, 'temp', { topic_read: 'obj/a' }),
    fn(3, 'temp', { topic_read: '1001/obj/b' }),
    fn(4, 'temp', {}),
    fn(5, 'switch', { topic_read: 'obj/c' }),
  ];
  const temps = functionSelector({ selectBy: 'type', ftype: 'temp' });

  it('selects by id, type or meta, or names the setting that is wrong', () => {
    assert.equal(functionSelector({ selectBy: 'function', function: '5' })(fns[4]), true);
    assert.throws(() => functionSelector({ selectBy: 'function', function: 'abc' }), /function must be a positive integer id/);
    assert.throws(
      () => functionSelector({ selectBy: 'type', ftype: ' ' }),
      (e) => e.key === 'follow.noType' && e.field === 'ftype',
    );
    assert.throws(
      () => functionSelector({ selectBy: 'meta', metaFilter: [] }),
      (e) => e.key === 'follow.noFilter',
    );
    assert.throws(() => functionSelector({ selectBy: 'x' }), /Select must be function, type or meta, got x/);
  });
  it('plans the first subscriptions: shared topics once, the client_id prefix added once', () => {
    const plan = planTopics(fns, temps, 'topic_read', 1001, new Map());
    assert.deepEqual(plan.add, ['1001/obj/a', '1001/obj/b']);
    assert.deepEqual(
      plan.wanted.get('1001/obj/a').map((f) => f.id),
      [1, 2],
    );
    assert.deepEqual([plan.remove, plan.changed, plan.matched, plan.missingKey], [[], [], 4, 1]);
  });
  it('plans only the difference when the list changes', () => {
    const current = new Map([
      ['1001/obj/a', signature([fns[0], fns[1]])],
      ['1001/obj/b', signature([fns[2]])],
      ['1001/obj/gone', 'x'],
    ]);
    const next = [fns[0], fn(2, 'temp', { topic_read: 'obj/a', unit: 'C' }), fns[2], fn(6, 'temp', { topic_read: 'obj/new' })];
    const plan = planTopics(next, temps, 'topic_read', 1001, current);
    assert.deepEqual(plan.add, ['1001/obj/new']);
    assert.deepEqual(plan.remove, ['1001/obj/gone']);
    assert.deepEqual(plan.changed, ['1001/obj/a'], 'meta of function 2 changed');
    const same = planTopics(
      fns,
      temps,
      'topic_read',
      1001,
      new Map([
        ['1001/obj/a', signature([fns[0], fns[1]])],
        ['1001/obj/b', signature([fns[2]])],
      ]),
    );
    assert.deepEqual([same.add, same.remove, same.changed], [[], [], []]);
  });
  it('follows another topic key, and tells a selection without that key', () => {
    const plan = planTopics([fn(1, 't', { topic_write: 'set/a' })], () => true, 'topic_read', 7, new Map());
    assert.deepEqual([plan.add, plan.matched, plan.missingKey], [[], 1, 1]);
    assert.deepEqual(planTopics([fn(1, 't', { topic_write: 'set/a' })], () => true, 'topic_write', 7, new Map()).add, ['7/set/a']);
  });
});

describe('ModelX filters (src/lynx/modelx)', () => {
  it('is validateModelXFilter (the MQTT topic filter check keeps the name validateFilter)', () => {
    assert.deepEqual(validateModelXFilter({ type: 'x', meta: { a: '1' } }), { type: 'x', meta: { a: '1' } });
    assert.throws(
      () => validateModelXFilter({ name: 'x' }),
      (e) => e instanceof ModelXValidationError && e instanceof LynxError && e.key === 'modelx.filterKeys',
    );
  });
});

describe('the one error type (src/errors)', () => {
  it("every area's error is a LynxError with a field, a code and an i18n key", () => {
    assert.throws(
      () => require(path.join(dist, 'lynx/schedule')).validateCronField('minute', '60'),
      (e) =>
        e instanceof ScheduleValidationError &&
        e instanceof LynxError &&
        e.key === 'cron.outOfRange' &&
        e.params.n === 60 &&
        e.code === 'EINPUT',
    );
    assert.throws(
      () => require(path.join(dist, 'util/time')).parseTime('soon', 'msg.from'),
      (e) => e instanceof TimeParseError && e instanceof LynxError && e.key === 'time.text',
    );
    const api = new LynxApiError('nope', { status: 503, method: 'GET', path: '/x?k=1', code: 'EHTTP' });
    assert.ok(api instanceof LynxError);
    assert.equal(api.code, 'EHTTP');
    assert.equal(api.path, '/x');
  });
  it('fills placeholders and gives the short reason of a failure', () => {
    assert.equal(fillParams('__a__ and __b__ and __c__', { a: 1, b: 'x' }), '1 and x and __c__');
    assert.deepEqual(reasonOf({ status: 500 }), { key: 'http', params: { status: 500 } });
    assert.deepEqual(reasonOf({ status: 0, code: 'ETIMEDOUT' }), { key: 'timeout' });
    assert.deepEqual(reasonOf({ status: 0, code: 'ENETWORK', failure: 'not-sent' }), { key: 'network' });
    assert.deepEqual(
      reasonOf({ status: 0, code: 'ENETWORK', failure: 'uncertain' }),
      { key: 'lost' },
      'sent, then the connection was lost',
    );
    assert.deepEqual(reasonOf(new LynxError('x', 'msg.payload')), { key: 'field', params: { field: 'msg.payload' } });
    assert.deepEqual(reasonOf(new Error('x')), { key: 'other' });
  });
});
