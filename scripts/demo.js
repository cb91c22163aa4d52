#!/usr/bin/env node
'use strict';
// npm start: the Lynx sandbox and a Node-RED with this pack and all its examples.
//
//   PORT                 editor port (default 1880)
//   SANDBOX_PORT         sandbox API port (default 18080)
//   SANDBOX_MQTT_PORT    sandbox MQTT port (default 18830)
//   DEMO_KEEP_FLOWS=1    keep .demo/flows.json from the last run instead of rebuilding it from examples/
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
  const files = fs.existsSync(examplesDir) ? fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort() : [];
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
  if (!files.length) flows.push({ id: 'demo-tab', type: 'tab', label: 'IoT Open', info: 'No examples yet: add nodes from the IoT Open palette category.' });
  flows.push(config);
  return { flows, count: files.length };
}

function prepareUserDir(sb, uiPort) {
  fs.mkdirSync(path.join(demoDir, 'node_modules', '@lynxflow'), { recursive: true });
  const link = path.join(demoDir, 'node_modules', '@lynxflow', 'node-red-iotopen');
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(root, link, 'dir');
  fs.writeFileSync(
    path.join(demoDir, 'package.json'),
    JSON.stringify({ name: 'node-red-iotopen-demo', private: true, dependencies: { '@lynxflow/node-red-iotopen': `file:${root}` } }, null, 2),
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
    editorTheme: { tours: false, projects: { enabled: false } },
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

async function main() {
  ensureBuilt();
  const uiPort = intEnv('PORT', 1880);
  const apiPort = intEnv('SANDBOX_PORT', 18080);
  const mqttPort = intEnv('SANDBOX_MQTT_PORT', 18830);
  const { startSandbox } = require(path.join(root, 'dist', 'src', 'sandbox'));
  const sb = await startSandbox({ port: apiPort, mqttPort, host: '127.0.0.1' });
  console.log(`demo: Lynx sandbox API ${sb.api}, MQTT ${sb.mqtt} (${sb.installations.length} installations)`);
  prepareUserDir(sb, uiPort);

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
        console.log(`\n  Node-RED editor: ${m[1].replace(/\/$/, '')}/   (Ctrl-C stops Node-RED and the sandbox)\n`);
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
    await sb.stop().catch(() => undefined);
    process.exit(code);
  }
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
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
