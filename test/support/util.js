'use strict';
// Small helpers the test files share (no Node-RED here: see nodered.js for that).
const net = require('node:net');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until fn() (sync or async) is truthy and resolves with its value. Without `ms`
 * mocha's timeout is the bound; with `ms` it rejects naming `what` after that deadline
 * (a deadline, not a measurement: no timed assertion).
 */
async function waitFor(fn, { what = 'condition', ms, interval = 10 } = {}) {
  const end = ms === undefined ? Infinity : Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(interval);
  }
}

/** Resolves with the next message a helper node gets, or with the next n of them (an array) when n > 1. */
function next(node, n = 1) {
  const msgs = [];
  return new Promise((resolve) => {
    const on = (m) => {
      msgs.push(m);
      if (msgs.length === n) {
        node.removeListener('input', on);
        resolve(n === 1 ? msgs[0] : msgs);
      }
    };
    node.on('input', on);
  });
}

/** Resolves with an array of the next `count` messages a helper node gets. */
function take(node, count) {
  return count === 1 ? next(node).then((m) => [m]) : next(node, count);
}

/** Every message arriving at a helper node, in an array that grows. */
function collect(node) {
  const got = [];
  node.on('input', (m) => got.push(m));
  return got;
}

/**
 * fire(), then resolves with `{ [name]: msg }` of whichever of the named helper
 * nodes (a node, or an array of them under one name) gets a message first, e.g. { out } or { caught }.
 */
function first(nodes, fire) {
  return new Promise((resolve) => {
    const listeners = Object.entries(nodes).flatMap(([name, some]) => [].concat(some).map((node) => [node, (m) => finish({ [name]: m })]));
    function finish(r) {
      for (const [node, on] of listeners) node.removeListener('input', on);
      resolve(r);
    }
    for (const [node, on] of listeners) node.on('input', on);
    fire();
  });
}

/** A free loopback port (bound, then closed): nothing listens there until someone does. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

module.exports = { sleep, waitFor, next, take, collect, first, freePort };
