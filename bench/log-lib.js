'use strict';
// What bench/log.bench.js and bench/chart.bench.js share: the sandbox in a child process
// (its memory and work are not charged to the Node-RED process measured), a full GC,
// a memory sampler, one scenario per fresh child process, and forgetting the test helper's
// record of every message (so the figures are the pack's, not node-red-node-test-helper's).
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const { helper, dist } = require('../test/support/nodered');

/** Starts the sandbox CLI on free ports with a seed file; resolves {child, info: {api, mqtt, apiKey}}. */
function startSandboxProcess(seedFile) {
  const child = spawn(process.execPath, [path.join(dist, 'src/sandbox/cli.js'), '--port', '0', '--mqtt-port', '0', '--seed', seedFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', (line) => resolve({ child, info: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
}

function gc() {
  if (global.gc) {
    global.gc();
    global.gc();
  }
}

/** Samples RSS and heap every 20 ms; returns a stop() giving the peaks. */
function sampler() {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > rss) rss = m.rss;
    if (m.heapUsed > heap) heap = m.heapUsed;
  };
  sample();
  const t = setInterval(sample, 20);
  return () => {
    clearInterval(t);
    sample();
    return { rss, heap };
  };
}

/**
 * node-red-node-test-helper's sinon spies on Node.prototype (send, receive, ...) keep every
 * call's arguments, so every message (every page) would stay in memory for the whole run:
 * call this per message received to forget them.
 */
function forgetHelperCalls() {
  helper._sandbox.resetHistory();
}

/** Runs `file` in a fresh process (RSS never shrinks) with `env` added; resolves the JSON of its last stdout line. */
function runChild(file, env, what) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--expose-gc', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
    });
    c.once('exit', (code) => {
      const line = out.trim().split('\n').pop();
      if (code === 0 && line) resolve(JSON.parse(line));
      else reject(new Error(`bench child (${what}) exited with ${code}`));
    });
  });
}

/** Runs a bench's entry point and exits 0, or 1 with the error. */
function exitWith(fn) {
  fn().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

module.exports = { startSandboxProcess, gc, sampler, forgetHelperCalls, runChild, exitWith };
