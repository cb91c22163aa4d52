#!/usr/bin/env node
'use strict';
// The runtime strings the flow nodes share (the node frame's statuses, short
// reasons and errors, and the texts of the library's errors, src/) are written
// once, in nodes/lib/locales/<lang>.json, grouped by what uses them. Node-RED
// reads a node's strings only from its own catalogue, so this copies each
// group into the catalogue of every node that uses it (under <type>.*), both
// languages. Run it after changing a shared string; `--check` (run by the tests)
// only reports catalogues that are out of date.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const LANGS = ['en-US', 'sv-SE'];

/** The shared groups each flow node uses (every one uses `frame`). */
const USES = {
  'iotopen-functionx-in': ['topicKey', 'follow'],
  'iotopen-functionx-out': ['qos', 'topicKey', 'write'],
  'iotopen-mqtt-publish': ['qos', 'publish'],
  'iotopen-status': ['topics', 'picked'],
  'iotopen-devicex': ['operation', 'modelx'],
  'iotopen-functionx': ['operation', 'modelx'],
  'iotopen-schedule': ['operation', 'schedule'],
  'iotopen-log': ['wholeNumber', 'topics', 'picked', 'time', 'aggregation'],
  'iotopen-notify': ['template'],
  'iotopen-api': ['path'],
  'iotopen-edge-app': ['edge'],
};

function merge(into, from) {
  for (const [k, v] of Object.entries(from)) {
    if (v && typeof v === 'object') {
      if (!into[k] || typeof into[k] !== 'object') into[k] = {};
      merge(into[k], v);
    } else into[k] = v;
  }
  return into;
}

/** [file, text now, text it should have] of every flow node catalogue. */
function catalogues() {
  const out = [];
  for (const lang of LANGS) {
    const shared = JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'lib', 'locales', `${lang}.json`), 'utf8'));
    for (const [type, groups] of Object.entries(USES)) {
      // devicex and functionx share one catalogue template (nodes/lib/modelx-editor), under {{type}}
      const modelx = !fs.existsSync(path.join(root, 'nodes', type, 'locales'));
      const file = modelx
        ? path.join(root, 'nodes', 'lib', 'modelx-editor', 'locales', lang, 'iotopen-modelx.json')
        : path.join(root, 'nodes', type, 'locales', lang, `${type}.json`);
      const key = modelx ? '{{type}}' : type;
      if (out.some(([f]) => f === file)) continue;
      const text = fs.readFileSync(file, 'utf8');
      const cat = JSON.parse(text);
      for (const g of ['frame', ...groups]) {
        if (!shared[g]) throw new Error(`sync-locales: no group "${g}" in nodes/lib/locales/${lang}.json`);
        merge(cat[key], shared[g]);
      }
      out.push([file, text, JSON.stringify(cat, null, 2) + '\n']);
    }
  }
  return out;
}

module.exports = { USES, catalogues };

if (require.main === module) {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const [file, now, want] of catalogues()) {
    if (now === want) continue;
    stale.push(path.relative(root, file));
    if (!check) fs.writeFileSync(file, want);
  }
  if (check && stale.length) {
    console.error(`sync-locales: out of date (run node scripts/sync-locales.js):\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.log(check ? 'sync-locales: up to date' : `sync-locales: ${stale.length} catalogue(s) written`);
}
