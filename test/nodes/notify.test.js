'use strict';
// iotopen-notify in the real Node-RED runtime against the sandbox (real HTTP on loopback).
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, configNode, dist, catchNode, watchers } = require('../support/nodered');
const { next } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const configMod = nodeModule('iotopen-config');
const notifyMod = nodeModule('iotopen-notify');

const IID = 801;
const seed = () => ({
  apiKey: 'notify-test-key-0123456789',
  installations: [
    { id: IID, client_id: 9801, name: 'Notify test' },
    { id: 802, client_id: 9802, name: 'Other' },
  ],
  notifications: {
    executors: [
      {
        id: 1,
        type: 'mail',
        name: 'Mail',
        organization_id: 1,
        config: { from: 'a@example.com', endpoint: 'http://127.0.0.1/secret-endpoint' },
      },
    ],
    messages: [{ id: 11, installation_id: IID, name: 'Alarm', text: '{{.payload.message}}' }],
    outputs: [
      {
        id: 21,
        installation_id: IID,
        name: 'Mail on-call',
        notification_output_executor_id: 1,
        notification_message_id: 11,
        config: { recipients: 'x@example.com' },
      },
      { id: 22, installation_id: IID, name: 'Mail boss', notification_output_executor_id: 1, notification_message_id: 11, config: {} },
      { id: 23, installation_id: 802, name: 'Elsewhere', notification_output_executor_id: 1, notification_message_id: 11, config: {} },
    ],
  },
});

describe('iotopen-notify node', function () {
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
  });
  after(async () => {
    await sb.stop();
  });
  beforeEach(() => {
    sb.store.sentNotifications.length = 0;
  });
  afterEach(async () => {
    sb.faults.clear();
    await helper.unload();
  });

  async function load(props = {}) {
    const cfg = configNode(sb);
    const flow = [
      cfg.node,
      { id: 'f1', type: 'tab' },
      {
        id: 'notify',
        z: 'f1',
        type: 'iotopen-notify',
        server: 'cfg',
        installation: String(IID),
        output: '21',
        dataMode: 'default',
        format: 'json',
        field: 'message',
        template: '',
        wires: [['out']],
        ...props,
      },
      { id: 'out', z: 'f1', type: 'helper' },
      ...watchers('notify', { z: 'f1' }),
    ];
    await helper.load([configMod, notifyMod, catchNode], flow, cfg.credentials);
    return { notify: helper.getNode('notify'), out: helper.getNode('out'), caught: helper.getNode('caught') };
  }

  it('sends {payload, topic, lynx} of the message by default', async () => {
    const n = await load();
    const got = next(n.out);
    n.notify.receive({ payload: { message: 'Door open' }, topic: 'door', lynx: { installation_id: IID }, other: 'not sent' });
    const m = await got;
    assert.equal(sb.store.sentNotifications.length, 1);
    const sent = sb.store.sentNotifications[0];
    assert.equal(sent.output_id, 21);
    assert.equal(sent.installation_id, IID);
    assert.deepEqual(sent.data, { payload: { message: 'Door open' }, topic: 'door', lynx: { installation_id: IID } });
    assert.deepEqual(m.notification, { installation_id: IID, output_id: 21, data: sent.data });
    assert.equal(m.other, 'not sent', 'the message passes through');
  });

  it('renders a JSON template against the message', async () => {
    const n = await load({ dataMode: 'template', format: 'json', template: '{"message": {{json payload}}, "level": "{{level}}" }' });
    const got = next(n.out);
    n.notify.receive({ payload: 'He said "open"', level: 'high' });
    await got;
    assert.deepEqual(sb.store.sentNotifications[0].data, { message: 'He said "open"', level: 'high' });
  });

  it('renders a text template into the chosen field', async () => {
    const n = await load({ dataMode: 'template', format: 'text', field: 'body', template: 'Temperature {{payload}} °C in {{topic}}' });
    const got = next(n.out);
    n.notify.receive({ payload: 31.5, topic: 'cold room' });
    await got;
    assert.deepEqual(sb.store.sentNotifications[0].data, { body: 'Temperature 31.5 °C in cold room' });
  });

  it('takes installation, output and data from msg', async () => {
    const n = await load({ installation: '', output: '' });
    const got = next(n.out);
    n.notify.receive({ installation_id: 802, output_id: 23, data: { custom: true } });
    await got;
    const { installation_id, output_id, data } = sb.store.sentNotifications[0];
    assert.deepEqual({ installation_id, output_id, data }, { installation_id: 802, output_id: 23, data: { custom: true } });
  });

  it('reports a template syntax error at deploy and on each message, sending nothing', async () => {
    const n = await load({ dataMode: 'template', format: 'text', template: 'Hi {{#if payload}} open' });
    const deployErrors = helper.log().args.filter((a) => a[0].level === 20 && a[0].id === 'notify');
    assert.equal(deployErrors.length, 1);
    assert.match(deployErrors[0][0].msg, /template has a syntax error/);
    for (let i = 0; i < 2; i++) {
      const caught = next(n.caught);
      n.notify.receive({ payload: i });
      assert.match((await caught).error.message, /template has a syntax error/);
    }
    assert.equal(sb.store.sentNotifications.length, 0);
  });

  describe('bad input reaches a Catch node with a clear error', () => {
    const cases = [
      ['a missing output (404)', { output_id: 999 }, /notification output 999 was not found in installation 801 \(404\)/, 404],
      ['an output of another installation (404)', { output_id: 23 }, /notification output 23 was not found/, 404],
      ['a bad output id', { output_id: 'x' }, /msg\.output_id must be a positive integer id/],
      ['a bad installation id', { installation_id: -1 }, /msg\.installation_id must be a positive integer id/],
      ['data that is not an object', { data: 'text' }, /msg\.data must be an object/],
    ];
    for (const [what, msg, re, status] of cases) {
      it(what, async () => {
        const n = await load();
        const caught = next(n.caught);
        n.notify.receive(msg);
        const c = await caught;
        assert.match(c.error.message, re);
        if (status) assert.equal(c.statusCode, status);
        assert.equal(sb.store.sentNotifications.length, 0);
      });
    }

    it('a template rendering invalid JSON', async () => {
      const n = await load({ dataMode: 'template', format: 'json', template: '{"message": "{{payload}}"}' });
      const caught = next(n.caught);
      n.notify.receive({ payload: 'a "quoted" word' });
      assert.match((await caught).error.message, /did not render valid JSON/);
    });

    it('a server error is not retried (no double notification)', async () => {
      const n = await load();
      sb.resetRequests();
      sb.faults.set({ errorRate: 1, errorStatus: 503, path: /\/send$/ });
      const caught = next(n.caught);
      n.notify.receive({ payload: 1 });
      const c = await caught;
      assert.equal(c.statusCode, 503);
      assert.equal(sb.requests.filter((r) => r.path.endsWith('/send')).length, 1);
    });
  });

  describe('admin routes for the editor', () => {
    before((done) => {
      helper.startServer(done);
    });
    after((done) => {
      helper.stopServer(done);
    });

    it('lists messages and executors of an installation, without executor configs', async () => {
      await load();
      const msgs = await helper.request().get(`/iotopen/cfg/messages?installation=${IID}`).expect(200);
      assert.deepEqual(msgs.body, [{ id: 11, name: 'Alarm', text: '{{.payload.message}}' }]);
      const ex = await helper.request().get(`/iotopen/cfg/executors?installation=${IID}`).expect(200);
      assert.equal(ex.body[0].name, 'Mail');
      assert.ok(!JSON.stringify(ex.body).includes('secret-endpoint'), 'executor config stays on the server');
    });

    it('answers a hint when the config node is not deployed, and names a bad installation', async () => {
      await load();
      const r = await helper.request().get('/iotopen/nope/messages?installation=1').expect(404);
      assert.equal(r.body.hint, 'deploy');
      const bad = await helper.request().get('/iotopen/cfg/executors?installation=abc').expect(400);
      assert.match(bad.body.error, /installation must be a positive integer/);
    });
  });
});

describe('iotopen-notify example flow', function () {
  const { loadExample } = require('../support/example-flow');
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });
  afterEach(() => helper.unload());

  it('runs against the default seed', async () => {
    await loadExample('Notify - door alarm.json', sb, [notifyMod]);
    const dbg = helper.getNode('ntf-dbg');
    const sent = () => new Promise((r) => dbg.once('input', r));
    let got = sent();
    helper.getNode('ntf-default').receive({ payload: { message: 'Main entrance door is open' }, topic: 'door/main' });
    await got;
    got = sent();
    helper.getNode('ntf-json').receive({ payload: 31.5, topic: 'cold storage' });
    await got;
    got = sent();
    helper.getNode('ntf-text').receive({ payload: 'Reception lights left on' });
    await got;
    const log = sb.store.sentNotifications.map((s) => [s.installation_id, s.output_id, s.data]);
    assert.deepEqual(log, [
      [101, 1, { payload: { message: 'Main entrance door is open' }, topic: 'door/main' }],
      [102, 3, { value: 31.5, message: 'cold storage' }],
      [101, 2, { message: 'Office Stockholm: Reception lights left on' }],
    ]);
  });
});
