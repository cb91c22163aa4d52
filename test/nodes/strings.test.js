'use strict';
// The runtime strings of the flow nodes: the shared ones (nodes/lib/locales/<lang>/common.json,
// the pack's common namespace: the `common` section of the config node's built catalogue)
// exist in Swedish too; the English text of every library error (src/, thrown with an i18n
// key and its params) is exactly what the common texts say for that key; and every key a
// node's runtime uses is in its own catalogue or the common one, in English and Swedish.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const dist = path.join(root, 'dist', 'src');
const pkg = require(path.join(root, 'package.json'));
const TYPES = Object.keys(pkg['node-red'].nodes).filter((t) => t !== 'iotopen-config');
const { fillParams } = require(path.join(dist, 'errors'));

// a node's catalogue as built (devicex and functionx are rendered from nodes/lib/modelx-editor)
const cat = (type, lang) =>
  JSON.parse(fs.readFileSync(path.join(root, 'dist', 'nodes', type, 'locales', lang, `${type}.json`), 'utf8'))[type];
const master = (lang) => JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'lib', 'locales', lang, 'common.json'), 'utf8'));
/** The common namespace as built and served (the config node's catalogue, `common`). */
const common = (lang) =>
  JSON.parse(fs.readFileSync(path.join(root, 'dist', 'nodes', 'iotopen-config', 'locales', lang, 'iotopen-config.json'), 'utf8')).common;
const get = (obj, key) => key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);

/** Errors the library throws, one or more per key (what a node can pass on to done(err)). */
async function corpus() {
  const values = require(path.join(dist, 'lynx/values'));
  const codec = require(path.join(dist, 'lynx/codec'));
  const follow = require(path.join(dist, 'lynx/follow'));
  const modelx = require(path.join(dist, 'lynx/modelx'));
  const schedule = require(path.join(dist, 'lynx/schedule'));
  const time = require(path.join(dist, 'util/time'));
  const aggr = require(path.join(dist, 'lynx/aggregation'));
  const paths = require(path.join(dist, 'util/path-template'));
  const tpl = require(path.join(dist, 'util/notify-template'));
  const topics = require(path.join(dist, 'lynx/topics'));
  const targets = require(path.join(dist, 'edge/targets'));
  const edge = require(path.join(dist, 'edge/validate'));
  const states = new Map([['on', 1]]);
  const calls = [
    () => values.positiveId('x', 'installation'),
    () => values.positiveId(undefined, 'msg.function_id', 'function_id'),
    () => values.parseBoolean('yes', 'msg.silent', false),
    () => values.parseQos(2, 'msg.qos', 0),
    () => values.topicKey('w', 'topic_key'),
    () => values.wholeNumber(-2, 'limit'),
    () => values.topicList(5, 'msg.topics'),
    () => values.topicList([1], 'msg.topics'),
    () => values.operation('zap', ['list', 'get']),
    () => codec.writePayload('x', new Map(), 1),
    () => codec.writePayload('x', states, 1),
    () => codec.writePayload({ value: 1, msg: 2 }, states, 1),
    () => codec.writePayload({ value: 1, timestamp: 'y' }, states, 1),
    () => follow.functionSelector({ selectBy: 'type', ftype: '' }),
    () => follow.functionSelector({ selectBy: 'meta' }),
    () => follow.functionSelector({ selectBy: 'q' }),
    () => modelx.validateMeta(5, 'msg.payload.meta'),
    () => modelx.validateMeta({ ' ': 'x' }),
    () => modelx.validateMeta({ max: 100 }, 'msg.payload.meta'),
    () => modelx.validateModelXBody(null, 'create'),
    () => modelx.validateModelXBody({ meta: {} }, 'create'),
    () => modelx.validateModelXBody({ type: 't' }, 'create'),
    () => modelx.validateModelXFilter(7),
    () => modelx.validateModelXFilter({ name: 1 }),
    () => modelx.validateModelXFilter({ type: 3 }),
    () => modelx.metaWrite({ value: 1 }),
    () => modelx.metaWrite({ value: 'a', protected: 'y' }),
    () => modelx.metaWrite(5),
    () => modelx.metaWrite(null),
    ...['', 'a', '60', ',', '1/2/3', '*/0', '*/99', '5/2', '5-1', '1-2-3'].map((v) => () => schedule.validateCronField('minute', v)),
    () => schedule.validateCronField('hour', {}),
    () => schedule.normaliseScheduleTopic(''),
    () => schedule.normaliseScheduleTopic('a/+'),
    () => schedule.normaliseScheduleTopic('a//b'),
    () => schedule.validateSchedule(null),
    () => schedule.validateSchedule({ topic: 'a', value: 'x' }),
    () => schedule.validateSchedule({ topic: 'a', value: 1, active: 'y' }),
    () => schedule.validateSchedule({ topic: 'a', value: 1, executor: '' }),
    () => schedule.patchFrom({ hours: 1 }),
    () => time.parseTime(new Date(NaN), 'from'),
    () => time.parseTime(-1, 'from'),
    () => time.parseTime([], 'from'),
    () => time.parseTime('-1y', 'msg.from'),
    () => time.parseTime('soon', 'to'),
    () => time.parseRange('now', '-1h', { fromField: 'msg.from', toField: 'to' }),
    () => aggr.aggregationMethod('AVG', 'msg.aggregation.method'),
    () => aggr.aggregationInterval('0s', 'aggrInterval'),
    () => paths.checkPathTemplate('', 'path'),
    () => paths.checkPathTemplate('http://x/api', 'path'),
    () => paths.checkPathTemplate('/api?a=1', 'msg.path'),
    () => paths.checkPathTemplate('/api/{a', 'path'),
    () => paths.fillPath('/api/{id}', () => undefined, 'path'),
    () => paths.fillPath('/api/{id}', () => ({}), 'path'),
    () => paths.fillPath('/api/{id}', () => '..', 'path'),
    () => tpl.compileTemplate('x', 'xml'),
    () => tpl.compileTemplate('', 'json'),
    () => tpl.compileTemplate('{{#if a}}', 'json'),
    () => tpl.compileTemplate('{{a}}', 'json').render({ a: 'not json' }),
    () => tpl.compileTemplate('[1]', 'json').render({}),
    () => codec.publishPayload(undefined),
    () => codec.apiPublishPayload('on'),
    () => codec.apiPublishPayload(Buffer.from('x')),
    () => codec.apiPublishPayload('[1]'),
    () => codec.apiPublishPayload(Buffer.from('2')),
    () => codec.apiPublishPayload(NaN),
    () => codec.apiPublishPayload([1]),
    () => topics.concreteTopic('obj/+/a', 'topic'),
    () => follow.pickedTopics([], [9], 1, 7),
    () => follow.pickedTopics([{ id: 9, type: 't', meta: { name: 'N' } }], [9], 1, 7),
    () => aggr.aggregationOf(5),
    () => targets.listingPublisher({ id: 'x' }),
    () => targets.listingOf({ publisher: 0 }, {}),
    () => targets.edgeTargets([{ id: 1, config: 5 }], 'msg.installations', async () => []),
    () => edge.sourceText(5, 'app_lua'),
    () => edge.parseManifest(' '),
    () => edge.parseManifest('{x'),
    () => edge.parseManifest('[1]'),
    () => edge.parseManifest('{}'),
  ];
  const errors = [];
  for (const c of calls) {
    try {
      await c();
      errors.push(new Error(`no error from ${c}`));
    } catch (e) {
      errors.push(e);
    }
  }
  return errors;
}

describe('runtime strings', () => {
  it('the shared strings are the common section of the built config catalogue', () => {
    for (const lang of ['en-US', 'sv-SE']) assert.deepEqual(common(lang), master(lang), lang);
  });

  it('no node catalogue repeats a common text under the same key', () => {
    const leaves = (o, p = '', out = []) => {
      for (const [k, v] of Object.entries(o || {})) v && typeof v === 'object' ? leaves(v, p + k + '.', out) : out.push([p + k, v]);
      return out;
    };
    const en = master('en-US');
    const copies = TYPES.flatMap((type) =>
      leaves(cat(type, 'en-US'))
        .filter(([k, v]) => get(en, k) === v)
        .map(([k]) => `${type}: ${k}`),
    );
    assert.deepEqual(copies, []);
  });

  it('the shared strings exist in Swedish too, with the same placeholders', () => {
    const en = master('en-US');
    const sv = master('sv-SE');
    const leaves = (o, p = '', out = []) => {
      for (const [k, v] of Object.entries(o)) v && typeof v === 'object' ? leaves(v, p + k + '.', out) : out.push([p + k, v]);
      return out;
    };
    const ph = (s) => [...String(s).matchAll(/__(\w+)__/g)].map((m) => m[1]).sort();
    for (const [k, v] of leaves(en)) {
      assert.equal(typeof get(sv, k), 'string', `${k} has no Swedish text`);
      assert.deepEqual(ph(get(sv, k)), ph(v), `${k}: placeholders differ`);
    }
  });

  it('every library error says in English what the catalogues say for its key', async () => {
    const errors = await corpus();
    const unkeyed = errors.filter((e) => !e.key).map((e) => e.message);
    assert.deepEqual(unkeyed, [], 'errors without an i18n key');
    const en = master('en-US');
    let checked = 0;
    const sv = master('sv-SE');
    for (const e of errors) {
      const text = get(en, `errors.${e.key}`);
      assert.equal(typeof text, 'string', `no common text for errors.${e.key}`);
      assert.equal(fillParams(text, e.params), e.message, e.key);
      assert.equal(typeof get(sv, `errors.${e.key}`), 'string', `no Swedish text for errors.${e.key}`);
      checked++;
    }
    assert.ok(checked > 80, `only ${checked} checked`);
  });

  it("every key a node's runtime uses is in its catalogues (en-US and sv-SE)", () => {
    for (const type of TYPES) {
      const ts = fs.readFileSync(path.join(root, 'nodes', type, `${type}.ts`), 'utf8');
      const keys = new Set();
      for (const m of ts.matchAll(/(?:^|[^\w$.])t\(\s*'([^']+)'/g)) keys.add(m[1]);
      for (const m of ts.matchAll(/(?:ctx\.|[^\w$.])error\(\s*'([^']+)'/g)) keys.add(`errors.${m[1]}`);
      for (const m of ts.matchAll(/\binputError\(\s*'([^']+)'/g)) keys.add(`errors.${m[1]}`);
      for (const lang of ['en-US', 'sv-SE']) {
        const c = cat(type, lang);
        const shared = common(lang);
        const missing = [...keys].filter((k) => typeof get(c, k) !== 'string' && typeof get(shared, k) !== 'string');
        assert.deepEqual(missing, [], `${type} ${lang}`);
      }
    }
  });
});
