'use strict';
// What bench/log.bench.js and bench/chart.bench.js share: the sandbox in a child process
// (its memory and work are not charged to the Node-RED process measured), a full GC,
// a memory sampler, one scenario per fresh child process, and forgetting the test helper's
// record of every message (so the figures are the pack's, not node-red-node-test-helper's).
// benchMain() runs a bench's scenarios so; loadLog() deploys the log node under test;
// measure() takes one query's time and memory.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { helper, dist, nodeModule, configNode } = require('../test/support/nodered');

const MB = 1024 * 1024;

/** Starts the sandbox CLI on free ports with a seed file; resolves {child, info: {api, mqtt, apiKey}}. */
function startSandboxProcess(seedFile) {
  const child = spawn(process.execPath, [path.join(dist, 'src/sandbox/cli.js'), '--port', '0', '--mqtt-port', '0', '--seed', seedFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', (line) => resolve({ child, info: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
}

function gc() {
  if (global.gc) {
    global.gc();
    global.gc();
  }
}

/** Samples RSS and heap every 20 ms; returns a stop() giving the peaks. */
function sampler() {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > rss) rss = m.rss;
    if (m.heapUsed > heap) heap = m.heapUsed;
  };
  sample();
  const t = setInterval(sample, 20);
  return () => {
    clearInterval(t);
    sample();
    return { rss, heap };
  };
}

/**
 * node-red-node-test-helper's sinon spies on Node.prototype (send, receive, ...) keep every
 * call's arguments, so every message (every page) would stay in memory for the whole run:
 * call this per message received to forget them.
 */
function forgetHelperCalls() {
  helper._sandbox.resetHistory();
}

/** Runs `file` in a fresh process (RSS never shrinks) with `env` added; resolves the JSON of its last stdout line. */
function runChild(file, env, what) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--expose-gc', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
    });
    c.once('exit', (code) => {
      const line = out.trim().split('\n').pop();
      if (code === 0 && line) resolve(JSON.parse(line));
      else reject(new Error(`bench child (${what}) exited with ${code}`));
    });
  });
}

/** Runs a bench's entry point and exits 0, or 1 with the error. */
function exitWith(fn) {
  fn().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

/** Deploys the config node and an iotopen-log node (`props` beside its server) wired to a helper `sink`; resolves {log, sink}. */
async function loadLog(sb, props) {
  const cfg = configNode(sb);
  const flow = [
    cfg.node,
    { id: 'f1', type: 'tab' },
    { id: 'log', z: 'f1', type: 'iotopen-log', server: 'cfg', ...props, wires: [['sink']] },
    { id: 'sink', z: 'f1', type: 'helper' },
  ];
  await helper.load([nodeModule('iotopen-config'), nodeModule('iotopen-log')], flow, cfg.credentials);
  return { log: helper.getNode('log'), sink: helper.getNode('sink') };
}

/**
 * Times `work()` (resolves when the query is done) from a settled baseline (the warm-up's
 * messages forgotten, a full GC): ms, the peak RSS and heap growth over the baseline, and
 * the heap kept after a full GC with the flow still deployed (the query holds nothing
 * once done). Unloads the flow afterwards.
 */
async function measure(work) {
  forgetHelperCalls();
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
  const base = process.memoryUsage();
  const stop = sampler();
  const t0 = process.hrtime.bigint();
  await work();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const peak = stop();
  await new Promise((r) => setTimeout(r, 100));
  forgetHelperCalls();
  gc();
  const after = (process.memoryUsage().heapUsed - base.heapUsed) / MB;
  await helper.unload();
  return { ms, rss: (peak.rss - base.rss) / MB, heap: (peak.heap - base.heapUsed) / MB, after };
}

/**
 * A bench's entry point. The parent writes the seed (`seed()` gives the object) to a temp
 * file, starts the sandbox on it in its own process, prints `title`, then runs each
 * scenario in a fresh child process (RSS never shrinks, so a second run in the same process
 * would look cheaper than it is) and prints `line(result, scenario)`. The child, told its
 * scenario and the sandbox by `<envKey>_SCENARIO` / `<envKey>_SANDBOX`, runs
 * `run(sandbox, scenario)` and prints its result as JSON.
 */
function benchMain(file, { envKey, seed, title, scenarios, run, line }) {
  const SCENARIO = `${envKey}_SCENARIO`;
  const SANDBOX = `${envKey}_SANDBOX`;
  if (process.env[SCENARIO]) {
    exitWith(async () => {
      const r = await run(JSON.parse(process.env[SANDBOX]), process.env[SCENARIO]);
      process.stdout.write(`${JSON.stringify(r)}\n`);
    });
    return;
  }
  exitWith(async () => {
    const seedFile = path.join(os.tmpdir(), `lynx-${envKey.toLowerCase()}-${process.pid}.json`);
    fs.writeFileSync(seedFile, JSON.stringify(seed()));
    const { child: sandbox, info } = await startSandboxProcess(seedFile);
    try {
      console.log(title);
      for (const name of scenarios) {
        const r = await runChild(
          file,
          { [SCENARIO]: name, [SANDBOX]: JSON.stringify({ api: info.api, mqtt: info.mqtt, apiKey: info.apiKey }) },
          name,
        );
        console.log(line(r, name));
      }
    } finally {
      sandbox.kill('SIGTERM');
      fs.rmSync(seedFile, { force: true });
    }
  });
}

module.exports = { forgetHelperCalls, loadLog, measure, benchMain };
