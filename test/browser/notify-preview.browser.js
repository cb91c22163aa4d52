'use strict';
// The notify dialog in a real editor: for the chosen output it shows the output's message
// text (a Go template on the platform), the fields it uses, and a preview rendered with the
// data the node would send for the editable sample message, naming the fields that data
// lacks. The dialog only reads: nothing is sent or changed. Real Node-RED, real Chromium,
// the Lynx sandbox (see harness.js).
const assert = require('node:assert/strict');
const { startHarness, screenshotPath, CONFIG_ID } = require('./harness');

describe('notify dialog: message template preview (real browser)', function () {
  this.timeout(120000);
  let h;
  let page;

  before(async function () {
    h = await startHarness();
    page = await h.openEditor();
  });
  after(async function () {
    if (h) await h.stop();
  });

  const previewText = () => page.locator('#iotopen-notify-preview').innerText();
  async function waitPreview(re) {
    await page.waitForFunction((src) => new RegExp(src).test($('#iotopen-notify-preview').text()), re.source, { timeout: 20000 });
    return previewText();
  }

  it('shows the message text, its fields and a preview that follows the data mode and the sample', async () => {
    const outputsBefore = h.sb.store.outputs.size;
    const mark = h.errors.length;
    await page.evaluate((server) => {
      RED.nodes.import([
        {
          id: 'pv-notify',
          type: 'iotopen-notify',
          z: RED.workspaces.active(),
          x: 300,
          y: 200,
          server,
          configVersion: 2,
          operation: 'send',
          installation: '101',
          output: '1',
          dataMode: 'default',
          format: 'json',
          field: 'message',
          template: '',
          sample: '{"payload": 31.5}',
          wires: [[]],
        },
      ]);
      RED.view.redraw(true);
      RED.editor.edit(RED.nodes.node('pv-notify'));
    }, CONFIG_ID);
    await page.locator('#node-dialog-cancel').waitFor({ state: 'visible' });

    // the default data wraps the number: the spec's typical {{.payload.message}} renders
    let text = await waitPreview(/Office Stockholm: 31\.5/);
    assert.match(text, /\{\{\.installation\.Name\}\}: \{\{\.payload\.message\}\}/, 'the message text');
    assert.match(text, /\.installation\.Name, \.payload\.message/, 'the fields it uses');
    assert.doesNotMatch(text, /lacks/);

    // the payload as it is: a number has no .message, and the dialog says so
    await page.selectOption('#node-input-dataMode', 'raw');
    text = await waitPreview(/lacks \.payload\.message/);
    assert.match(text, /Office Stockholm: <no value>/);
    await page.screenshot({ path: screenshotPath('notify-preview-missing.png') });

    // an edited sample is rendered as typed
    await page.fill('#node-input-sample', '{"payload": {"message": "Back door open"}}');
    text = await waitPreview(/Office Stockholm: Back door open/);
    assert.doesNotMatch(text, /lacks/);

    // a sample that is not JSON is named, not thrown
    await page.fill('#node-input-sample', '{oops');
    await waitPreview(/sample message is not JSON/);

    await new Promise((r) => setTimeout(r, 1000)); // Monaco: see shared-editor.browser.js closeNode
    await page.click('#node-dialog-cancel');
    await page.locator('#node-dialog-cancel').waitFor({ state: 'detached' });
    assert.equal(h.sb.store.sentNotifications.length, 0, 'the preview sent nothing');
    assert.equal(h.sb.store.outputs.size, outputsBefore, 'and changed nothing');
    assert.deepEqual(
      h.errors.slice(mark).filter((e) => !/status of 400/.test(e.text)),
      [],
      'no console errors (but the 400 of the bad sample)',
    );
    assert.deepEqual(h.leaks, [], 'the API key never reaches the browser');
  });
});
