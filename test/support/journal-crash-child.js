'use strict';
// Child of test/mqtt/journal.test.js (not a test file: mocha would run it): a hub with a journal and no broker (a closed port) publishes
// numbered messages for ever and prints each number once publish() resolved (the flow
// would call done() then). The parent kills it with SIGKILL at a random moment.
const path = require('node:path');
const { MqttHub } = require(path.resolve(__dirname, '../../dist/src/mqtt'));

const [file, port] = process.argv.slice(2);
if (require.main !== module || !file || !port)
  throw new Error('journal-crash-child.js runs as a child process: node journal-crash-child.js <file> <port>');
const hub = new MqttHub({
  url: `mqtt://127.0.0.1:${port}`,
  queueFile: file,
  queueFingerprint: 'crash-test',
  queueLimit: 1e7,
  minReconnectMs: 60000,
  maxReconnectMs: 60000,
});
(async () => {
  for (let i = 0; ; i++) {
    const payload = i % 3 === 0 ? Buffer.from(`b${i}`) : JSON.stringify({ value: i, pad: 'x'.repeat(i % 200) });
    const r = await hub.publish(`crash/${i % 7}`, payload, { qos: i % 2, origin: { node: 'n1', msgid: `m${i}` } });
    if (!r.queued) throw new Error('expected to be queued');
    process.stdout.write(`${i}\n`);
  }
})();
