'use strict';
// The Flow Library scorecard (node-red-dev validate), run on the packed tarball
// as a user would install it. Its catalogue checks (N01, P08) need
// catalogue.nodered.org, which is out of reach here; every other check is
// repeated below with the same rules node-red-dev applies.
const assert = require('node:assert');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const acorn = require('acorn');
const walk = require('acorn-walk');
const semver = require('semver');

const root = path.resolve(__dirname, '../..');

describe('packed tarball (Flow Library scorecard)', function () {
  this.timeout(60000);
  let tmp;
  let dir;
  let pkg;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iotopen-pack-'));
    // dist/ is built by `npm test` before mocha runs; pack exactly what npm would publish.
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], {
      cwd: root,
      env: { ...process.env, npm_config_ignore_scripts: 'true' },
      stdio: 'ignore',
    });
    const tarball = path.join(
      tmp,
      fs.readdirSync(tmp).find((f) => f.endsWith('.tgz')),
    );
    execFileSync('tar', ['-xzf', tarball, '-C', tmp]);
    dir = path.join(tmp, 'package');
    pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  });

  after(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('P01 declares a licence, and ships it', function () {
    assert.strictEqual(pkg.license, 'Apache-2.0');
    assert.match(fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
  });

  it('P03 links a repository and a bug tracker', function () {
    assert.match(pkg.repository && pkg.repository.url, /^git\+https:\/\//);
    assert.ok(pkg.bugs && pkg.bugs.url);
  });

  it('P04 uses a scoped name', function () {
    assert.match(pkg.name, /^@[a-z\d][\w-.]+\/[a-z\d][\w-.]*$/);
  });

  it('P05 has the node-red keyword', function () {
    assert.ok(pkg.keywords.includes('node-red'));
  });

  it('P06 node-red.version admits Node-RED 4.1 and 5.0', function () {
    for (const v of ['4.1.0', '4.1.15', '5.0.0', '5.0.7']) {
      assert.ok(semver.satisfies(v, pkg['node-red'].version), `${pkg['node-red'].version} does not admit ${v}`);
    }
  });

  it('P07 engines.node admits Node 20 and 22.9', function () {
    for (const v of ['20.18.1', '20.20.0', '22.9.0', '22.12.0']) {
      assert.ok(semver.satisfies(v, pkg.engines.node), `${pkg.engines.node} does not admit ${v}`);
    }
  });

  it('D01 has at most 6 runtime dependencies', function () {
    const deps = Object.keys(pkg.dependencies || {});
    assert.ok(deps.length <= 6, `${deps.length} dependencies: ${deps.join(', ')}`);
  });

  it('every declared node ships its runtime, editor file, strings, help and icon', function () {
    for (const [type, file] of Object.entries(pkg['node-red'].nodes)) {
      const js = path.join(dir, file);
      const nodeDir = path.dirname(js);
      assert.ok(fs.existsSync(js), `${type}: ${file} missing from the tarball`);
      assert.ok(fs.existsSync(js.replace(/\.js$/, '.html')), `${type}: .html missing`);
      assert.ok(fs.existsSync(path.join(nodeDir, 'locales', 'en-US', `${type}.json`)), `${type}: en-US strings missing`);
      const help = path.join(nodeDir, 'locales', 'en-US', `${type}.html`);
      assert.ok(fs.existsSync(help), `${type}: en-US help missing`);
      const helpText = fs.readFileSync(help, 'utf8');
      assert.match(helpText, new RegExp(`data-help-name="${type}"`), `${type}: help not registered for the type`);
      for (const h of ['Inputs', 'Outputs', 'Details']) {
        if (type === 'iotopen-config' && h !== 'Details') continue; // config nodes have no ports
        assert.match(helpText, new RegExp(`<h3>${h}</h3>`), `${type}: help lacks ${h}`);
      }
      assert.ok(fs.existsSync(path.join(nodeDir, 'icons', `${type}.svg`)), `${type}: icon missing`);
    }
  });

  it("every node's .html registers its type as a literal registerType('<type>', {...}) in category IoT Open", function () {
    for (const [type, file] of Object.entries(pkg['node-red'].nodes)) {
      const defs = nodeDefinitions(path.join(dir, file.replace(/\.js$/, '.html')));
      assert.ok(defs[type], `${type}: no literal registerType('${type}', {...}) found`);
      assert.strictEqual(defs[type].icon, `${type}.svg`, `${type}: icon must be the literal '${type}.svg'`);
      if (type !== 'iotopen-config') assert.strictEqual(defs[type].category, 'IoT Open', `${type}: category`);
      assert.ok(/^iotopen-/.test(type), `${type}: types are prefixed iotopen- so they cannot collide with the official lynx-* pack`);
    }
  });

  // Node-RED serves a module's resources/ folder at resources/<module name>/...: a <script src>
  // of a node's editor file must name a file the tarball ships there.
  it("ships resources/iotopen-editor.js, the shared editor script every node's .html loads", function () {
    assert.ok(pkg.files.includes('resources/'), 'package.json files lacks resources/');
    const shared = path.join(dir, 'resources', 'iotopen-editor.js');
    assert.ok(fs.existsSync(shared), 'resources/iotopen-editor.js missing from the tarball');
    assert.strictEqual(fs.readFileSync(shared, 'utf8'), fs.readFileSync(path.join(root, 'resources', 'iotopen-editor.js'), 'utf8'));
    const prefix = `resources/${pkg.name}/`;
    for (const [type, file] of Object.entries(pkg['node-red'].nodes)) {
      const html = fs.readFileSync(path.join(dir, file.replace(/\.js$/, '.html')), 'utf8');
      const srcs = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]);
      if (type !== 'iotopen-config')
        assert.ok(srcs.includes(`${prefix}iotopen-editor.js`), `${type}: does not load the shared editor script`);
      for (const src of srcs) {
        assert.ok(src.startsWith(prefix), `${type}: <script src="${src}"> is not one of this module's resources`);
        assert.ok(fs.existsSync(path.join(dir, 'resources', src.slice(prefix.length))), `${type}: ${src} is not in the tarball`);
      }
    }
  });

  it('N02 every non-config node is used in an example flow', function () {
    const used = new Set();
    const examples = path.join(dir, 'examples');
    for (const f of fs.readdirSync(examples).filter((f) => f.endsWith('.json'))) {
      const flow = JSON.parse(fs.readFileSync(path.join(examples, f), 'utf8'));
      assert.ok(Array.isArray(flow), `${f}: an example is a flow array`);
      for (const n of flow) used.add(n.type);
    }
    const missing = Object.keys(pkg['node-red'].nodes).filter((t) => t !== 'iotopen-config' && !used.has(t));
    assert.deepStrictEqual(missing, [], `nodes without an example: ${missing.join(', ')}`);
  });
});

/** The same parse node-red-dev applies: registerType calls whose type is a literal and whose definition is an object literal. */
function nodeDefinitions(file) {
  const html = fs.readFileSync(file, 'utf8');
  const re = /<script.+?type=['"]text\/javascript['"].*?>([\S\s]*?)<\/script>/gi;
  const defs = {};
  let m;
  while ((m = re.exec(html)) !== null) {
    const ast = acorn.parse(m[1], { ecmaVersion: 'latest' });
    walk.simple(ast, {
      CallExpression(node) {
        if (!node.callee.property || node.callee.property.name !== 'registerType') return;
        const [typeNode, defNode] = node.arguments;
        if (typeNode.type !== 'Literal' || defNode.type !== 'ObjectExpression') return;
        const def = {};
        for (const p of defNode.properties) {
          if (p.key && ['icon', 'category', 'color'].includes(p.key.name) && p.value.type === 'Literal') def[p.key.name] = p.value.value;
        }
        defs[typeNode.value] = def;
      },
    });
  }
  return defs;
}
