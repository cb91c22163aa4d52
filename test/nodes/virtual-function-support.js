'use strict';
// What the iotopen-virtual-function test files share: the sandbox with an MQTT client
// recording everything published under obj/node-red/, the node and flow builders,
// lookups in the sandbox's store, the statuses a node has shown, and deploys.
// virtualFixture() installs the mocha hooks of a describe block and returns the helpers;
// `fx.sb` and `fx.seen` are read after the before hook has run.
const { helper, nodeModule, configNode, catchNode, watchers, useNodeRed } = require('../support/nodered');
const { IID, CLIENT, seed, variants, device, until, localized } = require('./functionx-support');

const TYPE = 'iotopen-virtual-function';

function virtualFixture({ afterEach: after1 } = {}) {
  const fx = { sb: null, seen: [] };
  let env;
  let mod;
  let dev;
  /** An MQTT client on the sandbox that records what is published under obj/node-red/. */
  async function watch() {
    dev = await device(fx.sb);
    dev.on('message', (topic, payload) => fx.seen.push({ topic, body: JSON.parse(payload.toString()) }));
    await dev.subscribeAsync(`${CLIENT}/obj/node-red/#`, { qos: 1 });
  }
  /** After a broker restart: the recording client does not reconnect by itself. `clear` forgets what it saw. */
  fx.rewatch = async ({ clear = false } = {}) => {
    await dev.endAsync(true);
    if (clear) fx.seen.length = 0;
    await watch();
  };
  before(async () => {
    mod = await localized(TYPE);
    env = await variants()[0].start(seed());
    fx.sb = env.sb;
    await watch();
  });
  after(async () => {
    if (dev) await dev.endAsync(true);
    if (fx.sb) await fx.sb.stop();
    if (env) await env.stop();
  });
  beforeEach(() => {
    fx.seen.length = 0;
    fx.sb.resetRequests();
  });
  if (after1) afterEach(after1);
  useNodeRed();

  const cfg = () => configNode(fx.sb);
  const mods = () => [nodeModule('iotopen-config'), mod, catchNode];
  /** A virtual function node on tab `tab`, wired to the helper `out`. */
  fx.vf = (id, props = {}) => ({
    id,
    z: 'tab',
    type: TYPE,
    server: 'cfg',
    installation: String(IID),
    kind: 'sensor',
    fname: `Virtual ${id}`,
    ftype: 'temperature',
    unit: '°C',
    format: '%.1f',
    wires: [['out']],
    ...props,
  });
  /** The tab, the config node, `nodes`, the helper `out`, and Catch/Complete watchers of the first node. */
  fx.flow = (nodes) => [
    { id: 'tab', type: 'tab', label: 'Virtual' },
    cfg().node,
    ...nodes,
    { id: 'out', z: 'tab', type: 'helper' },
    ...watchers(nodes[0] ? nodes[0].id : 'none', { z: 'tab' }),
  ];
  fx.functionsWith = (ext) => [...fx.sb.store.functions.values()].filter((f) => f.installation_id === IID && f.meta.ext_id === ext);
  fx.devicesWith = (ext) => [...fx.sb.store.devices.values()].filter((d) => d.installation_id === IID && d.meta.ext_id === ext);
  fx.count = (method, prefix) => fx.sb.requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length;
  /** The statuses a node has shown, whole (the helper spies on Node.prototype.status). */
  fx.statusCalls = (node) =>
    helper._NodePrototype.status
      .getCalls()
      .filter((c) => c.thisValue === node)
      .map((c) => c.args[0] || {});
  fx.statuses = (node) => fx.statusCalls(node).map((s) => s.text);
  fx.lastStatus = (node) => fx.statusCalls(node).slice(-1)[0] || {};
  /** Waits for the node now running as `id` (another instance than `prev`) to show its function. */
  fx.ready = (id, prev, ms) =>
    until(
      () => {
        const n = helper.getNode(id);
        return n && n !== prev && fx.statuses(n).some((s) => /^function \d+/.test(String(s))) && n;
      },
      `${id} to find or create its function`,
      ms,
    );
  fx.deploy = (nodes) => helper.load(mods(), fx.flow(nodes), cfg().credentials);
  fx.redeploy = (nodes, type = 'full') => helper._redNodes.setFlows(fx.flow(nodes), cfg().credentials, type);
  return fx;
}

module.exports = { TYPE, virtualFixture };
