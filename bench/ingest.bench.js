'use strict';
// Ingest: functionx-in vs Node-RED's core `mqtt in` (with an `mqtt-broker`
// config node), same runtime, same broker, same topic and payloads
// {"value":21.5,"timestamp":...}, QoS 0, 50 000 messages from a publisher in a
// separate process; deliveries counted at a counting node after each. Prints
// msg/s for both and the ratio. No assertion on speed.
const lib = require('./realtime-lib');

const N = Number(process.env.BENCH_MESSAGES || 50000);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);

async function warm(sb, topics) {
  for (let i = 0; i < 50; i++) {
    const r = await lib.measure(sb, topics, 200);
    if (r.delivered === 201) return;
  }
  throw new Error('bench: the subscription never became live');
}

async function main() {
  const env = await lib.startEnv(10, { separate: true });
  const { sb } = env;
  const topic = `${lib.CLIENT}/obj/bench/1/temperature`;
  await lib.startRuntime();
  const cfg = lib.config(sb);
  const runs = { 'functionx-in': [], 'core mqtt in': [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // functionx-in
      await lib.deploy([
        cfg.node,
        {
          id: 'fx',
          type: 'iotopen-functionx-in',
          server: 'cfg',
          installation: String(lib.IID),
          selectBy: 'function',
          function: '1',
          wires: [['count']],
        },
        { id: 'count', type: 'bench-counter' },
      ]);
      await warm(sb, [topic]);
      runs['functionx-in'].push(await lib.measure(sb, [topic], N));
      await lib.unload();

      // core mqtt in, JSON parsed (the same work: the value must be read from the payload)
      await lib.deploy([
        lib.coreBroker(sb),
        {
          id: 'in',
          type: 'mqtt in',
          topic,
          qos: '0',
          datatype: 'json',
          broker: 'b',
          nl: false,
          rap: true,
          rh: 0,
          inputs: 0,
          wires: [['count']],
        },
        { id: 'count', type: 'bench-counter' },
      ]);
      await warm(sb, [topic]);
      runs['core mqtt in'].push(await lib.measure(sb, [topic], N));
      await lib.unload();
    }
  } finally {
    await lib.stopRuntime();
    await env.stop();
  }
  console.log(`broker: ${env.brokerName}; ${N} messages per run, QoS 0, ${ROUNDS} rounds, best of each shown`);
  console.log('wall msg/s: first to last delivery; msg per CPU-second: deliveries over the CPU time of the Node-RED process');
  const best = {};
  for (const [name, list] of Object.entries(runs)) {
    const wall = Math.max(...list.map((r) => r.rate));
    const cpu = Math.max(...list.map((r) => r.cpuRate));
    best[name] = { wall, cpu };
    const lost = list.reduce((a, r) => a + r.lost, 0);
    console.log(
      `${name.padEnd(14)} ${lib.fmt(wall).padStart(9)} msg/s wall  ${lib.fmt(cpu).padStart(9)} msg per CPU-s   (wall runs: ${list.map((r) => lib.fmt(r.rate)).join(', ')}${lost ? `; ${lost} dropped by the broker` : ''})`,
    );
  }
  const fx = best['functionx-in'];
  const core = best['core mqtt in'];
  console.log(
    `ratio functionx-in / core mqtt in: ${(fx.wall / core.wall).toFixed(2)}x wall, ${(fx.cpu / core.cpu).toFixed(2)}x per CPU-second (target >= 1.0x)`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
