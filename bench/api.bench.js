'use strict';
// ApiClient against the sandbox on loopback: per-call cost over bare undici,
// throughput with concurrency, and how many logins a burst of calls costs.
// Prints figures; asserts nothing about speed.
const { Agent, request } = require('undici');
const { ApiClient } = require('../dist/src/api');
const { startSandbox } = require('../dist/src/sandbox');

const seed = {
  apiKey: 'bench-key-0123456789',
  users: [{ email: 'bench@example.com', password: 'bench password' }],
  installations: [{ id: 1, client_id: 101, name: 'Bench' }],
  functions: Array.from({ length: 20 }, (_, i) => ({
    installation_id: 1,
    type: 'switch',
    meta: { name: `f${i}`, topic_read: `obj/f/${i}` },
  })),
};

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

(async () => {
  const sb = await startSandbox({ port: 0, mqttPort: 0, seed });
  const api = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: sb.apiKey } });
  const agent = new Agent();
  const url = `${sb.api}/api/v2/functionx/1`;
  const N = 2000;
  try {
    // warm up both paths (JIT, sockets)
    for (let i = 0; i < 200; i++) await api.functionx.list(1);
    for (let i = 0; i < 200; i++) await (await request(url, { dispatcher: agent, headers: { 'x-api-key': sb.apiKey } })).body.json();

    // interleaved rounds so machine load colours both figures alike
    let client = 0;
    let bare = 0;
    for (let r = 0; r < 4; r++) {
      client += await timed(async () => {
        for (let i = 0; i < N / 4; i++) await api.functionx.list(1);
      });
      bare += await timed(async () => {
        for (let i = 0; i < N / 4; i++) await (await request(url, { dispatcher: agent, headers: { 'x-api-key': sb.apiKey } })).body.json();
      });
    }
    console.log(`sequential GET: ApiClient ${(client / N).toFixed(3)} ms/call, bare undici ${(bare / N).toFixed(3)} ms/call`);

    for (const conc of [10, 50]) {
      let next = 0;
      const ms = await timed(() =>
        Promise.all(
          Array.from({ length: conc }, async () => {
            while (next++ < N) await api.functionx.list(1);
          }),
        ),
      );
      console.log(`concurrency ${conc}: ${((N / ms) * 1000).toFixed(0)} calls/s`);
    }

    const login = new ApiClient({ baseUrl: sb.api, auth: { type: 'login', username: 'bench@example.com', password: 'bench password' } });
    sb.resetRequests();
    const burst = await timed(() => Promise.all(Array.from({ length: 500 }, () => login.functionx.list(1))));
    const logins = sb.requests.filter((r) => r.path === '/api/v2/auth').length;
    console.log(`500 concurrent calls with login auth: ${logins} login(s), ${burst.toFixed(0)} ms`);
    await login.close();
  } finally {
    await api.close();
    await agent.close();
    await sb.stop();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
