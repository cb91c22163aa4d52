'use strict';
// The chart example in a real browser: examples/History and live values on a chart.json deployed
// as the demo deploys it (FlowFuse Dashboard 2 linked from the dev dependencies), the dashboard
// page opened at /dashboard. The client must receive the sandbox's history for both series (x in
// ms inside the last 24 h) and draw them on the chart's canvas, then a value published on the
// broker must arrive on the same series.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const { startHarness, screenshotPath, root } = require('./harness');

const FILE = 'History and live values on a chart.json';
const CHART = 'chart-chart';
const TEMP = 'Meeting room temperature (°C)';
const HUM = 'Meeting room humidity (%)';

/** The points the dashboard's client holds for the chart, per series: [[x, y], ...]. */
function clientPoints(page) {
  return page.evaluate((id) => {
    const app = document.querySelector('#app') && document.querySelector('#app').__vue_app__;
    const store = app && app.config.globalProperties.$store;
    const msgs = (store && store.state.data.messages[id]) || [];
    const out = {};
    for (const m of msgs) {
      const d = m._datapoint || {};
      (out[d.category] = out[d.category] || []).push([d.x, d.y]);
    }
    return out;
  }, CHART);
}

describe('the chart example on the dashboard (history, then live)', function () {
  this.timeout(120000);
  let h;
  let page;
  before(async function () {
    const flow = JSON.parse(fs.readFileSync(path.join(root, 'examples', FILE), 'utf8')).filter((n) => n.type !== 'iotopen-config');
    h = await startHarness({ flows: flow, viewport: { width: 1200, height: 700 } });
    page = h.page;
  });
  after(async function () {
    if (h) await h.stop();
  });

  it('deploys with the dashboard and no errors in the Node-RED log', function () {
    const log = h.red.log();
    assert.match(log, /Node-RED Dashboard 2\.0 \(v[\d.]+\) started at \/dashboard/);
    assert.doesNotMatch(log, /\[(error|warn)\].*(iotopen|ui-|chart)/i);
    assert.doesNotMatch(log, /Waiting for missing types/);
  });

  it('the dashboard page gets the last 24 h of both series, x in ms, and draws them', async function () {
    h.phase = 'history';
    await page.goto(`${h.editorUrl}dashboard`);
    await page.waitForURL(/\/dashboard\/history/);
    await page.waitForFunction(
      ([id, a, b]) => {
        const app = document.querySelector('#app') && document.querySelector('#app').__vue_app__;
        const msgs = (app && app.config.globalProperties.$store.state.data.messages[id]) || [];
        const cats = new Set(msgs.map((m) => m._datapoint && m._datapoint.category));
        return cats.has(a) && cats.has(b);
      },
      [CHART, TEMP, HUM],
    );
    const pts = await clientPoints(page);
    const now = Date.now();
    for (const s of [TEMP, HUM]) {
      assert.ok(pts[s].length >= 90, `${s}: a day of the sandbox's 15-minute history, got ${pts[s].length} points`);
      assert.ok(pts[s].length <= 500, `${s}: at most 500 points (auto interval)`);
      assert.ok(
        pts[s].every(([x, y]) => x > now - 25 * 3600e3 && x <= now + 60e3 && typeof y === 'number'),
        `${s}: x in ms within the last day, y a number`,
      );
    }
    // the ECharts canvas draws both lines: pixels in the example's first two series colours
    const canvas = page.locator('canvas').first();
    await canvas.waitFor();
    const inked = await canvas.evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const near = (i, [r, g, b]) =>
        Math.abs(d[i] - r) < 40 && Math.abs(d[i + 1] - g) < 40 && Math.abs(d[i + 2] - b) < 40 && d[i + 3] > 200;
      const n = [0, 0];
      for (let i = 0; i < d.length; i += 4) {
        if (near(i, [0x00, 0x95, 0xff])) n[0]++;
        if (near(i, [0xff, 0x7f, 0x0e])) n[1]++;
      }
      return n;
    });
    assert.ok(inked[0] > 300 && inked[1] > 300, `both lines are drawn on the canvas (pixels per series colour: ${inked})`);
    await page.screenshot({ path: screenshotPath('dashboard-history.png') });
  });

  it('a value published on the broker arrives on the same series, at its own time', async function () {
    h.phase = 'live';
    const dev = await mqtt.connectAsync(h.sb.mqtt, { username: 'browser-device', password: h.sb.apiKey, reconnectPeriod: 0 });
    const ts = Math.floor(Date.now() / 1000) + 0.5;
    const live = () => clientPoints(page).then((p) => (p[TEMP] || []).find(([, y]) => y === 31.25));
    try {
      // published until it shows: the functionx-in subscription may come a moment after the deploy
      let got;
      for (let i = 0; i < 100 && !got; i++) {
        await dev.publishAsync(`2101/obj/zwave/node/4/temperature`, JSON.stringify({ value: 31.25, timestamp: ts }), { qos: 1 });
        await new Promise((r) => setTimeout(r, 300));
        got = await live();
      }
      assert.deepEqual(got, [ts * 1000, 31.25], 'the live point, x the value time in ms');
    } finally {
      await dev.endAsync(true);
    }
    await page.screenshot({ path: screenshotPath('dashboard-live.png') });
  });

  it('logged no browser errors', function () {
    assert.deepEqual(
      h.errors.map((e) => `[${e.phase}] ${e.text}`),
      [],
    );
  });
});
