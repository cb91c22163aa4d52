'use strict';
// The virtual function dialog in the real editor: the installation is picked from the
// sandbox's list, the kind shows and hides its rows (unit/format for a value, echo for a
// writable kind, on/off states for a new switch), the topics it will use are shown, and a
// deploy creates the function in the sandbox with what the dialog said. Real Node-RED,
// real Chromium, the Lynx sandbox (see harness.js).
const assert = require('node:assert/strict');
const { startHarness, screenshotPath, CONFIG_ID } = require('./harness');

describe('iotopen-virtual-function dialog (real browser)', function () {
  this.timeout(120000);
  let h;
  let page;

  before(async function () {
    h = await startHarness();
    page = await h.openEditor({ ready: () => window.IotOpenEditor });
  });
  after(async function () {
    if (h) await h.stop();
  });

  const visible = (selector) => page.evaluate((s) => $('#red-ui-editor-stack ' + s).is(':visible'), selector);
  const stateRows = () =>
    page.evaluate(() =>
      $('#node-input-states-list')
        .editableList('items')
        .map(function () {
          return [[$(this).find('.vf-state-name').val(), $(this).find('.vf-state-value').val(), $(this).find('.vf-state-text').val()]];
        })
        .get(),
    );
  const choose = async (kind) => {
    await page.selectOption('#node-input-kind', kind);
  };

  it('picks the installation, shows the rows of each kind, and a deploy creates the function', async function () {
    h.phase = 'dialog';
    const id = 'vf-browser-node';
    await page.evaluate(
      ({ id, server }) => {
        RED.nodes.import([{ id, type: 'iotopen-virtual-function', z: RED.workspaces.active(), x: 300, y: 200, server, wires: [] }]);
        RED.view.redraw(true);
        RED.editor.edit(RED.nodes.node(id));
      },
      { id, server: CONFIG_ID },
    );
    await page.locator('#node-dialog-ok').waitFor({ state: 'visible' });

    // The installation from the sandbox's list, by name.
    await page.click('#node-input-installation');
    const item = page.locator('#node-input-installation ~ .iotopen-picker-pop .iotopen-picker-item', { hasText: 'Office Stockholm' });
    await item.first().waitFor();
    await item.first().click();
    assert.equal(await page.inputValue('#node-input-installation'), '101');
    assert.match(await page.locator('#iotopen-picked-node-input-installation').textContent(), /Office Stockholm/);

    // A sensor: unit and format, no echo, no states, type "sensor".
    assert.equal(await page.inputValue('#node-input-kind'), 'sensor');
    assert.equal(await visible('.vf-row-unit'), true);
    assert.equal(await visible('.vf-row-format'), true);
    assert.equal(await visible('.vf-row-echo'), false);
    assert.deepEqual(await stateRows(), []);
    assert.equal(await page.inputValue('#node-input-ftype'), 'sensor');

    // A switch: no unit or format, echo offered, on/off states to start with.
    await choose('switch');
    assert.equal(await visible('.vf-row-unit'), false);
    assert.equal(await visible('.vf-row-format'), false);
    assert.equal(await visible('.vf-row-echo'), true);
    assert.deepEqual(await stateRows(), [
      ['on', '1', 'On'],
      ['off', '0', 'Off'],
    ]);
    assert.equal(await page.inputValue('#node-input-ftype'), 'switch');

    // A control: unit again, echo still; the type follows the kind while it is the default.
    await choose('control');
    assert.equal(await visible('.vf-row-unit'), true);
    assert.equal(await visible('.vf-row-echo'), true);
    assert.equal(await page.inputValue('#node-input-ftype'), 'setpoint');
    await choose('switch');
    assert.equal((await stateRows()).length, 2, 'the states are not added twice');

    // The device row only when grouping.
    assert.equal(await visible('.vf-row-device'), false);
    await page.check('#node-input-group');
    assert.equal(await visible('.vf-row-device'), true);
    await page.fill('#node-input-deviceName', 'Browser test device');

    await page.fill('#node-input-fname', 'Vacation mode');
    await page.fill('#node-input-extId', 'browser-vacation');
    assert.match(
      await page.locator('#iotopen-virtual-function-topics').textContent(),
      /obj\/node-red\/browser-vacation\/value.*set\/obj\/node-red\/browser-vacation\/value/,
    );
    await page.check('#node-input-echo');
    await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('virtual-function-dialog.png') });
    await page.click('#node-dialog-ok');
    await page.locator('#node-dialog-ok').waitFor({ state: 'detached' });

    const saved = await page.evaluate((id) => {
      const n = RED.nodes.node(id);
      return { outputs: n.outputs, states: n.states, kind: n.kind, valid: n.valid, installation: n.installation };
    }, id);
    assert.deepEqual(saved, {
      outputs: 1,
      kind: 'switch',
      valid: true,
      installation: '101',
      states: [
        { name: 'on', value: '1', text: 'On' },
        { name: 'off', value: '0', text: 'Off' },
      ],
    });

    h.phase = 'deploy';
    await page.click('#red-ui-header-button-deploy');
    const fns = () => [...h.sb.store.functions.values()].filter((f) => f.installation_id === 101 && f.meta.ext_id === 'browser-vacation');
    const deadline = Date.now() + 30000;
    while (fns().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(fns().length, 1, 'the deploy created the function');
    const [fn] = fns();
    assert.equal(fn.type, 'switch');
    assert.equal(fn.meta.name, 'Vacation mode');
    assert.equal(fn.meta.topic_write, 'set/obj/node-red/browser-vacation/value');
    assert.equal(fn.meta.state_on, '1');
    assert.equal(fn.meta.text_off, 'Off');
    const dev = [...h.sb.store.devices.values()].find((d) => String(d.id) === fn.meta.device_id);
    assert.ok(dev, 'grouped under a device');
    assert.equal(dev.meta.name, 'Browser test device');
    assert.deepEqual(h.errors, [], `browser errors: ${JSON.stringify(h.errors)}`);
    assert.deepEqual(h.leaks, []);
  });
});
