'use strict';
// Deploy cost: HTTP requests the sandbox serves (sb.requests) when a flow with
// 200 functionx-in nodes on one installation deploys, half of them asking for
// the latest value at deploy. Target: <= 3 (installations, functions, status).
// Also prints how long until all 200 topics are subscribed. No assertion.
const lib = require('./realtime-lib');

const NODES = 200;

async function main() {
  const env = await lib.startEnv(500);
  const { sb } = env;
  await lib.startRuntime();
  const cfg = lib.config(sb);
  let result;
  try {
    const flow = [cfg.node, { id: 'count', type: 'bench-counter' }];
    for (let i = 1; i <= NODES; i++) {
      flow.push({
        id: `fx${i}`,
        type: 'iotopen-functionx-in',
        server: 'cfg',
        installation: String(lib.IID),
        selectBy: 'function',
        function: String(i),
        emitLatest: i % 2 === 0,
        wires: [['count']],
      });
    }
    // Some values to send at deploy.
    const inst = sb.store.installation(lib.IID);
    for (let i = 1; i <= NODES; i++) sb.store.record(inst, `${lib.CLIENT}/obj/bench/${i}/temperature`, 20 + i / 10, Date.now() / 1000);
    sb.resetRequests();
    lib.counter.reset();
    const t0 = process.hrtime.bigint();
    await lib.deploy(flow);
    // Deployed when every node subscribed and every "latest value" went out.
    await lib.until(() => {
      const hub = lib.getNode('cfg') && lib.getNode('cfg').hub;
      return hub && hub.connected && hub.subscriptionCount >= NODES && lib.counter.count >= NODES / 2;
    }, 'all subscriptions');
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // Let anything late arrive before counting.
    await new Promise((r) => setTimeout(r, 500));
    result = { requests: sb.requests.slice(), ms, latest: lib.counter.count };
  } finally {
    await lib.stopRuntime();
    await env.stop();
  }
  const by = {};
  for (const r of result.requests) {
    const k = `${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, '/{id}')}`;
    by[k] = (by[k] || 0) + 1;
  }
  console.log(`broker: ${env.brokerName}; ${NODES} functionx-in nodes on one installation, ${NODES / 2} with latest value at deploy`);
  console.log(`API requests at deploy: ${result.requests.length} (target <= 3)`);
  for (const [k, n] of Object.entries(by)) console.log(`  ${n} x ${k}`);
  console.log(`latest values sent: ${result.latest}; deploy to all subscribed: ${Math.round(result.ms)} ms`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
