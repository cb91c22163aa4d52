'use strict';
// Every node's red status gives the short reason of a failure (the node frame):
// functionx-in when its function list cannot be loaded, a message that fails on
// the API or on a field, a node without a server.
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, configNode, dist, catchNode, watchers } = require('../support/nodered');
const { next, waitFor } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const IID = 901;
const seed = () => ({
  apiKey: 'reason-test-key-0123456789',
  installations: [{ id: IID, client_id: 9901, name: 'Reasons' }],
  functions: [
    { id: 91, installation_id: IID, type: 'temperature', meta: { name: 'T', topic_read: 'obj/t' } },
    { id: 92, installation_id: IID, type: 'switch', meta: { name: 'S', topic_read: 'obj/s', topic_write: 'set/obj/s' } },
  ],
});

describe('the red status gives the short reason', function () {
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

  const statuses = (id) =>
    helper._NodePrototype.status
      .getCalls()
      .filter((c) => c.thisValue && c.thisValue.id === id)
      .map((c) => c.args[0]);

  it('functionx-in: the function list cannot be loaded (HTTP 500), or the installation is not visible', async () => {
    sb.faults.set({ path: `/api/v2/functionx/${IID}`, errorRate: 1, errorStatus: 500 });
    const cfg = configNode(sb);
    await helper.load(
      [nodeModule('iotopen-config'), nodeModule('iotopen-functionx-in')],
      [
        cfg.node,
        {
          id: 'a',
          type: 'iotopen-functionx-in',
          server: 'cfg',
          installation: String(IID),
          selectBy: 'function',
          function: '91',
          wires: [],
        },
        { id: 'b', type: 'iotopen-functionx-in', server: 'cfg', installation: '999', selectBy: 'function', function: '91', wires: [] },
      ],
      cfg.credentials,
    );
    const red = (id) =>
      statuses(id)
        .filter((s) => s.fill === 'red')
        .pop();
    await waitFor(() => red('a') && red('b'), { what: 'both red statuses', ms: 10000 });
    assert.equal(red('a').text, 'error: HTTP 500');
    assert.equal(red('b').text, 'error: check installation');
  });

  it('a message that fails: the API status, or the field to fix', async () => {
    const cfg = configNode(sb);
    await helper.load(
      [nodeModule('iotopen-config'), nodeModule('iotopen-status'), catchNode],
      [
        cfg.node,
        { id: 'st', type: 'iotopen-status', server: 'cfg', installation: String(IID), select: 'all', output: 'array', wires: [[]] },
        ...watchers('st'),
      ],
      cfg.credentials,
    );
    const st = helper.getNode('st');
    const caught = helper.getNode('caught');
    let c = next(caught);
    st.receive({ installation_id: 'abc' });
    await c;
    assert.equal(statuses('st').pop().text, 'error: check msg.installation_id');
    sb.faults.set({ path: `/api/v2/status/${IID}`, errorRate: 1, errorStatus: 503 });
    c = next(caught);
    st.receive({});
    await c;
    assert.equal(statuses('st').pop().text, 'error: HTTP 503');
  });

  it('functionx-out: a failed write stays red until the next write succeeds, which puts the connection state back', async () => {
    const cfg = configNode(sb);
    await helper.load(
      [nodeModule('iotopen-config'), nodeModule('iotopen-functionx-out'), catchNode],
      [
        cfg.node,
        { id: 'fo', type: 'iotopen-functionx-out', server: 'cfg', installation: String(IID), function: '92', wires: [] },
        ...watchers('fo', { complete: true }),
      ],
      cfg.credentials,
    );
    const last = () => statuses('fo').pop() || {};
    await waitFor(() => last().fill === 'green', { what: 'the connected status', ms: 10000 });
    const connected = last();
    const caught = next(helper.getNode('caught'));
    helper.getNode('fo').receive({ payload: 1, function_id: 91 });
    await caught;
    assert.equal(last().fill, 'red');
    assert.equal(last().text, 'error: check topic_key');
    const completed = next(helper.getNode('completed'));
    helper.getNode('fo').receive({ payload: 1 });
    await completed;
    assert.deepEqual(last(), connected);
  });

  it('no server: "no server", and every message fails saying so', async () => {
    await helper.load(
      [nodeModule('iotopen-config'), nodeModule('iotopen-schedule'), catchNode],
      [{ id: 'sc', type: 'iotopen-schedule', server: '', operation: 'list', installation: String(IID), wires: [[]] }, ...watchers('sc')],
      {},
    );
    assert.equal(statuses('sc').pop().text, 'no server');
    const c = next(helper.getNode('caught'));
    helper.getNode('sc').receive({});
    const m = await c;
    assert.match(m.error.message, /No IoT Open server is configured or deployed/);
    assert.equal(statuses('sc').pop().text, 'error: no server');
  });
});
