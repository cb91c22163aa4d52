'use strict';
// Shared by the functionx-in/out and realtime-faults tests: a seed, the broker
// variants to run against, an MQTT client on the sandbox, and small waiting
// helpers that poll for a condition (with a deadline that fails the test,
// never a timing assertion).
const path = require('node:path');
const mqtt = require('mqtt');
const { dist } = require('../support/nodered');
const { brokers } = require('../support/brokers');
const { waitFor, collect } = require('../support/util');

const IID = 1;
const CLIENT = 1001;

/** A small installation whose functions cover states, format/unit and missing topic keys. */
function seed(extra = []) {
  return {
    apiKey: 'fx-test-key',
    installations: [
      { id: IID, client_id: CLIENT, name: 'Test site' },
      { id: 2, client_id: 1002, name: 'Other site' },
    ],
    functions: [
      {
        id: 10,
        installation_id: IID,
        type: 'temperature',
        meta: { name: 'Room temp', topic_read: 'obj/test/temp', format: '%.1f', unit: '°C' },
      },
      {
        id: 11,
        installation_id: IID,
        type: 'switch',
        meta: {
          name: 'Lamp',
          topic_read: 'obj/test/lamp',
          topic_write: 'set/obj/test/lamp',
          topic_alt: 'obj/test/lamp_alt',
          state_on: '1',
          text_on: 'On',
          state_off: '0',
          text_off: 'Off',
        },
      },
      {
        id: 12,
        installation_id: IID,
        type: 'door',
        meta: { name: 'Door', room: 'hall', topic_read: 'obj/test/door', state_open: '1', state_closed: '0' },
      },
      {
        id: 13,
        installation_id: IID,
        type: 'temperature',
        meta: { name: 'Hall temp', room: 'hall', topic_read: 'obj/test/hall_temp', format: '%.2f' },
      },
      { id: 14, installation_id: IID, type: 'setpoint', meta: { name: 'Setpoint', topic_read: 'obj/test/sp', topic_write: 'obj/test/sp' } },
      { id: 20, installation_id: 2, type: 'temperature', meta: { name: 'Elsewhere', topic_read: 'obj/test/temp' } },
      ...extra,
    ],
  };
}

/**
 * The sandboxes to run the realtime suites against: the sandbox's own broker
 * always; Mosquitto (or MQTT_URL) when test/support/brokers.js lists it, with
 * the sandbox using that broker.
 */
function variants() {
  const startSandbox = (o) => require(path.join(dist, 'src', 'sandbox')).startSandbox(o);
  const list = [
    {
      name: 'sandbox broker',
      embedded: true,
      start: async (s) => ({ sb: await startSandbox({ port: 0, mqttPort: 0, seed: s }), stop: async () => {} }),
    },
  ];
  for (const b of brokers) {
    if (b.name === 'aedes') continue; // the sandbox broker is aedes already
    list.push({
      name: b.name,
      embedded: false,
      restartable: b.restartable,
      start: async (s) => {
        const broker = await b.start();
        const sb = await startSandbox({ port: 0, seed: s, mqttUrl: broker.url });
        return { sb, broker, stop: () => broker.stop() };
      },
    });
  }
  return list;
}

/** An MQTT client on the sandbox's broker with the sandbox key (what a device would be). */
async function device(sb) {
  const c = await mqtt.connectAsync(sb.mqtt, { username: 'device', password: sb.apiKey, reconnectPeriod: 0 });
  return c;
}

/** Resolves once cond() is truthy; rejects with `what` after `ms` (a deadline, not a measurement). */
const until = (cond, what, ms = 10000) => waitFor(cond, { what, ms, interval: 20 });

/**
 * Publishes `probe` on `topic` every 100 ms until `got` holds a message on that
 * topic (the subscription is live at the broker), then returns its index.
 */
async function probe(client, topic, got, payload = '{"value":-999}') {
  let n = 0;
  return until(async () => {
    const i = got.findIndex((m) => m.topic === topic);
    if (i >= 0) return i + 1;
    if (n++ % 5 === 0) await client.publishAsync(topic, payload, { qos: 1 });
    return 0;
  }, `a message on ${topic}`);
}

/** HTTP call on the sandbox API with its key. */
async function api(sb, method, p, body) {
  const res = await fetch(sb.api + p, {
    method,
    headers: { 'X-API-Key': sb.apiKey, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

module.exports = { IID, CLIENT, seed, variants, device, until, collect, probe, api };

/**
 * The built node module, given a RED whose `_` resolves the node's real
 * locales/en-US catalog through Node-RED's own i18n (the test helper's RED
 * returns bare keys), so tests read the messages users read.
 */
async function localized(type) {
  const { i18n } = require('@node-red/util');
  const { nodeModule } = require('../support/nodered');
  i18n.init({ lang: 'en-US' });
  const ns = `lynx-test/${type}`;
  await i18n.registerMessageCatalog(ns, path.join(dist, 'nodes', type, 'locales'), `${type}.json`);
  const mod = nodeModule(type);
  return function withLocales(red) {
    const r = Object.create(red);
    r._ = (key, params) => i18n._(`${ns}:${key}`, params);
    return mod(r);
  };
}

module.exports.localized = localized;

/**
 * A TCP gate in front of a broker, on a fixed loopback port: down() closes the
 * port and cuts every connection (the broker is unreachable, as a network
 * partition or a stopped broker looks to a client), up() opens it again.
 */
async function gate(target) {
  const net = require('node:net');
  const t = new URL(target);
  const sockets = new Set();
  let server = null;
  let port = 0;
  async function up() {
    server = net.createServer((c) => {
      const u = net.connect(Number(t.port), t.hostname);
      sockets.add(c);
      sockets.add(u);
      const end = () => {
        c.destroy();
        u.destroy();
        sockets.delete(c);
        sockets.delete(u);
      };
      c.on('error', end);
      u.on('error', end);
      c.on('close', end);
      u.on('close', end);
      c.pipe(u);
      u.pipe(c);
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    port = server.address().port;
  }
  async function down() {
    if (!server) return;
    const s = server;
    server = null;
    for (const x of sockets) x.destroy();
    sockets.clear();
    await new Promise((r) => s.close(() => r()));
  }
  await up();
  return {
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    up,
    down,
    close: down,
  };
}

module.exports.gate = gate;
