'use strict';
// iotopen-log's chart format in the real Node-RED runtime against the sandbox, and into a real
// FlowFuse Dashboard 2 ui-chart (the dev dependency): shape, series names, x in ms, replace/append,
// aggregation with an `auto` interval, page-by-page streaming. Also functionx-in's chart point.
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, configNode, dist, catchNode, completeNode, watchers, useNodeRed } = require('../support/nodered');
const mqtt = require('mqtt');
const { take, collect, waitFor } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const chart = require(path.join(dist, 'src/lynx/chart'));
const configMod = nodeModule('iotopen-config');
const logMod = nodeModule('iotopen-log');
const fxinMod = nodeModule('iotopen-functionx-in');

// The dashboard's own nodes and its server-side store of a chart's points.
const dash = (p) => require(require.resolve(`@flowfuse/node-red-dashboard/${p}`));
const dashModules = () => [
  dash('nodes/config/ui_base.js'),
  dash('nodes/config/ui_page.js'),
  dash('nodes/config/ui_theme.js'),
  dash('nodes/config/ui_group.js'),
  dash('nodes/widgets/ui_chart.js'),
];
const chartStore = () => dash('nodes/store/data.js');
// The dashboard's store outlives a flow: every chart gets its own id.
let charts = 0;

const IID = 601;
const CLIENT = 9601;
// Whole minutes, so the sandbox's epoch-aligned buckets are predictable.
const NOW = Math.floor(Date.now() / 1000 / 60) * 60;
const HOURS = 2;

// Two functions with name and unit, one topic without a function: one value a minute for two hours.
function seed() {
  const log = [];
  for (let i = 0; i < HOURS * 60; i++) {
    const ts = NOW - HOURS * 3600 + i * 60 + 30;
    log.push({ installation_id: IID, topic: `${CLIENT}/obj/room/1/temp`, value: 20 + (i % 10), timestamp: ts });
    log.push({ installation_id: IID, topic: `${CLIENT}/obj/room/1/hum`, value: 40 + (i % 5), timestamp: ts });
    log.push({ installation_id: IID, topic: `${CLIENT}/obj/loose/x`, value: i, timestamp: ts });
  }
  return {
    apiKey: 'log-chart-key-0123456789',
    installations: [{ id: IID, client_id: CLIENT, name: 'Chart test' }],
    functions: [
      { id: 71, installation_id: IID, type: 'temperature', meta: { name: 'Room temperature', unit: '°C', topic_read: 'obj/room/1/temp' } },
      { id: 72, installation_id: IID, type: 'humidity', meta: { name: 'Room humidity', unit: '%', topic_read: 'obj/room/1/hum' } },
    ],
    log,
  };
}

describe('iotopen-log chart format', function () {
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
  });
  after(async () => {
    await sb.stop();
  });
  useNodeRed();
  afterEach(() => {
    sb.store.behaviour.logTotal = true;
  });

  async function load(props = {}, { withChart = false, chartProps = {} } = {}) {
    const cfg = configNode(sb);
    const chartId = `chart${++charts}`;
    const flow = [
      cfg.node,
      { id: 'f1', type: 'tab' },
      {
        id: 'log',
        z: 'f1',
        type: 'iotopen-log',
        server: 'cfg',
        installation: String(IID),
        from: String(NOW - HOURS * 3600),
        fromType: 'str',
        to: 'now',
        toType: 'str',
        order: 'asc',
        mode: 'all',
        format: 'chart',
        pageSize: 1000,
        wires: [withChart ? ['out', chartId] : ['out']],
        ...props,
      },
      { id: 'out', z: 'f1', type: 'helper' },
      ...watchers('log', { z: 'f1', complete: true }),
    ];
    const mods = [configMod, logMod, catchNode, completeNode];
    if (withChart) {
      flow.push(
        { id: 'base', type: 'ui-base', name: 'Dashboard', path: '/dashboard' },
        { id: 'theme', type: 'ui-theme', name: 'Theme', colors: {} },
        { id: 'page', type: 'ui-page', name: 'History', ui: 'base', path: '/dashboard', layout: 'grid', theme: 'theme' },
        { id: 'grp', type: 'ui-group', name: 'Room', page: 'page', width: 12 },
        {
          id: chartId,
          z: 'f1',
          type: 'ui-chart',
          group: 'grp',
          chartType: 'line',
          category: 'topic',
          categoryType: 'msg',
          xAxisProperty: 'x',
          xAxisPropertyType: 'property',
          yAxisProperty: 'y',
          yAxisPropertyType: 'property',
          xAxisType: 'time',
          action: 'append',
          removeOlder: 1,
          removeOlderUnit: '86400',
          wires: [['drawn']],
          ...chartProps,
        },
        { id: 'drawn', z: 'f1', type: 'helper' },
      );
      mods.push(...dashModules());
    }
    await helper.load(mods, flow, cfg.credentials);
    const stored = () => chartStore().get(chartId) || [];
    return {
      log: helper.getNode('log'),
      out: helper.getNode('out'),
      caught: helper.getNode('caught'),
      completed: helper.getNode('completed'),
      drawn: helper.getNode('drawn'),
      stored,
    };
  }

  it('one message per series: msg.topic the function name and unit, payload [{x ms, y}], replace then append', async () => {
    const n = await load();
    const got = take(n.out, 3);
    n.log.receive({ payload: 'go', keep: 'me' });
    const msgs = await got;
    const byTopic = Object.fromEntries(msgs.map((m) => [m.topic, m]));
    assert.deepEqual(Object.keys(byTopic).sort(), [`${CLIENT}/obj/loose/x`, 'Room humidity (%)', 'Room temperature (°C)']);
    const temp = byTopic['Room temperature (°C)'];
    assert.equal(temp.payload.length, HOURS * 60);
    assert.deepEqual(temp.payload[0], { x: (NOW - HOURS * 3600 + 30) * 1000, y: 20 });
    assert.deepEqual(Object.keys(temp.payload[0]), ['x', 'y'], 'only x and y');
    assert.ok(
      temp.payload.every((p, i) => i === 0 || p.x - temp.payload[i - 1].x === 60000),
      'x in milliseconds, a minute apart, oldest first',
    );
    assert.equal(temp.lynx.function_id, 71);
    assert.equal(temp.lynx.topic, `${CLIENT}/obj/room/1/temp`);
    assert.equal(byTopic[`${CLIENT}/obj/loose/x`].lynx.function_id, undefined);
    assert.equal(temp.keep, 'me', 'the input message travels along');
    assert.equal(temp.count, HOURS * 60);
    assert.deepEqual(
      msgs.map((m) => m.action),
      ['replace', 'append', 'append'],
    );
  });

  it('picked functions only: their series alone', async () => {
    const n = await load({ functions: ['72'] });
    const got = take(n.out, 1);
    n.log.receive({});
    const [m] = await got;
    assert.equal(m.topic, 'Room humidity (%)');
    assert.equal(m.payload[3].y, 43);
  });

  it('without Replace the first message leaves the action to the chart, later ones append', async () => {
    const n = await load({ chartReplace: false });
    const got = take(n.out, 3);
    n.log.receive({ action: 'replace' });
    const msgs = await got;
    assert.deepEqual(
      msgs.map((m) => m.action),
      [undefined, 'append', 'append'],
    );
  });

  it('aggregation with interval auto: at most maxPoints points per series, epoch-aligned buckets', async () => {
    const n = await load({ aggrMethod: 'avg', aggrInterval: 'auto', maxPoints: 10, functions: ['71'] });
    const got = take(n.out, 1);
    n.log.receive({});
    const [m] = await got;
    // 2 h / 10 points = 12 min: the next usual step is 15 min
    assert.ok(m.payload.length <= 10 && m.payload.length >= 8, `about 8 buckets of 15 min, got ${m.payload.length}`);
    assert.ok(
      m.payload.every((p) => p.x % 900000 === 0),
      'bucket starts on 15 min',
    );
    assert.ok(
      m.payload.every((p) => p.y >= 20 && p.y <= 29),
      'averages of 20..29',
    );
    // msg.maxPoints and msg.aggregation win
    const again = take(n.out, 1);
    n.log.receive({ aggregation: { method: 'max', interval: 'auto' }, maxPoints: 4 });
    const [w] = await again;
    assert.ok(
      w.payload.length <= 4 && w.payload.every((p) => p.x % 3600000 === 0),
      `2 h / 4: 1 h buckets (30 min ones over a range off their grid would be 5), got ${JSON.stringify(w.payload)}`,
    );
    assert.ok(
      w.payload.slice(1, -1).every((p) => p.y === 29),
      'max of full buckets',
    );
  });

  it('interval auto without an end of the range: up to now', async () => {
    const n = await load({ aggrMethod: 'avg', aggrInterval: 'auto', to: '', maxPoints: 10, functions: ['71'] });
    const got = take(n.out, 1);
    n.log.receive({});
    const [m] = await got;
    // 2 h to now / 9 = 13.3 min: 15 min buckets, as with an explicit now
    assert.ok(m.payload.length >= 8 && m.payload.length <= 10, `8 to 10 buckets, got ${m.payload.length}`);
    assert.ok(
      m.payload.every((p) => p.x % 900000 === 0),
      JSON.stringify(m.payload.map((p) => p.x)),
    );
  });

  it('auto picks 5m for a day and 2h for 30 days (about 500 points at most)', () => {
    assert.equal(chart.autoInterval(0, 86400), '5m0s');
    assert.equal(chart.autoInterval(0, 30 * 86400), '2h0m0s');
    assert.equal(chart.autoInterval(0, 3600), '10s');
  });

  it('streams page by page: every page its series messages, page.last on the very last one only', async () => {
    const n = await load({ mode: 'page', pageSize: 100 });
    const got = collect(n.out);
    const done = take(n.completed, 1);
    n.log.receive({});
    // 360 entries, pages of 100: 4 pages, each with up to 3 series
    await done;
    const points = {};
    for (const m of got) (points[m.topic] = points[m.topic] || []).push(...m.payload);
    assert.equal(points['Room temperature (°C)'].length, HOURS * 60);
    assert.equal(points['Room humidity (%)'].length, HOURS * 60);
    assert.ok(
      got.every((m) => m.payload.length > 0 && m.payload.length <= 100),
      'never more than a page in a message',
    );
    assert.deepEqual([...new Set(got.map((m) => m.page.index))], [1, 2, 3, 4]);
    assert.deepEqual(
      got.map((m) => m.page.last),
      got.map((_, i) => i === got.length - 1),
    );
    assert.equal(got[0].action, 'replace');
    assert.ok(got.slice(1).every((m) => m.action === 'append'));
  });

  it('streams page by page without a total: the last message still says last (no empty message that would clear the chart)', async () => {
    sb.store.behaviour.logTotal = false;
    // 360 entries in pages of 120: three full pages, then an empty one ends the paging
    const n = await load({ mode: 'page', pageSize: 120 });
    const got = collect(n.out);
    const done = take(n.completed, 1);
    n.log.receive({});
    // done() follows every send: nothing can come after it
    await done;
    assert.ok(got.every((m) => m.payload.length > 0));
    assert.equal(got.filter((m) => m.page.last).length, 1);
    assert.equal(got[got.length - 1].page.last, true);
    assert.equal(
      got.reduce((s, m) => s + m.payload.length, 0),
      HOURS * 60 * 3,
    );
  });

  it('one message per entry: a chart point each, named by series', async () => {
    const n = await load({ mode: 'entry', functions: ['71'], limit: 3 });
    const got = take(n.out, 3);
    n.log.receive({});
    const msgs = await got;
    assert.deepEqual(
      msgs.map((m) => [m.topic, m.payload.y, m.action]),
      [
        ['Room temperature (°C)', 20, 'replace'],
        ['Room temperature (°C)', 21, 'append'],
        ['Room temperature (°C)', 22, 'append'],
      ],
    );
    assert.equal(msgs[1].payload.x - msgs[0].payload.x, 60000);
  });

  it('an empty result with Replace clears the chart (payload []); without Replace sends nothing', async () => {
    const n = await load({ from: '2001-01-01T00:00:00Z', to: '2001-01-02T00:00:00Z' });
    const got = take(n.out, 1);
    n.log.receive({});
    const [m] = await got;
    assert.deepEqual(m.payload, []);
    assert.equal(m.action, 'replace');
    await helper.unload();
    const q = await load({ from: '2001-01-01T00:00:00Z', to: '2001-01-02T00:00:00Z', chartReplace: false });
    const all = collect(q.out);
    const done = take(q.completed, 1);
    q.log.receive({});
    await done;
    assert.equal(all.length, 0, 'nothing to draw, and the chart keeps what it has');
  });

  it('interval auto without a start of the range: an error naming From', async () => {
    const n = await load({ aggrMethod: 'avg', aggrInterval: 'auto', from: '', to: 'now' });
    const got = take(n.caught, 1);
    n.log.receive({});
    const [c] = await got;
    assert.match(c.error.message, /auto needs a start of the range/);
    assert.match(c.error.message, /from/i);
  });

  it('a bad maxPoints: an error naming it', async () => {
    const n = await load({ aggrMethod: 'avg', aggrInterval: 'auto' });
    const got = take(n.caught, 1);
    n.log.receive({ maxPoints: 0.5 });
    const [c] = await got;
    assert.match(c.error.message, /msg\.maxPoints must be a whole number of at least 1, got 0\.5: .*such as 500/);
  });

  it('a real ui-chart takes the series: points per series at x ms, history replaced by the next query', async () => {
    const n = await load({}, { withChart: true });
    const drawn = collect(n.drawn);
    n.log.receive({});
    await waitFor(() => drawn.length === 3);
    const stored = n.stored();
    assert.equal(stored.length, HOURS * 60 * 3, 'every point of the three series in the chart');
    const temp = stored.filter((s) => s._datapoint.category === 'Room temperature (°C)');
    assert.equal(temp.length, HOURS * 60);
    assert.deepEqual(temp[0]._datapoint, { category: 'Room temperature (°C)', x: (NOW - HOURS * 3600 + 30) * 1000, y: 20 });
    // the next query replaces: the chart holds this query's points only, all three series
    n.log.receive({ functions: undefined, limit: 30 });
    await waitFor(() => drawn.length >= 4 && n.stored().length === 30);
    // a chart set to replace keeps every series of one query (later messages say append)
    await helper.unload();
    const r = await load({}, { withChart: true, chartProps: { action: 'replace' } });
    const d2 = collect(r.drawn);
    r.log.receive({});
    await waitFor(() => d2.length === 3);
    assert.equal(new Set(r.stored().map((s) => s._datapoint.category)).size, 3);
  });
});

describe('iotopen-functionx-in chart point output', function () {
  let sb;
  let dev;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
    dev = await mqtt.connectAsync(sb.mqtt, { username: 'device', password: sb.apiKey, reconnectPeriod: 0 });
  });
  after(async () => {
    await dev.endAsync(true);
    await sb.stop();
  });
  useNodeRed();

  it('msg.topic the series name of the log chart format, payload {x ms, y}; a real ui-chart appends it', async () => {
    const cfg = configNode(sb);
    const flow = [
      cfg.node,
      { id: 'f1', type: 'tab' },
      {
        id: 'in',
        z: 'f1',
        type: 'iotopen-functionx-in',
        server: 'cfg',
        installation: String(IID),
        function: '71',
        output: 'chart',
        wires: [['out', 'fxchart']],
      },
      { id: 'out', z: 'f1', type: 'helper' },
      { id: 'base', type: 'ui-base', name: 'Dashboard', path: '/dashboard' },
      { id: 'theme', type: 'ui-theme', name: 'Theme', colors: {} },
      { id: 'page', type: 'ui-page', name: 'History', ui: 'base', path: '/dashboard', layout: 'grid', theme: 'theme' },
      { id: 'grp', type: 'ui-group', name: 'Room', page: 'page', width: 12 },
      {
        id: 'fxchart',
        z: 'f1',
        type: 'ui-chart',
        group: 'grp',
        category: 'topic',
        categoryType: 'msg',
        xAxisProperty: 'x',
        xAxisPropertyType: 'property',
        yAxisProperty: 'y',
        yAxisPropertyType: 'property',
        xAxisType: 'time',
        removeOlder: 1,
        removeOlderUnit: '86400',
        wires: [[]],
      },
    ];
    await helper.load([configMod, fxinMod, ...dashModules()], flow, cfg.credentials);
    const got = collect(helper.getNode('out'));
    const ts = NOW - 5.25;
    // publish until the subscription is in place (the first one may come before it)
    await waitFor(async () => {
      await dev.publishAsync(`${CLIENT}/obj/room/1/temp`, JSON.stringify({ value: 23.5, timestamp: ts }));
      await new Promise((r) => setTimeout(r, 50));
      return got.length > 0;
    });
    const m = got[0];
    assert.equal(m.topic, 'Room temperature (°C)');
    assert.equal(chart.seriesName(seed().functions[0], 'x'), m.topic, 'the same name the log chart format gives the function');
    assert.deepEqual(m.payload, { x: Math.round(ts * 1000), y: 23.5 });
    assert.equal(m.lynx.function.id, 71, 'msg.lynx as with the other outputs');
    await waitFor(() => (chartStore().get('fxchart') || []).length > 0);
    assert.deepEqual((chartStore().get('fxchart') || [])[0]._datapoint, {
      category: 'Room temperature (°C)',
      x: Math.round(ts * 1000),
      y: 23.5,
    });
  });

  it('a payload that is not Lynx JSON: a plain number is a point at arrival time, anything else a gap (with the warning)', async () => {
    const cfg = configNode(sb);
    await helper.load(
      [configMod, fxinMod],
      [
        cfg.node,
        {
          id: 'in',
          type: 'iotopen-functionx-in',
          server: 'cfg',
          installation: String(IID),
          function: '72',
          output: 'chart',
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ],
      cfg.credentials,
    );
    const got = collect(helper.getNode('out'));
    const before = Date.now();
    await waitFor(async () => {
      await dev.publishAsync(`${CLIENT}/obj/room/1/hum`, '41.5');
      await new Promise((r) => setTimeout(r, 50));
      return got.length > 0;
    });
    await dev.publishAsync(`${CLIENT}/obj/room/1/hum`, 'not a number');
    await waitFor(() => got.some((m) => m.payload.y === null));
    assert.equal(got[0].topic, 'Room humidity (%)');
    assert.equal(got[0].payload.y, 41.5);
    assert.ok(got[0].payload.x >= before && got[0].payload.x <= Date.now());
    assert.ok(got[0].lynx.error, 'msg.lynx.error says why');
  });

  it('the default output is unchanged: the full topic and the bare value', async () => {
    const cfg = configNode(sb);
    await helper.load(
      [configMod, fxinMod],
      [
        cfg.node,
        { id: 'in', type: 'iotopen-functionx-in', server: 'cfg', installation: String(IID), function: '71', wires: [['out']] },
        { id: 'out', type: 'helper' },
      ],
      cfg.credentials,
    );
    const got = collect(helper.getNode('out'));
    await waitFor(async () => {
      await dev.publishAsync(`${CLIENT}/obj/room/1/temp`, JSON.stringify({ value: 24, timestamp: NOW }));
      await new Promise((r) => setTimeout(r, 50));
      return got.length > 0;
    });
    assert.equal(got[0].topic, `${CLIENT}/obj/room/1/temp`);
    assert.equal(got[0].payload, 24);
  });
});
