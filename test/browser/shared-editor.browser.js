'use strict';
// The shared editor script (resources/iotopen-editor.js) in a real editor: Node-RED serves
// it, every dialog's pickers built from it list what the sandbox holds, functionx-in/out
// show the picked function's name, and log keeps a saved function selection. Real
// Node-RED, real Chromium, the Lynx sandbox (see harness.js); expectations come from the
// sandbox's REST API through the pack's own ApiClient.
const assert = require('node:assert/strict');
const path = require('node:path');
const { startHarness, screenshotPath, dist, CONFIG_ID } = require('./harness');
const { deployableApps } = require(path.join(dist, 'src', 'edge', 'deploy'));

const RESOURCE = 'resources/@lynxflow/node-red-iotopen/iotopen-editor.js';

describe('shared editor script in a real browser (pickers of every dialog)', function () {
  this.timeout(120000);
  let h;
  let page;
  let api;
  let inst;
  let fns;
  const resourceLoads = [];

  const errorsSince = (mark) => h.errors.slice(mark).map((e) => `[${e.phase}] ${e.text}${e.where ? ` (${e.where})` : ''}`);

  before(async function () {
    h = await startHarness();
    page = h.page;
    page.on('response', (res) => {
      if (res.url().endsWith(RESOURCE)) resourceLoads.push(res.status());
    });
    await page.goto(h.editorUrl);
    await page.locator('.red-ui-palette-node[data-palette-type="inject"]').waitFor();
    await page.waitForFunction(() => RED.nodes.node('iotopen-sandbox'));
    const { ApiClient } = require(path.join(dist, 'src', 'api'));
    api = new ApiClient({ baseUrl: h.sb.api, auth: { type: 'apikey', apiKey: h.sb.apiKey } });
    inst = h.sb.installations[0];
    fns = await api.functionx.list(inst.id);
    assert.ok(fns.length > 1, 'the seeded installation has functions');
  });

  after(async function () {
    if (api) await api.close();
    if (h) await h.stop();
  });

  /** Adds a node (already configured) to the open tab and opens its edit dialog. */
  async function openNode(type, props) {
    const id = `k-${type}-${Math.random().toString(16).slice(2, 8)}`;
    await page.evaluate(
      ({ id, type, props, server }) => {
        RED.nodes.import([Object.assign({ id, type, z: RED.workspaces.active(), x: 200, y: 200, server, wires: [] }, props)]);
        RED.view.redraw(true);
        RED.editor.edit(RED.nodes.node(id));
      },
      { id, type, props, server: CONFIG_ID },
    );
    await page.locator('#node-dialog-cancel').waitFor({ state: 'visible' });
    return id;
  }
  async function closeNode(id) {
    // As editor.browser.js: Monaco throws "Model is disposed!" when a dialog with a code
    // editor (notify's template) is cancelled within ~0.2 s of the session's first one.
    if (await page.locator('#red-ui-editor-stack .red-ui-tray #dialog-form .monaco-editor').count()) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await page.click('#node-dialog-cancel');
    await page.locator('#node-dialog-cancel').waitFor({ state: 'detached' });
    await page.evaluate((id) => {
      RED.nodes.remove(id);
      RED.view.redraw(true);
    }, id);
  }
  const ids = (rows) => rows.map((r) => String(r.id)).sort();
  /** Waits until the picker of `input` lists n items; returns their keys (ids, or topics for a topic picker). */
  async function pickerKeys(input, n) {
    const handle = await page.waitForFunction(
      ({ input, n }) => {
        const p = $(input).data('iotopen-picker');
        const keys = p ? p.listed() : [];
        return keys.length === n && keys;
      },
      { input, n },
    );
    return handle.jsonValue();
  }

  it(`loads ${RESOURCE} from Node-RED and defines IotOpenEditor, with no console errors`, async function () {
    assert.ok(resourceLoads.length >= 1, 'the shared script was never requested');
    assert.ok(resourceLoads.every((s) => s === 200 || s === 304), `answers: ${resourceLoads}`);
    assert.equal(await page.evaluate(() => typeof IotOpenEditor.installationPicker), 'function');
    assert.deepEqual(errorsSince(0), []);
    console.log(`      (the shared script was requested ${resourceLoads.length} times for 11 node files)`);
  });

  it('every dialog with a picker lists the installations and the per-installation lists the sandbox holds', async function () {
    const mark = h.errors.length;
    const installations = ids(h.sb.installations);
    const withTopic = (key) => fns.filter((f) => f.meta && f.meta[key]);
    const cases = [
      { type: 'iotopen-devicex', props: { operation: 'get' }, list: '#node-input-objectId', want: ids(await api.devicex.list(inst.id)) },
      { type: 'iotopen-functionx', props: { operation: 'get' }, list: '#node-input-objectId', want: ids(fns) },
      { type: 'iotopen-schedule', props: {}, list: '#node-input-topic', want: withTopic('topic_write').map((f) => f.meta.topic_write).sort() },
      { type: 'iotopen-schedule', props: { operation: 'get' }, list: '#node-input-scheduleId', want: ids(await api.schedules.list(inst.id)) },
      { type: 'iotopen-log', props: {}, list: '#iotopen-log-fnsearch', want: ids(withTopic('topic_read')) },
      { type: 'iotopen-status', props: { select: 'functions' }, list: '#iotopen-status-fnsearch', want: ids(withTopic('topic_read')) },
      { type: 'iotopen-notify', props: {}, list: '#node-input-output', want: ids(await api.notifications.listOutputs(inst.id)) },
      { type: 'iotopen-api', props: {} },
      { type: 'iotopen-mqtt-publish', props: {} },
      { type: 'iotopen-edge-app', props: {}, inst: '#node-input-installations', list: '#node-input-appId', want: ids(await deployableApps(api)), mayBeEmpty: true },
      { type: 'iotopen-functionx-in', props: { selectBy: 'function' }, list: '#node-input-function', want: ids(fns) },
      { type: 'iotopen-functionx-out', props: { installationType: 'num', functionType: 'num' }, list: '#node-input-function', want: ids(fns) },
    ];
    const problems = [];
    for (const c of cases) {
      h.phase = `pickers ${c.type}`;
      const props = c.type === 'iotopen-edge-app' ? c.props : Object.assign({ installation: String(inst.id) }, c.props);
      const id = await openNode(c.type, props);
      try {
        const values = await pickerKeys(c.inst || '#node-input-installation', installations.length);
        if (JSON.stringify([...values].sort()) !== JSON.stringify(installations)) problems.push(`${c.type}: installations ${values}`);
        if (c.list) {
          // the default seed has no edge apps until the edge example publishes one
          assert.ok(c.want.length > 0 || c.mayBeEmpty, `${c.type}: the sandbox has something to list`);
          const listed = await pickerKeys(c.list, c.want.length);
          if (JSON.stringify([...listed].sort()) !== JSON.stringify(c.want)) problems.push(`${c.type}: ${c.list} lists ${listed}, want ${c.want}`);
        }
        const hint = await page.evaluate(() => $('#red-ui-editor-stack [id$="-hint"]:visible').text());
        if (hint) problems.push(`${c.type}: a hint shows "${hint}"`);
      } catch (err) {
        problems.push(`${c.type}: ${err.message.split('\n')[0]}`);
      }
      await closeNode(id);
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(errorsSince(mark), []);
  });

  for (const type of ['iotopen-functionx-in', 'iotopen-functionx-out']) {
    it(`${type}: shows the picked function's name under the field, says when an id is not in the list, and keeps the name for the label`, async function () {
      h.phase = `name ${type}`;
      const mark = h.errors.length;
      const line = '#iotopen-picked-node-input-function';
      const id = await openNode(type, { installation: String(inst.id), selectBy: 'function', installationType: 'num', functionType: 'num', topicKey: type === 'iotopen-functionx-in' ? 'topic_read' : 'topic_write', qos: '1' });
      await pickerKeys('#node-input-function', fns.length);
      assert.equal(await page.locator(line).isVisible(), false, 'no function picked, no name shown');
      const [a, b] = fns;
      const typed = type === 'iotopen-functionx-out';
      const pick = (f) =>
        page.evaluate(
          ({ id, typed }) => {
            const el = $('#node-input-function');
            if (typed) el.typedInput('value', id);
            else el.val(id);
            el.trigger('change');
          },
          { id: String(f.id), typed },
        );
      await pick(a);
      const shown = await page.locator(line).textContent();
      assert.ok(shown.includes(a.meta.name), `"${shown}" lacks the name ${a.meta.name}`);
      assert.equal(await page.inputValue('#node-input-fname'), a.meta.name);
      if (type === 'iotopen-functionx-out') await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('functionx-out-picked-name.png') });
      await pick(b);
      assert.ok((await page.locator(line).textContent()).includes(b.meta.name));
      // An id the installation does not have: it says so, and keeps no name (not the last one picked).
      await pick({ id: 999999 });
      assert.ok(await page.locator(`${line}.iotopen-picker-missing`).isVisible(), 'an unknown id is not reported');
      assert.match(await page.locator(line).textContent(), /999999.*Office Stockholm \(101\)/);
      assert.equal(await page.inputValue('#node-input-fname'), '');
      await closeNode(id);
      // A saved node shows its function's name when the dialog opens.
      const saved = await openNode(type, { installation: String(inst.id), selectBy: 'function', installationType: 'num', functionType: 'num', function: String(b.id), fname: b.meta.name });
      await page.waitForFunction(({ line, t }) => $(line).is(':visible') && $(line).text().includes(t), { line, t: b.meta.name });
      await closeNode(saved);
      assert.deepEqual(errorsSince(mark), []);
    });
  }

  it('iotopen-log: opening a node keeps its saved function selection, named in chips (screenshot with the list open)', async function () {
    h.phase = 'log selection';
    const mark = h.errors.length;
    const readable = fns.filter((f) => f.meta && f.meta.topic_read);
    const chosen = [String(readable[0].id), String(readable[readable.length - 1].id)];
    const id = await openNode('iotopen-log', { installation: String(inst.id), functions: chosen, from: '-24h', fromType: 'str', to: 'now', toType: 'str', order: 'asc', mode: 'all', pageSize: 10000, maxEntries: 100000 });
    await pickerKeys('#iotopen-log-fnsearch', readable.length);
    // the names arrive with the list: wait for them, then read the selection
    const chips = await (
      await page.waitForFunction((n) => {
        const t = $('#iotopen-log-fnchips .iotopen-chip').toArray().map((c) => c.textContent.trim());
        return t.length === n && !t.some((x) => /^\d+$/.test(x)) && t;
      }, chosen.length)
    ).jsonValue();
    assert.deepEqual(chips.sort(), chosen.map((c) => readable.find((f) => String(f.id) === c).meta.name).sort());
    await page.click('#iotopen-log-fnsearch');
    await page.locator('#red-ui-editor-stack .iotopen-picker-pop:visible').waitFor();
    await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('log-dialog-functions.png') });
    const selected = await page.evaluate(() => $('#iotopen-log-fnids').val().split(','));
    assert.deepEqual([...selected].sort(), [...chosen].sort());
    await closeNode(id);
    assert.deepEqual(errorsSince(mark), []);
  });
});
