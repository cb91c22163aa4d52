'use strict';
// Heap per node: 2 000 functionx-in nodes deployed (one function each, all
// subscribed), against 2 000 of Node-RED's core `mqtt in` (one mqtt-broker
// config node), same runtime and broker. The figure is the heap after a full GC
// with 2 001 nodes minus the heap with 1 (so the shared connection, catalog and
// function list count once, not per node), over 2 000. Target: functionx-in at
// most 7.5 KB per node, aiming at core mqtt in's. No assertion.
const lib = require('./realtime-lib');

const NODES = Number(process.env.BENCH_HEAP_NODES || 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 2);

async function settledHeap() {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 200));
    if (global.gc) global.gc();
  }
  return process.memoryUsage().heapUsed;
}

const fxFlow = (cfg, n) => {
  const flow = [cfg.node, { id: 'count', type: 'bench-counter' }];
  for (let i = 1; i <= n; i++) {
    flow.push({
      id: `fx${i}`,
      type: 'iotopen-functionx-in',
      server: 'cfg',
      installation: String(lib.IID),
      selectBy: 'function',
      function: String(i),
      wires: [['count']],
    });
  }
  return flow;
};

const coreFlow = (sb, n) => {
  const flow = [lib.coreBroker(sb), { id: 'count', type: 'bench-counter' }];
  for (let i = 1; i <= n; i++) {
    flow.push({
      id: `in${i}`,
      type: 'mqtt in',
      topic: `${lib.CLIENT}/obj/bench/${i}/temperature`,
      qos: '0',
      datatype: 'json',
      broker: 'b',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      wires: [['count']],
    });
  }
  return flow;
};

async function main() {
  if (!global.gc) throw new Error('bench: run with --expose-gc (npm run bench does)');
  const env = await lib.startEnv(NODES + 1);
  const { sb } = env;
  await lib.startRuntime();
  const cfg = lib.config(sb);
  const runs = { 'functionx-in': [], 'core mqtt in': [] };
  const subscribed = async (n) => {
    await lib.until(
      () => {
        const hub = lib.getNode('cfg') && lib.getNode('cfg').hub;
        return hub && hub.connected && hub.subscriptionCount >= n;
      },
      `${n} subscriptions`,
      60000,
    );
  };
  const coreConnected = async () => {
    await lib.until(() => lib.getNode('b') && lib.getNode('b').connected, 'the core broker connection', 60000);
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await lib.deploy(fxFlow(cfg, 1));
      await subscribed(1);
      const fx1 = await settledHeap();
      await lib.deploy(fxFlow(cfg, NODES + 1));
      await subscribed(NODES + 1);
      const fxN = await settledHeap();
      runs['functionx-in'].push((fxN - fx1) / NODES);
      await lib.unload();

      await lib.deploy(coreFlow(sb, 1));
      await coreConnected();
      const c1 = await settledHeap();
      await lib.deploy(coreFlow(sb, NODES + 1));
      await coreConnected();
      // core mqtt in subscribes on connect; give the SUBACKs a moment
      await new Promise((r) => setTimeout(r, 1000));
      const cN = await settledHeap();
      runs['core mqtt in'].push((cN - c1) / NODES);
      await lib.unload();
    }
  } finally {
    await lib.stopRuntime();
    await env.stop();
  }
  console.log(
    `broker: ${env.brokerName}; heap after GC with ${NODES + 1} nodes minus with 1, over ${NODES}; ${ROUNDS} rounds, lowest shown`,
  );
  const kb = (b) => (b / 1024).toFixed(1);
  const best = {};
  for (const [name, list] of Object.entries(runs)) {
    best[name] = Math.min(...list);
    console.log(`${name.padEnd(14)} ${kb(best[name]).padStart(6)} KB heap per node   (runs: ${list.map(kb).join(', ')} KB)`);
  }
  console.log(`heap per functionx-in node: ${kb(best['functionx-in'])} KB (target <= 7.5 KB, core mqtt in ${kb(best['core mqtt in'])} KB)`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
