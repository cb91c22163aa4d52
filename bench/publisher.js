'use strict';
// Publisher process for the realtime benchmarks: connects to the broker and
// publishes `count` Lynx payloads at QoS 0 round-robin over the topics given,
// as fast as the socket takes them. Talks to its parent over IPC:
//   parent -> {url, password, topics, count}   child -> {ready} / {sent, ms}
const mqtt = require('mqtt');

process.once('message', async (job) => {
  const client = await mqtt.connectAsync(job.url, { username: 'bench', password: job.password, reconnectPeriod: 0 });
  process.send({ ready: true });
  process.once('message', async () => {
    const t0 = process.hrtime.bigint();
    const { topics, count } = job;
    const ts = Date.now() / 1000;
    for (let i = 0; i < count; i++) {
      // Timestamps rise by 1 µs a message: the next run starts after this one's last, so the
      // sandbox appends to its log in order instead of inserting into the middle of it (which
      // cost it a CPU core and skewed the figures of whichever node ran next).
      const payload = `{"value":${(20 + (i % 100) / 10).toFixed(1)},"timestamp":${ts + i / 1e6}}`;
      // QoS 0: the callback fires once written; wait now and then so the socket buffer stays bounded.
      if (i % 500 === 499) await client.publishAsync(topics[i % topics.length], payload, { qos: 0 });
      else client.publish(topics[i % topics.length], payload, { qos: 0 });
    }
    await client.publishAsync(topics[0], '{"value":0}', { qos: 1 }); // flushes everything before it
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    await client.endAsync();
    process.send({ sent: count, ms });
    process.disconnect();
  });
});
