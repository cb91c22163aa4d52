'use strict';
// The functionx-in dialog previews which functions a type or meta filter follows
// (IotOpenEditor.fxinPreview in resources/iotopen-editor.js, computed in the editor from the
// function list the picker route returns). That preview must be what the deployed node does:
// here the real runtime (the built functionx-in and config nodes in Node-RED, the sandbox as
// server) and the editor's code (the shared script as the browser runs it) get the same
// sample functions and filters, and the topics the nodes subscribe to must be the topics the
// preview lists, filter by filter.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { helper, nodeModule, configNode, useNodeRed, dist } = require('../support/nodered');

const root = path.resolve(__dirname, '../..');
const IID = 1;
const CLIENT = 1001;

/** The shared editor script, run as a browser runs it (no DOM is needed to compute a preview). */
function editorScript() {
  const window = {};
  vm.runInNewContext(fs.readFileSync(path.join(root, 'resources', 'iotopen-editor.js'), 'utf8'), { window });
  return window.IotOpenEditor;
}

// Types and meta values with the characters a glob must treat literally, case, spaces, an
// empty type, a newline, and meta keys that objects inherit (constructor, toString).
const TYPES = [
  'temperature',
  'temp',
  'Temperature',
  'temperature_outdoor',
  'a.b',
  'aXb',
  'a+b',
  'x(y)',
  '',
  'door',
  'door*',
  'multi\nline',
  'ü-type',
  'alarm_fire',
  'alarm_',
  '[x]',
  '^start',
  'end$',
  'back\\slash',
  ' spaced ',
  'a*b',
];
const METAS = [
  { name: 'Room temp', room: 'hall', floor: '1' },
  { name: 'Hall temp', room: 'Hall', floor: '10' },
  { name: 'Attic', room: '' },
  { name: 'Kitchen temperature', room: 'hall*' },
  { name: 'Dot', room: 'a.b', floor: '1' },
  { name: 'No room' },
  { name: 'room temp', room: 'hall\nway' },
  { name: 'Star', room: '*' },
];

function sampleFunctions() {
  const fns = [];
  let id = 100;
  TYPES.forEach((type, i) => {
    const meta = { ...METAS[i % METAS.length], topic_read: `obj/s/${id}` };
    if (i % 3 === 0) meta.topic_alt = `obj/alt/${id}`;
    fns.push({ id: id++, installation_id: IID, type, meta });
  });
  // functions whose topic lies elsewhere: no topic_read, or only another key
  fns.push({ id: id++, installation_id: IID, type: 'temperature', meta: { name: 'Unread', room: 'hall' } });
  fns.push({
    id: id++,
    installation_id: IID,
    type: 'temperature',
    meta: { name: 'Alt only', room: 'hall', topic_alt: `obj/alt/${id - 1}` },
  });
  return fns;
}

const t = (ftype, topicKey) => ({ selectBy: 'type', ftype, topicKey });
const m = (rows, topicKey) => ({ selectBy: 'meta', metaFilter: rows.map(([key, value]) => ({ key, value })), topicKey });
const FILTERS = [
  t('temperature'),
  t('temp*'),
  t('*'),
  t('*ture'),
  t('Temp*'),
  t('a.b'),
  t('a*b'),
  t('a+b'),
  t('x(y)'),
  t('door*'),
  t('door\\*'),
  t(' temperature '),
  t('alarm_*'),
  t('[x]'),
  t('^start'),
  t('end$'),
  t('multi*'),
  t('*-*'),
  t('**'),
  t('ü*'),
  t('back\\slash'),
  t('*line'),
  t(' spaced '),
  t('spaced'),
  t(''),
  t('   '),
  t('temperature', 'topic_alt'),
  t('*', 'topic_alt'),
  m([['room', 'hall']]),
  m([['room', 'hall*']]),
  m([['room', '*']]),
  m([['room', '']]),
  m([[' room ', 'hall']]),
  m([['name', '*temp*']]),
  m([
    ['room', 'hall'],
    ['floor', '1'],
  ]),
  m([['floor', '1*']]),
  m([['room', 'a.b']]),
  m([
    ['', 'x'],
    ['room', 'hall'],
  ]),
  m([['room', null]]),
  m([['constructor', '*']]),
  m([['toString', 'x']]),
  m([['name', 'Room temp']]),
  m([['name', 'room temp']]),
  m([['room', 'hall*way']]),
  m([['room', '\\*']]),
  m([['room', '*']], 'topic_alt'),
  m([['', 'x']]),
  m([]),
  t('temperature', 'read'),
];

describe('functionx-in filter preview: the editor matches what the runtime follows', function () {
  this.timeout(30000);
  let sb;
  let subscribed; // owner (node id) -> full topics it subscribed
  let restore;
  const fns = sampleFunctions();

  before(async function () {
    assert.ok(fs.existsSync(path.join(dist, 'nodes', 'iotopen-functionx-in')), 'build first (npm run build)');
    const { startSandbox } = require(path.join(dist, 'src', 'sandbox'));
    sb = await startSandbox({
      port: 0,
      mqttPort: 0,
      seed: { apiKey: 'preview-test-key', installations: [{ id: IID, client_id: CLIENT, name: 'Preview site' }], functions: fns },
    });
    // Every subscription a node makes goes through the config node's hub: note it per node.
    const { MqttHub } = require(path.join(dist, 'src', 'mqtt'));
    const original = MqttHub.prototype.subscribe;
    subscribed = new Map();
    MqttHub.prototype.subscribe = function (owner, filter, ...rest) {
      if (!subscribed.has(owner)) subscribed.set(owner, new Set());
      subscribed.get(owner).add(filter);
      return original.call(this, owner, filter, ...rest);
    };
    restore = () => {
      MqttHub.prototype.subscribe = original;
    };
  });
  after(async function () {
    if (restore) restore();
    if (sb) await sb.stop();
  });
  useNodeRed();

  it(`agrees on ${FILTERS.length} type and meta filters over ${fns.length} sample functions`, async function () {
    const E = editorScript();
    const cfg = configNode(sb);
    // A type * node follows every function with a topic_read: once it has subscribed, every node
    // has (they all wait for the same cached function list, one request).
    const nodes = [{ selectBy: 'type', ftype: '*' }].concat(FILTERS).map((f, i) => ({
      id: `fx${i}`,
      type: 'iotopen-functionx-in',
      server: 'cfg',
      installation: String(IID),
      topicKey: f.topicKey || 'topic_read',
      ...f,
    }));
    await helper.load([nodeModule('iotopen-config'), nodeModule('iotopen-functionx-in')], [cfg.node, ...nodes], cfg.credentials);
    const readable = fns.filter((f) => f.meta.topic_read).length;
    for (let i = 0; i < 500 && !(subscribed.get('fx0') && subscribed.get('fx0').size === readable); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(subscribed.get('fx0') && subscribed.get('fx0').size, readable, 'the catch-all node never subscribed to every topic_read');
    await new Promise((r) => setImmediate(r));

    const problems = [];
    let compared = 0;
    let nonEmpty = 0;
    nodes.slice(1).forEach((n, i) => {
      const runtime = [...(subscribed.get(n.id) || [])].sort();
      const p = E.fxinPreview(fns, FILTERS[i]);
      const editor = p.error
        ? []
        : p.matched
            .filter((x) => x.topic)
            .map((x) => `${CLIENT}/${x.topic}`)
            .sort();
      if (runtime.length) nonEmpty++;
      if (JSON.stringify(runtime) !== JSON.stringify(editor))
        problems.push(`${JSON.stringify(FILTERS[i])}: runtime ${JSON.stringify(runtime)}, editor ${JSON.stringify(editor)}`);
      compared++;
    });
    assert.deepEqual(problems, []);
    assert.equal(compared, FILTERS.length);
    assert.ok(
      nonEmpty >= 25 && nonEmpty < FILTERS.length - 8,
      `${nonEmpty} of ${FILTERS.length} filters follow something: the samples should tell filters apart`,
    );
  });

  it('lists the matched functions without the topic key too, and refuses what the runtime refuses', function () {
    const E = editorScript();
    const p = E.fxinPreview(fns, t('temperature'));
    const unread = Array.from(
      p.matched.filter((x) => !x.topic),
      (x) => x.f.meta.name,
    ).sort();
    assert.deepEqual(unread, ['Alt only', 'Unread']);
    for (const bad of [t(''), t('  '), m([]), m([['', 'x']]), { selectBy: 'other' }, t('temperature', 'read')]) {
      assert.ok(E.fxinPreview(fns, bad).error, `${JSON.stringify(bad)} is accepted`);
    }
  });
});
