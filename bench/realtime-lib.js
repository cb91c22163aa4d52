'use strict';
// Shared by the realtime benchmarks: a sandbox seeded with many functions, the
// broker to use (Mosquitto when the binary exists or MQTT_URL is set, else the
// sandbox's own), the real Node-RED runtime (through node-red-node-test-helper),
// a counting node, and a publisher in a separate process.
const path = require('node:path');
const { fork } = require('node:child_process');
const dist = path.resolve(__dirname, '..', 'dist');

const IID = 1;
const CLIENT = 1001;

function seed(n) {
  const functions = [];
  for (let i = 1; i <= n; i++) {
    functions.push({
      id: i,
      installation_id: IID,
      type: 'temperature',
      meta: { name: `Sensor ${i}`, topic_read: `obj/bench/${i}/temperature`, format: '%.1f', unit: '°C' },
    });
  }
  return { apiKey: 'bench-key', installations: [{ id: IID, client_id: CLIENT, name: 'Bench' }], functions };
}

/**
 * Sandbox + broker. Returns { sb, brokerName, stop() }. With `separate`, the
 * sandbox runs in a child process (then `sb` has only api, mqtt and apiKey).
 */
async function startEnv(nFunctions, { separate = false } = {}) {
  const { startMosquitto } = require('../test/support/brokers');
  const { spawnSync } = require('node:child_process');
  let broker = null;
  let mqttUrl = process.env.MQTT_URL;
  let brokerName = mqttUrl ? `external ${mqttUrl}` : 'sandbox (aedes)';
  if (!mqttUrl && spawnSync('sh', ['-c', 'command -v mosquitto']).status === 0) {
    broker = await startMosquitto();
    mqttUrl = broker.url;
    brokerName = 'mosquitto';
  }
  let sb;
  let child = null;
  if (separate) {
    child = fork(path.join(__dirname, 'sandbox-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    sb = await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`bench: sandbox process exited (${code})`)));
      child.send({ seed: seed(nFunctions), mqttUrl });
    });
    brokerName += ', sandbox in its own process';
  } else {
    const { startSandbox } = require(path.join(dist, 'src', 'sandbox'));
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed(nFunctions), ...(mqttUrl ? { mqttUrl } : {}) });
  }
  return {
    sb,
    brokerName,
    async stop() {
      if (child) {
        const gone = new Promise((r) => child.once('exit', r));
        child.disconnect();
        await gone;
      } else await sb.stop();
      if (broker) await broker.stop();
    },
  };
}

/** Counts what reaches the bench-counter node; `counter.waitFor(n)`. */
const counter = {
  count: 0,
  last: 0,
  first: 0n,
  lastHr: 0n,
  reset() {
    counter.count = 0;
    counter.last = Date.now();
    counter.first = 0n;
    counter.lastHr = 0n;
  },
  /** Resolves when `n` arrived, or when nothing arrived for `idleMs` (QoS 0 may drop). */
  waitFor(n, idleMs = 5000) {
    return new Promise((resolve) => {
      const tick = () => {
        if (counter.count >= n || Date.now() - counter.last > idleMs) resolve(counter.count);
        else setTimeout(tick, 5);
      };
      tick();
    });
  },
};
global.__lynxBenchCounter = counter;

const COUNTER_JS = `module.exports = function (RED) {
  const c = global.__lynxBenchCounter;
  RED.nodes.registerType('bench-counter', function (n) {
    RED.nodes.createNode(this, n);
    this.on('input', (msg, send, done) => {
      const now = process.hrtime.bigint();
      if (c.count++ === 0) c.first = now;
      c.lastHr = now;
      c.last = Date.now();
      done();
    });
  });
};
`;
const COUNTER_HTML = `<script type="text/javascript">RED.nodes.registerType('bench-counter', { category: 'bench', defaults: {}, inputs: 1, outputs: 0 });</script>`;

let RED = null;
let tmp = null;

/**
 * The real Node-RED runtime embedded in this process (RED.init + RED.start, a
 * temp userDir, no editor), loading only the config node, functionx-in and the
 * counter from a temp nodesDir. The test helper is not used here: it wraps every
 * Node method in a sinon spy, which would dominate the figures.
 */
async function startRuntime() {
  const fs = require('node:fs');
  const os = require('node:os');
  const http = require('node:http');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lynx-bench-'));
  const nodesDir = path.join(tmp, 'nodes');
  fs.mkdirSync(nodesDir);
  for (const t of ['iotopen-config', 'iotopen-functionx-in']) fs.symlinkSync(path.join(dist, 'nodes', t), path.join(nodesDir, t), 'dir');
  fs.writeFileSync(path.join(nodesDir, 'bench-counter.js'), COUNTER_JS);
  fs.writeFileSync(path.join(nodesDir, 'bench-counter.html'), COUNTER_HTML);
  fs.mkdirSync(path.join(tmp, 'user'));
  RED = require('node-red');
  RED.init(http.createServer(), {
    userDir: path.join(tmp, 'user'),
    nodesDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: '/admin',
    httpNodeRoot: false,
    disableEditor: true,
    logging: { console: { level: 'error', metrics: false, audit: false } },
    externalModules: { autoInstall: false },
  });
  await RED.start();
}

/**
 * A full deploy of `flow` (credentials inline on the nodes, as in an export with
 * credentials): written to the userDir's flow files, then a 'reload' deploy,
 * the path Node-RED takes at startup.
 */
async function deploy(flow) {
  const fs = require('node:fs');
  const credentials = {};
  const flows = flow.map((n) => {
    if (!n.credentials) return n;
    const { credentials: c, ...rest } = n;
    credentials[n.id] = c;
    return rest;
  });
  const dir = path.join(tmp, 'user');
  fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flows));
  fs.writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify(credentials));
  await RED.runtime.flows.setFlows({ flows: {}, deploymentType: 'reload', user: null });
}

async function unload() {
  await deploy([]);
}

function getNode(id) {
  return RED.nodes.getNode(id);
}

async function stopRuntime() {
  if (!RED) return;
  await RED.stop();
  require('node:fs').rmSync(tmp, { recursive: true, force: true });
}

/** Forks the publisher, connected and ready; run() publishes and resolves {sent, ms}. */
async function publisher(url, password, topics, count) {
  const child = fork(path.join(__dirname, 'publisher.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () =>
    new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('error', reject);
    });
  child.send({ url, password, topics, count });
  await next();
  return {
    run() {
      const p = next();
      child.send({ go: true });
      return p;
    },
    kill() {
      if (child.exitCode === null) child.kill();
    },
  };
}

/** Until cond() is true (polls), or throws after ms. */
async function until(cond, what, ms = 30000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Measures one run: deliveries counted at the counter node while the publisher
 * sends `count` messages (+1 QoS 1 flush). The rate is deliveries over the time
 * from the first to the last delivery: what the runtime sustained. QoS 0
 * messages the broker dropped because the subscriber fell behind are reported.
 */
async function measure(sb, topics, count) {
  const pub = await publisher(sb.mqtt, sb.apiKey, topics, count);
  counter.reset();
  const cpu0 = process.cpuUsage();
  const sent = pub.run();
  const got = await counter.waitFor(count + 1, 3000);
  const cpu = process.cpuUsage(cpu0);
  await sent;
  pub.kill();
  const ms = Number(counter.lastHr - counter.first) / 1e6;
  const delivered = Math.min(got, count + 1);
  // CPU seconds this (Node-RED) process spent, idle waits excluded: the publisher,
  // broker and sandbox share the machine, so wall-clock rate alone mostly shows them.
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    delivered,
    lost: count + 1 - delivered,
    ms,
    rate: ms > 0 ? ((delivered - 1) / ms) * 1000 : 0,
    cpuRate: cpuMs > 0 ? (delivered / cpuMs) * 1000 : 0,
  };
}

function config(sb) {
  return {
    node: {
      id: 'cfg',
      type: 'iotopen-config',
      name: 'bench',
      apiUrl: sb.api,
      mqttUrl: sb.mqtt,
      authMode: 'apikey',
      credentials: { apiKey: sb.apiKey },
    },
  };
}

/** Node-RED's core mqtt-broker config node (id 'b') for the sandbox's broker: what core `mqtt in` is measured with. */
function coreBroker(sb) {
  const u = new URL(sb.mqtt);
  return {
    id: 'b',
    type: 'mqtt-broker',
    name: 'bench',
    broker: u.hostname,
    port: u.port,
    clientid: '',
    autoConnect: true,
    usetls: false,
    protocolVersion: '4',
    keepalive: '60',
    cleansession: true,
    credentials: { user: 'bench', password: sb.apiKey },
  };
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}

module.exports = {
  IID,
  CLIENT,
  startEnv,
  counter,
  startRuntime,
  deploy,
  unload,
  stopRuntime,
  getNode,
  measure,
  config,
  coreBroker,
  until,
  fmt,
};
