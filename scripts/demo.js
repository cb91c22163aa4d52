#!/usr/bin/env node
'use strict';
// npm start: the Lynx sandbox and a Node-RED with this pack and all its examples.
//
//   PORT                 editor port (default 1880)
//   SANDBOX_PORT         sandbox API port (default 18080)
//   SANDBOX_MQTT_PORT    sandbox MQTT port (default 18830)
//   DEMO_KEEP_FLOWS=1    keep .demo/flows.json from the last run instead of rebuilding it from examples/
//   DEMO_SIMULATE=0      no simulated devices (by default the seeded sensors publish values
//                        every few seconds, and switches answer the writes sent to them)
//
// .demo/ is a Node-RED user directory: settings.js, the pack linked into
// node_modules (so the palette and Import > Examples show it), flows.json made
// of every examples/*.json (one tab each, the config node iotopen-sandbox once)
// and flows_cred.json with the sandbox key. Ctrl-C stops Node-RED and the sandbox.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const demoDir = path.join(root, '.demo');
const CONFIG_ID = 'iotopen-sandbox';

function intEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`demo: ${name} must be a port number, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

function ensureBuilt() {
  if (fs.existsSync(path.join(root, 'dist', 'src', 'sandbox', 'index.js'))) return;
  console.log('demo: dist/ is missing, building first...');
  const res = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { stdio: 'inherit', cwd: root });
  if (res.status !== 0) {
    console.error('demo: the build failed; fix the errors above (or run LYNX_BUILD_LENIENT=1 npm run build) and try again');
    process.exit(res.status || 1);
  }
}

/** The flow nodes of one example, on a tab of their own, ids made unique when they clash. */
function exampleTab(file, flow, usedIds) {
  const label = path.basename(file, '.json');
  const tabId = crypto.createHash('sha1').update(`tab:${label}`).digest('hex').slice(0, 16);
  const nodes = flow.filter((n) => n && n.type !== 'tab' && !(n.type === 'iotopen-config' && n.id === CONFIG_ID));
  const rename = new Map();
  for (const n of nodes) {
    if (usedIds.has(n.id)) rename.set(n.id, crypto.createHash('sha1').update(`${label}:${n.id}`).digest('hex').slice(0, 16));
  }
  const fix = (v) => {
    if (typeof v === 'string') return rename.get(v) || v;
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fix(x)]));
    return v;
  };
  const out = [{ id: tabId, type: 'tab', label, info: `Example from examples/${path.basename(file)}` }];
  for (const n of nodes) {
    const copy = fix(n);
    // Flow nodes (those drawn on a tab) move to this example's tab; config nodes stay global.
    if ('x' in copy || 'wires' in copy || copy.type === 'group' || copy.z) copy.z = tabId;
    usedIds.add(copy.id);
    out.push(copy);
  }
  return out;
}

function buildFlows(sb) {
  const examplesDir = path.join(root, 'examples');
  const files = fs.existsSync(examplesDir)
    ? fs
        .readdirSync(examplesDir)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];
  const config = { id: CONFIG_ID, type: 'iotopen-config', name: 'Lynx sandbox', apiUrl: sb.api, mqttUrl: sb.mqtt, authMode: 'apikey' };
  const flows = [];
  const usedIds = new Set([CONFIG_ID]);
  for (const f of files) {
    let flow;
    try {
      flow = JSON.parse(fs.readFileSync(path.join(examplesDir, f), 'utf8'));
    } catch (err) {
      console.warn(`demo: skipping examples/${f}: ${err.message}`);
      continue;
    }
    if (!Array.isArray(flow)) {
      console.warn(`demo: skipping examples/${f}: not a flow array`);
      continue;
    }
    flows.push(...exampleTab(f, flow, usedIds));
  }
  if (!files.length)
    flows.push({ id: 'demo-tab', type: 'tab', label: 'IoT Open', info: 'No examples yet: add nodes from the IoT Open palette category.' });
  flows.push(config);
  return { flows, count: files.length };
}

/**
 * FlowFuse Dashboard 2 from this repo's node_modules (a dev dependency: the pack itself does not
 * need it), linked beside the pack so the chart example's ui-* nodes load; null when not installed.
 */
const DASHBOARD = '@flowfuse/node-red-dashboard';
function linkDashboard(userDir) {
  const from = path.join(root, 'node_modules', ...DASHBOARD.split('/'));
  if (!fs.existsSync(path.join(from, 'package.json'))) return null;
  fs.mkdirSync(path.join(userDir, 'node_modules', '@flowfuse'), { recursive: true });
  const link = path.join(userDir, 'node_modules', ...DASHBOARD.split('/'));
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(from, link, 'dir');
  return `file:${from}`;
}

function prepareUserDir(sb, uiPort) {
  fs.mkdirSync(path.join(demoDir, 'node_modules', '@lynxflow'), { recursive: true });
  const link = path.join(demoDir, 'node_modules', '@lynxflow', 'node-red-iotopen');
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(root, link, 'dir');
  const dashboard = linkDashboard(demoDir);
  if (!dashboard) console.warn(`demo: ${DASHBOARD} is not installed (npm install): the chart example's dashboard nodes stay unknown`);
  fs.writeFileSync(
    path.join(demoDir, 'package.json'),
    JSON.stringify(
      {
        name: 'node-red-iotopen-demo',
        private: true,
        dependencies: { '@lynxflow/node-red-iotopen': `file:${root}`, ...(dashboard ? { [DASHBOARD]: dashboard } : {}) },
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(
    path.join(demoDir, 'settings.js'),
    `// Written by scripts/demo.js on every start: edit the script, not this file.
module.exports = {
    uiPort: ${uiPort},
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    // DEMO ONLY: credentials are stored unencrypted so the demo can write the
    // sandbox key into flows_cred.json. In a real install set credentialSecret
    // to a long random string (or leave it out to have Node-RED generate one).
    credentialSecret: false,
    // No network here: no palette catalogue, no update check, no telemetry prompt.
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    telemetry: { enabled: false, updateNotification: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
  );
  const flowsFile = path.join(demoDir, 'flows.json');
  if (process.env.DEMO_KEEP_FLOWS === '1' && fs.existsSync(flowsFile)) {
    console.log('demo: keeping .demo/flows.json (DEMO_KEEP_FLOWS=1)');
  } else {
    const { flows, count } = buildFlows(sb);
    fs.writeFileSync(flowsFile, JSON.stringify(flows, null, 2));
    console.log(`demo: .demo/flows.json has ${count} example${count === 1 ? '' : 's'} from examples/, one tab each`);
  }
  fs.writeFileSync(path.join(demoDir, 'flows_cred.json'), JSON.stringify({ [CONFIG_ID]: { apiKey: sb.apiKey } }, null, 2));
}

/**
 * Simulated devices on the sandbox broker, so the examples show live values: sensors
 * (temperature, humidity, power) drift every few seconds, doors open and close now and
 * then, and a switch answers a write on its topic_write with the new value on its
 * topic_read, as a real device does.
 */
function simulate(sb) {
  const mqtt = require('mqtt');
  const { loadSeed } = require(path.join(root, 'dist', 'src', 'sandbox'));
  const seed = loadSeed();
  const clientOf = new Map(seed.installations.map((i) => [i.id, i.client_id]));
  const fns = seed.functions.filter((f) => clientOf.has(f.installation_id) && f.meta && f.meta.topic_read);
  const client = mqtt.connect(sb.mqtt, { username: 'demo-devices', password: sb.apiKey, reconnectPeriod: 1000 });
  const value = new Map();
  const send = (f, v) => {
    value.set(f.id, v);
    client.publish(`${clientOf.get(f.installation_id)}/${f.meta.topic_read}`, JSON.stringify({ value: v, timestamp: Date.now() / 1000 }));
  };
  const drift = { temperature: [21, 0.3, 1], humidity: [40, 1, 0], power: [1200, 40, 0] };
  const tick = () => {
    for (const f of fns) {
      const d = drift[f.type];
      if (d) {
        const [start, step, decimals] = d;
        const last = value.get(f.id) ?? start;
        // A random walk pulled back towards its start, so values stay plausible for hours.
        const v = last + (start - last) * 0.1 + (Math.random() - 0.5) * 2 * step;
        send(f, Number(v.toFixed(decimals)));
      } else if (f.type === 'door' && Math.random() < 0.15) {
        send(f, value.get(f.id) === 1 ? 0 : 1);
      }
    }
  };
  const writable = new Map();
  for (const f of fns)
    if (f.type === 'switch' && f.meta.topic_write) writable.set(`${clientOf.get(f.installation_id)}/${f.meta.topic_write}`, f);
  client.on('connect', () => {
    if (writable.size) client.subscribe([...writable.keys()]);
    tick();
  });
  client.on('message', (topic, payload) => {
    const f = writable.get(topic);
    let v;
    try {
      v = JSON.parse(payload.toString()).value;
    } catch {
      return;
    }
    if (f && typeof v === 'number') send(f, v);
  });
  const timer = setInterval(tick, 3000);
  return () => {
    clearInterval(timer);
    client.end(true);
  };
}

async function main() {
  ensureBuilt();
  const uiPort = intEnv('PORT', 1880);
  const apiPort = intEnv('SANDBOX_PORT', 18080);
  const mqttPort = intEnv('SANDBOX_MQTT_PORT', 18830);
  const { startSandbox } = require(path.join(root, 'dist', 'src', 'sandbox'));
  const sb = await startSandbox({ port: apiPort, mqttPort, host: '127.0.0.1' });
  console.log(`demo: Lynx sandbox API ${sb.api}, MQTT ${sb.mqtt} (${sb.installations.length} installations)`);
  // The offline sandbox's own throwaway key (the lynx-sandbox CLI prints it too): with it any
  // MQTT client or curl can play a device or call the API next to the flows.
  console.log(`demo: sandbox API key (for MQTT password / X-API-Key): ${sb.apiKey}`);
  prepareUserDir(sb, uiPort);
  const stopSimulation = process.env.DEMO_SIMULATE === '0' ? () => {} : simulate(sb);
  if (process.env.DEMO_SIMULATE !== '0') console.log('demo: simulated devices publish values every 3 s (DEMO_SIMULATE=0 turns them off)');

  const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', demoDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let announced = false;
  const relay = (stream, out) =>
    stream.on('data', (d) => {
      out.write(d);
      const m = !announced && /Server now running at (\S+)/.exec(String(d));
      if (m) {
        announced = true;
        const base = m[1].replace(/\/$/, '');
        console.log(`\n  Node-RED editor: ${base}/   (Ctrl-C stops Node-RED and the sandbox)`);
        console.log(`  Dashboard (chart example): ${base}/dashboard\n`);
      }
    });
  relay(red.stdout, process.stdout);
  relay(red.stderr, process.stderr);

  let stopping = false;
  async function stop(code) {
    if (stopping) return;
    stopping = true;
    if (red.exitCode === null && red.signalCode === null) {
      const exited = new Promise((resolve) => red.once('exit', resolve));
      red.kill('SIGTERM');
      const killer = setTimeout(() => red.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    stopSimulation();
    await sb.stop().catch(() => undefined);
    process.exit(code);
  }
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  process.on('SIGHUP', () => stop(0));
  // npm does not pass a SIGTERM on to us: when whoever started us goes away, stop too,
  // rather than leave Node-RED and the sandbox holding the ports.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop(0);
  }, 1000).unref();
  red.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`demo: Node-RED exited (${signal || code}); stopping the sandbox`);
      stop(code || 1);
    }
  });
}

main().catch((err) => {
  console.error(`demo: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
