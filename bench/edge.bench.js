'use strict';
// Edge app roll-out (src/edge/deploy.ts) to many installations against the sandbox,
// with a few ms of added latency per request so the concurrency limit shows: wall time
// and HTTP requests for a first roll-out, an identical re-run and a new version.
// Prints figures; asserts nothing about speed.
const { ApiClient } = require('../dist/src/api');
const { startSandbox } = require('../dist/src/sandbox');
const { deployEdgeApp } = require('../dist/src/edge/deploy');

const N = 200;
const LATENCY_MS = 5;
const seed = {
  apiKey: 'bench-edge-key-0123456789',
  installations: Array.from({ length: N }, (_, i) => ({ id: i + 1, client_id: 1000 + i, name: `Site ${i + 1}` })),
  functions: Array.from({ length: N }, (_, i) => ({
    id: i + 1,
    installation_id: i + 1,
    type: 'temperature',
    meta: { name: 'temp', topic_read: `obj/t/${i}` },
  })),
};
const appJson = JSON.stringify({
  input: { sensor: { type: 'single_function_selector', required: true }, limit: { type: 'number', required: true, default: 25 } },
  guide: [{ id: 's1', title: 'Pick', input_fields: ['sensor', 'limit'] }],
});
const targets = seed.installations.map((i) => ({ installation_id: i.id, config: { sensor: i.id } }));

(async () => {
  const sb = await startSandbox({ port: 0, mqttPort: 0, seed });
  const api = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: sb.apiKey } });
  try {
    sb.faults.set({ latencyMs: LATENCY_MS });
    console.log(`roll-out to ${N} installations, ${LATENCY_MS} ms added per request`);
    console.log('concurrency | run                | ms     | requests | result');
    for (const concurrency of [1, 4, 16]) {
      const name = `bench app c${concurrency}`;
      const run = async (label, lua, version) => {
        sb.resetRequests();
        const t0 = process.hrtime.bigint();
        const r = await deployEdgeApp(api, {
          listing: { name, category: 'bench' },
          appLua: lua,
          appJson,
          versionName: version,
          targets,
          config: { limit: 25 },
          instanceName: 'watch',
          concurrency,
        });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const s = r.summary;
        console.log(
          `${String(concurrency).padStart(11)} | ${label.padEnd(18)} | ${ms.toFixed(0).padStart(6)} | ${String(sb.requests.length).padStart(8)} | ok ${s.ok}, unchanged ${s.unchanged}, failed ${s.failed}`,
        );
      };
      await run('first roll-out', '-- v1\n', '1.0.0');
      await run('identical re-run', '-- v1\n', '1.0.0');
      await run('new version', '-- v2\n', '2.0.0');
    }
  } finally {
    sb.faults.clear();
    await api.close();
    await sb.stop();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
