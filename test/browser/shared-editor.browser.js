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
    page = await h.openEditor({
      prepare: (p) => {
        resourceLoads.length = 0;
        p.on('response', (res) => {
          if (res.url().endsWith(RESOURCE)) resourceLoads.push(res.status());
        });
      },
    });
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
    assert.ok(
      resourceLoads.every((s) => s === 200 || s === 304),
      `answers: ${resourceLoads}`,
    );
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
      {
        type: 'iotopen-schedule',
        props: {},
        list: '#node-input-topic',
        want: withTopic('topic_write')
          .map((f) => f.meta.topic_write)
          .sort(),
      },
      {
        type: 'iotopen-schedule',
        props: { operation: 'get' },
        list: '#node-input-scheduleId',
        want: ids(await api.schedules.list(inst.id)),
      },
      { type: 'iotopen-log', props: {}, list: '#iotopen-log-fnsearch', want: ids(withTopic('topic_read')) },
      { type: 'iotopen-status', props: { select: 'functions' }, list: '#iotopen-status-fnsearch', want: ids(withTopic('topic_read')) },
      { type: 'iotopen-notify', props: {}, list: '#node-input-output', want: ids(await api.notifications.listOutputs(inst.id)) },
      { type: 'iotopen-api', props: {} },
      { type: 'iotopen-mqtt-publish', props: {} },
      {
        type: 'iotopen-edge-app',
        props: {},
        inst: '#node-input-installations',
        list: '#node-input-appId',
        want: ids(await deployableApps(api)),
        mayBeEmpty: true,
      },
      { type: 'iotopen-functionx-in', props: { selectBy: 'function' }, list: '#node-input-function', want: ids(fns) },
      {
        type: 'iotopen-functionx-out',
        props: { installationType: 'num', functionType: 'num' },
        list: '#node-input-function',
        want: ids(fns),
      },
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
          if (JSON.stringify([...listed].sort()) !== JSON.stringify(c.want))
            problems.push(`${c.type}: ${c.list} lists ${listed}, want ${c.want}`);
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
      const id = await openNode(type, {
        installation: String(inst.id),
        selectBy: 'function',
        installationType: 'num',
        functionType: 'num',
        topicKey: type === 'iotopen-functionx-in' ? 'topic_read' : 'topic_write',
        qos: '1',
      });
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
      if (type === 'iotopen-functionx-out')
        await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('functionx-out-picked-name.png') });
      await pick(b);
      assert.ok((await page.locator(line).textContent()).includes(b.meta.name));
      // An id the installation does not have: it says so, and keeps no name (not the last one picked).
      await pick({ id: 999999 });
      assert.ok(await page.locator(`${line}.iotopen-picker-missing`).isVisible(), 'an unknown id is not reported');
      assert.match(await page.locator(line).textContent(), /999999.*Office Stockholm \(101\)/);
      assert.equal(await page.inputValue('#node-input-fname'), '');
      await closeNode(id);
      // A saved node shows its function's name when the dialog opens.
      const saved = await openNode(type, {
        installation: String(inst.id),
        selectBy: 'function',
        installationType: 'num',
        functionType: 'num',
        function: String(b.id),
        fname: b.meta.name,
      });
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
    const id = await openNode('iotopen-log', {
      installation: String(inst.id),
      functions: chosen,
      from: '-24h',
      fromType: 'str',
      to: 'now',
      toType: 'str',
      order: 'asc',
      mode: 'all',
      pageSize: 10000,
      maxEntries: 100000,
    });
    await pickerKeys('#iotopen-log-fnsearch', readable.length);
    // the names arrive with the list: wait for them, then read the selection
    const chips = await (
      await page.waitForFunction((n) => {
        const t = $('#iotopen-log-fnchips .iotopen-chip')
          .toArray()
          .map((c) => c.textContent.trim());
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

  /** Clicks Done and waits for the dialog to close; resolves with the node as the editor keeps it. */
  async function done(id, props) {
    await page.click('#node-dialog-ok');
    await page.locator('#node-dialog-ok').waitFor({ state: 'detached' });
    const saved = await page.evaluate(({ id, props }) => Object.fromEntries(props.map((p) => [p, RED.nodes.node(id)[p]])), { id, props });
    await page.evaluate((id) => {
      RED.nodes.remove(id);
      RED.view.redraw(true);
    }, id);
    return saved;
  }
  const chipTexts = (sel) =>
    page.evaluate(
      (sel) =>
        $(sel)
          .find('.iotopen-chip')
          .toArray()
          .map((c) => c.textContent.trim()),
      sel,
    );

  it('iotopen-log: chips add and remove functions, and Done saves the ids', async function () {
    h.phase = 'log chips';
    const mark = h.errors.length;
    const readable = fns.filter((f) => f.meta && f.meta.topic_read);
    const [a, b, c] = readable;
    const id = await openNode('iotopen-log', {
      installation: String(inst.id),
      functions: [String(a.id), String(b.id)],
      from: '-24h',
      fromType: 'str',
      to: 'now',
      toType: 'str',
      order: 'asc',
      mode: 'all',
      pageSize: 10000,
      maxEntries: 100000,
    });
    await pickerKeys('#iotopen-log-fnsearch', readable.length);
    await page.locator('#iotopen-log-fnchips .iotopen-chip', { hasText: a.meta.name }).locator('.iotopen-chip-remove').click();
    await page.click('#iotopen-log-fnsearch');
    await page.keyboard.type(c.meta.topic_read);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
    assert.deepEqual((await chipTexts('#iotopen-log-fnchips')).sort(), [b.meta.name, c.meta.name].sort());
    assert.equal(await page.inputValue('#iotopen-log-fnsearch'), '', 'the search is cleared after a pick');
    const saved = await done(id, ['functions']);
    assert.deepEqual(saved.functions, [String(b.id), String(c.id)]);
    assert.deepEqual(errorsSince(mark), []);
  });

  it('iotopen-edge-app: installations are picked into the list field, named in chips; a pick replaces all', async function () {
    h.phase = 'edge installations';
    const mark = h.errors.length;
    const [i1, i2] = h.sb.installations;
    const id = await openNode('iotopen-edge-app', { installations: 'all', installationsType: 'str', mode: 'deploy' });
    await pickerKeys('#node-input-installations', h.sb.installations.length);
    assert.deepEqual(await chipTexts('#iotopen-edge-app-installations'), ['every installation the key sees']);
    const field =
      '#node-input-installations + .red-ui-typedInput-container input.red-ui-typedInput-input, #node-input-installations ~ .red-ui-typedInput-container input.red-ui-typedInput-input';
    await page.locator(field).first().click();
    await page.locator('.iotopen-picker-item', { hasText: i1.name }).click();
    await page.locator('.iotopen-picker-item', { hasText: i2.name }).click();
    assert.equal(await page.evaluate(() => $('#node-input-installations').typedInput('value')), `${i1.id},${i2.id}`);
    // type part of a name after a comma: the pick replaces what was typed
    await page.keyboard.press('Escape');
    await page.evaluate(() => $('#node-input-installations').typedInput('value', ''));
    await page.locator(field).first().click();
    await page.keyboard.type(i2.name.slice(0, 5));
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => $('#node-input-installations').typedInput('value')), String(i2.id));
    await page.keyboard.press('Escape');
    assert.deepEqual(await chipTexts('#iotopen-edge-app-installations'), [i2.name]);
    await closeNode(id);
    assert.deepEqual(errorsSince(mark), []);
  });

  it('iotopen-notify: Done keeps the picked output name for the label', async function () {
    h.phase = 'notify name';
    const mark = h.errors.length;
    const outputs = await api.notifications.listOutputs(inst.id);
    const id = await openNode('iotopen-notify', { installation: String(inst.id), output: String(outputs[1].id) });
    await page.waitForFunction((n) => $('#iotopen-picked-node-input-output').text().includes(n), outputs[1].name);
    await new Promise((r) => setTimeout(r, 1000)); // Monaco (see closeNode)
    const saved = await done(id, ['outputName']);
    assert.equal(saved.outputName, outputs[1].name);
    assert.deepEqual(errorsSince(mark), []);
  });

  it('iotopen-functionx-in by meta: the preview follows the rows as they are edited', async function () {
    h.phase = 'meta preview';
    const mark = h.errors.length;
    const id = await openNode('iotopen-functionx-in', {
      installation: String(inst.id),
      selectBy: 'meta',
      metaFilter: [{ key: 'device_id', value: '4' }],
      topicKey: 'topic_read',
      output: 'value',
    });
    const names = async (n) =>
      (
        await page.waitForFunction((n) => {
          const t = $('#node-input-iotopen-preview tbody tr td:first-child')
            .toArray()
            .map((td) => td.textContent);
          return t.length === n && t;
        }, n)
      ).jsonValue();
    const of = (pred) =>
      fns
        .filter(pred)
        .map((f) => f.meta.name)
        .sort();
    assert.deepEqual(
      (await names(of((f) => f.meta.device_id === '4').length)).sort(),
      of((f) => f.meta.device_id === '4'),
    );
    await page.fill('#node-input-metaFilter-container .iotopen-value', '*');
    assert.deepEqual(
      (await names(of((f) => f.meta.device_id !== undefined).length)).sort(),
      of((f) => f.meta.device_id !== undefined),
    );
    await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('preview-meta-filter.png') });
    await page.fill('#node-input-metaFilter-container .iotopen-value', 'nothing-has-this');
    await page.waitForFunction(() => /no function/i.test($('#node-input-iotopen-preview .iotopen-preview-head').text()));
    await closeNode(id);
    assert.deepEqual(errorsSince(mark), []);
  });

  it('iotopen-functionx-out: the lists are for the num type; msg, flow, global and env are typed in', async function () {
    h.phase = 'typed';
    const mark = h.errors.length;
    const id = await openNode('iotopen-functionx-out', {
      installation: String(inst.id),
      installationType: 'num',
      function: String(fns[0].id),
      functionType: 'num',
      topicKey: 'topic_write',
      qos: '1',
    });
    const line = '#iotopen-picked-node-input-function';
    await page.waitForFunction((l) => $(l).is(':visible'), line);
    await page.evaluate(() => $('#node-input-function').typedInput('type', 'msg'));
    await page.evaluate(() => $('#node-input-function').typedInput('value', 'payload.function'));
    const asMsg = {
      line: await page.locator(line).isVisible(),
      button: await page.locator('#node-input-function ~ .iotopen-picker-toggle').isVisible(),
    };
    await page.evaluate(() => $('#node-input-installation').typedInput('type', 'env'));
    await page.evaluate(() => $('#node-input-function').typedInput('type', 'num'));
    await page.evaluate((v) => $('#node-input-function').typedInput('value', v), String(fns[0].id));
    // an installation from env: no list to check the function against, no verdict on it
    const envInstallation = { missing: await page.locator(`${line}.iotopen-picker-missing`).count() };
    await closeNode(id);
    assert.deepEqual(asMsg, { line: false, button: false });
    assert.deepEqual(envInstallation, { missing: 0 });
    assert.deepEqual(errorsSince(mark), []);
  });
});
