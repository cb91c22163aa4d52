'use strict';
// The picker at size, in a real editor: a sandbox seeded with 2 000 more installations and
// 5 000 functions in installation 101 (beside the default seed). A saved node opens with the
// names of its installation and function; the whole list opens on a click while an item is
// selected; typing filters without fetching anything; changing the installation re-checks the
// function; functionx-in previews what a type filter matches; canvas labels use names. The
// times are printed (figures for the README and for comparison between runs), never asserted:
// this machine is shared and its speed varies. It also writes the README's picker and preview
// screenshots to test-artifacts/ (copied to docs/images/ by hand when they change).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startHarness, screenshotPath, dist, CONFIG_ID } = require('./harness');

const INSTALLATIONS = 2000;
const FUNCTIONS = 5000;
const CITIES = [
  'Uppsala',
  'Lund',
  'Malmö',
  'Umeå',
  'Luleå',
  'Gävle',
  'Borås',
  'Växjö',
  'Kalmar',
  'Visby',
  'Falun',
  'Karlstad',
  'Örebro',
  'Västerås',
  'Norrköping',
  'Linköping',
  'Jönköping',
  'Halmstad',
  'Sundsvall',
  'Kiruna',
];
const SITES = ['office', 'warehouse', 'school', 'store', 'clinic', 'plant', 'depot', 'hotel'];
const TYPES = [
  'temperature',
  'humidity',
  'switch',
  'door',
  'window',
  'power',
  'energy',
  'co2',
  'motion',
  'dimmer',
  'alarm_fire',
  'alarm_water',
];
const WRITABLE = new Set(['switch', 'dimmer']);
const FIRST_FN = 10000;

/** The default seed plus many installations and one very large installation (101). */
function bigSeed() {
  const seed = JSON.parse(fs.readFileSync(path.join(dist, 'src', 'sandbox', 'default-seed.json'), 'utf8'));
  for (let i = 0; i < INSTALLATIONS; i++) {
    const id = 5000 + i;
    seed.installations.push({
      id,
      client_id: 90000 + id,
      name: `${CITIES[i % CITIES.length]} ${SITES[Math.floor(i / CITIES.length) % SITES.length]} ${1 + Math.floor(i / (CITIES.length * SITES.length))}`,
      organization_id: 1 + (i % 4),
      capabilities: [],
    });
  }
  for (let i = 0; i < FUNCTIONS; i++) {
    const type = TYPES[i % TYPES.length];
    const room = `Room ${1 + Math.floor(i / 200)}.${String(1 + (Math.floor(i / TYPES.length) % 40)).padStart(2, '0')}`;
    const node = 1000 + Math.floor(i / TYPES.length);
    const meta = { name: `${room} ${type.replace('_', ' ')}`, room, topic_read: `obj/zwave/node/${node}/${type}` };
    if (WRITABLE.has(type)) meta.topic_write = `set/obj/zwave/node/${node}/${type}`;
    seed.functions.push({ id: FIRST_FN + i, installation_id: 101, type, meta });
  }
  return seed;
}

describe(`pickers at size: ${INSTALLATIONS} installations, ${FUNCTIONS} functions in one (real browser)`, function () {
  this.timeout(240000);
  let h;
  let page;
  let seed;
  const figures = [];
  const note = (what, ms) => {
    figures.push(`${what}: ${Math.round(ms)} ms`);
    console.log(`      ${what}: ${Math.round(ms)} ms`);
  };
  const errors = () => h.errors.map((e) => `[${e.phase}] ${e.text}`);

  before(async function () {
    seed = bigSeed();
    h = await startHarness({ seed });
    page = await h.openEditor({ ready: () => window.IotOpenEditor });
  });

  after(async function () {
    if (figures.length) console.log(`      figures (${new Date().toISOString()}): ${figures.join('; ')}`);
    if (h) await h.stop();
  });

  /** Adds a node to the open tab; with edit, opens its dialog and resolves with the ms from the open call to ready(). */
  async function addNode(type, props, ready) {
    const id = `s-${type}-${Math.random().toString(16).slice(2, 8)}`;
    const ms = await page.evaluate(
      async ({ id, type, props, server, ready }) => {
        RED.nodes.import([Object.assign({ id, type, z: RED.workspaces.active(), x: 300, y: 160, server, wires: [] }, props)]);
        RED.view.redraw(true);
        if (!ready) return 0;
        const check = new Function(`return (${ready})()`);
        const t0 = performance.now();
        RED.editor.edit(RED.nodes.node(id));
        for (;;) {
          await new Promise((r) => requestAnimationFrame(r));
          if (check()) return performance.now() - t0;
          if (performance.now() - t0 > 60000) throw new Error(`the dialog of ${type} never became ready: ${ready}`);
        }
      },
      { id, type, props, server: CONFIG_ID, ready: ready ? ready.toString() : null },
    );
    return { id, ms };
  }
  async function cancel() {
    await page.click('#node-dialog-cancel');
    await page.locator('#node-dialog-cancel').waitFor({ state: 'detached' });
  }
  const fetches = () => page.evaluate(() => IotOpenEditor.stats.fetches);
  const statusOf = (input) => page.evaluate((input) => $(input).closest('.form-row').find('.iotopen-picker-status').text(), input);

  const saved = () => seed.functions.find((f) => f.id === FIRST_FN + 1234);

  it('opens a saved functionx-in with its installation and function named (two lists fetched, once)', async function () {
    h.phase = 'open';
    const f = saved();
    const before = await fetches();
    const { ms } = await addNode(
      'iotopen-functionx-in',
      { installation: '101', selectBy: 'function', function: String(f.id), fname: '', topicKey: 'topic_read', output: 'value' },
      () => {
        const i = $('#iotopen-picked-node-input-installation');
        const fn = $('#iotopen-picked-node-input-function');
        return i.find('.fa-check').length && fn.find('.fa-check').length;
      },
    );
    note(
      `open functionx-in dialog until installation and function are named (${INSTALLATIONS + 3} installations, ${FUNCTIONS + 6} functions)`,
      ms,
    );
    note('  of which sorting and indexing the function list, once', await page.evaluate(() => IotOpenEditor.stats.prepareMs.functions));
    const timing = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter((e) => /\/iotopen\/[^/]+\/(installations|functions)/.test(e.name))
        .map((e) => ({ what: /\/(installations|functions)/.exec(e.name)[1], ms: e.duration, kb: e.transferSize / 1024 })),
    );
    for (const t of timing) note(`  fetch of the ${t.what} list (${Math.round(t.kb)} kB)`, t.ms);
    assert.equal((await fetches()) - before, 2, 'the dialog fetched its two lists once each');
    assert.match(await page.locator('#iotopen-picked-node-input-installation').textContent(), /Office Stockholm/);
    assert.ok((await page.locator('#iotopen-picked-node-input-function').textContent()).includes(f.meta.name));
    assert.equal(await page.inputValue('#node-input-fname'), f.meta.name);
  });

  it('lists every installation on a click while one is selected, and filters as you type without fetching', async function () {
    h.phase = 'installations';
    const before = await fetches();
    const t0 = Date.now();
    await page.click('#node-input-installation');
    await page.locator('#node-input-installation ~ .iotopen-picker-pop .iotopen-picker-item').first().waitFor();
    note(`open the installation list (click to rows drawn, ${INSTALLATIONS + 3} rows)`, Date.now() - t0);
    await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('picker-installations-open.png') });
    note('  of which the editor script (list, selection, first rows)', await page.evaluate(() => IotOpenEditor.stats.lastFilterMs));
    assert.match(await statusOf('#node-input-installation'), new RegExp(`^${INSTALLATIONS + 3} in the list`));
    // the selected one is shown, marked, in the rows drawn
    assert.ok(await page.locator('.iotopen-picker-item.iotopen-picker-selected', { hasText: 'Office Stockholm' }).isVisible());
    const perKey = [];
    for (const ch of 'lund plant') {
      const k0 = Date.now();
      await page.keyboard.type(ch);
      perKey.push({ wall: Date.now() - k0, script: await page.evaluate(() => IotOpenEditor.stats.lastFilterMs) });
    }
    note(`filter the installations, per keystroke, script time (max of ${perKey.length})`, Math.max(...perKey.map((k) => k.script)));
    note('  per keystroke, wall time as the test types (max)', Math.max(...perKey.map((k) => k.wall)));
    const want = seed.installations.filter((i) => /lund/i.test(i.name) && /plant/i.test(i.name)).length;
    assert.ok(want > 0);
    assert.match(await statusOf('#node-input-installation'), new RegExp(`^${want} of ${INSTALLATIONS + 3} match`));
    await page.keyboard.press('Escape');
    assert.equal(await page.inputValue('#node-input-installation'), '101', 'Escape takes back what was typed');
    assert.equal(await fetches(), before, 'typing fetched a list');
    assert.ok(await page.locator('#node-dialog-cancel').isVisible(), 'Escape closed the dialog, not only the list');
  });

  it('filters 5 000 functions by name, type or topic; Enter picks; the name follows', async function () {
    h.phase = 'functions';
    const before = await fetches();
    const t0 = Date.now();
    await page.click('#node-input-function');
    await page.locator('#node-input-function ~ .iotopen-picker-pop .iotopen-picker-item').first().waitFor();
    note(`open the function list (click to rows drawn, ${FUNCTIONS + 6} functions grouped by type)`, Date.now() - t0);
    note('  of which the editor script (list, selection, first rows)', await page.evaluate(() => IotOpenEditor.stats.lastFilterMs));
    const perKey = [];
    for (const ch of 'co2 12.') {
      await page.keyboard.type(ch);
      perKey.push(await page.evaluate(() => IotOpenEditor.stats.lastFilterMs));
    }
    note(`filter the functions, per keystroke, script time (max of ${perKey.length})`, Math.max(...perKey));
    await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('picker-functions-filtered.png') });
    const want = seed.functions.filter(
      (f) =>
        f.installation_id === 101 &&
        f.type.includes('co2') &&
        `${f.meta.name} ${f.id} ${f.type} ${f.meta.topic_read}`.toLowerCase().includes('12.'),
    );
    assert.ok(want.length > 0);
    assert.match(await statusOf('#node-input-function'), new RegExp(`^${want.length} of ${FUNCTIONS + 6} match`));
    // by topic: a topic_read finds its function first
    const byTopic = seed.functions.find((x) => x.id === FIRST_FN + 4321);
    await page.fill('#node-input-function', byTopic.meta.topic_read);
    await page.locator('#node-input-function').dispatchEvent('input');
    await page.keyboard.press('Enter');
    assert.equal(await page.inputValue('#node-input-function'), String(byTopic.id));
    assert.ok((await page.locator('#iotopen-picked-node-input-function').textContent()).includes(byTopic.meta.name));
    assert.equal(await page.inputValue('#node-input-fname'), byTopic.meta.name);
    assert.equal(await fetches(), before, 'filtering fetched a list');
  });

  it('re-checks the function when the installation changes, and says the function is not there', async function () {
    h.phase = 'change installation';
    const f = saved();
    await page.evaluate((id) => $('#node-input-function').val(id).trigger('change'), String(f.id));
    await page.click('#node-input-installation');
    await page.keyboard.type('Warehouse Gothenburg');
    await page.keyboard.press('Enter');
    assert.equal(await page.inputValue('#node-input-installation'), '102');
    await page.waitForFunction(() => $('#iotopen-picked-node-input-function').hasClass('iotopen-picker-missing'));
    assert.match(
      await page.locator('#iotopen-picked-node-input-function').textContent(),
      new RegExp(`Function ${f.id} is not in installation Warehouse Gothenburg \\(102\\)`),
    );
    await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('picker-not-in-installation.png') });
    await cancel();
  });

  it('functionx-in by type previews the functions the filter matches now, as the runtime will select them', async function () {
    h.phase = 'preview';
    await addNode(
      'iotopen-functionx-in',
      { installation: '101', selectBy: 'type', ftype: 'alarm_*', topicKey: 'topic_read', output: 'value' },
      () => $('#node-input-iotopen-preview table').length,
    );
    const want = seed.functions.filter((f) => f.installation_id === 101 && f.type.startsWith('alarm_'));
    const head = await page.locator('#node-input-iotopen-preview .iotopen-preview-head').textContent();
    assert.match(head, new RegExp(`^Matches now: ${want.length} functions \\(${want.length} with a topic_read`));
    const t = await page.evaluate(() => {
      const t0 = performance.now();
      $('#node-input-ftype').val('*').trigger('input');
      return performance.now() - t0;
    });
    note(`preview of a type filter matching all ${FUNCTIONS + 6} functions (computed and drawn)`, t);
    assert.match(await page.locator('#node-input-iotopen-preview .iotopen-preview-more').textContent(), /and \d+ more/);
    // a pattern a user types: rows name, type and topic
    await page.fill('#node-input-ftype', 'door');
    await page.locator('#node-input-ftype').dispatchEvent('input');
    await page.keyboard.press('Escape');
    await page.locator('#red-ui-editor-stack .red-ui-tray').screenshot({ path: screenshotPath('preview-type-filter.png') });
    const rows = await page.evaluate(() =>
      $('#node-input-iotopen-preview tbody tr')
        .toArray()
        .map((r) =>
          $(r)
            .find('td')
            .toArray()
            .map((td) => td.textContent),
        ),
    );
    const doors = seed.functions.filter((f) => f.installation_id === 101 && f.type === 'door');
    assert.equal(rows.length, Math.min(doors.length, 100));
    for (const [name, type, topic] of rows) {
      const f = doors.find((d) => d.meta.name === name);
      assert.ok(f, `${name} is not a door of installation 101`);
      assert.deepEqual([type, topic], [f.type, f.meta.topic_read]);
    }
    await cancel();
  });

  it('labels use the names from the editor cache', async function () {
    h.phase = 'labels';
    const f = saved();
    const fx = await addNode('iotopen-functionx-in', {
      installation: '101',
      selectBy: 'function',
      function: String(f.id),
      fname: '',
      topicKey: 'topic_read',
    });
    const st = await addNode('iotopen-status', { installation: '5003', select: 'all', output: 'array' });
    const log = await addNode('iotopen-log', {
      installation: '101',
      functions: [String(f.id)],
      from: 'from',
      fromType: 'msg',
      to: 'now',
      toType: 'str',
    });
    const label = (id) =>
      page.evaluate((id) => $(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] .red-ui-flow-node-label`).text(), id);
    await page.waitForFunction(() => IotOpenEditor.pending() === 0);
    await page.waitForFunction(
      (id) => $(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] .red-ui-flow-node-label`).text() !== '',
      st.id,
    );
    const inst5003 = seed.installations.find((i) => i.id === 5003);
    assert.equal(await label(fx.id), f.meta.name);
    assert.equal(await label(st.id), `status ${inst5003.name} (all topics)`);
    assert.equal(await label(log.id), 'log Office Stockholm (1 topic) range from msg');
    assert.deepEqual(errors(), []);
  });
});
