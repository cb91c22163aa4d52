'use strict';
// Write soak: functionx-out writes (QoS 1) at a steady rate through a real Node-RED
// (its own process, pack installed in its user dir) while the broker restarts, the
// flows are redeployed, and Node-RED is stopped and killed, often during an outage.
// Prints writes sent (acknowledged to the flow: the Complete node answered the HTTP
// request that carried the write) / delivered / lost / duplicated / out of order,
// counted at the broker itself (the sandbox's embedded broker records every PUBLISH
// it takes). Asserts nothing; exits 1 only if the soak itself could not run.
//   node bench/soak-writes.bench.js        (or: npm run bench -- soak)
// SOAK_SCALE=2 doubles every pause and the run length.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const root = path.resolve(__dirname, '..');
const { startSandbox } = require(path.join(root, 'dist', 'src', 'sandbox'));
const { freePort } = require(path.join(root, 'test', 'support', 'util'));

const IID = 1;
const CLIENT = 1001;
const TOPIC = `${CLIENT}/obj/soak/sp`;
const RATE_MS = 50;
const SCALE = Number(process.env.SOAK_SCALE || 1);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms * SCALE));

const seed = {
  apiKey: 'soak-key-0123456789',
  installations: [{ id: IID, client_id: CLIENT, name: 'Soak' }],
  functions: [
    { id: 14, installation_id: IID, type: 'setpoint', meta: { name: 'Setpoint', topic_read: 'obj/soak/sp', topic_write: 'obj/soak/sp' } },
  ],
};

/** The flow, `gen` in the names so every redeploy changes every node (a full restart of all of them). */
function flows(sb, gen, withCredentials) {
  const z = 'soak';
  const cfg = {
    id: 'cfg',
    type: 'iotopen-config',
    name: `soak ${gen}`,
    apiUrl: sb.api,
    mqttUrl: sb.mqtt,
    authMode: 'apikey',
    queueLimit: 100000,
  };
  if (withCredentials) cfg.credentials = { apiKey: sb.apiKey };
  return [
    { id: z, type: 'tab', label: 'Soak' },
    cfg,
    { id: 'in', z, type: 'http in', name: `w ${gen}`, url: '/w', method: 'post', upload: false, x: 100, y: 40, wires: [['out']] },
    {
      id: 'out',
      z,
      type: 'iotopen-functionx-out',
      name: `out ${gen}`,
      server: 'cfg',
      installation: String(IID),
      installationType: 'num',
      function: '14',
      functionType: 'num',
      qos: '1',
      x: 300,
      y: 40,
      wires: [],
    },
    { id: 'ok', z, type: 'complete', scope: ['out'], uncaught: false, x: 100, y: 100, wires: [['res']] },
    { id: 'bad', z, type: 'catch', scope: ['out'], uncaught: false, x: 100, y: 160, wires: [['code']] },
    {
      id: 'code',
      z,
      type: 'change',
      rules: [{ t: 'set', p: 'statusCode', pt: 'msg', to: '500', tot: 'num' }],
      x: 300,
      y: 160,
      wires: [['res']],
    },
    { id: 'res', z, type: 'http response', statusCode: '', headers: {}, x: 500, y: 100, wires: [] },
  ];
}

async function main() {
  const sb = await startSandbox({ port: 0, mqttPort: 0, seed });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lynx-soak-'));
  fs.mkdirSync(path.join(userDir, 'node_modules', '@lynxflow'), { recursive: true });
  fs.symlinkSync(root, path.join(userDir, 'node_modules', '@lynxflow', 'node-red-iotopen'), 'dir');
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows(sb, 0, false)));
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify({ cfg: { apiKey: sb.apiKey } }));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  let child = null;
  let started = null;
  function startNodeRed() {
    child = spawn(process.execPath, [path.join(__dirname, 'soak-nodered.js'), userDir, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    const onStarted = new Set();
    child.stdout.on('data', (d) => {
      if (process.env.SOAK_LOG) process.stdout.write(d);
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.includes('"started"')) for (const f of [...onStarted]) f();
      }
    });
    started = () =>
      new Promise((resolve) => {
        const f = () => {
          onStarted.delete(f);
          resolve();
        };
        onStarted.add(f);
      });
    return started();
  }
  async function stopNodeRed(signal) {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await gone;
  }
  let gen = 0;
  async function redeploy() {
    gen++;
    const next = started();
    const res = await fetch(`${base}/admin/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows(sb, gen, true)),
    });
    if (!res.ok) throw new Error(`deploy answered ${res.status} ${await res.text()}`);
    await next;
  }

  // The writer: one write every RATE_MS, each an HTTP request answered when the flow is done with it.
  const acked = [];
  let attempted = 0;
  const failed = new Map();
  let refused = 0;
  let writing = true;
  const writer = (async () => {
    let seq = 0;
    while (writing) {
      const t0 = Date.now();
      const value = ++seq;
      attempted++;
      try {
        const res = await fetch(`${base}/w`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ value }),
          signal: AbortSignal.timeout(5000),
        });
        const text = await res.text();
        if (res.status === 200) acked.push(value);
        else {
          failed.set(res.status, (failed.get(res.status) || 0) + 1);
          if (process.env.SOAK_DEBUG && res.status !== 404) console.error(`write ${value}: HTTP ${res.status} ${text.slice(0, 200)}`);
        }
      } catch {
        refused++;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, RATE_MS - (Date.now() - t0))));
    }
  })();

  const events = [];
  const note = (what) => events.push(what);
  const brokerDown = () => sb.stopBroker();
  const brokerUp = () => sb.startBroker();
  try {
    await startNodeRed();
    await sleep(3000);
    await brokerDown();
    await sleep(3000);
    await brokerUp();
    note('broker restart (3 s down)');
    await sleep(4000);
    await redeploy();
    note('full redeploy, broker up');
    await sleep(3000);
    await brokerDown();
    await sleep(2000);
    await redeploy();
    await sleep(2000);
    await brokerUp();
    note('full redeploy during a 4 s outage');
    await sleep(4000);
    await brokerDown();
    await sleep(2000);
    await stopNodeRed('SIGTERM');
    await startNodeRed();
    await sleep(2000);
    await brokerUp();
    note('Node-RED stopped (SIGTERM) and started again during an outage');
    await sleep(4000);
    await brokerDown();
    await sleep(2000);
    await stopNodeRed('SIGKILL');
    await startNodeRed();
    await sleep(2000);
    await brokerUp();
    note('Node-RED killed (SIGKILL) and started again during an outage');
    await sleep(4000);
    await brokerDown();
    await sleep(1000);
    await brokerUp();
    note('broker restart (1 s down)');
    await sleep(3000);
    await redeploy();
    note('full redeploy, broker up');
    await sleep(3000);
  } finally {
    writing = false;
    await writer;
  }
  // Everything acknowledged should arrive: wait until it does, or nothing new comes for 15 s.
  const seen = () => (sb.store.logs.get(IID).byTopic.get(TOPIC) || []).map((e) => e.value);
  let last = -1;
  let idleSince = Date.now();
  for (;;) {
    const got = new Set(seen());
    if (acked.every((v) => got.has(v))) break;
    if (got.size !== last) {
      last = got.size;
      idleSince = Date.now();
    } else if (Date.now() - idleSince > 15000) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await stopNodeRed('SIGTERM');
  const deliveries = seen();
  await sb.stop();
  fs.rmSync(userDir, { recursive: true, force: true });

  const count = new Map();
  for (const v of deliveries) count.set(v, (count.get(v) || 0) + 1);
  const sentSet = new Set(acked);
  const lost = acked.filter((v) => !count.has(v));
  const duplicated = [...count.values()].reduce((n, c) => n + c - 1, 0);
  const unacked = [...count.keys()].filter((v) => !sentSet.has(v));
  // Out of order: a first delivery of a value lower than one delivered before it.
  let outOfOrder = 0;
  let max = 0;
  const firstSeen = new Set();
  for (const v of deliveries) {
    if (firstSeen.has(v)) continue;
    firstSeen.add(v);
    if (v < max) outOfOrder++;
    else max = v;
  }
  console.log(
    `write soak: functionx-out, QoS 1, one write every ${RATE_MS} ms through a Node-RED in its own process; counted at the sandbox's embedded broker`,
  );
  for (const e of events) console.log(`  - ${e}`);
  const answered =
    [...failed].map(([status, n]) => `HTTP ${status}${status === 404 ? ' (flows not started yet)' : ''}: ${n}`).join(', ') || 'none';
  console.log(`writes attempted: ${attempted}; not taken by the flow: ${refused} while Node-RED was down, answered ${answered}`);
  console.log(`writes sent (acknowledged to the flow): ${acked.length}`);
  console.log(
    `delivered: ${acked.length - lost.length} of them; lost: ${lost.length}${lost.length ? ` (${lost.slice(0, 10).join(', ')}${lost.length > 10 ? ' ...' : ''})` : ''}; duplicated: ${duplicated}; out of order: ${outOfOrder}`,
  );
  console.log(`delivered without an acknowledgement (taken just before a stop or kill, its answer lost): ${unacked.length}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
