'use strict';
// The provisioning nodes (iotopen-installation, iotopen-notify's message and output operations)
// in the real Node-RED runtime against the sandbox on loopback, under API faults injected by the
// sandbox (5xx, 429 with Retry-After, a socket closed without an answer, a create whose answer is
// lost after it acted): every operation either ends right or reaches a Catch node with an error
// naming what failed and what to do, with no secret in it; find-or-create never makes a second
// object; nothing crashes the runtime.
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, configNode, dist, catchNode, watchers } = require('../support/nodered');
const { waitFor } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const configMod = nodeModule('iotopen-config');
const instMod = nodeModule('iotopen-installation');
const notifyMod = nodeModule('iotopen-notify');

const API_KEY = 'provisioning-faults-key-0123456789';
const IID = 1;
const seed = () => ({
  apiKey: API_KEY,
  installations: [{ id: IID, client_id: 5001, name: 'Head office', organization_id: 3, meta: { site_code: 'HQ' } }],
  notifications: {
    executors: [{ id: 1, type: 'mail', name: 'Mail', organization_id: 3, config: { endpoint: 'http://127.0.0.1/x' } }],
    messages: [{ id: 11, installation_id: IID, name: 'Alarm', text: '{{.payload.message}}' }],
    outputs: [
      { id: 31, installation_id: IID, name: 'Mail HQ', notification_output_executor_id: 1, notification_message_id: 11, config: {} },
    ],
  },
});

describe('provisioning nodes under API faults', function () {
  this.timeout(20000);
  let sb;
  beforeEach(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
  });
  afterEach(async () => {
    sb.faults.clear();
    await helper.unload();
    await sb.stop();
  });

  async function load(type, props, notify = notifyMod) {
    const cfg = configNode(sb);
    const base =
      type === 'iotopen-installation'
        ? {
            operation: 'find-or-create',
            installation: '',
            organization: '3',
            metaKey: '',
            matchKeys: 'site_code',
            silent: false,
            createMissing: true,
          }
        : { installation: String(IID), output: '', dataMode: 'default', format: 'json', field: 'message', template: '' };
    const flow = [
      cfg.node,
      { id: 'f1', type: 'tab' },
      { id: 'n', z: 'f1', type, server: 'cfg', wires: [['out']], ...base, ...props },
      { id: 'out', z: 'f1', type: 'helper' },
      ...watchers('n', { z: 'f1' }),
    ];
    await helper.load([configMod, instMod, notify, catchNode], flow, cfg.credentials);
    const n = { node: helper.getNode('n'), out: helper.getNode('out'), caught: helper.getNode('caught') };
    // either the output or the Catch node, whichever the message reaches: one listener on each
    // for the whole test (a Node-RED node's input listeners are not meant to come and go per message)
    let waiting = null;
    n.answers = [];
    n.out.on('input', (m) => (waiting ? waiting({ out: m }) : n.answers.push({ out: m })));
    n.caught.on('input', (m) => (waiting ? waiting({ caught: m }) : n.answers.push({ caught: m })));
    n.run = (msg) =>
      new Promise((resolve) => {
        waiting = (r) => {
          waiting = null;
          resolve(r);
        };
        n.node.receive(msg);
      });
    return n;
  }
  const sites = (code) => sb.store.installations.filter((i) => i.meta && i.meta.site_code === code);
  const noSecret = (text) => {
    assert.ok(!String(text).includes(API_KEY), `no API key in ${text}`);
  };

  describe('iotopen-installation', () => {
    it('find-or-create: 429 with Retry-After on the list and on the create is waited out; one installation', async () => {
      const n = await load('iotopen-installation', {});
      sb.faults.set({ errorRate: 1, errorStatus: 429, retryAfter: 1, path: '/api/v2/installation', count: 2 });
      const r = await n.run({ payload: { name: 'Site R', meta: { site_code: 'R1' } } });
      assert.ok(r.out, `passed: ${r.caught && r.caught.error.message}`);
      assert.equal(r.out.created, true);
      assert.equal(sites('R1').length, 1);
      assert.equal(sb.faults.stats().before.error, 2);
    });

    for (const [what, fault] of [
      ['a socket closed after the create acted', { dropRate: 1, phase: 'after' }],
      ['a create held until the socket closed, after it acted', { stallRate: 1, stallMs: 200, phase: 'after' }],
      ['a 504 after the create acted', { errorRate: 1, errorStatus: 504, phase: 'after' }],
      ['a 500 before the create acted', { errorRate: 1, errorStatus: 500, phase: 'before' }],
    ]) {
      it(`find-or-create: ${what} makes one installation, found again by a re-run`, async () => {
        const n = await load('iotopen-installation', {});
        sb.faults.set({ ...fault, path: '/api/v2/installation', methods: ['POST'], count: 1 });
        const a = await n.run({ payload: { name: 'Site L', meta: { site_code: 'L1' } } });
        assert.ok(a.out, `passed: ${a.caught && a.caught.error.message}`);
        assert.equal(a.out.created, true);
        const b = await n.run({ payload: { name: 'Site L', meta: { site_code: 'L1' } } });
        assert.deepEqual([b.out.created, b.out.installation_id], [false, a.out.installation_id]);
        assert.equal(sites('L1').length, 1);
      });
    }

    it('find-or-create: a platform that answers 503 to everything reaches Catch naming the call, no secret, nothing made', async () => {
      const n = await load('iotopen-installation', {});
      sb.faults.set({ errorRate: 1, errorStatus: 503, path: '/api/v2/installation' });
      const r = await n.run({ payload: { name: 'Site D', meta: { site_code: 'D1' } } });
      assert.ok(r.caught, 'reached Catch');
      assert.match(r.caught.error.message, /503/);
      assert.match(r.caught.error.message, /\/api\/v2\/installation/);
      noSecret(JSON.stringify(r.caught.error));
      assert.equal(r.caught.statusCode, 503);
      assert.equal(sites('D1').length, 0);
    });

    it('find-or-create: a list answered with something that is not a list (a proxy page, an object) creates nothing', async () => {
      const n = await load('iotopen-installation', {});
      for (const body of ['{"rows": []}', '<html>Welcome to the hotel wifi</html>']) {
        sb.faults.set({ errorRate: 1, errorStatus: 200, errorBody: body, path: '/api/v2/installation', methods: ['GET'], count: 1 });
        const r = await n.run({ payload: { name: 'Head office', meta: { site_code: 'HQ' } } });
        assert.ok(r.caught, 'reached Catch');
        assert.match(r.caught.error.message, /not a list, so it cannot tell whether the object exists: nothing was created/);
        noSecret(JSON.stringify(r.caught.error));
      }
      assert.equal(sites('HQ').length, 1, 'no duplicate of the seeded HQ');
      const ok = await n.run({ payload: { name: 'Head office', meta: { site_code: 'HQ' } } });
      assert.deepEqual([ok.out.created, ok.out.installation_id], [false, IID]);
    });

    it("find-or-create: a list answered null (a Go server's nil slice) is an empty list: one installation is created", async () => {
      const n = await load('iotopen-installation', {});
      sb.faults.set({ errorRate: 1, errorStatus: 200, errorBody: 'null', path: '/api/v2/installation', methods: ['GET'], count: 1 });
      const r = await n.run({ payload: { name: 'Site N', meta: { site_code: 'N1' } } });
      assert.ok(r.out, `passed: ${r.caught && r.caught.error.message}`);
      assert.equal(sb.faults.stats().before.error, 1, 'the list was answered null');
      assert.equal(r.out.created, true);
      assert.equal(sites('N1').length, 1);
    });

    it('create: an answer lost after the create acted is not retried, and the error says it may exist', async () => {
      const n = await load('iotopen-installation', { operation: 'create' });
      sb.faults.set({ errorRate: 1, errorStatus: 502, phase: 'after', path: '/api/v2/installation', methods: ['POST'], count: 1 });
      sb.resetRequests();
      const r = await n.run({ payload: { name: 'Site C', meta: { site_code: 'C1' } } });
      assert.ok(r.caught, 'reached Catch');
      assert.match(r.caught.error.message, /502/);
      assert.match(r.caught.error.message, /may or may not have done it: look whether it exists before trying again/);
      noSecret(JSON.stringify(r.caught.error));
      assert.equal(sb.requests.filter((q) => q.method === 'POST').length, 1, 'one POST');
      assert.equal(sites('C1').length, 1, 'the server made it once');
    });

    it('create: a connection lost after the create acted shows "connection lost" in the status, not "server unreachable"', async () => {
      const n = await load('iotopen-installation', { operation: 'create' });
      sb.faults.set({ dropRate: 1, phase: 'after', path: '/api/v2/installation', methods: ['POST'], count: 1 });
      const r = await n.run({ payload: { name: 'Site U' } });
      assert.ok(r.caught, 'reached Catch');
      const shown = helper._NodePrototype.status.getCalls().filter((c) => c.thisValue === n.node);
      const last = shown[shown.length - 1].args[0];
      assert.equal(last.fill, 'red');
      assert.match(String(last.text), /connection lost/);
      assert.doesNotMatch(String(last.text), /unreachable/);
    });

    it('create: after a lost answer the catalog already lists the installation the server made', async () => {
      const n = await load('iotopen-installation', { operation: 'create' });
      const cfg = helper.getNode('cfg');
      await cfg.catalog.installations(); // cached
      sb.faults.set({ dropRate: 1, phase: 'after', path: '/api/v2/installation', methods: ['POST'], count: 1 });
      const r = await n.run({ payload: { name: 'Site K' } });
      assert.ok(r.caught, 'reached Catch');
      const listed = await cfg.catalog.installations();
      assert.ok(
        listed.some((i) => i.name === 'Site K'),
        'the catalog was refreshed',
      );
    });

    it('update, delete and the meta writes ride out 503s and dropped answers (retried: they do the same twice)', async () => {
      const n = await load('iotopen-installation', { operation: 'update', installation: String(IID), metaKey: 'owner' });
      const flaky = (methods) =>
        sb.faults.set({ errorRate: 1, errorStatus: 503, phase: 'after', path: '/api/v2/installation/1', methods, count: 1 });
      flaky(['PUT']);
      let r = await n.run({ payload: { notes: 'moved' } });
      assert.ok(r.out, `update passed: ${r.caught && r.caught.error.message}`);
      assert.equal(sb.store.installation(IID).notes, 'moved');
      assert.deepEqual(sb.store.installation(IID).meta, { site_code: 'HQ' }, 'meta kept');
      flaky(['PUT']);
      r = await n.run({ operation: 'meta-set', payload: 'Ops' });
      assert.ok(r.out, `meta-set passed: ${r.caught && r.caught.error.message}`);
      assert.equal(sb.store.installation(IID).meta.owner, 'Ops');
      flaky(['DELETE']);
      r = await n.run({ operation: 'meta-delete' });
      assert.ok(r.out, `meta-delete passed: ${r.caught && r.caught.error.message}`);
      assert.equal('owner' in sb.store.installation(IID).meta, false);
      sb.faults.set({ dropRate: 1, phase: 'after', path: '/api/v2/installation/1', methods: ['DELETE'], count: 1 });
      r = await n.run({ operation: 'delete' });
      assert.ok(r.out, `delete passed: ${r.caught && r.caught.error.message}`);
      assert.equal(sb.store.installation(IID), undefined);
    });

    it('list, get and meta-get ride out a 503 and a dropped answer (reads are retried)', async () => {
      const n = await load('iotopen-installation', { operation: 'list', installation: String(IID), metaKey: 'site_code' });
      for (const fault of [{ errorRate: 1, errorStatus: 503, retryAfter: 0 }, { dropRate: 1 }]) {
        for (const [op, want] of [
          ['list', (m) => m.payload.length === 1],
          ['get', (m) => m.payload.name === 'Head office'],
          ['meta-get', (m) => m.payload === 'HQ' && m.protected === false],
        ]) {
          sb.faults.set({ ...fault, path: '/api/v2/installation', methods: ['GET'], count: 1 });
          const r = await n.run({ operation: op });
          assert.ok(r.out, `${op} passed: ${r.caught && r.caught.error.message}`);
          assert.ok(want(r.out), `${op}: ${JSON.stringify(r.out.payload)}`);
          assert.equal(sb.faults.stats().requests, 1, `${op}: the fault struck`);
        }
      }
    });

    it('meta-set of a plain value keeps a protected key protected', async () => {
      sb.store.installation(IID).protected_meta = { secret_code: 'old' };
      const n = await load('iotopen-installation', { operation: 'meta-set', installation: String(IID), metaKey: 'secret_code' });
      const r = await n.run({ payload: 'new' });
      assert.ok(r.out, `passed: ${r.caught && r.caught.error.message}`);
      const inst = sb.store.installation(IID);
      assert.deepEqual([inst.protected_meta.secret_code, 'secret_code' in inst.meta], ['new', false]);
      const set = await n.run({ payload: { value: 'open', protected: false } });
      assert.ok(set.out);
      assert.deepEqual(
        [inst.meta.secret_code, 'secret_code' in inst.protected_meta],
        ['open', false],
        'an explicit protected: false is sent',
      );
    });

    const bad = [
      ['users that are not ids', { operation: 'create' }, { payload: { name: 'X', users: ['bob'] } }, /msg\.payload\.users\[0\]/],
      ['notes that are not text', { operation: 'create' }, { payload: { name: 'X', notes: 5 } }, /msg\.payload\.notes must be a string/],
      [
        'an organisation that is not an id',
        { operation: 'create' },
        { payload: { name: 'X', organization_id: 'acme' } },
        /msg\.payload\.organization_id/,
      ],
      [
        'protected_meta with a number',
        { operation: 'create' },
        { payload: { name: 'X', protected_meta: { pin: 1 } } },
        /msg\.payload\.protected_meta\.pin must be a string/,
      ],
      [
        'a meta-set value that is a number',
        { operation: 'meta-set', installation: '1', metaKey: 'k' },
        { payload: 5 },
        /msg\.payload must be the meta value as a string/,
      ],
      ['a list filter that is not an object', { operation: 'list' }, { filter: 'site' }, /msg\.filter/],
      [
        'an update payload with an empty name',
        { operation: 'update', installation: '1' },
        { payload: { name: ' ' } },
        /msg\.payload\.name/,
      ],
    ];
    for (const [what, props, msg, re] of bad) {
      it(`bad input: ${what} reaches Catch naming the field, nothing sent to the platform`, async () => {
        const n = await load('iotopen-installation', props);
        sb.resetRequests();
        const r = await n.run(msg);
        assert.ok(r.caught, 'reached Catch');
        assert.match(r.caught.error.message, re);
        assert.equal(sb.requests.filter((q) => q.method !== 'GET').length, 0, 'no write');
        assert.equal(sb.store.installations.length, 1);
      });
    }
  });

  describe('iotopen-notify (messages and outputs)', () => {
    const messages = (name) => [...sb.store.messages.values()].filter((m) => m.name === name);
    const outputs = (name) => [...sb.store.outputs.values()].filter((o) => o.name === name);

    for (const [what, fault] of [
      ['a socket closed after the create acted', { dropRate: 1, phase: 'after' }],
      ['a 502 after the create acted', { errorRate: 1, errorStatus: 502, phase: 'after' }],
      ['a 429 with Retry-After', { errorRate: 1, errorStatus: 429, retryAfter: 1 }],
    ]) {
      it(`message-find-or-create: ${what} makes one message`, async () => {
        const n = await load('iotopen-notify', { operation: 'message-find-or-create' });
        sb.faults.set({ ...fault, path: '/api/v2/notification/1/message', methods: ['POST'], count: 1 });
        const a = await n.run({ payload: { name: 'Leak', text: 'Leak at {{.installation.Name}}' } });
        assert.ok(a.out, `passed: ${a.caught && a.caught.error.message}`);
        const b = await n.run({ payload: { name: 'Leak', text: 'Leak at {{.installation.Name}}' } });
        assert.deepEqual([a.out.created, b.out.created, b.out.message_id], [true, false, a.out.message_id]);
        assert.equal(messages('Leak').length, 1);
      });

      it(`output-find-or-create: ${what} on each create makes one message and one output`, async () => {
        const n = await load('iotopen-notify', { operation: 'output-find-or-create' });
        sb.faults.set({ ...fault, path: '/api/v2/notification/1/', methods: ['POST'], count: 2 });
        const body = { name: 'Mail ops', executor: 'mail', message: { name: 'Door', text: '{{.payload.message}}' }, config: { to: 'o@x' } };
        const a = await n.run({ payload: body });
        assert.ok(a.out, `passed: ${a.caught && a.caught.error.message}`);
        const b = await n.run({ payload: body });
        assert.deepEqual([a.out.created, b.out.created, b.out.output_id], [true, false, a.out.output_id]);
        assert.deepEqual([messages('Door').length, outputs('Mail ops').length], [1, 1]);
        assert.equal(outputs('Mail ops')[0].notification_message_id, messages('Door')[0].id);
      });
    }

    it('output-find-or-create: three messages at once, with the first create of each kind losing its answer, make one of each', async () => {
      const n = await load('iotopen-notify', { operation: 'output-find-or-create' });
      sb.faults.set({ dropRate: 1, phase: 'after', path: '/api/v2/notification/1/', methods: ['POST'], count: 2 });
      const body = { name: 'SMS ops', executor: 'Mail', message: { name: 'Fire', text: 'Fire: {{.payload.message}}' }, config: {} };
      for (let i = 0; i < 3; i++) n.node.receive({ payload: body });
      await waitFor(() => n.answers.length === 3, { what: 'three answers' });
      const errs = n.answers.filter((a) => a.caught).map((a) => a.caught.error.message);
      assert.deepEqual(errs, []);
      const ids = new Set(n.answers.map((a) => a.out.output_id));
      assert.equal(ids.size, 1, 'one output id');
      assert.deepEqual(
        n.answers.map((a) => a.out.created),
        [true, false, false],
      );
      assert.deepEqual([messages('Fire').length, outputs('SMS ops').length], [1, 1]);
    });

    it('message-find-or-create on a platform listing messages without id warns that msg.message_id is not set', async () => {
      sb.store.behaviour.omitIds = { messages: true, executors: false };
      try {
        const n = await load('iotopen-notify', { operation: 'message-find-or-create' });
        const warned = [];
        n.node.on('call:warn', (c) => warned.push(String(c.args[0])));
        const r = await n.run({ payload: { name: 'Alarm', text: 'anything' } });
        assert.ok(r.out, `passed: ${r.caught && r.caught.error.message}`);
        assert.deepEqual([r.out.created, r.out.message_id], [false, undefined]);
        assert.equal(warned.length, 1);
        assert.match(warned[0], /"Alarm" without its id.*notification_message_id/);
      } finally {
        sb.store.behaviour.omitIds = { messages: false, executors: false };
      }
    });

    it('output-create by executor type on a platform listing executors without id names that, not a missing executor', async () => {
      sb.store.behaviour.omitIds = { messages: false, executors: true };
      try {
        const n = await load('iotopen-notify', { operation: 'output-create' });
        const r = await n.run({ payload: { name: 'O', executor: 'mail', notification_message_id: 11 } });
        assert.ok(r.caught, 'reached Catch');
        assert.match(
          r.caught.error.message,
          /lists notification executor "mail" without its id: give msg\.payload\.notification_output_executor_id/,
        );
        assert.equal(outputs('O').length, 0);
        const ok = await n.run({ payload: { name: 'O', notification_output_executor_id: 1, notification_message_id: 11 } });
        assert.ok(ok.out, `by id passed: ${ok.caught && ok.caught.error.message}`);
      } finally {
        sb.store.behaviour.omitIds = { messages: false, executors: false };
      }
    });

    it('send: a 429 with Retry-After is waited out and sent once; a send whose answer is lost is not sent again, and says so', async () => {
      const n = await load('iotopen-notify', { operation: 'send', output: '31' });
      sb.faults.set({ errorRate: 1, errorStatus: 429, retryAfter: 1, path: /\/send$/, count: 1 });
      const ok = await n.run({ payload: 'door open' });
      assert.ok(ok.out, `passed: ${ok.caught && ok.caught.error.message}`);
      assert.equal(sb.store.sentNotifications.length, 1);
      for (const [fault, reason] of [
        [{ dropRate: 1, phase: 'after' }, /\(connection lost\)/],
        [{ errorRate: 1, errorStatus: 502, phase: 'after' }, /HTTP 502/],
      ]) {
        sb.resetRequests();
        sb.faults.set({ ...fault, path: /\/send$/, count: 1 });
        const r = await n.run({ payload: 'door open' });
        assert.ok(r.caught, 'reached Catch');
        assert.match(r.caught.error.message, reason);
        assert.match(r.caught.error.message, /may or may not have reached the platform; it is not sent again/);
        assert.doesNotMatch(r.caught.error.message, /look whether it exists/);
        noSecret(JSON.stringify(r.caught.error));
        assert.equal(sb.requests.filter((q) => q.path.endsWith('/send')).length, 1, 'one send');
      }
      assert.equal(sb.store.sentNotifications.length, 3, 'each acted once');
    });

    it('send whose answer is lost, in Swedish: the reason in the error is Swedish too', async () => {
      // Swedish for this node only (i18next's fixed t): the runtime's language, set once per process, stays
      const { i18n } = require('@node-red/util');
      i18n.init({ lang: 'en-US' }); // a no-op once initialised (as functionx-support's localized() does)
      const ns = 'lynx-test-sv/iotopen-notify';
      const config = '@lynxflow/node-red-iotopen/iotopen-config'; // the shared texts: its catalogue's common section
      await i18n.registerMessageCatalog(ns, path.join(dist, 'nodes', 'iotopen-notify', 'locales'), 'iotopen-notify.json');
      await i18n.registerMessageCatalog(config, path.join(dist, 'nodes', 'iotopen-config', 'locales'), 'iotopen-config.json');
      await new Promise((resolve) => i18n.i.loadLanguages('sv-SE', () => resolve()));
      const sv = i18n.i.getFixedT('sv-SE');
      const _ = (key, params) => sv(key.startsWith(`${config}:`) ? key : `${ns}:${key}`, params);
      const n = await load('iotopen-notify', { operation: 'send', output: '31' }, (red) =>
        notifyMod(Object.assign(Object.create(red), { _ })),
      );
      sb.faults.set({ dropRate: 1, phase: 'after', path: /\/send$/, count: 1 });
      const r = await n.run({ payload: 'door open' });
      assert.ok(r.caught, 'reached Catch');
      assert.match(r.caught.error.message, /^aviseringsutgång 31 i installation 1: sändningen misslyckades \(anslutningen bröts\)/);
      assert.equal(i18n._(`${ns}:iotopen-notify.operation.send`), 'send a notification', 'the runtime still speaks English');
    });

    it('message-create and output-create: an answer lost after acting is not retried; Catch says it may exist', async () => {
      const n = await load('iotopen-notify', { operation: 'message-create' });
      sb.resetRequests();
      sb.faults.set({
        errorRate: 1,
        errorStatus: 502,
        phase: 'after',
        path: '/api/v2/notification/1/message',
        methods: ['POST'],
        count: 1,
      });
      let r = await n.run({ payload: { name: 'Once', text: 'x' } });
      assert.ok(r.caught, 'reached Catch');
      assert.match(r.caught.error.message, /502/);
      assert.match(r.caught.error.message, /may or may not have done it: look whether it exists before trying again/);
      noSecret(JSON.stringify(r.caught.error));
      assert.equal(messages('Once').length, 1);
      sb.faults.set({ dropRate: 1, phase: 'after', path: '/api/v2/notification/1/output', methods: ['POST'], count: 1 });
      r = await n.run({
        operation: 'output-create',
        payload: { name: 'Once out', notification_output_executor_id: 1, notification_message_id: 11 },
      });
      assert.ok(r.caught, 'reached Catch');
      noSecret(JSON.stringify(r.caught.error));
      assert.equal(outputs('Once out').length, 1);
      assert.equal(sb.requests.filter((q) => q.method === 'POST').length, 2, 'each POST once');
    });

    it('get, list, update and delete ride out 503s and dropped answers', async () => {
      const n = await load('iotopen-notify', { operation: 'message-update' });
      const flaky = (methods, extra = {}) =>
        sb.faults.set({ errorRate: 1, errorStatus: 503, phase: 'after', path: '/api/v2/notification/1/', methods, count: 1, ...extra });
      flaky(['PUT']);
      let r = await n.run({ message_id: 11, payload: { name: 'Alarm', text: 'Now: {{.payload.message}}' } });
      assert.ok(r.out, `update passed: ${r.caught && r.caught.error.message}`);
      assert.equal(sb.store.messages.get(11).text, 'Now: {{.payload.message}}');
      flaky(['GET']);
      r = await n.run({ operation: 'message-list' });
      assert.ok(r.out, `list passed: ${r.caught && r.caught.error.message}`);
      const made = await n.run({
        operation: 'output-create',
        payload: { name: 'Tmp', notification_output_executor_id: 1, notification_message_id: 11 },
      });
      const oid = made.out.output_id;
      flaky(['DELETE'], { errorRate: 0, dropRate: 1 });
      r = await n.run({ operation: 'output-delete', output_id: oid });
      assert.ok(r.out, `delete passed: ${r.caught && r.caught.error.message}`);
      assert.equal(sb.store.outputs.has(oid), false);
    });

    it('a platform answering 500 to every call reaches Catch for each operation, with no secret; the runtime goes on', async function () {
      this.timeout(60000); // each GET and DELETE is tried six times, with backoff
      const n = await load('iotopen-notify', { operation: 'message-list' });
      sb.faults.set({ errorRate: 1, errorStatus: 500, path: '/api/v2/notification/' });
      for (const msg of [
        { operation: 'message-list' },
        { operation: 'message-find-or-create', payload: { name: 'A', text: 'b' } },
        { operation: 'output-delete', output_id: 5 },
      ]) {
        const r = await n.run(msg);
        assert.ok(r.caught, `${msg.operation} reached Catch`);
        assert.match(r.caught.error.message, /500/);
        noSecret(JSON.stringify(r.caught.error));
      }
      sb.faults.clear();
      const r = await n.run({ operation: 'message-list' });
      assert.ok(r.out, 'works again');
    });
  });
});
