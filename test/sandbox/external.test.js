'use strict';
// External broker mode (mqttUrl): the sandbox subscribes +/obj/# there to feed
// status and log, and publishes its evt and REST-publish messages there.
// Runs against every broker test/support/brokers.js offers here (a separate
// aedes, Mosquitto when installed, and MQTT_URL when set).
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const { brokers } = require('../support/brokers');
const { sandbox, call, nextMessage, until } = require('./helpers');

for (const b of brokers) {
  describe(`sandbox: external broker mode (${b.name})`, function () {
    let broker;
    let sb;
    let client;
    before(async () => {
      broker = await b.start();
      sb = await sandbox.startSandbox({ port: 0, mqttUrl: broker.url });
      client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    });
    after(async () => {
      if (client) await client.endAsync(true);
      if (sb) await sb.stop();
      if (broker && broker.stop) await broker.stop();
    });

    it('sb.mqtt is the external URL; the embedded broker cannot be stopped', async () => {
      assert.equal(sb.mqtt, broker.url);
      await assert.rejects(sb.stopBroker(), /only the embedded broker/);
    });

    it('obj values published on the external broker reach status and log', async () => {
      const topic = `obj/ext/${process.pid}/${Date.now()}`;
      await client.publishAsync(`2101/${topic}`, JSON.stringify({ value: 42, msg: 'ext' }), { qos: 1 });
      const st = await until(async () => {
        const r = await call(sb, 'POST', '/api/v2/status/101', { body: [topic] });
        return r.body.length ? r : null;
      });
      assert.deepEqual([st.body[0].value, st.body[0].msg, st.body[0].installation_id], [42, 'ext', 101]);
      const log = await call(sb, 'POST', '/api/v3beta/log/101', { body: [topic] });
      assert.equal(log.body.total, 1);
    });

    it('CRUD events and REST publishes go to the external broker', async () => {
      await client.subscribeAsync(['2102/evt/#', '2102/obj/restext/#'], { qos: 1 });
      const evt = nextMessage(client, (t) => t.startsWith('2102/evt/'));
      await call(sb, 'POST', '/api/v2/functionx/102', { body: { installation_id: 102, type: 'switch', meta: {} } });
      assert.equal((await evt).topic, '2102/evt/functionx/updated');
      const pub = nextMessage(client, (t) => t.startsWith('2102/obj/restext'));
      await call(sb, 'POST', '/api/v2/mqtt/publish/102', { body: { topic: 'obj/restext/1', payload: { value: 7 } } });
      assert.deepEqual(JSON.parse((await pub).payload), { value: 7 });
    });
  });
}
