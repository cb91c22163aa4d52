'use strict';
// The sandbox in its own process for the throughput benchmarks: it records every
// value published under {client_id}/obj/ (status and log, as the platform does),
// work that must not be charged to the Node-RED process being measured.
// parent -> {seed, mqttUrl?}   child -> {api, mqtt, apiKey}; stops on disconnect.
const path = require('node:path');
const { startSandbox } = require(path.resolve(__dirname, '..', 'dist', 'src', 'sandbox'));

process.once('message', async ({ seed, mqttUrl }) => {
  const sb = await startSandbox({ port: 0, mqttPort: 0, seed, ...(mqttUrl ? { mqttUrl } : {}) });
  process.send({ api: sb.api, mqtt: sb.mqtt, apiKey: sb.apiKey });
  process.once('disconnect', () => sb.stop().then(() => process.exit(0)));
});
