'use strict';
// The edge-app node in the real Node-RED runtime, for the edge tests: deploy it on a tab with
// a Catch and a Complete node, then send messages and wait for done().
const { helper, nodeModule, configNode, catchNode, completeNode, watchers } = require('../support/nodered');
const { next } = require('../support/util');

const configMod = nodeModule('iotopen-config');
const edgeMod = nodeModule('iotopen-edge-app');
const TAB = { id: 'f1', type: 'tab', label: 'edge' };
const onTab = (nodes) => [TAB, ...nodes.map((n) => ({ z: 'f1', x: 100, y: 100, ...n }))];

/** Deploys node `edge` (`props` over the defaults) wired to helper `out`, using `sb` with `apiKey`. */
async function loadEdge(sb, props, apiKey = sb.apiKey) {
  const cfg = configNode({ ...sb, apiKey });
  const flow = [
    cfg.node,
    ...onTab([
      {
        id: 'edge',
        type: 'iotopen-edge-app',
        server: 'cfg',
        mode: 'deploy',
        appId: '',
        category: 'climate',
        upload: true,
        version: '',
        versionType: 'str',
        configure: true,
        installations: '',
        installationsType: 'str',
        configType: 'json',
        instanceNameType: 'str',
        concurrency: 4,
        wires: [['out']],
        ...props,
      },
      { id: 'out', type: 'helper' },
      ...watchers('edge', { complete: true }),
    ]),
  ];
  await helper.load([configMod, edgeMod, catchNode, completeNode], flow, cfg.credentials);
  return {
    edge: helper.getNode('edge'),
    out: helper.getNode('out'),
    caught: helper.getNode('caught'),
    completed: helper.getNode('completed'),
  };
}

/** Sends msg and resolves when the node has called done(): { out?, error?, caughtMsg? }. */
async function runEdge(n, msg, { expectOut = true } = {}) {
  const out = expectOut ? next(n.out) : Promise.resolve(undefined);
  const end = Promise.race([next(n.completed).then(() => ({})), next(n.caught).then((m) => ({ error: m.error, caughtMsg: m }))]);
  n.edge.receive(msg);
  const e = await end;
  return { ...e, out: await out };
}

module.exports = { loadEdge, runEdge, onTab };
