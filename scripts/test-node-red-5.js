#!/usr/bin/env node
'use strict';
// Runs the node test suite on Node-RED 5, which needs Node >= 22.9.
//
// Node 22 and node-red@5 come from the npm registry (the `node` package ships
// the Node binary as a registry package) into .cache/node-red-5/, once; the
// suite then runs under that Node with NODE_RED_PATH pointing test/support at
// Node-RED 5 instead of the 4.1 dev dependency. Extra arguments go to mocha.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dir = path.join(root, '.cache', 'node-red-5');
const NODE = process.env.NR5_NODE_VERSION || '22';
const NODE_RED = process.env.NR5_NODE_RED_VERSION || '5';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`test-node-red-5: ${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

const node22 = path.join(dir, 'node_modules', '.bin', 'node');
const nodeRed = path.join(dir, 'node_modules', 'node-red');
if (!fs.existsSync(node22) || !fs.existsSync(nodeRed)) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'node-red-5-runner', private: true }, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', `node@${NODE}`, `node-red@${NODE_RED}`], { cwd: dir });
}

const version = spawnSync(node22, ['-v'], { encoding: 'utf8' }).stdout.trim();
const nrVersion = require(path.join(nodeRed, 'package.json')).version;
console.log(`test-node-red-5: Node ${version}, Node-RED ${nrVersion}`);

const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const specs = process.argv.slice(2);
// The Node-RED suites: the library-only suites do not depend on the Node-RED version.
const args = specs.length ? specs : ['test/config/**/*.test.js', 'test/nodes/**/*.test.js', 'test/edge/**/*.test.js'];
run(node22, [mocha, ...args], {
  cwd: root,
  env: { ...process.env, NODE_RED_PATH: nodeRed, PATH: `${path.dirname(node22)}:${process.env.PATH}` },
});
