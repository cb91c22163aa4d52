'use strict';
// The platform's behaviour as IoT Open's own clients show it (docs/PLATFORM.md), held in the
// real Node-RED runtime against the sandbox, which is as strict as the platform: bare topic
// filters, installations seen but not assigned, schedule create without an answer body, log
// paging without total, server-side aggregation, notifications without ids.
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, configNode, dist, watchers } = require('../support/nodered');
const mqtt = require('mqtt');
const { next } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const mods = ['iotopen-config', 'iotopen-status', 'iotopen-log', 'iotopen-schedule', 'iotopen-notify', 'iotopen-functionx-out'].map(
  nodeModule,
);
const { catchNode } = require('../support/nodered');

const ASSIGNED = 801;
const SEEN = 802; // visible to the integrator key, not assigned to it
const INTEGRATOR = 'fidelity-integrator-key-0123456789';
const NOW = Math.floor(Date.now() / 1000);
// one value a minute for two hours: 120 entries per topic
const minutes = (iid, topic, base) =>
  Array.from({ length: 120 }, (_, i) => ({ installation_id: iid, topic, value: base + (i % 10), timestamp: NOW - 7200 + i * 60 }));

const seed = () => ({
  apiKey: 'fidelity-admin-key-0123456789',
  apiKeys: [{ key: INTEGRATOR, installations: [ASSIGNED, SEEN], assigned: [ASSIGNED] }],
  installations: [
    { id: ASSIGNED, client_id: 9801, name: 'Assigned site', organization_id: 5 },
    { id: SEEN, client_id: 9802, name: 'Seen site', organization_id: 5 },
  ],
  functions: [
    { id: 81, installation_id: ASSIGNED, type: 'temperature', meta: { name: 'Hall', topic_read: 'obj/hall/temp' } },
    {
      id: 82,
      installation_id: SEEN,
      type: 'temperature',
      meta: { name: 'Barn', topic_read: 'obj/barn/temp', topic_write: 'set/obj/barn/temp' },
    },
  ],
  notifications: {
    executors: [{ id: 1, type: 'mail', name: 'Mail', config: { endpoint: 'https://executor.example' } }],
    messages: [{ id: 1, installation_id: SEEN, name: 'Alarm', text: '{{.payload.message}}' }],
    outputs: [
      {
        id: 3,
        installation_id: SEEN,
        name: 'Mail ops',
        notification_output_executor_id: 1,
        notification_message_id: 1,
        config: { recipients: 'ops@example.com' },
      },
    ],
  },
  log: [...minutes(ASSIGNED, 'obj/hall/temp', 20), ...minutes(SEEN, 'obj/barn/temp', 10)],
});

describe('platform fidelity in the Node-RED runtime (docs/PLATFORM.md)', function () {
  this.timeout(20000);
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
  });
  after(async () => {
    await sb.stop();
  });
  afterEach(async () => {
    sb.store.behaviour.scheduleCreateAnswer = 'empty';
    sb.store.behaviour.omitIds = {};
    await helper.unload();
  });

  /** One node of `type` wired to helper `out`, under a config node using the integrator key. */
  async function load(type, props) {
    const cfg = configNode({ ...sb, apiKey: INTEGRATOR });
    const flow = [cfg.node, { id: 'n', type, server: 'cfg', wires: [['out']], ...props }, { id: 'out', type: 'helper' }, ...watchers('n')];
    await helper.load([...mods, catchNode], flow, cfg.credentials);
    return { n: helper.getNode('n'), out: helper.getNode('out'), caught: helper.getNode('caught') };
  }

  /** The first output or the first error, whichever comes first. */
  const answer = (h) =>
    Promise.race([
      next(h.out),
      next(h.caught).then((m) => {
        throw new Error(`caught: ${m.error.message}`);
      }),
    ]);

  it('sandbox: the integrator key lists only its assigned installation by default, both with assigned=false', async () => {
    const get = async (q) =>
      (await (await fetch(`${sb.api}/api/v2/installationinfo${q}`, { headers: { 'x-api-key': INTEGRATOR } })).json()).map((i) => i.id);
    assert.deepEqual(await get(''), [ASSIGNED]);
    assert.deepEqual((await get('?assigned=false')).sort(), [ASSIGNED, SEEN]);
  });

  it('status: picked functions of an installation that is seen but not assigned return their values (bare filters)', async () => {
    const h = await load('iotopen-status', {
      installation: String(SEEN),
      select: 'functions',
      functions: ['82'],
      output: 'array',
      join: true,
    });
    h.n.receive({});
    const m = await answer(h);
    assert.equal(m.payload.length, 1);
    assert.equal(m.payload[0].topic, '9802/obj/barn/temp', 'answers carry the prefix');
    assert.equal(m.payload[0].function.id, 82);
    assert.equal(m.missing, undefined);
  });

  it('status: msg.topics with or without the client_id prefix read the same value', async () => {
    const h = await load('iotopen-status', { installation: String(ASSIGNED), select: 'all', output: 'map' });
    h.n.receive({ topics: ['9801/obj/hall/temp'] });
    const a = await answer(h);
    h.n.receive({ topics: ['obj/hall/temp', '/obj/hall/temp'] });
    const b = await answer(h);
    assert.deepEqual(Object.keys(a.payload), ['9801/obj/hall/temp']);
    assert.deepEqual(b.payload, a.payload);
  });

  it('sandbox: a prefixed status filter matches nothing (what the node must not send)', async () => {
    const res = await fetch(`${sb.api}/api/v2/status/${ASSIGNED}?topics=9801/obj/hall/temp`, { headers: { 'x-api-key': INTEGRATOR } });
    assert.deepEqual(await res.json(), []);
  });

  it('log: picked functions return their history, and typed prefixed topics are sent bare', async () => {
    const h = await load('iotopen-log', { installation: String(SEEN), functions: ['82'], from: '-3h', to: 'now', mode: 'all' });
    h.n.receive({});
    const m = await answer(h);
    assert.equal(m.count, 120);
    assert.ok(m.payload.every((e) => e.topic === '9802/obj/barn/temp'));
    await helper.unload();
    const h2 = await load('iotopen-log', { installation: String(SEEN), topics: '9802/obj/barn/temp', from: '-3h', to: 'now', mode: 'all' });
    h2.n.receive({});
    assert.equal((await answer(h2)).count, 120);
  });

  it('log: pages to the end when the server gives no total (until a short page)', async () => {
    sb.store.behaviour.logTotal = false;
    try {
      const h = await load('iotopen-log', {
        installation: String(ASSIGNED),
        topics: 'obj/hall/temp',
        from: '-3h',
        to: 'now',
        mode: 'page',
        pageSize: 50,
      });
      const pages = next(h.out, 3);
      h.n.receive({});
      const got = await pages;
      assert.deepEqual(
        got.map((m) => m.payload.length),
        [50, 50, 20],
      );
      assert.deepEqual(
        got.map((m) => m.page.last),
        [false, false, true],
      );
      assert.ok(got.every((m) => m.page.total === undefined));
      assert.equal(got[2].page.pages, 3);
      await helper.unload();
      const h2 = await load('iotopen-log', {
        installation: String(ASSIGNED),
        topics: 'obj/hall/temp',
        from: '-3h',
        to: 'now',
        mode: 'all',
        pageSize: 40,
      });
      h2.n.receive({});
      const all = await answer(h2);
      assert.equal(all.count, 120);
      assert.equal(all.total, undefined);
    } finally {
      sb.store.behaviour.logTotal = true;
    }
  });

  it('log: aggregated history comes back bucketed (method and interval from the node, then from msg)', async () => {
    const h = await load('iotopen-log', {
      installation: String(ASSIGNED),
      topics: 'obj/hall/temp',
      from: String(NOW - 7200),
      to: String(NOW),
      mode: 'all',
      aggrMethod: 'max',
      aggrInterval: '30m',
    });
    h.n.receive({});
    const m = await answer(h);
    assert.ok(m.count >= 4 && m.count <= 5, `4 or 5 half-hour buckets over two hours, got ${m.count}`);
    assert.ok(
      m.payload.every((e) => e.timestamp % 1800 === 0),
      'bucket starts',
    );
    assert.ok(
      m.payload.every((e) => e.value <= 29),
      'a max of values 20..29',
    );
    assert.ok(
      m.payload.slice(1, -1).every((e) => e.value === 29),
      'the max of 20..29 in every inner (full) bucket',
    );
    h.n.receive({ aggregation: { method: 'count', interval: 3600 } });
    const c = await answer(h);
    assert.equal(
      c.payload.reduce((s, e) => s + e.value, 0),
      120,
      'counts per hour add up to every entry',
    );
    h.n.receive({ aggregation: false });
    assert.equal((await answer(h)).count, 120);
  });

  it('log: an unknown aggregation method fails naming the field, before any call', async () => {
    const h = await load('iotopen-log', { installation: String(ASSIGNED), topics: 'obj/hall/temp' });
    sb.resetRequests();
    h.n.receive({ aggregation: { method: 'mean' } });
    const e = await next(h.caught);
    assert.match(e.error.message, /msg\.aggregation\.method must be one of avg, count/);
    h.n.receive({ aggregation: { method: 'avg', interval: '5 minutes' } });
    assert.match((await next(h.caught)).error.message, /msg\.aggregation\.interval must be a duration/);
    assert.equal(sb.requests.filter((r) => r.path.startsWith('/api/v3beta/log')).length, 0);
  });

  for (const form of ['empty', 'schedule']) {
    it(`schedule: create outputs the new schedule with its id when the answer is ${form === 'empty' ? 'empty (spec)' : 'the schedule (go-lynx, node-lynx)'}`, async () => {
      sb.store.behaviour.scheduleCreateAnswer = form;
      const h = await load('iotopen-schedule', {
        installation: String(SEEN),
        operation: 'create',
        topic: 'set/obj/barn/temp',
        value: '18',
        valueType: 'num',
        minute: '15',
        hour: '6',
      });
      const before = [...sb.store.schedules.keys()];
      h.n.receive({ payload: { day_of_week: '1-5' } });
      const m = await answer(h);
      const created = [...sb.store.schedules.values()].filter((s) => !before.includes(s.id));
      assert.equal(created.length, 1, 'created once');
      assert.equal(m.schedule_id, created[0].id);
      assert.equal(m.payload.id, created[0].id);
      assert.equal(m.payload.day_of_week, '1-5');
      assert.equal(m.payload.installation_id, SEEN);
    });
  }

  it('schedule: of two identical creates with empty answers, each outputs its own new id', async () => {
    const h = await load('iotopen-schedule', {
      installation: String(SEEN),
      operation: 'create',
      topic: 'set/obj/barn/temp',
      value: '5',
      valueType: 'num',
      minute: '0',
      hour: '1',
    });
    h.n.receive({});
    const a = await answer(h);
    h.n.receive({});
    const b = await answer(h);
    assert.ok(b.schedule_id > a.schedule_id, `${b.schedule_id} after ${a.schedule_id}`);
  });

  it('notify: sends through an output while the server lists messages and executors without ids', async () => {
    sb.store.behaviour.omitIds = { messages: true, executors: true };
    const h = await load('iotopen-notify', { installation: String(SEEN), output: '3', dataMode: 'default' });
    const sent = sb.store.sentNotifications.length;
    h.n.receive({ payload: 'door open' });
    await answer(h);
    assert.equal(sb.store.sentNotifications.length, sent + 1);
    const rows = await (await fetch(`${sb.api}/api/v2/notification/${SEEN}/message`, { headers: { 'x-api-key': INTEGRATOR } })).json();
    assert.equal(rows[0].id, undefined, 'the sandbox left the id out');
  });

  it('functionx-out: writes to a function of an installation that is seen but not assigned', async () => {
    const dev = await mqtt.connectAsync(sb.mqtt, { username: 'device', password: sb.apiKey, reconnectPeriod: 0 });
    try {
      await dev.subscribeAsync('9802/set/#', { qos: 1 });
      const got = new Promise((resolve) => dev.on('message', (topic, payload) => resolve({ topic, body: JSON.parse(payload.toString()) })));
      const h = await load('iotopen-functionx-out', {
        installation: String(SEEN),
        installationType: 'num',
        function: '82',
        functionType: 'num',
        qos: '1',
      });
      h.n.receive({ payload: 17 });
      const w = await got;
      assert.equal(w.topic, '9802/set/obj/barn/temp');
      assert.equal(w.body.value, 17);
    } finally {
      await dev.endAsync(true);
    }
  });
});
