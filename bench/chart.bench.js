#!/usr/bin/env node
'use strict';
// iotopen-log's chart format: a 30-day range of 1-minute values (5 functions, 43 200 entries
// each, 216 000 in all) delivered as chart series by the log node in the real Node-RED runtime:
// aggregated by the platform with the interval `auto` (at most 500 points per series), and, for
// comparison, every raw value streamed page by page in the chart format. The sandbox runs in a
// child process so its memory (and its aggregation work) does not count; figures are for this
// process (Node-RED + the node). Prints figures, asserts nothing.
// Run: npm run bench -- chart  (or node --expose-gc bench/chart.bench.js)
const { forgetHelperCalls, loadLog, measure, benchMain } = require('./log-lib');

const DAYS = Number(process.env.CHART_BENCH_DAYS || 30);
const FUNCS = 5;
const STEP = 60;
const PER_FUNCTION = Math.floor((DAYS * 86400) / STEP);
const ENTRIES = PER_FUNCTION * FUNCS;
const IID = 902;
const CLIENT = 9902;

function seed() {
  // the newest value 20 s ago, the oldest inside `-30d` when the query runs (the bench starts within 40 s)
  const start = Math.floor(Date.now() / 1000) - 20 - (PER_FUNCTION - 1) * STEP;
  const functions = [];
  for (let f = 0; f < FUNCS; f++)
    functions.push({
      id: 100 + f,
      installation_id: IID,
      type: 'temperature',
      meta: { name: `Room ${f + 1} temperature`, unit: '°C', topic_read: `obj/bench/${f}/temperature` },
    });
  // in time order across the functions, as a log grows (the sandbox appends, never splices)
  const log = new Array(ENTRIES);
  let k = 0;
  for (let i = 0; i < PER_FUNCTION; i++)
    for (let f = 0; f < FUNCS; f++)
      log[k++] = {
        installation_id: IID,
        topic: `${CLIENT}/obj/bench/${f}/temperature`,
        value: 20 + f + Math.sin(i / 720) * 3,
        timestamp: start + i * STEP + 1,
      };
  return { apiKey: 'bench-key-0123456789abcdef', installations: [{ id: IID, client_id: CLIENT, name: 'Bench' }], functions, log };
}

const SCENARIOS = {
  aggregated: { mode: 'all', aggrMethod: 'avg', aggrInterval: 'auto', label: 'aggregated, avg, interval auto (one msg per series)' },
  raw: { mode: 'page', aggrMethod: '', aggrInterval: '', label: 'raw values, streamed per page of 10 000 (chart format)' },
};

async function run(sb, name) {
  const sc = SCENARIOS[name];
  const { log, sink } = await loadLog(sb, {
    installation: String(IID),
    from: `-${DAYS}d`,
    fromType: 'str',
    to: 'now',
    toType: 'str',
    order: 'asc',
    mode: sc.mode,
    format: 'chart',
    chartReplace: true,
    aggrMethod: sc.aggrMethod,
    aggrInterval: sc.aggrInterval,
    pageSize: 10000,
    maxEntries: ENTRIES,
  });
  // Warm-up: one small query so connections and JIT are ready.
  await new Promise((resolve) => {
    const seen = [];
    const on = (m) => {
      seen.push(m);
      if (sc.mode === 'all' ? seen.length >= 1 : m.page && m.page.last) {
        sink.removeListener('input', on);
        setTimeout(resolve, 200);
      }
    };
    sink.on('input', on);
    log.receive({ limit: 10, from: '-1h' });
  });
  let points = 0;
  let msgs = 0;
  let maxPerSeries = 0;
  const series = new Set();
  const m = await measure(
    () =>
      new Promise((resolve) => {
        sink.on('input', (msg) => {
          // the test helper would keep every page: the figures are the node's own
          forgetHelperCalls();
          msgs++;
          points += msg.payload.length;
          series.add(msg.topic);
          if (sc.mode === 'all') maxPerSeries = Math.max(maxPerSeries, msg.payload.length);
          if (sc.mode === 'all' ? series.size >= FUNCS : msg.page && msg.page.last) resolve();
        });
        log.receive({ payload: 'go' });
      }),
  );
  return { name, points, msgs, series: series.size, maxPerSeries, rate: ENTRIES / (m.ms / 1000), ...m };
}

benchMain(__filename, {
  envKey: 'CHART_BENCH',
  seed,
  title: `iotopen-log chart format: ${DAYS} days of 1-minute values, ${FUNCS} functions x ${PER_FUNCTION} = ${ENTRIES} entries; sandbox in its own process, each scenario in a fresh process`,
  scenarios: Object.keys(SCENARIOS),
  run,
  line: (r, name) => {
    const per = r.maxPerSeries ? `, at most ${r.maxPerSeries} points per series` : '';
    return `  ${SCENARIOS[name].label}: ${r.points} points in ${r.msgs} msg(s) over ${r.series} series${per}; ${r.ms.toFixed(0)} ms, ${Math.round(r.rate)} log entries/s; peak growth over idle baseline: RSS ${r.rss.toFixed(1)} MB, heap ${r.heap.toFixed(1)} MB; heap kept after GC ${r.after.toFixed(1)} MB`;
  },
});
