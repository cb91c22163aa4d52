'use strict';
// iotopen-mqtt-publish in the real Node-RED runtime against the sandbox (HTTP + its MQTT broker).
const assert = require('node:assert/strict');
const path = require('node:path');
const mqtt = require('mqtt');
const { helper, nodeModule, configNode, dist, catchNode, watchers } = require('../support/nodered');
const { next, waitFor } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const configMod = nodeModule('iotopen-config');
const pubMod = nodeModule('iotopen-mqtt-publish');

const IID = 601;
const CLIENT = 9601;
const seed = () => ({
  apiKey: 'pub-test-key-0123456789',
  installations: [{ id: IID, client_id: CLIENT, name: 'Publish test' }],
  functions: [],
});

describe('iotopen-mqtt-publish node', function () {
  let sb;
  let rx;
  const got = [];
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
    rx = await mqtt.connectAsync(sb.mqtt, { username: 'test', password: sb.apiKey, reconnectPeriod: 0 });
    rx.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
    await rx.subscribeAsync(`${CLIENT}/#`, { qos: 1 });
  });
  after(async () => {
    await rx.endAsync(true);
    await sb.stop();
  });
  afterEach(async () => {
    got.length = 0;
    await helper.unload();
  });

  async function load(props = {}) {
    const cfg = configNode(sb);
    const flow = [
      cfg.node,
      {
        id: 'pub',
        type: 'iotopen-mqtt-publish',
        server: 'cfg',
        installation: String(IID),
        topic: '',
        qos: '',
        retain: '',
        mode: 'mqtt',
        wires: [['out']],
        ...props,
      },
      { id: 'out', type: 'helper' },
      ...watchers('pub'),
    ];
    await helper.load([configMod, pubMod, catchNode], flow, cfg.credentials);
    const server = helper.getNode('cfg');
    if ((props.mode || 'mqtt') === 'mqtt') await waitFor(() => server.hub.connected);
    return { server, pub: helper.getNode('pub'), out: helper.getNode('out'), caught: helper.getNode('caught') };
  }

  it('publishes JSON on {client_id}/topic with QoS 1 and finishes after the PUBACK', async () => {
    const n = await load({ qos: '1' });
    const out = next(n.out);
    n.pub.receive({ topic: 'obj/test/1', payload: { value: 21.5 } });
    const m = await out;
    assert.equal(m.topic, `${CLIENT}/obj/test/1`);
    assert.equal(m.queued, false);
    await waitFor(() => got.length === 1);
    assert.deepEqual(got[0], { topic: `${CLIENT}/obj/test/1`, payload: '{"value":21.5}', retain: false });
  });

  it('fills a topic template from msg', async () => {
    const n = await load({ topic: 'set/obj/{{payload.room}}/{{kind}}' });
    const out = next(n.out);
    n.pub.receive({ payload: { room: 'hall', value: 1 }, kind: 'light' });
    assert.equal((await out).topic, `${CLIENT}/set/obj/hall/light`);
    await waitFor(() => got.length === 1);
    assert.deepEqual(got[0], { topic: `${CLIENT}/set/obj/hall/light`, payload: '{"room":"hall","value":1}', retain: false });
  });

  it('keeps a topic that already has the prefix, sends strings as they are, takes retain from msg', async () => {
    const n = await load();
    const out = next(n.out);
    n.pub.receive({ topic: `${CLIENT}/obj/raw`, payload: 'on', qos: 1, retain: true });
    assert.equal((await out).topic, `${CLIENT}/obj/raw`);
    await waitFor(() => got.length === 1);
    assert.deepEqual(got[0], { topic: `${CLIENT}/obj/raw`, payload: 'on', retain: false }); // live delivery clears the retain flag
    const late = await mqtt.connectAsync(sb.mqtt, { username: 'test', password: sb.apiKey, reconnectPeriod: 0 });
    const retained = new Promise((resolve) => late.on('message', (t, p, pk) => resolve({ t, p: p.toString(), r: pk.retain })));
    await late.subscribeAsync(`${CLIENT}/obj/raw`);
    assert.deepEqual(await retained, { t: `${CLIENT}/obj/raw`, p: 'on', r: true });
    await late.endAsync(true);
  });

  it('publishes through the REST API in api mode', async () => {
    const n = await load({ mode: 'api', topic: 'obj/api/1' });
    sb.resetRequests();
    const out = next(n.out);
    n.pub.receive({ payload: { value: 3 } });
    const m = await out;
    assert.equal(m.topic, `${CLIENT}/obj/api/1`);
    assert.ok(sb.requests.some((r) => r.method === 'POST' && r.path === `/api/v2/mqtt/publish/${IID}`));
    await waitFor(() => got.length === 1);
    assert.deepEqual(got[0].topic, `${CLIENT}/obj/api/1`);
    assert.deepEqual(JSON.parse(got[0].payload), { value: 3 });
    assert.equal(n.server.hub.connected, false, 'api mode opens no MQTT connection of its own');
  });

  it("api mode sends the spec's payload object: objects and JSON strings of one as they are, numbers as {value}", async () => {
    const n = await load({ mode: 'api', topic: 'obj/api/2' });
    for (const [payload, expected] of [
      [
        { value: 1, msg: 'on' },
        { value: 1, msg: 'on' },
      ],
      ['{"value": 2}', { value: 2 }],
      [Buffer.from('{"value": 3}'), { value: 3 }],
      [21.5, { value: 21.5 }],
    ]) {
      got.length = 0;
      const out = next(n.out);
      n.pub.receive({ payload });
      await out;
      await waitFor(() => got.length === 1);
      assert.deepEqual(JSON.parse(got[0].payload), expected, `for ${JSON.stringify(payload)}`);
    }
  });

  it('api mode refuses a payload that is not an object, naming msg.payload and what it accepts, before any call', async () => {
    const n = await load({ mode: 'api', topic: 'obj/api/3' });
    sb.resetRequests();
    for (const payload of ['on', '"quoted"', '[1,2]', true, [1, 2], Buffer.from('raw bytes'), NaN]) {
      const c = next(n.caught);
      n.pub.receive({ payload });
      const m = await c;
      assert.match(m.error.message, /msg\.payload is .*API mode sends a JSON object/, `for ${String(payload)}`);
    }
    assert.deepEqual(
      sb.requests.filter((r) => r.path.startsWith('/api/v2/mqtt/publish')),
      [],
    );
    assert.equal(got.length, 0, 'nothing was published');
  });

  it('queues while the broker is down (msg.queued) and delivers after it is back', async () => {
    const n = await load({ qos: '1', topic: 'obj/queued/1' });
    const first = next(n.out);
    n.pub.receive({ payload: { value: 0 } });
    await first;
    await sb.stopBroker();
    const out = next(n.out);
    n.pub.receive({ payload: { value: 7 } });
    const m = await out;
    assert.equal(m.queued, true);
    await sb.startBroker();
    // The sandbox feeds its status list from its broker: the queued value lands there.
    await waitFor(() => {
      const st = sb.store.status.get(IID);
      const e = st && [...st.values()].find((x) => x.topic.endsWith('obj/queued/1'));
      return e && e.value === 7;
    });
  });

  const bad = [
    ['no installation', { installation: '' }, { payload: 1, topic: 'obj/a' }, /installation must be a positive integer id/],
    [
      'installation of the wrong type',
      {},
      { installation_id: 'abc', payload: 1, topic: 'obj/a' },
      /msg\.installation_id must be a positive integer id, got "abc"/,
    ],
    ['unknown installation', {}, { installation_id: 999, payload: 1, topic: 'obj/a' }, /installation 999 is not visible/],
    ['no topic', {}, { payload: 1 }, /no topic: set the Topic/],
    ['topic of the wrong type', {}, { payload: 1, topic: 42 }, /no topic/],
    ['wildcard topic', {}, { payload: 1, topic: 'obj/+/a' }, /wildcard/],
    [
      'missing template property',
      { topic: 'obj/{{payload.room}}' },
      { payload: { value: 1 } },
      /\{\{payload\.room\}\}: msg\.payload\.room is missing/,
    ],
    ['bad qos', {}, { payload: 1, topic: 'obj/a', qos: 2 }, /msg\.qos must be 0 or 1/],
    ['bad retain', {}, { payload: 1, topic: 'obj/a', retain: 'yes' }, /msg\.retain must be true or false/],
    ['no payload', {}, { topic: 'obj/a' }, /msg\.payload is missing/],
  ];
  for (const [what, props, msg, re] of bad) {
    it(`fails through done(err) on ${what}, naming the field`, async () => {
      const n = await load(props);
      const c = next(n.caught);
      n.pub.receive(msg);
      const m = await c;
      assert.match(m.error.message, re);
      assert.doesNotMatch(m.error.message, new RegExp(sb.apiKey));
    });
  }
});
