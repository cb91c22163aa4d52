'use strict';
// Error texts a user reads carry no class-name prefix ("InputError: ...", "ConfigError: ..."):
// Node-RED shows an Error handed to done(err) or node.error() by its toString(), in a Catch
// node's msg.error.message, the debug sidebar and the log.
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, nodeModule, configNode, catchNode, watchers, useNodeRed, dist } = require('../support/nodered');
const { first } = require('../support/util');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const { ConfigError } = require(path.join(dist, 'src/lynx/connection'));
const { LynxError } = require(path.join(dist, 'src/errors'));
const { QueueDropError } = require(path.join(dist, 'src/mqtt'));
const { InputError } = require(path.join(dist, 'nodes/lib'));

const PREFIX = /^(Input|Config|Lynx|LynxApi|QueueDrop)?Error: /;

describe('error texts without class-name prefixes', function () {
  let sb;
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });
  useNodeRed();

  it("the pack's errors print as their message", () => {
    const errs = [
      new InputError('function_id must be a positive integer id', 'function_id'),
      new ConfigError('apiUrl is empty', 'apiUrl'),
      new LynxError('no'),
      new QueueDropError('dropped', 'EQUEUEFULL', 't', 0),
    ];
    for (const e of errs) {
      assert.equal(String(e), e.message);
      assert.equal(`${e}`, e.message);
    }
  });

  it('a Catch node, the log and the status get the bare message of a refused input and of an API failure', async () => {
    const cfg = configNode(sb);
    const iid = sb.installations[0].id;
    await helper.load(
      [nodeModule('iotopen-config'), nodeModule('iotopen-functionx-out'), catchNode],
      [
        cfg.node,
        {
          id: 'n',
          type: 'iotopen-functionx-out',
          server: 'cfg',
          installation: String(iid),
          installationType: 'num',
          function: '',
          functionType: 'num',
        },
        ...watchers('n'),
      ],
      cfg.credentials,
    );
    const node = helper.getNode('n');
    const caught = helper.getNode('caught');
    for (const msg of [
      { payload: 1, function_id: 'abc' },
      { payload: 1, installation_id: 999999, function_id: 1 },
    ]) {
      const r = await first({ caught }, () => node.receive(msg));
      assert.ok(r.caught, 'expected done(err)');
      assert.doesNotMatch(r.caught.error.message, PREFIX);
    }
    const texts = helper._NodePrototype.status
      .getCalls()
      .filter((c) => c.thisValue && c.thisValue.id === 'n')
      .map((c) => String(c.args[0].text || ''));
    for (const t of texts) assert.doesNotMatch(t, PREFIX);
    const logged = helper
      .log()
      .args.map((a) => a[0])
      .filter((e) => e.id === 'n' && e.level === helper.log().ERROR)
      .map((e) => String(e.msg));
    for (const t of logged) assert.doesNotMatch(t, PREFIX);
  });
});
