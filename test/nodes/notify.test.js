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

  describe('default data and the message text (a Go template)', () => {
    const warnings = () =>
      helper
        .log()
        .args.filter((a) => a[0].level === 30 && a[0].id === 'notify')
        .map((a) => a[0].msg);

    it('wraps a payload that is not an object as {message, value}, so {{.payload.message}} renders', async () => {
      const n = await load({ configVersion: 2 });
      for (const payload of [31.5, 'Door open', { message: 'as is' }]) {
        const got = next(n.out);
        n.notify.receive({ payload, topic: 'door' });
        await got;
      }
      assert.deepEqual(
        sb.store.sentNotifications.map((x) => x.data.payload),
        [{ message: '31.5', value: 31.5 }, { message: 'Door open' }, { message: 'as is' }],
      );
      assert.deepEqual(warnings(), [], 'every send had .payload.message');
    });

    it('a node saved before (settings version 1) keeps sending the payload as it is', async () => {
      const n = await load({ configVersion: 1 });
      const got = next(n.out);
      n.notify.receive({ payload: 31.5 });
      await got;
      assert.deepEqual(sb.store.sentNotifications[0].data, { payload: 31.5 });
    });

    it('warns once per missing field, naming it, and still sends', async () => {
      const n = await load({ configVersion: 2 });
      for (let i = 0; i < 3; i++) {
        const got = next(n.out);
        n.notify.receive({ payload: { level: i } });
        await got;
      }
      assert.equal(sb.store.sentNotifications.length, 3);
      const w = warnings();
      assert.equal(w.length, 1, JSON.stringify(w));
      assert.match(w[0], /notification output 21: the message text uses \.payload\.message, which the data sent lacks/);
    });
  });

  describe('managing messages and outputs from a flow', () => {
    const run = async (n, msg) => {
      const got = next(n.out);
      n.notify.receive(msg);
      return got;
    };
    afterEach(() => {
      for (const id of [...sb.store.messages.keys()]) if (id !== 11) sb.store.messages.delete(id);
      for (const id of [...sb.store.outputs.keys()]) if (![21, 22, 23].includes(id)) sb.store.outputs.delete(id);
    });

    it('message list, create, get, update, find-or-create by name, delete', async () => {
      const n = await load({ operation: 'message-list', output: '' });
      assert.deepEqual(
        (await run(n, {})).payload.map((m) => m.name),
        ['Alarm'],
      );
      const made = await run(n, { operation: 'message-create', payload: { name: 'Leak', text: 'Leak: {{.payload.message}}' } });
      assert.ok(made.message_id);
      assert.equal((await run(n, { operation: 'message-get', message_id: made.message_id })).payload.text, 'Leak: {{.payload.message}}');
      const up = await run(n, { operation: 'message-update', message_id: made.message_id, payload: { name: 'Leak', text: 'Water!' } });
      assert.equal(up.payload.text, 'Water!');
      const again = await run(n, { operation: 'message-find-or-create', payload: { name: 'Leak', text: 'other text' } });
      assert.deepEqual([again.created, again.message_id], [false, made.message_id]);
      const del = await run(n, { operation: 'message-delete', message_id: made.message_id });
      assert.deepEqual(del.payload, { deleted: true, id: made.message_id });
      assert.equal(sb.store.messages.has(made.message_id), false);
      assert.equal(sb.store.sentNotifications.length, 0, 'nothing sent');
    });

    it('status says what this node did, not the msg.created an installation node upstream set', async () => {
      const n = await load({ operation: 'message-list', output: '' });
      const statuses = [];
      n.notify.on('call:status', (c) => statuses.push(c.args[0].text));
      await run(n, { created: true });
      assert.deepEqual(statuses.slice(-1), ['message-list done']);
    });

    it('output find-or-create: executor by type, message found or created by name; re-runs make no duplicate', async () => {
      const n = await load({ operation: 'output-find-or-create', output: '' });
      const body = {
        name: 'Mail site manager',
        executor: 'mail',
        message: { name: 'Site alarm', text: '{{.installation.Name}}: {{.payload.message}}' },
        config: { recipients: 'site@example.com' },
      };
      const a = await run(n, { payload: body });
      const b = await run(n, { payload: body });
      assert.deepEqual([a.created, b.created, b.output_id], [true, false, a.output_id]);
      const outs = [...sb.store.outputs.values()].filter((o) => o.name === 'Mail site manager');
      assert.equal(outs.length, 1);
      assert.equal([...sb.store.messages.values()].filter((m) => m.name === 'Site alarm').length, 1);
      assert.deepEqual([outs[0].notification_output_executor_id, outs[0].config], [1, { recipients: 'site@example.com' }]);
      const got = await run(n, { operation: 'output-get', output_id: a.output_id });
      assert.equal(got.payload.notification_message_id, outs[0].notification_message_id);
      const up = await run(n, { operation: 'output-update', output_id: a.output_id, payload: { ...body, config: {} } });
      assert.deepEqual(up.payload.config, {});
      assert.ok((await run(n, { operation: 'output-list' })).payload.some((o) => o.id === a.output_id));
      await run(n, { operation: 'output-delete', output_id: a.output_id });
      assert.equal(sb.store.outputs.has(a.output_id), false);
    });

    const bad = [
      ['a message without text', { operation: 'message-create', payload: { name: 'x' } }, /msg\.payload\.text must be the message text/],
      ['a message payload that is not an object', { operation: 'message-find-or-create', payload: 'x' }, /msg\.payload must be an object/],
      [
        'an unknown executor',
        { operation: 'output-create', payload: { name: 'o', executor: 'fax', notification_message_id: 11 } },
        /no notification executor of type or name "fax"/,
      ],
      [
        'an output without executor',
        { operation: 'output-create', payload: { name: 'o', notification_message_id: 11 } },
        /needs notification_output_executor_id or executor/,
      ],
      [
        'an output without message',
        { operation: 'output-create', payload: { name: 'o', executor: 'mail' } },
        /needs notification_message_id or message/,
      ],
      [
        'a config value that is not a string',
        { operation: 'output-create', payload: { name: 'o', executor: 'mail', notification_message_id: 11, config: { n: 1 } } },
        /msg\.payload\.config\.n must be a string/,
      ],
      [
        'a message id of another installation (400 from the server)',
        { operation: 'output-create', payload: { name: 'o', executor: 'mail', notification_message_id: 999 } },
        /notification_message_id/,
      ],
      ['a bad message id', { operation: 'message-get', message_id: 'x' }, /msg\.message_id must be a positive integer id/],
      ['no message id', { operation: 'message-delete' }, /^msg\.message_id must be a positive integer id, got nothing$/],
      ['an unknown operation', { operation: 'message-rename' }, /operation "message-rename" is unknown/],
    ];
    for (const [what, msg, re] of bad) {
      it(`bad input: ${what}`, async () => {
        const n = await load({ output: '' });
        const caught = next(n.caught);
        n.notify.receive(msg);
        assert.match((await caught).error.message, re);
        assert.equal([...sb.store.outputs.keys()].length, 3, 'no output made');
      });
    }
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

    it('previews the output message text with the data a sample message would send, naming missing fields', async () => {
      await load();
      const q = (o) => new URLSearchParams({ installation: String(IID), output: '21', ...o }).toString();
      const wrapped = await helper
        .request()
        .get(`/iotopen/cfg/notify-preview?${q({ dataMode: 'default', sample: '{"payload": 31.5}' })}`)
        .expect(200);
      assert.deepEqual(wrapped.body.message, { id: 11, name: 'Alarm', text: '{{.payload.message}}' });
      assert.deepEqual(wrapped.body.fields, ['.payload.message']);
      assert.equal(wrapped.body.rendered, '31.5');
      assert.deepEqual(wrapped.body.missing, []);
      const asIs = await helper
        .request()
        .get(`/iotopen/cfg/notify-preview?${q({ dataMode: 'raw', sample: '{"payload": 31.5}' })}`)
        .expect(200);
      assert.equal(asIs.body.rendered, '<no value>');
      assert.deepEqual(asIs.body.missing, ['.payload.message']);
      const tpl = await helper
        .request()
        .get(
          `/iotopen/cfg/notify-preview?${q({ dataMode: 'template', format: 'text', field: 'body', template: 'T={{payload}}', sample: '{"payload": 2}' })}`,
        )
        .expect(200);
      assert.deepEqual(tpl.body.data, { body: 'T=2' });
      assert.deepEqual(tpl.body.missing, ['.payload.message']);
      const badSample = await helper
        .request()
        .get(`/iotopen/cfg/notify-preview?${q({ sample: '{oops' })}`)
        .expect(400);
      assert.match(badSample.body.error, /sample message is not JSON/);
      const badOutput = await helper
        .request()
        .get(`/iotopen/cfg/notify-preview?${q({ output: 'x' })}`)
        .expect(400);
      assert.match(badOutput.body.error, /output must be a positive integer id/);
      const badTemplate = await helper
        .request()
        .get(`/iotopen/cfg/notify-preview?${q({ dataMode: 'template', format: 'json', template: 'not json {{payload}}', sample: '{}' })}`)
        .expect(400);
      assert.deepEqual([badTemplate.body.field, /valid JSON/.test(badTemplate.body.error)], ['template', true]);
      const gone = await helper
        .request()
        .get(`/iotopen/cfg/notify-preview?${q({ output: '999' })}`)
        .expect(502);
      assert.equal(gone.body.status, 404);
      assert.equal(sb.store.sentNotifications.length, 0, 'a preview sends nothing');
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

  it('runs against the default seed, and every send has the fields its message text uses', async () => {
    await loadExample('Notify - door alarm.json', sb, [notifyMod]);
    const dbg = helper.getNode('ntf-dbg');
    const sent = () => new Promise((r) => dbg.once('input', r));
    for (const id of ['ntf-go', 'ntf-go-text', 'ntf-go2', 'ntf-go3']) {
      const got = sent();
      helper.getNode(id).receive({});
      await got;
    }
    const log = sb.store.sentNotifications.map((s) => [s.installation_id, s.output_id, s.data]);
    assert.deepEqual(log, [
      [101, 1, { payload: { message: 'Main entrance door is open' }, topic: 'door/main' }],
      [101, 1, { payload: { message: 'Back door is open' }, topic: 'door/back' }],
      [102, 3, { payload: { value: 31.5, message: 'cold storage' } }],
      [101, 2, { payload: { message: 'Reception: lights left on' } }],
    ]);
    const warned = helper.log().args.filter((a) => a[0].level === 30 && /^ntf-/.test(a[0].id));
    assert.deepEqual(
      warned.map((a) => a[0].msg),
      [],
      'no missing-field warning',
    );
  });
});
