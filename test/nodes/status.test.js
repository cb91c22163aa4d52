'use strict';
// iotopen-status in the real Node-RED runtime against the sandbox.
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, configNode, dist, catchNode, watchers } = require('../support/nodered');
const { next } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const configMod = nodeModule('iotopen-config');
const statusMod = nodeModule('iotopen-status');

const IID = 701;
const CLIENT = 9701;
const seed = () => ({
  apiKey: 'status-test-key-0123456789',
  installations: [{ id: IID, client_id: CLIENT, name: 'Status test' }],
  functions: [
    { id: 71, installation_id: IID, type: 'temperature', meta: { name: 'Hall temp', topic_read: 'obj/hall/temp', unit: 'C' } },
    { id: 72, installation_id: IID, type: 'switch', meta: { name: 'Hall light', topic_read: 'obj/hall/light' } },
    { id: 73, installation_id: IID, type: 'switch', meta: { name: 'No topic' } },
  ],
  history: { hours: 1, intervalSeconds: 600 },
});

describe('iotopen-status node', function () {
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
  });
  after(async () => {
    await sb.stop();
  });
  afterEach(async () => {
    await helper.unload();
  });

  async function load(props = {}) {
    const cfg = configNode(sb);
    const flow = [
      cfg.node,
      {
        id: 'st',
        type: 'iotopen-status',
        server: 'cfg',
        installation: String(IID),
        select: 'all',
        functions: [],
        output: 'array',
        join: false,
        wires: [['out']],
        ...props,
      },
      { id: 'out', type: 'helper' },
      ...watchers('st'),
    ];
    await helper.load([configMod, statusMod, catchNode], flow, cfg.credentials);
    return { st: helper.getNode('st'), out: helper.getNode('out'), caught: helper.getNode('caught') };
  }

  it('reads every topic as one array with client_id-prefixed topics', async () => {
    const n = await load();
    const out = next(n.out);
    n.st.receive({ payload: 'go', keep: 1 });
    const m = await out;
    assert.equal(m.keep, 1);
    const topics = m.payload.map((e) => e.topic).sort();
    assert.deepEqual(topics, [`${CLIENT}/obj/hall/light`, `${CLIENT}/obj/hall/temp`]);
    assert.ok(m.payload.every((e) => typeof e.value === 'number' && typeof e.timestamp === 'number'));
    assert.equal(m.installation_id, IID);
  });

  it('reads picked functions as a topic -> value map, joined with their metadata when asked', async () => {
    const n = await load({ select: 'functions', functions: ['71'], output: 'map' });
    const out = next(n.out);
    n.st.receive({});
    const m = await out;
    assert.deepEqual(Object.keys(m.payload), [`${CLIENT}/obj/hall/temp`]);
    assert.equal(typeof m.payload[`${CLIENT}/obj/hall/temp`], 'number');
    await helper.unload();
    const n2 = await load({ select: 'functions', functions: ['71', '72'], join: true });
    const out2 = next(n2.out);
    n2.st.receive({});
    const m2 = await out2;
    const temp = m2.payload.find((e) => e.topic.endsWith('temp'));
    assert.deepEqual(temp.function, { id: 71, type: 'temperature', meta: { name: 'Hall temp', topic_read: 'obj/hall/temp', unit: 'C' } });
  });

  it('sends one message per topic from msg.topics and lists the missing ones', async () => {
    const n = await load({ output: 'split', join: true });
    const out = next(n.out, 1);
    n.st.receive({ topics: ['obj/hall/light', `${CLIENT}/obj/nowhere`], payload: 'x' });
    const m = await out;
    assert.equal(m.topic, `${CLIENT}/obj/hall/light`);
    assert.equal(typeof m.payload, 'number');
    assert.equal(m.status.topic, m.topic);
    assert.equal(m.function.id, 72);
    assert.deepEqual(m.missing, [`${CLIENT}/obj/nowhere`]);
  });

  it('costs one status request per input, and the catalog is shared', async () => {
    const n = await load({ join: true });
    sb.resetRequests();
    const out = next(n.out, 3);
    n.st.receive({});
    n.st.receive({});
    n.st.receive({});
    await out;
    const statusCalls = sb.requests.filter((r) => r.path === `/api/v2/status/${IID}`).length;
    const fnCalls = sb.requests.filter((r) => r.path === `/api/v2/functionx/${IID}`).length;
    assert.equal(statusCalls, 3);
    assert.equal(fnCalls, 1);
  });

  const bad = [
    ['no installation', { installation: '' }, {}, /installation must be a positive integer id/],
    ['installation of the wrong type', {}, { installation_id: { a: 1 } }, /msg\.installation_id must be a positive integer id/],
    ['unknown installation', {}, { installation_id: 12345 }, /installation 12345 is not visible/],
    ['topics of the wrong type', {}, { topics: 42 }, /msg\.topics must be an array of topics/],
    ['a non-string topic', {}, { topics: ['obj/a', 7] }, /msg\.topics must only hold strings/],
    ['an empty topic list', {}, { topics: [] }, /msg\.topics is empty/],
    ['an unknown function', { select: 'functions', functions: ['999'] }, {}, /function 999 does not exist in installation 701/],
    ['a function without topic_read', { select: 'functions', functions: ['73'] }, {}, /function 73 \(No topic\) has no topic_read/],
    ['no function picked', { select: 'functions', functions: [] }, {}, /no functions picked/],
  ];
  for (const [what, props, msg, re] of bad) {
    it(`fails through done(err) on ${what}, naming the field`, async () => {
      const n = await load(props);
      const c = next(n.caught);
      n.st.receive(msg);
      const m = await c;
      assert.match(m.error.message, re);
    });
  }

  it('routes an API failure with its status to Catch', async () => {
    const n = await load();
    sb.faults.set({ errorRate: 1, errorStatus: 500, path: `/api/v2/status/${IID}` });
    try {
      const c = next(n.caught);
      n.st.receive({});
      const m = await c;
      assert.match(m.error.message, /500/);
      assert.doesNotMatch(m.error.message, new RegExp(sb.apiKey));
    } finally {
      sb.faults.clear();
    }
  });
});
