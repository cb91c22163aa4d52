'use strict';
// API fault soak (issue 11, "API operations"): the ApiClient against the sandbox on loopback
// with 20 % of requests failing: 5xx and 429 answers, connections dropped and answers stalled
// past the client's timeout, each striking before the server acts (nothing done) or after it
// (done, the answer lost). Prints, per kind of operation, attempted / failed / duplicated
// (objects made more than once), the HTTP requests it took, and what the faults were.
// Then a refused login: how many logins a steady stream of calls costs.
// Runs alone (node bench/soak-api.bench.js, after a build) or in npm run bench.
// SOAK_OPS scales the operation counts (default 1 = 400 idempotent ops, 200 find-or-creates,
// 100 plain creates); SOAK_DEBUG=1 prints each failure. Asserts nothing; exits 0.
const { ApiClient } = require('../dist/src/api');
const { startSandbox } = require('../dist/src/sandbox');
const { deployEdgeApp } = require('../dist/src/edge/deploy');
const { edgeState } = require('../dist/src/sandbox/edge');

const SCALE = Number(process.env.SOAK_OPS || 1);
const IDEMPOTENT = Math.round(400 * SCALE);
const FIND_OR_CREATE = Math.round(200 * SCALE);
const PLAIN_CREATES = Math.round(100 * SCALE);
const CONCURRENCY = 8;
const TIMEOUT_MS = 500; // per attempt: a stalled answer times out quickly
// drop 4 %, stall 2 %, error 15 % of the rest: 1 - 0.96 * 0.98 * 0.85 = 20 % of requests
const FAULTS = { dropRate: 0.04, stallRate: 0.02, errorRate: 0.15, errorStatus: [500, 502, 503, 504, 429], phase: 'either' };

const seed = {
  apiKey: 'soak-key-0123456789',
  users: [{ email: 'soak@example.com', password: 'right password' }],
  installations: [
    { id: 1, client_id: 101, name: 'Soak', organization_id: 1 },
    { id: 2, client_id: 102, name: 'Soak 2', organization_id: 1 },
  ],
  functions: Array.from({ length: 20 }, (_, i) => ({
    installation_id: 1,
    type: 'switch',
    meta: { name: `f${i}`, topic_read: `obj/f/${i}` },
  })),
};

async function pool(n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** Runs n operations under faults; returns { attempted, failed, requests, failures: {reason: count} }. */
async function measure(sb, n, op) {
  const row = { attempted: 0, failed: 0, requests: 0, failures: {} };
  sb.resetRequests();
  await pool(n, async (i) => {
    row.attempted++;
    try {
      await op(i);
    } catch (err) {
      row.failed++;
      const why = err.status ? `HTTP ${err.status}` : err.code || err.message;
      row.failures[why] = (row.failures[why] || 0) + 1;
      if (process.env.SOAK_DEBUG) console.error(`op ${i}: ${err.message}`);
    }
  });
  row.requests = sb.requests.length;
  return row;
}

function print(label, row, extra = '') {
  const why = Object.keys(row.failures).length
    ? `  (${Object.entries(row.failures)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')})`
    : '';
  console.log(
    `${label.padEnd(34)} attempted ${String(row.attempted).padStart(4)}  failed ${String(row.failed).padStart(3)}${extra}  requests ${row.requests}${why}`,
  );
}

(async () => {
  const sb = await startSandbox({ port: 0, mqttPort: 0, seed });
  const api = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: sb.apiKey }, timeoutMs: TIMEOUT_MS });
  const t0 = Date.now();
  try {
    console.log(
      `fault rate 20 % of requests (drop ${FAULTS.dropRate}, stall ${FAULTS.stallRate}, error ${FAULTS.errorRate} of ${FAULTS.errorStatus.join('/')}; before or after the server acted), ` +
        `client: ${TIMEOUT_MS} ms per attempt, default retries (5) and backoff, concurrency ${CONCURRENCY}`,
    );
    sb.faults.set({ ...FAULTS, path: '/api/v2/' });

    // ---- idempotent: list, get, update (PUT), meta set (PUT), delete, status ----------------
    const victims = [];
    sb.faults.clear();
    for (let i = 0; i < IDEMPOTENT / 5; i++) victims.push((await api.functionx.create(1, { type: 'victim', meta: { n: String(i) } })).id);
    sb.faults.set({ ...FAULTS, path: '/api/v2/' });
    const ids = [...sb.store.functions.keys()].filter((id) => !victims.includes(id));
    const idem = await measure(sb, IDEMPOTENT, async (i) => {
      const id = ids[i % ids.length];
      switch (i % 5) {
        case 0:
          return api.functionx.list(1, { type: 'switch' });
        case 1:
          return api.functionx.get(1, id);
        case 2:
          return api.functionx.update(1, id, { type: 'switch', meta: { name: `f${id}`, topic_read: `obj/f/${id}`, touched: String(i) } });
        case 3:
          return api.functionx.updateMeta(1, id, 'note', { value: String(i) }, { createMissing: true });
        default:
          return api.functionx.delete(1, victims[Math.floor(i / 5)]);
      }
    });
    print('idempotent (GET/PUT/DELETE)', idem);

    // ---- find-or-create: devicex by serial, twice per serial; schedules; meta create ----------
    const serials = Array.from({ length: FIND_OR_CREATE / 2 }, (_, i) => `S-${i}`);
    const roundOne = [];
    const edgeTail = [];
    const foc = await measure(sb, FIND_OR_CREATE, async (i) => {
      const serial = serials[i % serials.length];
      // one at a time per serial (as the node serialises them): the two rounds never overlap
      if (i >= serials.length) await roundOne[i % serials.length];
      const p = api.devicex.findOrCreate(1, { type: 'meter', meta: { serial } }, { type: 'meter', meta: { serial } });
      if (i < serials.length) roundOne[i] = p.catch(() => undefined);
      return p;
    });
    const devices = [...sb.store.devices.values()].filter((d) => d.type === 'meter');
    const focDup = serials.reduce((n, s) => n + Math.max(0, devices.filter((d) => d.meta.serial === s).length - 1), 0);
    const focMissing = serials.filter((s) => !devices.some((d) => d.meta.serial === s)).length;
    print('find-or-create (devicex)', foc, `  duplicated ${focDup}  missing ${focMissing}`);

    const schedCount = Math.round(FIND_OR_CREATE / 4);
    const sched = await measure(sb, schedCount, (i) => api.schedules.create(1, { topic: `set/obj/soak/${i}`, value: i }));
    const schedules = [...sb.store.schedules.values()];
    const schedDup = Array.from({ length: schedCount }, (_, i) => schedules.filter((s) => s.topic === `set/obj/soak/${i}`).length).reduce(
      (n, c) => n + Math.max(0, c - 1),
      0,
    );
    print('schedule create (exactly once)', sched, `  duplicated ${schedDup}`);

    const metaCount = Math.round(FIND_OR_CREATE / 4);
    const meta = await measure(sb, metaCount, (i) => api.functionx.createMeta(1, ids[i % ids.length], `soak_${i}`, { value: String(i) }));
    print('meta create (exactly once)', meta, '  duplicated 0 (a key exists once)');

    const edgeRuns = Math.round(FIND_OR_CREATE / 10);
    const edge = await measure(sb, edgeRuns, async (i) => {
      // each listing's runs one after another (a roll-out per listing at a time)
      const prev = edgeTail[i % 5];
      const run = Promise.resolve(prev)
        .then(() =>
          deployEdgeApp(api, {
            listing: { name: `Soak app ${i % 5}`, category: 'soak', tags: [], short_description: 's', description: 's', public: false },
            appLua: `-- v${Math.floor(i / 10)}\n`,
            appJson: JSON.stringify({ input: {} }),
            versionName: `1.0.${Math.floor(i / 10)}`,
            targets: [{ installation_id: 1 }, { installation_id: 2 }],
            instanceName: 'soak',
          }),
        )
        .then((r) => {
          if (r.summary.failed) throw new Error(r.installations.find((x) => x.error).error);
        });
      edgeTail[i % 5] = run.catch(() => undefined);
      return run;
    });
    const es = edgeState(sb.store);
    const apps = [...es.apps.values()];
    const appDup = Array.from({ length: 5 }, (_, k) => apps.filter((a) => a.name === `Soak app ${k}`).length).reduce(
      (n, c) => n + Math.max(0, c - 1),
      0,
    );
    const instDup = apps.reduce(
      (n, a) =>
        n +
        [1, 2].reduce(
          (m, iid) => m + Math.max(0, [...es.instances.values()].filter((x) => x.app_id === a.id && x.installation_id === iid).length - 1),
          0,
        ),
      0,
    );
    print('edge roll-out (listing, instances)', edge, `  duplicated ${appDup + instDup}`);

    // ---- plain creates (no identifying fields): not retried after an uncertain failure -------
    const before = sb.store.functions.size;
    const plain = await measure(sb, PLAIN_CREATES, (i) => api.functionx.create(1, { type: 'plain', meta: { n: String(i) } }));
    const made = sb.store.functions.size - before;
    const ghosts = made - (plain.attempted - plain.failed);
    const plainFns = [...sb.store.functions.values()].filter((f) => f.type === 'plain');
    const plainDup = Array.from({ length: PLAIN_CREATES }, (_, i) => plainFns.filter((f) => f.meta.n === String(i)).length).reduce(
      (n, c) => n + Math.max(0, c - 1),
      0,
    );
    print(
      'plain create (no lookup)',
      plain,
      `  duplicated ${plainDup}  made ${made}: ${ghosts} of the ${plain.failed} failed were made (their error says to look first)`,
    );

    const st = sb.faults.stats();
    const total = (p) => p.drop + p.stall + p.error;
    sb.faults.clear();
    console.log(
      `faults injected: ${total(st.before) + total(st.after)} of ${st.requests} requests ` +
        `(${((100 * (total(st.before) + total(st.after))) / st.requests).toFixed(1)} %): before acting ${JSON.stringify(st.before)}, after acting ${JSON.stringify(st.after)}; ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );

    // ---- refused login: logins for a call every 100 ms over 12 s -----------------------------
    const wrong = new ApiClient({ baseUrl: sb.api, auth: { type: 'login', username: 'soak@example.com', password: 'wrong password' } });
    sb.resetRequests();
    let calls = 0;
    let failedAtOnce = 0;
    const w0 = Date.now();
    while (Date.now() - w0 < 12000) {
      const c0 = Date.now();
      calls++;
      await wrong.functionx.list(1).catch(() => undefined);
      if (Date.now() - c0 < 20) failedAtOnce++;
      await new Promise((r) => setTimeout(r, 100));
    }
    const logins = sb.requests.filter((r) => r.path === '/api/v2/auth').length;
    console.log(
      `refused login: ${logins} logins for ${calls} calls in 12 s (backoff 5 s doubling; ${failedAtOnce} calls failed at once without a request); state: ${wrong.authState.state}, next try in ${Math.ceil(wrong.authState.retryInMs / 1000)} s`,
    );
    await wrong.close();
  } finally {
    await api.close();
    await sb.stop();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
