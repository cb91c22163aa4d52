'use strict';
// The editor experience, proven in headless Chromium against a real Node-RED
// (own process, this pack linked into its user dir) and the Lynx sandbox on the
// ports the examples point at. See harness.js for the setup.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const { startHarness, screenshotPath, root, CONFIG_ID } = require('./harness');

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const FLOW_TYPES = Object.keys(pkg['node-red'].nodes).filter((t) => t !== 'iotopen-config');
const EXAMPLES = fs
  .readdirSync(path.join(root, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => path.basename(f, '.json'));

describe('editor in a real browser (Chromium + Node-RED + sandbox)', function () {
  this.timeout(120000);
  let h;
  let page;

  /** Console errors since `mark`, as lines. */
  const errorsSince = (mark) => h.errors.slice(mark).map((e) => `[${e.phase}] ${e.text}${e.where ? ` (${e.where})` : ''}`);

  /** Notifications shown by the editor (RED.notify) since the page loaded; closes the open ones. */
  async function takeNotifications() {
    return page.evaluate(() => {
      const out = window.__lynxNotes.splice(0).map((n) => ({ type: n.type, text: n.text }));
      return out;
    });
  }
  async function closeNotifications() {
    await page.evaluate(() => {
      for (const n of window.__lynxOpen.splice(0)) {
        try {
          n.close();
        } catch (_) {
          /* already closed */
        }
      }
    });
  }

  /** Drags a palette entry onto the visible workspace, as a user does; returns the new node's id. */
  async function dropFromPalette(type, x, y) {
    const before = await page.evaluate(() => {
      const ids = [];
      RED.nodes.eachNode((n) => ids.push(n.id));
      return ids;
    });
    const entry = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
    await entry.scrollIntoViewIfNeeded();
    await entry.dragTo(page.locator('#red-ui-workspace-chart'), { targetPosition: { x, y } });
    const id = await page.evaluate(
      ({ before, type }) => {
        let found = null;
        RED.nodes.eachNode((n) => {
          if (n.type === type && !before.includes(n.id)) found = n.id;
        });
        return found;
      },
      { before, type },
    );
    assert.ok(id, `dragging "${type}" from the palette added no node`);
    return id;
  }

  async function openEditor(id) {
    await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`).dblclick();
    await page.locator('#node-dialog-cancel').waitFor({ state: 'visible' });
  }
  async function cancelEditor() {
    await page.click('#node-dialog-cancel');
    await page.locator('#node-dialog-cancel').waitFor({ state: 'detached' });
  }

  /** Removes every node of the active tab (select all + Delete, as a user would). */
  async function clearWorkspace() {
    await page.locator('#red-ui-workspace-chart').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Delete');
  }

  /** Clicks Deploy; resolves with the notifications it produced (success, or what went wrong). */
  async function deploy() {
    await takeNotifications();
    await page.click('#red-ui-header-button-deploy');
    // Deploy either succeeds (success notification, workspace clean) or stops on a
    // warning (unknown / invalid nodes) or an error notification.
    await page.waitForFunction(
      () =>
        window.__lynxNotes.some((n) => n.type === 'error' || n.type === 'warning' || /Successfully deployed/.test(n.text)) ||
        $('#red-ui-deploy-dialog-confirm-deploy-deploy:visible').length > 0,
    );
    const notes = await takeNotifications();
    const confirm = await page.evaluate(() =>
      $('#red-ui-deploy-dialog-confirm-deploy-deploy:visible').closest('.red-ui-notification').text(),
    );
    await closeNotifications();
    return { notes, confirm };
  }

  before(async function () {
    h = await startHarness();
    // Record what the editor tells the user, to assert on deploy/import outcomes.
    const recordNotes = () => {
      window.__lynxNotes = [];
      window.__lynxOpen = [];
      const hook = () => {
        if (!window.RED || !RED.notify || RED.notify.__lynx) return false;
        const orig = RED.notify;
        RED.notify = function (msg, opts) {
          const type = typeof opts === 'string' ? opts : (opts && opts.type) || 'info';
          const text = typeof msg === 'string' ? $('<div>').html(msg).text() : $(msg).text();
          window.__lynxNotes.push({ type, text });
          const n = orig.apply(this, arguments);
          if (n) window.__lynxOpen.push(n);
          return n;
        };
        RED.notify.__lynx = true;
        return true;
      };
      const t = setInterval(() => hook() && clearInterval(t), 5);
    };
    h.phase = 'load';
    page = await h.openEditor({ prepare: (p) => p.addInitScript(recordNotes), ready: () => window.__lynxNotes });
    // Every warning/error a node logs reaches the debug sidebar through comms: keep them all
    // (the sidebar itself drops old messages), tagged with the step that was running.
    await page.evaluate(() => {
      window.__lynxPhase = 'load';
      window.__lynxLogged = [];
      RED.comms.subscribe('debug', (topic, m) => {
        if (m && (m.level === 20 || m.level === 30)) {
          window.__lynxLogged.push({
            phase: window.__lynxPhase,
            level: m.level === 20 ? 'error' : 'warn',
            node: `${m.name || ''} (${m.id})`,
            msg: String(m.msg).slice(0, 300),
          });
        }
      });
    });
  });

  /** Marks the step in the browser too, so logged warnings/errors say when they came. */
  async function setPhase(phase) {
    h.phase = phase;
    await page.evaluate((p) => {
      window.__lynxPhase = p;
    }, phase);
  }

  after(async function () {
    if (h) await h.stop();
  });

  it('loads the editor with no browser console errors', function () {
    assert.deepEqual(errorsSince(0), []);
  });

  it('shows every flow node type of package.json in the palette under "IoT Open"', async function () {
    const found = await page.evaluate(() =>
      $('.red-ui-palette-node')
        .toArray()
        .map((e) => ({
          type: e.getAttribute('data-palette-type'),
          category: $(e).closest('.red-ui-palette-category').find('.red-ui-palette-header span').first().text(),
          label: $(e).find('.red-ui-palette-label').text().trim(),
        })),
    );
    const header = page
      .locator('.red-ui-palette-category')
      .filter({ has: page.locator('.red-ui-palette-header span', { hasText: /^IoT Open$/ }) });
    await header.first().scrollIntoViewIfNeeded();
    await page.locator('#red-ui-palette').screenshot({ path: screenshotPath('palette.png') });
    const byType = new Map(found.map((f) => [f.type, f]));
    const missing = FLOW_TYPES.filter((t) => !byType.has(t));
    const misplaced = FLOW_TYPES.filter((t) => byType.has(t) && byType.get(t).category !== 'IoT Open').map(
      (t) => `${t} in "${byType.get(t).category}"`,
    );
    const unlabeled = FLOW_TYPES.filter((t) => byType.has(t) && !byType.get(t).label);
    assert.ok(!byType.has('iotopen-config'), 'the config node must not be in the palette');
    assert.deepEqual({ missing, misplaced, unlabeled }, { missing: [], misplaced: [], unlabeled: [] });
  });

  it("opens and cancels every node's edit dialog with no console errors", async function () {
    const problems = [];
    let x = 200;
    let mark = h.errors.length;
    for (const type of FLOW_TYPES) {
      if (!(await page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).count())) {
        problems.push(`${type}: not in the palette`);
        continue;
      }
      await setPhase(`edit ${type}`);
      try {
        const id = await dropFromPalette(type, x, 120);
        x += 20;
        await openEditor(id);
        const title = (await page.locator('.red-ui-tray-titlebar').first().textContent()) || '';
        const rows = await page.locator('#red-ui-editor-stack .red-ui-tray .form-row').count();
        // Every label, option, hint and placeholder translated: a key the editor cannot resolve
        // leaves its element empty (or shows the key itself: iotopen-x.label.y, common.y).
        const raw = await page.evaluate(() => {
          const form = document.querySelector('#red-ui-editor-stack .red-ui-tray #dialog-form');
          const bad = [];
          for (const el of form.querySelectorAll('[data-i18n]')) {
            for (const part of el.getAttribute('data-i18n').split(';')) {
              const attr = /^\[([^\]]+)\]/.exec(part);
              const text = attr ? el.getAttribute(attr[1]) : el.textContent;
              if (!text || !text.trim() || /(^|\s)(@lynxflow\/|iotopen-[\w-]+\.|common\.)\w+\.\w/.test(text)) bad.push(part);
            }
          }
          return bad;
        });
        if (raw.length) problems.push(`${type}: untranslated keys: ${raw.join(', ')}`);
        const serverLabel = (await page.locator('#red-ui-editor-stack .red-ui-tray label[for="node-input-server"]').textContent()) || '';
        if (serverLabel.trim() !== 'Server') problems.push(`${type}: the server field is labelled "${serverLabel.trim()}"`);
        // Only the node's own form: every dialog also has Monaco in its Description tab.
        if (await page.locator('#red-ui-editor-stack .red-ui-tray #dialog-form .monaco-editor').count()) {
          // Read the dialog a moment, as a user does. Cancelling a dialog within ~0.2 s of
          // the first code editor of the session makes Monaco throw "Model is disposed!"
          // from its delayed folding computation -- core's template node does the same.
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        await cancelEditor();
        await setPhase(`after the ${type} dialog closed`);
        if (!rows) problems.push(`${type}: the dialog ("${title.trim()}") has no form rows`);
      } catch (err) {
        problems.push(`${type}: ${err.message.split('\n')[0]}`);
      }
      for (const e of errorsSince(mark)) problems.push(`${type}: console error ${e}`);
      mark = h.errors.length;
    }
    await clearWorkspace();
    assert.deepEqual(problems, []);
  });

  it('functionx-in pickers list the sandbox installations and the functions of the chosen one', async function () {
    await setPhase('pickers');
    const mark = h.errors.length;
    const id = await dropFromPalette('iotopen-functionx-in', 300, 200);
    await openEditor(id);
    // A new node starts with no server chosen: pick the deployed sandbox config node.
    await page.selectOption('#node-input-server', CONFIG_ID);
    const keys = async (input, n) =>
      (
        await page.waitForFunction(
          ({ input, n }) => {
            const p = $(input).data('iotopen-picker');
            return p && p.listed().length >= n && p.listed();
          },
          { input, n },
        )
      ).jsonValue();
    const installs = await keys('#node-input-installation', h.sb.installations.length);
    for (const inst of h.sb.installations) {
      assert.ok(
        installs.includes(String(inst.id)),
        `installation picker lacks ${inst.name} (${inst.id}); it lists ${JSON.stringify(installs)}`,
      );
    }
    // Choose the first installation, as a user typing its id: its name shows under the field.
    const inst = h.sb.installations[0];
    await page.fill('#node-input-installation', String(inst.id));
    await page.locator('#node-input-installation').dispatchEvent('change');
    await page.waitForFunction((name) => $('#iotopen-picked-node-input-installation').text().includes(name), inst.name);
    const res = await fetch(`${h.sb.api}/api/v2/functionx/${inst.id}`, { headers: { 'X-API-Key': h.sb.apiKey } });
    const fns = await res.json();
    assert.ok(fns.length > 0, 'the seeded installation has functions');
    const listed = await keys('#node-input-function', fns.length);
    for (const f of fns) assert.ok(listed.includes(String(f.id)), `function picker lacks ${f.id}; it lists ${JSON.stringify(listed)}`);
    // Pick a function as a user would (type its id): the dialog fills in its name.
    await page.fill('#node-input-function', String(fns[0].id));
    await page.locator('#node-input-function').dispatchEvent('change');
    assert.equal(await page.inputValue('#node-input-fname'), fns[0].meta.name);
    await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('functionx-in-dialog.png') });
    // The pencil beside Server opens the config node's dialog: its key field holds a
    // placeholder, never the key, and "Test connection" works with the stored key.
    await page.click('#node-input-btn-server-edit');
    await page.locator('#node-config-dialog-cancel').waitFor({ state: 'visible' });
    assert.notEqual(await page.inputValue('#node-config-input-apiKey'), h.sb.apiKey, 'the key field shows the key');
    await page.click('#iotopen-config-test');
    await page.waitForFunction(() => $('#iotopen-config-test-result').is('.iotopen-config-ok, .iotopen-config-fail'));
    const testResult = await page.locator('#iotopen-config-test-result').textContent();
    await page
      .locator('#red-ui-editor-stack .red-ui-tray')
      .last()
      .screenshot({ path: screenshotPath('config-dialog.png') });
    assert.ok(
      await page.locator('#iotopen-config-test-result.iotopen-config-ok').count(),
      `Test connection with the stored key: ${testResult}`,
    );
    await page.click('#node-config-dialog-cancel');
    await page.locator('#node-config-dialog-cancel').waitFor({ state: 'detached' });
    await cancelEditor();
    await clearWorkspace();
    assert.deepEqual(errorsSince(mark), []);
  });

  for (const name of EXAMPLES) {
    it(`imports the example "${name}" from Import > Examples and deploys it`, async function () {
      await setPhase(`example ${name}`);
      const mark = h.errors.length;
      const tabsBefore = await page.evaluate(() => {
        const ids = [];
        RED.nodes.eachWorkspace((w) => ids.push(w.id));
        return ids;
      });
      await page.click('#red-ui-header-button-sidemenu');
      await page.click('#menu-item-import');
      await page.locator('#red-ui-clipboard-dialog-import-tabs').waitFor({ state: 'visible' });
      await page.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a');
      const lib = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      const folder = lib.locator('.red-ui-treeList-label', { hasText: pkg.name });
      await folder.click();
      const file = lib.locator('.red-ui-treeList-label-text', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
      await file.click();
      await page.click('#red-ui-clipboard-dialog-ok');
      // The config node iotopen-sandbox already exists: the editor asks. A user keeps
      // the existing one with "Import copy" (flow nodes get new ids, the config node
      // with the same id is reused, not duplicated).
      const conflict = page.locator('.red-ui-notification button, .red-ui-notification .ui-button', { hasText: 'Import copy' });
      await conflict.waitFor({ state: 'visible' });
      await conflict.click();
      await page.waitForFunction((before) => {
        let added = false;
        RED.nodes.eachWorkspace((w) => {
          if (!before.includes(w.id)) added = true;
        });
        return added;
      }, tabsBefore);
      const imported = await page.evaluate((before) => {
        let tab = null;
        RED.nodes.eachWorkspace((w) => {
          if (!before.includes(w.id)) tab = w.id;
        });
        const nodes = RED.nodes.filterNodes({ z: tab });
        const configs = [];
        RED.nodes.eachConfig((c) => {
          if (c.type === 'iotopen-config') configs.push(c.id);
        });
        const refs = nodes.filter((n) => n._def && n._def.defaults && n._def.defaults.server).map((n) => n.server);
        return {
          tab,
          count: nodes.length,
          configs,
          refs,
          invalid: nodes.filter((n) => !n.valid).map((n) => `${n.type} ${n.name || n.id}`),
        };
      }, tabsBefore);
      assert.ok(imported.count > 0, 'the example imported no nodes');
      assert.deepEqual(imported.configs, [CONFIG_ID], 'the existing config node is kept, not duplicated');
      assert.ok(
        imported.refs.every((r) => r === CONFIG_ID),
        `imported nodes use the existing config node: ${imported.refs}`,
      );
      assert.deepEqual(imported.invalid, [], 'nodes flagged invalid after import');
      const { notes, confirm } = await deploy();
      assert.equal(confirm, '', `deploy stopped on a warning: ${confirm}`);
      assert.deepEqual(
        notes.filter((n) => n.type === 'error' || n.type === 'warning'),
        [],
        'deploy error notifications',
      );
      assert.ok(
        notes.some((n) => /Successfully deployed/.test(n.text)),
        `no success notification: ${JSON.stringify(notes)}`,
      );
      assert.equal(await page.evaluate(() => RED.nodes.dirty()), false);
      assert.deepEqual(errorsSince(mark), []);
    });
  }

  it('shows in the debug sidebar a value published to the sandbox broker (functionx-in -> debug)', async function () {
    await setPhase('debug');
    const mark = h.errors.length;
    const inst = h.sb.installations[0];
    const res = await fetch(`${h.sb.api}/api/v2/functionx/${inst.id}`, { headers: { 'X-API-Key': h.sb.apiKey } });
    const fn = (await res.json()).find((f) => f.meta && f.meta.topic_read);
    assert.ok(fn, 'a seeded function with topic_read');
    // A fresh tab for the flow, then paste it through Import > Clipboard.
    await page.evaluate(() => RED.actions.invoke('core:add-flow'));
    const flow = [
      {
        id: 'br-fxin',
        type: 'iotopen-functionx-in',
        name: 'browser fxin',
        server: CONFIG_ID,
        selectBy: 'function',
        installation: String(inst.id),
        function: String(fn.id),
        fname: fn.meta.name,
        topicKey: 'topic_read',
        output: 'value',
        x: 160,
        y: 100,
        wires: [['br-debug']],
      },
      {
        id: 'br-debug',
        type: 'debug',
        name: 'browser debug',
        active: true,
        tosidebar: true,
        console: false,
        complete: 'payload',
        targetType: 'msg',
        x: 420,
        y: 100,
        wires: [],
      },
    ];
    await page.click('#red-ui-header-button-sidemenu');
    await page.click('#menu-item-import');
    await page.locator('#red-ui-clipboard-dialog-import-text').waitFor({ state: 'visible' });
    await page.fill('#red-ui-clipboard-dialog-import-text', JSON.stringify(flow));
    // The dialog validates on keyup (a real paste fires it too).
    await page.press('#red-ui-clipboard-dialog-import-text', 'End');
    await page.click('#red-ui-clipboard-dialog-ok');
    await page.waitForFunction(
      () => !!RED.nodes.node('br-fxin') || RED.nodes.filterNodes({ type: 'iotopen-functionx-in' }).some((n) => n.name === 'browser fxin'),
    );
    // Imported nodes follow the mouse until placed: click to drop them.
    await page.locator('#red-ui-workspace-chart').click({ position: { x: 300, y: 300 } });
    const { notes, confirm } = await deploy();
    assert.equal(confirm, '', `deploy stopped on a warning: ${confirm}`);
    assert.ok(
      notes.some((n) => /Successfully deployed/.test(n.text)),
      `no success notification: ${JSON.stringify(notes)}`,
    );

    // The sidebar shows its tabs as labels or, when narrow, as icon buttons.
    await page
      .locator('#red-ui-tab-debug a.red-ui-tab-label:visible, #red-ui-sidebar .red-ui-tab-link-button[href="#debug"]:visible')
      .first()
      .click();
    await page.locator('.red-ui-debug-content-list').waitFor({ state: 'visible' });

    const client = await mqtt.connectAsync(h.sb.mqtt, { username: 'browser-test', password: h.sb.apiKey, reconnectPeriod: 0 });
    const topic = `${inst.client_id}/${fn.meta.topic_read}`;
    const seen = () =>
      page.evaluate(() =>
        $('.red-ui-debug-msg')
          .toArray()
          .some(
            (e) =>
              /browser debug/.test($(e).find('.red-ui-debug-msg-name').text()) &&
              /^\s*42\s*$/.test($(e).find('.red-ui-debug-msg-payload').text()),
          ),
      );
    try {
      // The subscription is made after the deploy; publish until the node has it.
      let ok = false;
      while (!ok) {
        await client.publishAsync(topic, JSON.stringify({ value: 42, timestamp: Date.now() / 1000 }), { qos: 1 });
        // Wait a moment for it to show, then publish again (bounded by the test timeout).
        await new Promise((resolve) => setTimeout(resolve, 250));
        ok = await seen();
      }
    } finally {
      await client.endAsync();
    }
    const shown = await page.evaluate(() =>
      $('.red-ui-debug-msg')
        .toArray()
        .filter((e) => /browser debug/.test($(e).find('.red-ui-debug-msg-name').text()))
        .map((e) => $(e).find('.red-ui-debug-msg-meta').text()),
    );
    await page.screenshot({ path: screenshotPath('debug-sidebar.png') });
    assert.ok(
      shown.some((m) => m.includes(topic)),
      `the debug message names the topic ${topic}: ${shown}`,
    );
    assert.deepEqual(errorsSince(mark), []);
  });

  it('no node logged a warning or an error to the debug sidebar during the run', async function () {
    // Logged warnings and errors are what a user sees in red/yellow in the sidebar after
    // importing and deploying the examples; each is named with the step it came in.
    const logged = await page.evaluate(() => window.__lynxLogged.map((l) => `[${l.phase}] ${l.level} ${l.node}: ${l.msg}`));
    assert.deepEqual(logged, []);
  });

  it('never sends the sandbox key to the browser (requests, answers, comms)', async function () {
    await Promise.all([...h.pending]);
    assert.ok(h.leaks !== undefined);
    assert.deepEqual(h.leaks, []);
  });
});
