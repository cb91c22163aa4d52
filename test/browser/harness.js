'use strict';
// Browser test harness: the Lynx sandbox (in-process, on the ports the examples'
// config node `iotopen-sandbox` points at), Node-RED as a child process with this
// pack linked into a temp user dir, and headless Debian Chromium driven by
// playwright-core.
//
// scripts/demo.js prepares its user dir in the same way but exports nothing, so
// the user dir preparation lives here.
//
//   const h = await startHarness();   // { sb, editorUrl, userDir, context, page, errors, ... }
//   const page = await h.openEditor(); // the editor loaded, the config node in it
//   await h.stop();
// Options: startHarness({ seed, flows, viewport, env }): the sandbox seed (default: the default seed),
// flow entries deployed beside the config node (e.g. the examples' tabs), the browser window size,
// environment variables for Node-RED (beside this process's own).
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '..', '..');
const dist = process.env.LYNX_DIST ? path.resolve(process.env.LYNX_DIST) : path.join(root, 'dist');
const artifacts = path.join(root, 'test-artifacts');
const CONFIG_ID = 'iotopen-sandbox';
const API_PORT = 18080;
const MQTT_PORT = 18830;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Rejects with a clear message when a fixed port the examples rely on is taken. */
function assertPortFree(port, what) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (err) => {
      reject(
        new Error(
          `port ${port} (${what}) is not free (${err.code}): the examples' config node "${CONFIG_ID}" points at ` +
            `127.0.0.1:${API_PORT} and 127.0.0.1:${MQTT_PORT}; stop what holds it (npm start? another browser run?) and retry`,
        ),
      );
    });
    s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
  });
}

/** A Node-RED user dir with the pack linked in and a deployed, keyed config node `iotopen-sandbox`. */
function prepareUserDir(sb, dir, extraFlows = []) {
  fs.mkdirSync(path.join(dir, 'node_modules', '@lynxflow'), { recursive: true });
  fs.symlinkSync(root, path.join(dir, 'node_modules', '@lynxflow', 'node-red-iotopen'), 'dir');
  // FlowFuse Dashboard 2 (a dev dependency) beside it, as scripts/demo.js links it: the chart example's ui-* nodes.
  const dashboard = path.join(root, 'node_modules', '@flowfuse', 'node-red-dashboard');
  if (fs.existsSync(dashboard)) {
    fs.mkdirSync(path.join(dir, 'node_modules', '@flowfuse'), { recursive: true });
    fs.symlinkSync(dashboard, path.join(dir, 'node_modules', '@flowfuse', 'node-red-dashboard'), 'dir');
  }
  fs.writeFileSync(
    path.join(dir, 'settings.js'),
    `module.exports = {
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    // Test only: unencrypted credentials so the test can write the sandbox key into flows_cred.json.
    credentialSecret: false,
    telemetry: { enabled: false, updateNotification: false },
    // No network here: no palette catalogue fetch (it would log a console error).
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
  );
  const flows = [
    { id: 'browser-tab', type: 'tab', label: 'Browser test', disabled: false, info: '' },
    { id: CONFIG_ID, type: 'iotopen-config', name: 'Lynx sandbox', apiUrl: sb.api, mqttUrl: sb.mqtt, authMode: 'apikey' },
    ...extraFlows,
  ];
  fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flows, null, 2));
  fs.writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify({ [CONFIG_ID]: { apiKey: sb.apiKey } }, null, 2));
}

/** Node-RED in its own process; resolves once it serves the editor. */
function startNodeRed(userDir, port, env) {
  const red = spawn(process.execPath, [path.join(root, 'node_modules', 'node-red', 'red.js'), '-u', userDir, '-p', String(port)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const onData = (d) => {
    log += String(d);
  };
  red.stdout.on('data', onData);
  red.stderr.on('data', onData);
  const ready = new Promise((resolve, reject) => {
    const check = () => {
      if (/Started flows/.test(log) && /Server now running at/.test(log)) {
        red.stdout.off('data', check);
        red.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code, signal) => reject(new Error(`Node-RED exited (${signal || code}) before it was ready:\n${log}`));
    red.stdout.on('data', check);
    red.once('exit', onExit);
  });
  return {
    proc: red,
    ready,
    log: () => log,
    async stop() {
      if (red.exitCode !== null || red.signalCode !== null) return;
      const exited = new Promise((resolve) => red.once('exit', resolve));
      red.kill('SIGTERM');
      const killer = setTimeout(() => red.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * Starts Chromium (a persistent context in the harness's temp dir) with the harness's
 * listeners on its page: console errors, page errors, and the watch for the sandbox key.
 */
async function launchBrowser(h, opts) {
  const { chromium } = require('playwright-core');
  h.launches = (h.launches || 0) + 1;
  h.context = await chromium.launchPersistentContext(path.join(h.tmp, `chromium-${h.launches}`), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: opts.viewport || { width: 1400, height: 900 },
  });
  h.page = h.context.pages()[0] || (await h.context.newPage());
  h.page.on('console', (m) => {
    if (m.type() === 'error') h.errors.push({ phase: h.phase, text: m.text(), where: m.location() && m.location().url });
  });
  h.page.on('pageerror', (err) => h.errors.push({ phase: h.phase, text: `uncaught: ${err.message}` }));
  // The sandbox key must never reach the browser: watch every request and every
  // non-static answer of Node-RED (flows, credentials, admin routes, comms aside).
  const key = h.sb.apiKey;
  h.page.on('request', (req) => {
    if (req.url().includes(key) || (req.postData() || '').includes(key)) h.leaks.push(`request ${req.method()} ${req.url()}`);
  });
  h.page.on('response', (res) => {
    const type = res.headers()['content-type'] || '';
    if (!res.url().startsWith(h.editorUrl) || !/json|html|text\/plain/.test(type)) return;
    const p = res
      .text()
      .then((body) => {
        if (body.includes(key)) h.leaks.push(`response ${res.request().method()} ${res.url()}`);
      })
      .catch(() => undefined)
      .finally(() => h.pending.delete(p));
    h.pending.add(p);
  });
  h.page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => {
      if (String(f.payload).includes(key)) h.leaks.push(`websocket frame from ${ws.url()}`);
    });
  });
}

const BROWSER_GONE = /has been closed|Target crashed|Browser closed|browser has disconnected/i;

/**
 * Loads the editor in h.page and waits until it is ready: the palette drawn, the config
 * node loaded, and `ready` (a function run in the page) true if given. `prepare(page)`
 * runs first (init scripts, listeners of the test's own). Resolves to the page.
 * If Chromium goes away while the editor loads (CI saw it once: the browser closed while
 * the palette was drawn, with nothing else running on the machine), the browser is
 * started again once, with a warning; losing it again fails.
 */
async function openEditor(h, opts, { prepare, ready } = {}) {
  const mark = h.errors.length;
  for (;;) {
    try {
      if (prepare) await prepare(h.page);
      await h.page.goto(h.editorUrl);
      await h.page.locator('.red-ui-palette-node[data-palette-type="inject"]').waitFor();
      await h.page.waitForFunction((id) => RED.nodes.node(id), CONFIG_ID);
      if (ready) await h.page.waitForFunction(ready);
      return h.page;
    } catch (err) {
      if (h.launches > 1 || !BROWSER_GONE.test(err.message)) throw err;
      console.warn(`      (Chromium went away while the editor loaded: ${err.message.split('\n')[0]}; starting it again, once)`);
      await h.context.close().catch(() => undefined);
      h.errors.length = mark; // what the lost browser logged while it went away is not the editor's
      await launchBrowser(h, opts);
    }
  }
}

/**
 * Starts sandbox, Node-RED and Chromium; h.openEditor() then loads the editor.
 * `errors` collects every browser console error and uncaught page error (with the
 * phase they happened in: set `h.phase` before each step).
 */
async function startHarness(opts = {}) {
  await assertPortFree(API_PORT, 'sandbox API');
  await assertPortFree(MQTT_PORT, 'sandbox MQTT');
  const { startSandbox } = require(path.join(dist, 'src', 'sandbox'));
  const h = { sb: null, red: null, context: null, page: null, errors: [], leaks: [], pending: new Set(), phase: 'load', tmp: null };
  h.stop = async () => {
    if (h.context) await h.context.close().catch(() => undefined);
    if (h.red) await h.red.stop();
    if (h.sb) await h.sb.stop().catch(() => undefined);
    if (h.tmp) fs.rmSync(h.tmp, { recursive: true, force: true });
  };
  try {
    h.sb = await startSandbox({ port: API_PORT, mqttPort: MQTT_PORT, host: '127.0.0.1', ...(opts.seed ? { seed: opts.seed } : {}) });
    h.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lynx-browser-'));
    h.userDir = path.join(h.tmp, 'nr');
    fs.mkdirSync(h.userDir);
    prepareUserDir(h.sb, h.userDir, opts.flows);
    const port = await freePort();
    h.red = startNodeRed(h.userDir, port, opts.env);
    await h.red.ready;
    h.editorUrl = `http://127.0.0.1:${port}/`;

    await launchBrowser(h, opts);
    h.openEditor = (o) => openEditor(h, opts, o);
    return h;
  } catch (err) {
    const log = h.red ? h.red.log() : '';
    await h.stop();
    if (log && !/Node-RED exited/.test(err.message)) err.message += `\nNode-RED log:\n${log}`;
    throw err;
  }
}

function screenshotPath(name) {
  fs.mkdirSync(artifacts, { recursive: true });
  return path.join(artifacts, name);
}

module.exports = { startHarness, prepareUserDir, screenshotPath, root, dist, CONFIG_ID, API_PORT, MQTT_PORT };
