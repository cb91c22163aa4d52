'use strict';
// Helpers of the MqttHub suites (test/mqtt): waiting for a hub state, a logger that
// records, and a plain mqtt.js client straight to the broker that records what it receives.
const mqtt = require('mqtt');

function waitState(hub, state) {
  if (hub.state.state === state) return Promise.resolve(hub.state);
  return new Promise((resolve) => {
    const on = (s) => {
      if (s.state === state) {
        hub.off('state', on);
        resolve(s);
      }
    };
    hub.on('state', on);
  });
}

function logger() {
  const warns = [];
  const infos = [];
  return { warns, infos, warn: (m) => warns.push(m), info: (m) => infos.push(m) };
}

/** A plain mqtt.js client straight to the broker, recording what it receives. */
async function receiver(url, filter) {
  const c = await mqtt.connectAsync(url, { clientId: `rx-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
  const got = [];
  c.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
  await c.subscribeAsync(filter, { qos: 1 });
  return { client: c, got, end: () => c.endAsync(true) };
}

module.exports = { waitState, logger, receiver };
