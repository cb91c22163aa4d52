'use strict';
// Rows that show only when they apply, in the real editor: schedule's Active box only for
// create (update leaves active alone), mqtt-publish's API-mode payload hint only in API
// mode, notify's field only for a template in text format; the config dialog's Test connection
// shows the broker's answer on its own line, beside the API's, and takes ${LYNX_API_URL}-style
// addresses that deploy and work. Real Node-RED, real Chromium,
// the Lynx sandbox (see harness.js).
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const { startHarness, screenshotPath, root, CONFIG_ID, API_PORT, MQTT_PORT } = require('./harness');

describe('editor rows follow the choices they depend on (real browser)', function () {
  this.timeout(120000);
  let h;
  let page;

  before(async function () {
    // As in a Docker container: the server's addresses come from the environment.
    h = await startHarness({ env: { LYNX_API_URL: `http://127.0.0.1:${API_PORT}`, LYNX_MQTT_URL: `mqtt://127.0.0.1:${MQTT_PORT}` } });
    page = await h.openEditor();
  });

  after(async function () {
    if (h) await h.stop();
  });

  async function openNode(type, props) {
    const id = `r-${type}-${Math.random().toString(16).slice(2, 8)}`;
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
  const visible = (selector) => page.evaluate((s) => $('#red-ui-editor-stack ' + s).is(':visible'), selector);
  const errors = () => h.errors.map((e) => `[${e.phase}] ${e.text}`);

  it('iotopen-schedule: the Active row shows for create and hides for update (the other fields stay)', async function () {
    h.phase = 'schedule rows';
    const id = await openNode('iotopen-schedule', { operation: 'create', installation: String(h.sb.installations[0].id) });
    const seen = {};
    for (const op of ['create', 'update', 'create', 'enable', 'update']) {
      await page.selectOption('#node-input-operation', op);
      seen[op] = {
        active: await visible('#node-input-active'),
        minute: await visible('#node-input-minute'),
        topic: await visible('#node-input-topic'),
      };
    }
    await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('schedule-update-dialog.png') });
    await closeNode(id);
    assert.deepEqual(seen, {
      create: { active: true, minute: true, topic: true },
      update: { active: false, minute: true, topic: true },
      enable: { active: false, minute: false, topic: false },
    });
    // a saved update node opens without the Active row
    const id2 = await openNode('iotopen-schedule', { operation: 'update', active: false });
    const openedUpdate = { active: await visible('#node-input-active'), minute: await visible('#node-input-minute') };
    await closeNode(id2);
    assert.deepEqual(openedUpdate, { active: false, minute: true });
    assert.deepEqual(errors(), []);
  });

  it('iotopen-log: the chart rows show only for the chart format, Points with an aggregation, and auto is a valid interval', async function () {
    h.phase = 'log chart rows';
    const id = await openNode('iotopen-log', { installation: String(h.sb.installations[0].id), format: 'entries', aggrMethod: '' });
    const seen = { opened: { replace: await visible('#node-input-chartReplace'), points: await visible('#node-input-maxPoints') } };
    await page.selectOption('#node-input-format', 'chart');
    await page.selectOption('#node-input-aggrMethod', 'avg');
    await page.fill('#node-input-aggrInterval', 'auto');
    seen.chart = { replace: await visible('#node-input-chartReplace'), points: await visible('#node-input-maxPoints') };
    // a node saved before the chart format has no chartReplace: the box shows the runtime's default (replace)
    const replaceChecked = await page.evaluate(() => $('#node-input-chartReplace').prop('checked'));
    const valid = await page.evaluate(() => {
      const d = RED.nodes.getType('iotopen-log').defaults;
      const n = { aggrInterval: 'auto' };
      return {
        auto: d.aggrInterval.validate.call(n, 'auto'),
        bad: d.aggrInterval.validate.call(n, 'soon') === true,
        points: d.maxPoints.validate.call(n, '200'),
        padded: d.maxPoints.validate.call(n, '05'),
        zero: d.maxPoints.validate.call(n, '0') === true,
      };
    });
    await page.evaluate(() => $('#node-input-format')[0].scrollIntoView());
    await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('log-chart-dialog.png') });
    await page.selectOption('#node-input-format', 'entries');
    seen.back = { replace: await visible('#node-input-chartReplace'), points: await visible('#node-input-maxPoints') };
    await closeNode(id);
    assert.deepEqual(seen, {
      opened: { replace: false, points: false },
      chart: { replace: true, points: true },
      back: { replace: false, points: true },
    });
    assert.deepEqual(valid, { auto: true, bad: false, points: true, padded: true, zero: false });
    assert.equal(replaceChecked, true);
    assert.deepEqual(errors(), []);
  });

  it('iotopen-mqtt-publish: API mode shows what payload it accepts, MQTT mode does not', async function () {
    h.phase = 'mqtt-publish rows';
    const en = require(path.join(root, 'nodes', 'iotopen-mqtt-publish', 'locales', 'en-US', 'iotopen-mqtt-publish.json'));
    const tip = '.iotopen-mqtt-publish-api .form-tips';
    const id = await openNode('iotopen-mqtt-publish', { mode: 'mqtt' });
    const atOpen = await visible(tip);
    await page.selectOption('#node-input-mode', 'api');
    const inApi = await visible(tip);
    const text = await page.evaluate((s) => $('#red-ui-editor-stack ' + s).text(), tip);
    await page.selectOption('#node-input-mode', 'mqtt');
    const backInMqtt = await visible(tip);
    await closeNode(id);
    const id2 = await openNode('iotopen-mqtt-publish', { mode: 'api' });
    const savedApi = await visible(tip);
    await closeNode(id2);
    assert.deepEqual({ atOpen, inApi, backInMqtt, savedApi }, { atOpen: false, inApi: true, backInMqtt: false, savedApi: true });
    assert.equal(text, en['iotopen-mqtt-publish'].hint.api);
    assert.deepEqual(errors(), []);
  });

  it('iotopen-notify: the field row shows only for a template in text format', async function () {
    h.phase = 'notify rows';
    // the reported case: saved with format text but no template
    const id = await openNode('iotopen-notify', { dataMode: 'default', format: 'text' });
    const seen = { 'opened default/text': await visible('#node-input-field') };
    // One choice at a time, as a user would (the format select hides without a template).
    for (const [select, value] of [
      ['dataMode', 'template'],
      ['format', 'json'],
      ['dataMode', 'default'],
      ['dataMode', 'template'],
      ['format', 'text'],
      ['dataMode', 'default'],
    ]) {
      await page.selectOption(`#node-input-${select}`, value);
      const now = await page.evaluate(() => `${$('#node-input-dataMode').val()}/${$('#node-input-format').val()}`);
      seen[now] = (seen[now] || []).concat(await visible('#node-input-field'));
    }
    await closeNode(id);
    assert.deepEqual(seen, {
      'opened default/text': false,
      'template/text': [true, true],
      'template/json': [false, false],
      'default/json': [false],
      'default/text': [false],
    });
    assert.deepEqual(errors(), []);
  });
  it("iotopen-config: Test connection shows a broker where nothing listens apart from the API's answer", async function () {
    h.phase = 'config test connection';
    // A port nothing listens on (taken, then freed).
    const port = await new Promise((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = srv.address().port;
        srv.close(() => resolve(p));
      });
    });
    const id = await openNode('iotopen-functionx-out', { installation: String(h.sb.installations[0].id), installationType: 'num' });
    await page.click('#node-input-btn-server-edit');
    await page.locator('#node-config-dialog-cancel').waitFor({ state: 'visible' });
    // A typed key (a stored one goes only to the broker it was entered for) and a bad MQTT URL.
    await page.fill('#node-config-input-apiKey', h.sb.apiKey);
    await page.fill('#node-config-input-mqttUrl', `mqtt://127.0.0.1:${port}`);
    await page.click('#iotopen-config-test');
    await page.waitForFunction(() => $('#iotopen-config-test-result').is('.iotopen-config-ok, .iotopen-config-fail'));
    const api = await page.locator('#iotopen-config-test-api').textContent();
    const mqtt = await page.locator('#iotopen-config-test-mqtt').textContent();
    await page
      .locator('#red-ui-editor-stack .red-ui-tray')
      .last()
      .screenshot({ path: screenshotPath('config-test-mqtt.png') });
    assert.equal(await page.locator('#iotopen-config-test-api.iotopen-config-ok').count(), 1, `API line: ${api}`);
    assert.match(api, /Connected/);
    assert.equal(await page.locator('#iotopen-config-test-mqtt.iotopen-config-fail').count(), 1, `MQTT line: ${mqtt}`);
    assert.match(mqtt, new RegExp(`MQTT: Connection refused by 127\\.0\\.0\\.1:${port}: nothing is listening there`));
    await page.click('#node-config-dialog-cancel');
    await page.locator('#node-config-dialog-cancel').waitFor({ state: 'detached' });
    await closeNode(id);
    assert.deepEqual(errors(), []);
  });

  it('iotopen-config: ${LYNX_API_URL} and ${LYNX_MQTT_URL} typed in the dialog pass Test connection, deploy and work', async function () {
    h.phase = 'config env vars';
    const iid = h.sb.installations[0].id;
    const res = await fetch(`${h.sb.api}/api/v2/functionx/${iid}`, { headers: { 'X-API-Key': h.sb.apiKey } });
    const fn = (await res.json()).find((f) => f.meta && f.meta.topic_read);
    // A new server as a user adds one: its dialog, from a node's pencil, filled in by typing.
    const ids = await page.evaluate(
      ({ iid, fid }) => {
        const z = RED.workspaces.active();
        RED.nodes.import([
          { id: 'env-cfg', type: 'iotopen-config', name: 'From env', apiUrl: '', mqttUrl: '', authMode: 'apikey' },
          {
            id: 'env-in',
            type: 'iotopen-functionx-in',
            z,
            x: 240,
            y: 320,
            server: 'env-cfg',
            installation: String(iid),
            selectBy: 'function',
            function: String(fid),
            topicKey: 'topic_read',
            output: 'value',
            wires: [],
          },
        ]);
        RED.view.redraw(true);
        RED.editor.edit(RED.nodes.node('env-in'));
        return { cfg: 'env-cfg', node: 'env-in' };
      },
      { iid, fid: fn.id },
    );
    await page.locator('#node-dialog-cancel').waitFor({ state: 'visible' });
    await page.click('#node-input-btn-server-edit');
    await page.locator('#node-config-dialog-cancel').waitFor({ state: 'visible' });
    await page.fill('#node-config-input-apiUrl', '${LYNX_API_URL}');
    await page.fill('#node-config-input-mqttUrl', '${LYNX_MQTT_URL}');
    await page.fill('#node-config-input-apiKey', h.sb.apiKey);
    await page.click('#iotopen-config-test');
    await page.waitForFunction(() => $('#iotopen-config-test-result').is('.iotopen-config-ok, .iotopen-config-fail'));
    const api = await page.locator('#iotopen-config-test-api').textContent();
    const mqtt = await page.locator('#iotopen-config-test-mqtt').textContent();
    assert.equal(await page.locator('#iotopen-config-test-api.iotopen-config-ok').count(), 1, `API line: ${api}`);
    assert.equal(await page.locator('#iotopen-config-test-mqtt.iotopen-config-ok').count(), 1, `MQTT line: ${mqtt}`);
    // The dialog accepts the references: no field marked invalid, and Update closes it.
    assert.equal(await page.locator('#node-config-dialog-edit-form .input-error').count(), 0, 'a field is marked invalid');
    await page.click('#node-config-dialog-ok');
    await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
    // Not deployed yet: the dialog says to deploy before picking from lists.
    // The pickers re-check the new server once its dialog has closed: wait for that, then look.
    await page.locator('#red-ui-editor-stack #node-input-iotopen-hint').waitFor({ state: 'visible', timeout: 10000 });
    assert.ok(await visible('#node-input-iotopen-hint'), 'the deploy-first hint');
    await page.click('#node-dialog-ok');
    await page.locator('#node-dialog-ok').waitFor({ state: 'detached' });
    assert.equal(await page.evaluate((id) => RED.nodes.node(id).apiUrl, ids.cfg), '${LYNX_API_URL}', 'the saved URL');
    await page.click('#red-ui-header-button-deploy');
    // Deployed, the node resolves the variables as the runtime does: its installation from the API,
    // its subscription on the broker ("connected" only once both worked).
    await page.waitForFunction((id) => {
      const n = RED.nodes.node(id);
      return n && n.status && n.status.fill === 'green';
    }, ids.node);
    const status = await page.evaluate((id) => RED.nodes.node(id).status, ids.node);
    await page.evaluate((ids) => {
      RED.nodes.remove(ids.node);
      RED.nodes.remove(ids.cfg);
      RED.view.redraw(true);
    }, ids);
    await page.click('#red-ui-header-button-deploy');
    assert.equal(status.shape, 'dot', JSON.stringify(status));
    // Nothing logged: not even a 404 for the lists of the server before it was deployed (the
    // editor does not ask for them; the dialog shows the deploy-first hint).
    assert.deepEqual(errors(), []);
  });
});
