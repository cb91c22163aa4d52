'use strict';
// The rooms of the layout (docs/ARCHITECTURE.md, "Layout") and what each may
// import, checked on the sources: src/ never imports Node-RED (not even its
// types); the platform's rules (src/lynx) and the small helpers (src/util) do no
// I/O and import only the error type; a node imports the frame and the library,
// never another node.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');

function files(dir) {
  const out = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every module a file imports (import ... from, import(), require()), resolved relative to the repository. */
function imports(file) {
  const src = fs.readFileSync(path.join(root, file), 'utf8');
  const specs = [...src.matchAll(/(?:from\s+|import\(\s*|require\(\s*)'([^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => (s.startsWith('.') ? path.relative(root, path.resolve(root, path.dirname(file), s)) : s));
}

/** The room of a repository path: src/<folder>, src/<file>, nodes/lib, nodes/<type>. */
const room = (p) => {
  const parts = p.split(path.sep);
  if (parts[0] === 'src') return parts.length > 2 ? `src/${parts[1]}` : 'src';
  if (parts[0] === 'nodes') return `nodes/${parts[1]}`;
  return p;
};

// What each room may import besides itself (node: built-ins are always allowed).
const ALLOWED = {
  src: ['src/api', 'src/mqtt', 'src/catalog', 'src/edge', 'src/sandbox', 'src/lynx'],
  'src/lynx': ['src'],
  'src/util': ['src', 'handlebars'],
  'src/api': ['src', 'src/lynx', 'undici'],
  'src/mqtt': ['src', 'src/lynx', 'mqtt'],
  'src/catalog': ['src', 'src/api', 'src/mqtt', 'src/lynx'],
  'src/edge': ['src', 'src/api', 'src/lynx'],
  'src/sandbox': ['src', 'src/api', 'src/lynx', 'aedes', 'mqtt'],
};

describe('the layout and what each room may import', () => {
  it('src/ imports no Node-RED, and each of its rooms only what docs/ARCHITECTURE.md allows', () => {
    const bad = [];
    for (const f of files('src')) {
      const from = room(f);
      for (const i of imports(f)) {
        if (i.startsWith('node:')) continue;
        const to = i.startsWith('src') ? room(i) : i.split('/')[0].startsWith('@') ? i.split('/').slice(0, 2).join('/') : i.split('/')[0];
        if (to === from) continue;
        if (/node-red/.test(i) || !(ALLOWED[from] || []).includes(to)) bad.push(`${f} imports ${i}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('every src/ folder is listed in docs/ARCHITECTURE.md', () => {
    const doc = fs.readFileSync(path.join(root, 'docs', 'ARCHITECTURE.md'), 'utf8');
    const layout = /## Layout\s+```([\s\S]*?)```/.exec(doc)[1];
    const dirs = fs
      .readdirSync(path.join(root, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    for (const d of dirs) assert.match(layout, new RegExp(`^\\s+${d}/`, 'm'), `src/${d}/ is not in the layout`);
    for (const d of Object.keys(ALLOWED).filter((r) => r.startsWith('src/')))
      assert.ok(dirs.includes(d.slice(4)), `${d} is allowed but does not exist`);
  });

  it('a node imports the frame (nodes/lib) and the library, never another node', () => {
    const bad = [];
    for (const f of files('nodes')) {
      const from = room(f);
      for (const i of imports(f)) {
        if (!i.startsWith('nodes')) continue;
        const to = room(i);
        if (to !== from && to !== 'nodes/lib') bad.push(`${f} imports ${i}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('every flow node is built on the frame and handles no life cycle itself', () => {
    const pkg = require(path.join(root, 'package.json'));
    for (const type of Object.keys(pkg['node-red'].nodes).filter((t) => t !== 'iotopen-config')) {
      const ts = fs.readFileSync(path.join(root, 'nodes', type, `${type}.ts`), 'utf8');
      const lib = /registerModelXNode/.test(ts) ? fs.readFileSync(path.join(root, 'nodes', 'lib', 'modelx-node.ts'), 'utf8') : ts;
      assert.match(lib, /defineNode</, `${type} is not defined through the frame`);
      assert.doesNotMatch(
        lib,
        /RED\.nodes\.(createNode|registerType)|\.on\('(input|close)'|\.register\(|\.deregister\(/,
        `${type} handles its own life cycle`,
      );
    }
  });
});
