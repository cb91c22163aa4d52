#!/usr/bin/env node
'use strict';
// Builds the pack: TypeScript to CommonJS under dist/, then copies each node's
// editor files (.html, locales/) and its icon beside the built .js, where the
// Node-RED registry looks for them (<node dir>/icons, <node dir>/locales).
// The devicex and functionx nodes share one dialog, help and catalogue: they are
// rendered from nodes/lib/modelx-editor/ (templates with {{word}} placeholders,
// the words of each node in kinds.json) into those nodes' dist folders.
// The texts every node shares (dialog labels, the pickers' words, the node frame's
// statuses and errors, the library's error texts) live once, in
// nodes/lib/locales/<lang>/common.json, and become the `common` section of the config
// node's built catalogue: the pack's common namespace, which the dialogs
// (data-i18n="<module>/iotopen-config:common.x", common() in resources/iotopen-editor.js)
// and the node frame's translator read. A key the config node's own catalogue also
// has under `common` stops the build.
//
// LYNX_BUILD_LENIENT=1 emits and copies even when tsc reports type errors
// (useful while several parts are being edited at once); CI never sets it.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const lenient = process.env.LYNX_BUILD_LENIENT === '1';

fs.rmSync(dist, { recursive: true, force: true });
const tsc = require.resolve('typescript/bin/tsc');
const res = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (res.status !== 0 && !lenient) {
  console.error('build: tsc failed');
  process.exit(res.status || 1);
}

function copyTree(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (src === modelxEditor || src === commonLocales) continue; // rendered/merged below
    if (entry.isDirectory()) copyTree(src, dst);
    else if (!entry.name.endsWith('.ts')) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, dst);
    }
  }
}

const nodesDir = path.join(root, 'nodes');
const modelxEditor = path.join(nodesDir, 'lib', 'modelx-editor');
const commonLocales = path.join(nodesDir, 'lib', 'locales');

/** Merge nodes/lib/locales/<lang>/common.json into the `common` section of the config node's catalogue. */
function mergeCommonLocales() {
  const merge = (into, from, at) => {
    for (const [k, v] of Object.entries(from)) {
      if (v && typeof v === 'object') {
        if (into[k] !== undefined && (typeof into[k] !== 'object' || into[k] === null))
          throw new Error(`build: ${at}${k} is defined twice`);
        merge((into[k] = into[k] || {}), v, `${at}${k}.`);
      } else {
        if (k in into) throw new Error(`build: ${at}${k} is defined twice (nodes/lib/locales and the config node's catalogue)`);
        into[k] = v;
      }
    }
  };
  for (const lang of fs.readdirSync(commonLocales)) {
    const target = path.join(dist, 'nodes', 'iotopen-config', 'locales', lang, 'iotopen-config.json');
    if (!fs.existsSync(target)) throw new Error(`build: nodes/lib/locales/${lang} has no config node catalogue to join`);
    const catalogue = JSON.parse(fs.readFileSync(target, 'utf8'));
    merge(
      (catalogue.common = catalogue.common || {}),
      JSON.parse(fs.readFileSync(path.join(commonLocales, lang, 'common.json'), 'utf8')),
      'common.',
    );
    fs.writeFileSync(target, JSON.stringify(catalogue, null, 2) + '\n');
  }
}

/** Render nodes/lib/modelx-editor/ into dist/nodes/<type>/ for each node of kinds.json. */
function renderModelxEditors() {
  const kinds = JSON.parse(fs.readFileSync(path.join(modelxEditor, 'kinds.json'), 'utf8'));
  const files = ['iotopen-modelx.html'];
  for (const lang of fs.readdirSync(path.join(modelxEditor, 'locales'))) {
    files.push(`locales/${lang}/iotopen-modelx.html`, `locales/${lang}/iotopen-modelx.json`);
  }
  for (const [type, words] of Object.entries(kinds)) {
    const all = { ...words, type };
    for (const file of files) {
      const text = fs.readFileSync(path.join(modelxEditor, file), 'utf8').replace(/\{\{(\w+)\}\}/g, (m, word) => {
        if (!(word in all)) throw new Error(`build: ${file} uses {{${word}}}, which kinds.json does not give for ${type}`);
        return all[word];
      });
      const out = path.join(dist, 'nodes', type, file.replace('iotopen-modelx', type));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, text);
    }
  }
}
const iconsDir = path.join(root, 'icons');
const icons = fs.existsSync(iconsDir) ? fs.readdirSync(iconsDir).filter((f) => f.endsWith('.svg')) : [];
renderModelxEditors();
for (const entry of fs.readdirSync(nodesDir, { withFileTypes: true })) {
  if (!entry.isDirectory()) continue;
  const out = path.join(dist, 'nodes', entry.name);
  copyTree(path.join(nodesDir, entry.name), out);
  if (fs.existsSync(path.join(out, `${entry.name}.html`))) {
    // Every node gets the whole icon set: a node may show another's icon
    // (e.g. the config node's in a picker), and icons are a few KB.
    fs.mkdirSync(path.join(out, 'icons'), { recursive: true });
    for (const icon of icons) fs.copyFileSync(path.join(iconsDir, icon), path.join(out, 'icons', icon));
  }
}
mergeCommonLocales();
// Non-TypeScript assets that live in src/ (e.g. the sandbox's default seed).
copyTree(path.join(root, 'src'), path.join(dist, 'src'));
const cli = path.join(dist, 'src', 'sandbox', 'cli.js');
if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);

console.log(`build: ok${res.status !== 0 ? ' (lenient: type errors ignored)' : ''}`);
