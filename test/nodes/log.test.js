'use strict';
// iotopen-log in the real Node-RED runtime against the sandbox (real HTTP on loopback).
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, configNode, dist, catchNode, completeNode, watchers } = require('../support/nodered');
const { take: collector } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const configMod = nodeModule('iotopen-config');
const logMod = nodeModule('iotopen-log');

const IID = 501;
const CLIENT = 9501;
const NOW = Math.floor(Date.now() / 1000);
// 25 entries on two topics over the last 50 minutes (every 2 minutes), plus one 2 days ago.
function seed() {
  const log = [];
  for (let i = 0; i < 25; i++) {
    log.push({ installation_id: IID, topic: `${CLIENT}/obj/t/${i % 2 ? 'b' : 'a'}`, value: i, timestamp: NOW - 3000 + i * 120 });
  }
  log.push({ installation_id: IID, topic: `${CLIENT}/obj/t/a`, value: -1, timestamp: NOW - 2 * 86400 });
  return {
    apiKey: 'log-test-key-0123456789',
    installations: [
      { id: IID, client_id: CLIENT, name: 'Log test' },
      { id: 502, client_id: 9502, name: 'Other' },
    ],
    functions: [
      { id: 61, installation_id: IID, type: 'temperature', meta: { name: 'Temp B', topic_read: 'obj/t/b' } },
      { id: 62, installation_id: IID, type: 'switch', meta: { name: 'No topic' } },
    ],
    log,
  };
}

describe('iotopen-log node', function () {
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
  });
  after(async () => {
    await sb.stop();
  });
  afterEach(async () => {
    sb.faults.clear();
    await helper.unload();
  });

  async function load(props = {}, extraNodes = []) {
    const cfg = configNode(sb);
    const flow = [
      cfg.node,
      { id: 'f1', type: 'tab' },
      {
        id: 'log',
        z: 'f1',
        type: 'iotopen-log',
        server: 'cfg',
        installation: String(IID),
        from: '-1h',
        fromType: 'str',
        to: 'now',
        toType: 'str',
        order: 'asc',
        mode: 'all',
        pageSize: 10,
        maxEntries: 100000,
        wires: [['out']],
        ...props,
      },
      { id: 'out', z: 'f1', type: 'helper' },
      ...watchers('log', { z: 'f1', complete: true }),
      ...extraNodes,
    ];
    await helper.load([configMod, logMod, catchNode, completeNode], flow, cfg.credentials);
    return {
      log: helper.getNode('log'),
      out: helper.getNode('out'),
      caught: helper.getNode('caught'),
      completed: helper.getNode('completed'),
    };
  }
  const logRequests = () => sb.requests.filter((r) => r.path.startsWith('/api/v3beta/log/'));

  it('pages through the whole range and sends one message with every entry, oldest first', async () => {
    const n = await load();
    sb.resetRequests();
    const got = collector(n.out, 1);
    n.log.receive({ payload: 'go', keep: 'me' });
    const [m] = await got;
    assert.equal(m.payload.length, 25);
    assert.equal(m.total, 25);
    assert.equal(m.count, 25);
    assert.equal(m.keep, 'me');
    assert.deepEqual(
      m.payload.map((e) => e.value),
      [...Array(25).keys()],
    );
    assert.equal(logRequests().length, 3, 'three pages of 10');
  });

  it('streams one message per page with progress', async () => {
    const n = await load({ mode: 'page' });
    const got = collector(n.out, 3);
    n.log.receive({ payload: 1 });
    const msgs = await got;
    assert.deepEqual(
      msgs.map((m) => m.page.index),
      [1, 2, 3],
    );
    assert.deepEqual(
      msgs.map((m) => m.page.pages),
      [3, 3, 3],
    );
    assert.deepEqual(
      msgs.map((m) => m.payload.length),
      [10, 10, 5],
    );
    assert.deepEqual(
      msgs.map((m) => m.page.last),
      [false, false, true],
    );
    assert.equal(msgs[2].page.offset, 20);
    assert.notEqual(msgs[0], msgs[1], 'each page is its own message');
  });

  it('sends one message per entry, honouring limit and order from msg', async () => {
    const n = await load({ mode: 'entry' });
    const got = collector(n.out, 5);
    const done = collector(n.completed, 1);
    n.log.receive({ limit: 5, order: 'desc' });
    const msgs = await got;
    await done;
    assert.deepEqual(
      msgs.map((m) => m.payload.value),
      [24, 23, 22, 21, 20],
    );
    assert.equal(msgs[0].topic, `${CLIENT}/obj/t/a`);
    assert.deepEqual(
      msgs.map((m) => m.index),
      [0, 1, 2, 3, 4],
    );
  });

  it('takes from/to from msg as Date, ISO, relative or unix seconds', async () => {
    const n = await load();
    const query = async (m) => (await (n.log.receive(m), collector(n.out, 1)))[0];
    const threeDays = new Date((NOW - 3 * 86400) * 1000);
    assert.equal((await query({ from: threeDays, to: new Date(NOW * 1000 + 1000) })).total, 26, 'the old entry is in a three-day range');
    assert.equal((await query({ from: threeDays.toISOString(), to: NOW - 86400 })).total, 1);
    assert.equal((await query({ from: '-7d', to: String(NOW - 86400) })).total, 1);
    assert.equal((await query({ from: NOW - 600, to: 'now' })).total, 5);
  });

  it('reads the topics of picked functions with the client_id prefix, and typed obj/ topics', async () => {
    const n = await load({ functions: ['61'] });
    const [m] = await (n.log.receive({}), collector(n.out, 1));
    assert.equal(m.total, 12);
    assert.ok(m.payload.every((e) => e.topic === `${CLIENT}/obj/t/b`));
    await helper.unload();
    const n2 = await load({ topics: 'obj/t/a' });
    const [m2] = await (n2.log.receive({}), collector(n2.out, 1));
    assert.equal(m2.total, 13);
    assert.ok(m2.payload.every((e) => e.topic === `${CLIENT}/obj/t/a`));
  });

  it('uses msg.topics over the configured ones, and the POST variant for a long list', async () => {
    const n = await load({ functions: ['61'] });
    sb.resetRequests();
    const topics = [`${CLIENT}/obj/t/a`];
    for (let i = 0; i < 400; i++) topics.push(`${CLIENT}/obj/some/long/unused/topic/number/${i}`);
    const [m] = await (n.log.receive({ topics }), collector(n.out, 1));
    assert.equal(m.total, 13);
    assert.ok(logRequests().length >= 2 && logRequests().every((r) => r.method === 'POST'), JSON.stringify(logRequests()));
  });

  it('keeps at most the cap in one message and warns how many were dropped', async () => {
    const n = await load({ maxEntries: 10 });
    const warnings = [];
    n.log.warn = (w) => warnings.push(w);
    sb.resetRequests();
    const [m] = await (n.log.receive({}), collector(n.out, 1));
    assert.equal(m.payload.length, 10);
    assert.equal(m.dropped, 15);
    assert.equal(logRequests().length, 1, 'stops asking once the cap is reached');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /dropped 15/);
  });

  it('streams an empty result as one last page', async () => {
    const n = await load({ mode: 'page', topics: 'obj/none' });
    const [m] = await (n.log.receive({}), collector(n.out, 1));
    assert.deepEqual(m.payload, []);
    assert.equal(m.page.last, true);
  });

  it('a new query cancels the running one: the old one completes without error and sends nothing', async () => {
    const n = await load();
    sb.faults.set({ latencyMs: 1500, path: /^\/api\/v3beta\/log/, count: 1 });
    const completed = collector(n.completed, 2);
    const caught = [];
    n.caught.on('input', (m) => caught.push(m));
    const outs = [];
    n.out.on('input', (m) => outs.push(m));
    n.log.receive({ payload: 'first' });
    await new Promise((r) => setTimeout(r, 50));
    n.log.receive({ payload: 'second' });
    const done = await completed;
    assert.equal(done.length, 2, 'done() called once for each query');
    await new Promise((r) => setImmediate(r));
    assert.equal(outs.length, 1);
    assert.equal(outs[0].count, 25);
    assert.equal(outs[0].payload.length, 25);
    assert.equal(caught.length, 0);
  });

  it('closing the flow cancels a running query: nothing is sent afterwards', async () => {
    const n = await load();
    sb.faults.set({ latencyMs: 300, path: /^\/api\/v3beta\/log/, count: 1 });
    const outs = [];
    n.out.on('input', (m) => outs.push(m));
    sb.resetRequests();
    n.log.receive({ payload: 'slow' });
    while (logRequests().length === 0) await new Promise((r) => setTimeout(r, 10));
    await helper.unload();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(outs.length, 0);
    assert.equal(logRequests().length, 1, 'no further page was asked for');
  });

  describe('bad input reaches a Catch node with a clear error', () => {
    const cases = [
      ['an unreadable from', { from: 'yesterday' }, /msg\.from 'yesterday' is not a time/],
      ['an unknown relative unit', { to: '-3y' }, /msg\.to has an unknown unit 'y'/],
      ['from after to', { from: '-1h', to: '-2h' }, /is after msg\.to/],
      ['a bad installation id', { installation_id: 'abc' }, /msg\.installation_id must be a positive integer id/],
      ['a bad order', { order: 'up' }, /msg\.order must be 'asc' or 'desc'/],
      ['a bad limit', { limit: -3 }, /msg\.limit must be a whole number/],
      ['topics that are not strings', { topics: [1, 2] }, /msg\.topics must only hold strings/],
    ];
    for (const [what, msg, re] of cases) {
      it(what, async () => {
        const n = await load();
        const [c] = await (n.log.receive(msg), collector(n.caught, 1));
        assert.match(c.error.message, re);
      });
    }

    it('an unreadable function id in the node: a config error naming functions, never the whole log', async () => {
      for (const functions of [['61', 'abc'], '61,x', ['0']]) {
        const n = await load({ functions });
        const st = helper._NodePrototype.status
          .getCalls()
          .filter((c) => c.thisValue && c.thisValue.id === 'log')
          .map((c) => c.args[0]);
        assert.equal(st.length && st[st.length - 1].fill, 'red', `red status at deploy for ${JSON.stringify(functions)}`);
        sb.resetRequests();
        for (let i = 0; i < 2; i++) {
          const [c] = await (n.log.receive({}), collector(n.caught, 1));
          assert.match(c.error.message, /functions must be a positive integer id, got "(abc|x|0)": pick the functions again/);
        }
        assert.deepEqual(logRequests(), [], 'no log query was made');
        await helper.unload();
      }
    });

    it('a function without topic_read', async () => {
      const n = await load({ functions: ['62'] });
      const [c] = await (n.log.receive({}), collector(n.caught, 1));
      assert.match(c.error.message, /function 62 \(No topic\) has no topic_read/);
    });

    it('an installation the key cannot see: the API status and message, no key', async () => {
      const n = await load({ installation: '999' });
      const [c] = await (n.log.receive({}), collector(n.caught, 1));
      assert.ok(c.statusCode >= 400, String(c.statusCode));
      assert.match(c.error.message, /40[34]/);
      assert.ok(!JSON.stringify(c).includes(sb.apiKey), 'no API key in the error message');
    });

    it('a missing installation in node and msg', async () => {
      const n = await load({ installation: '' });
      const [c] = await (n.log.receive({}), collector(n.caught, 1));
      assert.match(c.error.message, /installation must be a positive integer id, got nothing/);
    });

    it('an API failure keeps its status', async () => {
      const n = await load();
      // 403: a failure the client does not retry (a 500 on a GET is retried)
      sb.faults.set({ errorRate: 1, errorStatus: 403, path: /^\/api\/v3beta\/log/, count: 1 });
      const [c] = await (n.log.receive({}), collector(n.caught, 1));
      assert.equal(c.statusCode, 403);
      assert.match(c.error.message, /403/);
    });
  });
});

describe('iotopen-log example flow', function () {
  const { loadExample } = require('../support/example-flow');
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });
  afterEach(() => helper.unload());

  it('runs against the default seed: history, pages and entries', async () => {
    await loadExample('Log - temperature history.json', sb, [logMod]);
    const temps = new Promise((r) => helper.getNode('log-dbg1').once('input', r));
    helper.getNode('log-temp').receive({ payload: Date.now() });
    const m = await temps;
    assert.ok(m.payload.length > 10, `history of function 2: ${m.payload.length}`);
    assert.ok(m.payload.every((e) => e.topic === '2101/obj/zwave/node/4/temperature'));
    const page = new Promise((r) => helper.getNode('log-dbg2').once('input', r));
    helper.getNode('log-all').receive({ payload: 1 });
    const p = await page;
    assert.equal(p.page.index, 1);
    assert.ok(p.page.pages > 1);
  });
});
