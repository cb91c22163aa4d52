#!/usr/bin/env node
'use strict';
// iotopen-log throughput and memory: 100 000 log entries of one installation,
// read by the log node in the real Node-RED runtime, streaming (one msg per page)
// and all-in-one (one msg). The sandbox runs in a child process so its memory
// does not count; figures are for this process (Node-RED + the node).
// Prints figures, asserts nothing. Run: npm run bench -- log  (or node --expose-gc bench/log.bench.js)
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodeModule, configNode } = require('../test/support/nodered');
const { startSandboxProcess, gc, sampler, forgetHelperCalls, runChild, exitWith } = require('./log-lib');

const ENTRIES = Number(process.env.LOG_BENCH_ENTRIES || 100000);
const PAGE_SIZE = Number(process.env.LOG_BENCH_PAGE_SIZE || 10000);
const IID = 901;
const CLIENT = 9901;
const MB = 1024 * 1024;

function writeSeed() {
  const now = Math.floor(Date.now() / 1000);
  const log = new Array(ENTRIES);
  for (let i = 0; i < ENTRIES; i++) {
    // 20 topics, one entry every 0.5 s over the last ~14 h, in the 24 h default range
    log[i] = { installation_id: IID, topic: `${CLIENT}/obj/bench/${i % 20}/value`, value: i, timestamp: now - 60 - (ENTRIES - i) * 0.5 };
  }
  const seed = { apiKey: 'bench-key-0123456789abcdef', installations: [{ id: IID, client_id: CLIENT, name: 'Bench' }], log };
  const file = path.join(os.tmpdir(), `lynx-log-bench-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify(seed));
  return file;
}

async function run(sb, mode) {
  const cfg = configNode(sb);
  const flow = [
    cfg.node,
    { id: 'f1', type: 'tab' },
    {
      id: 'log',
      z: 'f1',
      type: 'iotopen-log',
      server: 'cfg',
      installation: String(IID),
      from: '-24h',
      fromType: 'str',
      to: 'now',
      toType: 'str',
      order: 'asc',
      mode,
      pageSize: PAGE_SIZE,
      maxEntries: ENTRIES,
      wires: [['sink']],
    },
    { id: 'sink', z: 'f1', type: 'helper' },
  ];
  await helper.load([nodeModule('iotopen-config'), nodeModule('iotopen-log')], flow, cfg.credentials);
  const log = helper.getNode('log');
  const sink = helper.getNode('sink');
  // Warm-up: one small query so connections and JIT are ready.
  await new Promise((resolve) => {
    sink.once('input', resolve);
    log.receive({ limit: 10 });
  });
  forgetHelperCalls();
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
  const base = process.memoryUsage();
  let received = 0;
  let msgs = 0;
  const stop = sampler();
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    sink.on('input', (m) => {
      // the test helper would keep every page: the figures are the node's own
      forgetHelperCalls();
      msgs++;
      received += Array.isArray(m.payload) ? m.payload.length : 1;
      if (received >= ENTRIES || (m.page && m.page.last)) resolve();
    });
    log.receive({ payload: 'go' });
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const peak = stop();
  await new Promise((r) => setTimeout(r, 100));
  forgetHelperCalls();
  gc();
  // what stays after a full GC (with the flow still deployed): the query holds nothing once done
  const after = (process.memoryUsage().heapUsed - base.heapUsed) / MB;
  await helper.unload();
  return {
    mode,
    entries: received,
    msgs,
    ms,
    rate: received / (ms / 1000),
    rss: (peak.rss - base.rss) / MB,
    heap: (peak.heap - base.heapUsed) / MB,
    after,
  };
}

// Each mode runs in its own process (RSS never shrinks, so a second run in the
// same process would look cheaper than it is); the sandbox process is shared.
async function child() {
  const sb = JSON.parse(process.env.LOG_BENCH_SANDBOX);
  const r = await run(sb, process.env.LOG_BENCH_MODE);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

async function main() {
  const seedFile = writeSeed();
  const { child: sandbox, info } = await startSandboxProcess(seedFile);
  try {
    console.log(`iotopen-log: ${ENTRIES} entries, page size ${PAGE_SIZE}; sandbox in its own process, each mode in a fresh process`);
    for (const mode of ['page', 'all']) {
      const r = await runChild(
        __filename,
        { LOG_BENCH_MODE: mode, LOG_BENCH_SANDBOX: JSON.stringify({ api: info.api, mqtt: info.mqtt, apiKey: info.apiKey }) },
        mode,
      );
      const name = r.mode === 'page' ? 'streaming (msg per page)' : 'all-in-one (one msg)    ';
      console.log(
        `  ${name}: ${r.entries} entries in ${r.msgs} msg(s), ${r.ms.toFixed(0)} ms, ${Math.round(r.rate)} entries/s, peak growth over idle baseline: RSS ${r.rss.toFixed(1)} MB, heap ${r.heap.toFixed(1)} MB; heap kept after GC ${r.after.toFixed(1)} MB`,
      );
    }
  } finally {
    sandbox.kill('SIGTERM');
    fs.rmSync(seedFile, { force: true });
  }
}

exitWith(process.env.LOG_BENCH_MODE ? child : main);
