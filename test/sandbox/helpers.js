'use strict';
// Helpers for the sandbox tests: the built sandbox, HTTP calls, MQTT clients and
// a parser of the Lynx OpenAPI spec text (the contract the sandbox is checked against).
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const { dist } = require('../support/nodered');
const { waitFor } = require('../support/util');

// LYNX_DIST: a private build dir (useful while others rebuild dist/ in a shared tree)
const sandbox = require(path.join(process.env.LYNX_DIST || dist, 'src', 'sandbox'));

const SPEC_FILE = process.env.LYNX_SPEC || '/work/shared/spec/lynx-openapi-v2.txt';

/**
 * Parses the spec text into endpoints: { method, path, codes: Set<number>,
 * examples: { [status]: parsed JSON }, fields: Set<string> (schema field names) }.
 */
function parseSpec(file = SPEC_FILE) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const heads = [];
  lines.forEach((l, i) => {
    const m = /^(GET|POST|PUT|DELETE) (\/api\/\S+)$/.exec(l);
    if (m) heads.push({ i, method: m[1], path: m[2].replace(/\/{2,}/g, '/') });
  });
  const endpoints = new Map();
  heads.forEach((h, k) => {
    const end = k + 1 < heads.length ? heads[k + 1].i : lines.length;
    const sec = lines.slice(h.i, end);
    const ep = { method: h.method, path: h.path, codes: new Set(), examples: {}, fields: new Set() };
    const ex = sec.indexOf('Example responses');
    const resp = sec.findIndex((l, j) => j > ex && l === 'Responses');
    if (ex >= 0) {
      for (let j = ex; j < (resp > 0 ? resp : sec.length); j++) {
        const m = /^(\d{3}) Response$/.exec(sec[j]);
        if (!m) continue;
        let k2 = j + 1;
        while (k2 < sec.length && sec[k2].trim() === '') k2++;
        if (!/^[[{]/.test(sec[k2] || '')) continue;
        const buf = [];
        for (; k2 < sec.length && !/^(\d{3}) Response$|^Responses$/.test(sec[k2]); k2++) buf.push(sec[k2]);
        try {
          ep.examples[m[1]] = JSON.parse(buf.join('\n'));
        } catch {
          /* not JSON */
        }
      }
    }
    for (let j = resp; resp >= 0 && j < sec.length; j++) {
      const m = /^(\d{3}) [A-Z]/.exec(sec[j]);
      if (m && !/^\d{3} Response$/.test(sec[j])) ep.codes.add(Number(m[1]));
      const f = /^»+ (\w+) /.exec(sec[j]);
      if (f) ep.fields.add(f[1]);
    }
    endpoints.set(`${h.method} ${h.path}`, ep);
  });
  return endpoints;
}

/** fetch against the sandbox; returns { status, headers, body (parsed JSON or text) }. */
async function call(sb, method, p, { key = sb.apiKey, body, headers = {}, rawBody } = {}) {
  const h = { ...headers };
  if (key) h['x-api-key'] = key;
  let payload = rawBody;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(sb.api + p, { method, headers: h, body: payload });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* text */
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** An mqtt.js client; resolves when connected, rejects with the CONNACK error. */
function connect(url, password, opts = {}) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { username: 'test', password, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', (e) => {
      c.end(true);
      reject(e);
    });
  });
}

/** Resolves with the first message on a topic matching `filter` (already subscribed). */
function nextMessage(client, pred = () => true) {
  return new Promise((resolve) => {
    const on = (topic, payload) => {
      if (!pred(topic, payload)) return;
      client.off('message', on);
      resolve({ topic, payload: payload.toString() });
    };
    client.on('message', on);
  });
}

/** Polls until fn() is truthy (no time assertion: mocha's timeout is the bound). */
const until = (fn) => waitFor(fn);

module.exports = { sandbox, parseSpec, call, connect, nextMessage, until, SPEC_FILE };
