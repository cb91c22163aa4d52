#!/usr/bin/env node
'use strict';
// iotopen-log throughput and memory: 100 000 log entries of one installation,
// read by the log node in the real Node-RED runtime, streaming (one msg per page)
// and all-in-one (one msg). The sandbox runs in a child process so its memory
// does not count; figures are for this process (Node-RED + the node).
// Prints figures, asserts nothing. Run: npm run bench -- log  (or node --expose-gc bench/log.bench.js)
const { forgetHelperCalls, loadLog, measure, benchMain } = require('./log-lib');

const ENTRIES = Number(process.env.LOG_BENCH_ENTRIES || 100000);
const PAGE_SIZE = Number(process.env.LOG_BENCH_PAGE_SIZE || 10000);
const IID = 901;
const CLIENT = 9901;

function seed() {
  const now = Math.floor(Date.now() / 1000);
  const log = new Array(ENTRIES);
  for (let i = 0; i < ENTRIES; i++) {
    // 20 topics, one entry every 0.5 s over the last ~14 h, in the 24 h default range
    log[i] = { installation_id: IID, topic: `${CLIENT}/obj/bench/${i % 20}/value`, value: i, timestamp: now - 60 - (ENTRIES - i) * 0.5 };
  }
  return { apiKey: 'bench-key-0123456789abcdef', installations: [{ id: IID, client_id: CLIENT, name: 'Bench' }], log };
}

async function run(sb, mode) {
  const { log, sink } = await loadLog(sb, {
    installation: String(IID),
    from: '-24h',
    fromType: 'str',
    to: 'now',
    toType: 'str',
    order: 'asc',
    mode,
    pageSize: PAGE_SIZE,
    maxEntries: ENTRIES,
  });
  // Warm-up: one small query so connections and JIT are ready.
  await new Promise((resolve) => {
    sink.once('input', resolve);
    log.receive({ limit: 10 });
  });
  let received = 0;
  let msgs = 0;
  const m = await measure(
    () =>
      new Promise((resolve) => {
        sink.on('input', (msg) => {
          // the test helper would keep every page: the figures are the node's own
          forgetHelperCalls();
          msgs++;
          received += Array.isArray(msg.payload) ? msg.payload.length : 1;
          if (received >= ENTRIES || (msg.page && msg.page.last)) resolve();
        });
        log.receive({ payload: 'go' });
      }),
  );
  return { mode, entries: received, msgs, rate: received / (m.ms / 1000), ...m };
}

benchMain(__filename, {
  envKey: 'LOG_BENCH',
  seed,
  title: `iotopen-log: ${ENTRIES} entries, page size ${PAGE_SIZE}; sandbox in its own process, each mode in a fresh process`,
  scenarios: ['page', 'all'],
  run,
  line: (r) =>
    `  ${r.mode === 'page' ? 'streaming (msg per page)' : 'all-in-one (one msg)    '}: ${r.entries} entries in ${r.msgs} msg(s), ${r.ms.toFixed(0)} ms, ${Math.round(r.rate)} entries/s, peak growth over idle baseline: RSS ${r.rss.toFixed(1)} MB, heap ${r.heap.toFixed(1)} MB; heap kept after GC ${r.after.toFixed(1)} MB`,
});
