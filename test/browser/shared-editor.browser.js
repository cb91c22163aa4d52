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
  /** Waits until `selector` holds `n` elements; returns their value (or text) attributes. */
  // Waits for n entries and reads them in the same step: a list that is reloaded (emptied, then
  // refilled) between a separate wait and read would be read empty.
  async function listed(selector, n, attr = 'value') {
    const handle = await page.waitForFunction(({ selector, n, attr }) => {
      const els = $(selector).toArray();
      return els.length === n && els.map((e) => (attr === 'text' ? e.textContent : e.getAttribute(attr)));
    }, { selector, n, attr });
    return handle.jsonValue();
  }
  const ids = (rows) => rows.map((r) => String(r.id)).sort();

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
      { type: 'iotopen-devicex', props: { operation: 'get' }, inst: '#iotopen-devicex-installations option', list: '#iotopen-devicex-objects option', want: ids(await api.devicex.list(inst.id)) },
      { type: 'iotopen-functionx', props: { operation: 'get' }, inst: '#iotopen-functionx-installations option', list: '#iotopen-functionx-objects option', want: ids(fns) },
      { type: 'iotopen-schedule', props: {}, inst: '#iotopen-schedule-installations option', list: '#iotopen-schedule-topics option', want: withTopic('topic_write').map((f) => f.meta.topic_write).sort() },
      { type: 'iotopen-log', props: {}, inst: '#iotopen-log-installations option', list: '#node-input-functions option', want: ids(withTopic('topic_read')) },
      { type: 'iotopen-status', props: { select: 'functions' }, inst: '#iotopen-status-installations option', list: '#node-input-functions option', want: ids(withTopic('topic_read')) },
      { type: 'iotopen-notify', props: {}, inst: '#iotopen-notify-installations option', list: '#iotopen-notify-outputs option', want: ids(await api.notifications.listOutputs(inst.id)) },
      { type: 'iotopen-api', props: {}, inst: '#iotopen-api-installations option' },
      { type: 'iotopen-mqtt-publish', props: {}, inst: '#iotopen-mqtt-publish-installations option' },
      { type: 'iotopen-edge-app', props: {}, inst: '#iotopen-edge-app-installations button', list: '#iotopen-edge-app-apps option', want: ids(await deployableApps(api)), mayBeEmpty: true },
      { type: 'iotopen-functionx-in', props: { selectBy: 'function' }, inst: '#node-input-iotopen-installations option', list: '#node-input-iotopen-functions option', want: ids(fns) },
      { type: 'iotopen-functionx-out', props: { installationType: 'num', functionType: 'num' }, inst: '#node-input-iotopen-installations option', list: '#node-input-iotopen-functions option', want: ids(fns) },
    ];
    const problems = [];
    for (const c of cases) {
      h.phase = `pickers ${c.type}`;
      const props = c.type === 'iotopen-edge-app' ? c.props : Object.assign({ installation: String(inst.id) }, c.props);
      const id = await openNode(c.type, props);
      try {
        if (c.type === 'iotopen-edge-app') {
          const texts = await listed(c.inst, installations.length, 'text');
          for (const i of h.sb.installations) if (!texts.includes(`${i.name} (${i.id})`)) problems.push(`${c.type}: no button for ${i.name}`);
        } else {
          const values = await listed(c.inst, installations.length);
          if (JSON.stringify([...values].sort()) !== JSON.stringify(installations)) problems.push(`${c.type}: installations ${values}`);
        }
        if (c.list) {
          // the default seed has no edge apps until the edge example publishes one
          assert.ok(c.want.length > 0 || c.mayBeEmpty, `${c.type}: the sandbox has something to list`);
          const values = await listed(c.list, c.want.length);
          if (JSON.stringify([...values].sort()) !== JSON.stringify(c.want)) problems.push(`${c.type}: lists ${values}, want ${c.want}`);
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
    it(`${type}: shows the picked function's name as the list shows it, and keeps it as the label's name`, async function () {
      h.phase = `name ${type}`;
      const mark = h.errors.length;
      const id = await openNode(type, { installation: String(inst.id), selectBy: 'function', installationType: 'num', functionType: 'num', topicKey: type === 'iotopen-functionx-in' ? 'topic_read' : 'topic_write', qos: '1' });
      const options = await listed('#node-input-iotopen-functions option', fns.length, 'text');
      assert.equal(await page.locator('#node-input-iotopen-fname').isVisible(), false, 'no function picked, no name shown');
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
      const shown = await page.locator('#node-input-iotopen-fname').textContent();
      assert.ok(options.includes(shown), `"${shown}" is not what the list shows (${options})`);
      assert.ok(shown.includes(a.meta.name), `"${shown}" lacks the name ${a.meta.name}`);
      assert.equal(await page.inputValue('#node-input-fname'), a.meta.name);
      if (type === 'iotopen-functionx-out') await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('functionx-out-picked-name.png') });
      await pick(b);
      assert.ok((await page.locator('#node-input-iotopen-fname').textContent()).includes(b.meta.name));
      // An id the installation does not have: no name (not the last one picked).
      await pick({ id: 999999 });
      assert.equal(await page.locator('#node-input-iotopen-fname').isVisible(), false);
      assert.equal(await page.inputValue('#node-input-fname'), '');
      await closeNode(id);
      // A saved node shows its function's name when the dialog opens.
      const saved = await openNode(type, { installation: String(inst.id), selectBy: 'function', installationType: 'num', functionType: 'num', function: String(b.id), fname: b.meta.name });
      await page.waitForFunction((t) => $('#node-input-iotopen-fname').is(':visible') && $('#node-input-iotopen-fname').text().includes(t), b.meta.name);
      await closeNode(saved);
      assert.deepEqual(errorsSince(mark), []);
    });
  }

  it("iotopen-log: opening a node keeps its saved function selection (screenshot with the list open)", async function () {
    h.phase = 'log selection';
    const mark = h.errors.length;
    const readable = fns.filter((f) => f.meta && f.meta.topic_read);
    const chosen = [String(readable[0].id), String(readable[readable.length - 1].id)];
    const id = await openNode('iotopen-log', { installation: String(inst.id), functions: chosen, from: '-24h', fromType: 'str', to: 'now', toType: 'str', order: 'asc', mode: 'all', pageSize: 10000, maxEntries: 100000 });
    await listed('#node-input-functions option', readable.length);
    // the names arrive with the list: wait for them, then read the selection
    await page.waitForFunction((name) => $('#node-input-functions option').toArray().some((o) => o.textContent.includes(name)), readable[0].meta.name);
    const selected = await page.evaluate(() => $('#node-input-functions').val());
    await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('log-dialog-functions.png') });
    assert.deepEqual([...selected].sort(), [...chosen].sort());
    await closeNode(id);
    assert.deepEqual(errorsSince(mark), []);
  });
});
