'use strict';
// Every example flow laid out for a reader: in a 1600x1000 editor at the default zoom, every
// node of every example tab is in view (no scrolling), and no two nodes, node labels or status
// texts overlap. The examples are deployed as the demo deploys them (one tab each, the config
// node iotopen-sandbox pointing at the sandbox), so the boxes checked are the rendered ones:
// labels with the names the editor found, and the status each node shows once it runs.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startHarness, screenshotPath, root, CONFIG_ID } = require('./harness');

const VIEWPORT = { width: 1600, height: 1000 };
const files = fs
  .readdirSync(path.join(root, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .sort();

/** Every example's tab and flow nodes (their config node is the harness's iotopen-sandbox). */
function exampleFlows() {
  const out = [];
  const ids = new Map();
  for (const f of files) {
    const flow = JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8'));
    for (const n of flow) {
      if (n.type === 'iotopen-config') continue;
      assert.ok(!ids.has(n.id), `examples "${f}" and "${ids.get(n.id)}" both use the id ${n.id}`);
      ids.set(n.id, f);
      out.push(n);
    }
  }
  return out;
}

describe('example flows are laid out to be read (1600x1000 editor, default zoom)', function () {
  this.timeout(180000);
  let h;
  let page;
  const flows = exampleFlows();
  const tabs = flows.filter((n) => n.type === 'tab');
  const measured = {}; // tab label -> the boxes, written to test-artifacts/ for whoever moves nodes

  before(async function () {
    h = await startHarness({ flows, viewport: VIEWPORT });
    page = await h.openEditor({ ready: () => window.IotOpenEditor });
  });
  after(async function () {
    fs.writeFileSync(screenshotPath('examples-layout.json'), JSON.stringify(measured, null, 1));
    if (h) await h.stop();
  });

  it(`deploys ${tabs.length} example tabs, one per file`, function () {
    assert.equal(tabs.length, files.length);
  });

  for (const tab of tabs) {
    it(`"${tab.label}": every node in view, no two nodes, labels or status texts overlapping`, async function () {
      h.phase = `layout ${tab.label}`;
      await page.evaluate((id) => RED.workspaces.show(id), tab.id);
      // Labels grow as names arrive in the editor's cache (a dialog that was opened fills it with
      // the lists of its installation): lay out for the longest, with every list of every
      // installation of the tab cached. Statuses show once the nodes run. Wait for both to settle.
      await page.evaluate(
        ({ tabId, server }) => {
          const iids = new Set(
            RED.nodes
              .filterNodes({ z: tabId })
              .map((n) => String(n.installation || ''))
              .filter((v) => /^\d+$/.test(v)),
          );
          IotOpenEditor.list('edgeapps', null, { server });
          for (const iid of iids)
            for (const what of ['functions', 'devices', 'schedules', 'outputs'])
              IotOpenEditor.list(what, { installation: iid }, { server });
        },
        { tabId: tab.id, server: CONFIG_ID },
      );
      await page.waitForFunction(() => IotOpenEditor.pending() === 0);
      await page.waitForTimeout(1500);
      const boxes = await page.evaluate(async (tabId) => {
        RED.view.redraw(true);
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const chart = document.getElementById('red-ui-workspace-chart');
        const c = chart.getBoundingClientRect();
        const view = {
          left: c.left,
          top: c.top,
          right: c.left + chart.clientWidth,
          bottom: c.top + chart.clientHeight,
          scale: RED.view.scale(),
          scroll: [chart.scrollLeft, chart.scrollTop],
        };
        const rect = (el) => {
          const r = el.getBoundingClientRect();
          return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
        };
        const out = [];
        for (const n of RED.nodes.filterNodes({ z: tabId })) {
          const g = document.querySelector(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${n.id}"]`);
          if (!g) {
            out.push({ id: n.id, type: n.type, missing: true });
            continue;
          }
          // the node with its button (inject's on the left, debug's on the right)
          const body = [g.querySelector('rect.red-ui-flow-node'), g.querySelector('.red-ui-flow-node-button')].filter(Boolean).map(rect);
          const box = body.reduce((a, b) => ({
            left: Math.min(a.left, b.left),
            top: Math.min(a.top, b.top),
            right: Math.max(a.right, b.right),
            bottom: Math.max(a.bottom, b.bottom),
          }));
          const label = g.querySelector('.red-ui-flow-node-label');
          const status = g.querySelector('.red-ui-flow-node-status-group');
          const statusText = status ? status.textContent.trim() : '';
          const visible = status && statusText && getComputedStyle(status).display !== 'none';
          out.push({
            id: n.id,
            type: n.type,
            x: n.x,
            y: n.y,
            label: label ? label.textContent : '',
            node: box,
            text: label && label.textContent ? rect(label) : null,
            status: visible ? Object.assign(rect(status), { text: statusText }) : null,
          });
        }
        return { view, nodes: out };
      }, tab.id);
      await page.screenshot({ path: screenshotPath(`example-${tab.label.replace(/[^\w-]+/g, '_')}.png`) });
      const { view, nodes } = boxes;
      measured[tab.label] = { view, nodes };
      assert.equal(view.scale, 1, 'default zoom');
      assert.deepEqual(view.scroll, [0, 0]);
      const problems = [];
      const name = (n) => `${n.type} "${n.label}" (${n.id} at ${n.x},${n.y})`;
      const inside = (b) => b.left >= view.left && b.top >= view.top && b.right <= view.right && b.bottom <= view.bottom;
      const overlap = (a, b) =>
        Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
      for (const n of nodes) {
        if (n.missing) {
          problems.push(`${n.type} ${n.id} is not drawn`);
          continue;
        }
        if (!inside(n.node)) problems.push(`${name(n)} is out of view`);
        if (n.status && !inside(n.status)) problems.push(`the status "${n.status.text}" of ${name(n)} is out of view`);
        if (n.text && (n.text.right > n.node.right + 1 || n.text.left < n.node.left - 1))
          problems.push(`the label of ${name(n)} runs out of its node`);
      }
      for (let i = 0; i < nodes.length; i++) {
        for (let j = 0; j < nodes.length; j++) {
          const a = nodes[i];
          const b = nodes[j];
          if (a.missing || b.missing || i === j) continue;
          if (i < j && overlap(a.node, b.node)) problems.push(`${name(a)} overlaps ${name(b)}`);
          if (a.status && overlap(a.status, b.node)) problems.push(`the status "${a.status.text}" of ${name(a)} overlaps ${name(b)}`);
          if (i < j && a.status && b.status && overlap(a.status, b.status))
            problems.push(`the statuses of ${name(a)} and ${name(b)} overlap`);
        }
      }
      if (problems.length) {
        const table = nodes.map((n) => `  ${name(n)} node ${JSON.stringify(n.node)} status ${JSON.stringify(n.status)}`).join('\n');
        problems.push(`view ${JSON.stringify(view)}\n${table}`);
      }
      assert.deepEqual(problems, []);
    });
  }

  it('logged no browser errors', function () {
    assert.deepEqual(
      h.errors.map((e) => `[${e.phase}] ${e.text}`),
      [],
    );
  });
});
