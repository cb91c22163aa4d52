'use strict';
// Fan-out: 1, 100 and 500 functionx-in nodes on one config node, each following
// its own function's topic; 50 000 QoS 0 messages spread round-robin over all
// the topics by a publisher in its own process; deliveries counted at one
// counting node. Prints msg/s for each and the 500/1 ratio. No speed assertion.
const lib = require('./realtime-lib');

const N = Number(process.env.BENCH_MESSAGES || 50000);
const SIZES = [1, 100, 500];

async function main() {
  const env = await lib.startEnv(500, { separate: true });
  const { sb } = env;
  await lib.startRuntime();
  const cfg = lib.config(sb);
  const results = {};
  try {
    for (const size of SIZES) {
      const flow = [cfg.node, { id: 'count', type: 'bench-counter' }];
      const topics = [];
      for (let i = 1; i <= size; i++) {
        flow.push({
          id: `fx${i}`,
          type: 'iotopen-functionx-in',
          server: 'cfg',
          installation: String(lib.IID),
          selectBy: 'function',
          function: String(i),
          wires: [['count']],
        });
        topics.push(`${lib.CLIENT}/obj/bench/${i}/temperature`);
      }
      await lib.deploy(flow);
      // Warm-up: one message per topic until every subscription delivers.
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) ok = (await lib.measure(sb, topics, size)).delivered === size + 1;
      if (!ok) throw new Error(`bench: the ${size} subscriptions never all became live`);
      const runs = [];
      for (let r = 0; r < 2; r++) runs.push(await lib.measure(sb, topics, N));
      results[size] = {
        wall: Math.max(...runs.map((r) => r.rate)),
        cpu: Math.max(...runs.map((r) => r.cpuRate)),
        lost: runs.reduce((a, r) => a + r.lost, 0),
      };
    }
  } finally {
    await lib.stopRuntime();
    await env.stop();
  }
  console.log(`broker: ${env.brokerName}; ${N} messages per run spread over all topics, QoS 0, best of 2`);
  for (const size of SIZES) {
    const r = results[size];
    console.log(
      `${String(size).padStart(3)} nodes ${lib.fmt(r.wall).padStart(9)} msg/s wall  ${lib.fmt(r.cpu).padStart(9)} msg per CPU-s${r.lost ? `  (${r.lost} dropped by the broker)` : ''}`,
    );
  }
  console.log(
    `ratio 500/1: ${(results[500].wall / results[1].wall).toFixed(2)} wall, ${(results[500].cpu / results[1].cpu).toFixed(2)} per CPU-second (target >= 0.8)`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
