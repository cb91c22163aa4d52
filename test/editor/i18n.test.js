'use strict';
// The editor's strings: every key an editor file uses exists in en-US, every
// en-US key has a Swedish (sv-SE) translation, the Swedish help has the same
// sections and keeps every technical identifier, and a real Node-RED serves
// the Swedish catalogues and help for the pack. (node-red-node-test-helper
// mounts no editor routes and stubs RED._, so it cannot show what the editor gets.)
//
// Static checks read each node's editor files as the build ships them, under
// dist/nodes/ (devicex and functionx are rendered there from one source,
// nodes/lib/modelx-editor/), and each runtime's .ts under nodes/; the runtime check runs
// Node-RED (red.js, its own process, port 0) with the built pack (dist/)
// linked into a temporary user dir, as a user installs it.
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const acorn = require('acorn');
const walk = require('acorn-walk');

const root = path.resolve(__dirname, '../..');
const nodesDir = path.join(root, 'nodes');
const pkg = require(path.join(root, 'package.json'));
const TYPES = Object.keys(pkg['node-red'].nodes);

// Keys of en-US that may fall back to English in sv-SE (none today; list them
// here, per type, with a reason, if one is ever left untranslated on purpose).
const ALLOWED_FALLBACKS = {};

// The shared editor script every node's .html loads (resources/iotopen-editor.js, served by Node-RED).
const RESOURCE = path.join(root, 'resources', 'iotopen-editor.js');
const RESOURCE_URL = `resources/${pkg.name}/iotopen-editor.js`;

const builtDir = path.join(root, 'dist', 'nodes');
/** A node's file: its runtime source (.ts) under nodes/, its editor files as built, under dist/nodes/. */
const file = (...p) => path.join(p[p.length - 1].endsWith('.ts') ? nodesDir : builtDir, ...p);
const read = (...p) => fs.readFileSync(file(...p), 'utf8');
const exists = (...p) => fs.existsSync(file(...p));
const catalog = (type, lang) => JSON.parse(read(type, 'locales', lang, `${type}.json`));

// Texts every node shares live once, in the `common` section of the config node's catalogue;
// a dialog names them in full (data-i18n="<COMMON_NS>label.server"), the shared editor script
// reads them with common('<key>').
const COMMON_NS = `${pkg.name}/iotopen-config:common.`;
/** Does the catalogue of `type` (or, for a COMMON_NS key, the common one) have the key? */
const hasKey = (enKeys, k) => (k.startsWith(COMMON_NS) ? commonKeys.has(`common.${k.slice(COMMON_NS.length)}`) : enKeys.has(k));

/** 'a.b.c' paths of every string leaf. */
function leaves(obj, prefix = '', out = new Map()) {
  for (const [k, v] of Object.entries(obj)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') leaves(v, p, out);
    else out.set(p, v);
  }
  return out;
}

const commonKeys = leaves(catalog('iotopen-config', 'en-US').common, 'common');

/**
 * A catalogue as Node-RED serves it: its files are in i18next v3 format (`key_plural`), which
 * Node-RED migrates to v4 (`key_other`) when it reads them (@node-red/util i18n).
 */
function asServed(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object') out[k] = asServed(v);
    else if (k.endsWith('_plural')) out[k.replace('_plural', '_other')] = obj[k.replace('_plural', '_other')] || v;
    else out[k] = v;
  }
  return out;
}

/** The `__name__` interpolation placeholders of a message. */
const placeholders = (s) => [...String(s).matchAll(/__([A-Za-z0-9_]+)__/g)].map((m) => m[1]).sort();

/**
 * i18n keys an editor file uses: data-i18n attributes ("[placeholder]x.y;z"),
 * and the string given to _() / this._() / node._() / _t() in its script,
 * where `NS + '.x'` stands for the node type.
 */
function editorKeys(type, html) {
  const keys = new Set();
  for (const m of html.matchAll(/data-i18n="([^"]+)"/g)) {
    for (const part of m[1].split(';')) keys.add(part.replace(/^\[[^\]]+\]/, '').trim());
  }
  for (const m of html.matchAll(/(?:^|[^\w$])_t?\(\s*(NS\s*\+\s*)?(['"])([^'"]+)\2/g)) {
    keys.add(m[1] ? type + m[3] : m[3]);
  }
  return [...keys];
}

/** Literal keys the runtime resolves: RED._('<type>.x') and the node's t('x') helper. */
function runtimeKeys(type, ts) {
  const keys = new Set();
  for (const m of ts.matchAll(/RED\._\(\s*'([^'$`]+)'/g)) keys.add(m[1]);
  if (/const t = \(key[^)]*\)[^=]*=>\s*RED\._\(`(?:\$\{TYPE\}|\$\{type\}|[\w-]+)\.\$\{key\}`/.test(ts)) {
    for (const m of ts.matchAll(/(?:^|[^\w$.])t\(\s*'([^']+)'/g)) keys.add(`${type}.${m[1]}`);
  }
  return [...keys];
}

/**
 * The shared editor script's helpers: for each function of it (a function declaration `f`,
 * an export `E.f = function`, or a top-level `var` holding a function or an object of them), the catalogue keys it reads with tr(node, '<key>') and the
 * helpers it calls. Keys are relative to the calling node's type.
 */
function resourceHelpers(src) {
  const ast = acorn.parse(src, { ecmaVersion: 5 });
  // (function () { ... })(): the helpers are the statements of that function's body.
  const body = ast.body[0].expression.callee.body.body;
  const units = new Map(); // name -> { keys: Set, calls: Set, dynamic: [] }
  const exported = new Set();
  const scan = (name, fn) => {
    const unit = { keys: new Set(), common: new Set(), calls: new Set(), dynamic: [] };
    walk.fullAncestor(fn.body || fn, (n, _state, ancestors) => {
      const parent = ancestors[ancestors.length - 2];
      if (n.type === 'CallExpression' && n.callee.type === 'Identifier' && n.callee.name === 'tr') {
        const key = n.arguments[1];
        if (key && key.type === 'Literal' && typeof key.value === 'string') unit.keys.add(key.value);
        else unit.dynamic.push(src.slice(n.start, n.end));
      }
      if (n.type === 'CallExpression' && n.callee.type === 'Identifier' && n.callee.name === 'common') {
        const key = n.arguments[0];
        if (key && key.type === 'Literal' && typeof key.value === 'string') unit.common.add(key.value);
        else unit.dynamic.push(src.slice(n.start, n.end));
      }
      if (n.type === 'Identifier') {
        const isName =
          parent &&
          ((parent.type === 'MemberExpression' && parent.property === n && !parent.computed) ||
            (parent.type === 'Property' && parent.key === n));
        if (!isName) unit.calls.add(n.name);
      }
      if (n.type === 'MemberExpression' && !n.computed && n.object.type === 'Identifier' && n.object.name === 'E')
        unit.calls.add(`E.${n.property.name}`);
    });
    units.set(name, unit);
  };
  for (const st of body) {
    if (st.type === 'FunctionDeclaration') scan(st.id.name, st);
    // a table of functions (var KINDS = { ... }): its keys count for whoever uses the table
    if (st.type === 'VariableDeclaration') {
      for (const d of st.declarations)
        if (d.init && (d.init.type === 'ObjectExpression' || d.init.type === 'FunctionExpression')) scan(d.id.name, d.init);
    }
    const ex = st.type === 'ExpressionStatement' && st.expression;
    if (
      ex &&
      ex.type === 'AssignmentExpression' &&
      ex.left.type === 'MemberExpression' &&
      ex.left.object.name === 'E' &&
      !ex.left.computed
    ) {
      exported.add(ex.left.property.name);
      if (ex.right.type === 'FunctionExpression') scan(`E.${ex.left.property.name}`, ex.right);
    }
  }
  /** Every key `name` reads (of the node's catalogue, or with which: 'common', of the common one), through the helpers it calls. */
  const keysOf = (name, which = 'keys', seen = new Set()) => {
    if (seen.has(name) || !units.has(name)) return new Set();
    seen.add(name);
    const unit = units.get(name);
    const keys = new Set(unit[which]);
    for (const c of unit.calls) for (const k of keysOf(c, which, seen)) keys.add(k);
    return keys;
  };
  return { units, exported, keysOf };
}

/** The IotOpenEditor.<name> an .html uses. */
const sharedUsed = (html) => [...new Set([...html.matchAll(/IotOpenEditor\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1]))];

const h3s = (html) => [...html.matchAll(/<h3>([\s\S]*?)<\/h3>/g)].map((m) => m[1].trim());
const codes = (html) => new Set([...html.matchAll(/<code>([\s\S]*?)<\/code>/g)].map((m) => m[1].trim()));
const count = (html, re) => (html.match(re) || []).length;

describe('editor i18n', function () {
  it('the package lists every node folder', function () {
    assert.ok(fs.existsSync(builtDir), 'build first (npm run build)');
    const dirs = fs.readdirSync(nodesDir).filter((d) => d.startsWith('iotopen-') && exists(d, `${d}.html`));
    assert.deepStrictEqual([...dirs].sort(), [...TYPES].sort());
  });

  for (const type of TYPES) {
    describe(type, function () {
      const html = read(type, `${type}.html`);
      const en = catalog(type, 'en-US');
      const enKeys = leaves(en);

      it('keeps its strings under the key of its type (the config node also the common texts)', function () {
        assert.deepStrictEqual(Object.keys(en), type === 'iotopen-config' ? [type, 'common'] : [type]);
      });

      it('uses only keys that exist in en-US, all under its own type', function () {
        const used = editorKeys(type, html);
        assert.ok(used.length > 5, `${type}.html uses only ${used.length} i18n keys`);
        // a key ending in '.' is completed at run time (e.g. validation.apiUrl. + problem): some key must extend it
        const missing = used.filter((k) => (k.endsWith('.') ? ![...enKeys.keys()].some((e) => e.startsWith(k)) : !hasKey(enKeys, k)));
        assert.deepStrictEqual(missing, [], `${type}.html uses keys missing from en-US`);
      });

      it('loads the shared editor script, and finds in en-US every key the helpers it calls read', function () {
        const used = sharedUsed(html);
        if (type === 'iotopen-config') {
          assert.deepStrictEqual(used, []);
          return;
        }
        const tags = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]*)"[^>]*>\s*<\/script>/g)].map((m) => m[1]);
        assert.deepStrictEqual(tags, [RESOURCE_URL], 'one <script src> of the shared editor script, first');
        assert.ok(html.indexOf(RESOURCE_URL) < html.indexOf('RED.nodes.registerType'), 'the shared script must load before registerType');
        const shared = resourceHelpers(fs.readFileSync(RESOURCE, 'utf8'));
        const unknown = used.filter((name) => !shared.exported.has(name));
        assert.deepStrictEqual(unknown, [], 'IotOpenEditor helpers the resource does not define');
        const keys = new Set();
        for (const name of used) for (const k of shared.keysOf(`E.${name}`)) keys.add(`${type}.${k}`);
        for (const name of used) for (const k of shared.keysOf(`E.${name}`, 'common')) keys.add(COMMON_NS + k);
        const missing = [...keys].filter((k) => !hasKey(enKeys, k));
        assert.deepStrictEqual(missing, [], `keys read by the shared helpers ${type}.html calls, missing from en-US`);
      });

      it('never calls RED._() with a node key (it resolves in the editor namespace and shows the raw key)', function () {
        const bad = [...html.matchAll(/RED\._\(\s*(?:NS\b|['"]iotopen-)/g)].map((m) => m[0]);
        assert.deepStrictEqual(bad, []);
      });

      it('has a localised palette label', function () {
        assert.ok(enKeys.has(`${type}.paletteLabel`), 'en-US has no paletteLabel');
        if (type !== 'iotopen-config') assert.match(html, /paletteLabel:\s*function\s*\(\)\s*\{\s*return this\._\(/);
      });

      it('has no hard-coded English text in its form', function () {
        const form = /<script type="text\/html" data-template-name[\s\S]*?<\/script>/.exec(html)[0];
        // text between tags that is not markup, an icon or whitespace
        const text = [
          ...form
            .replace(/<style[\s\S]*?<\/style>/g, '')
            .replace(/&\w+;/g, ' ')
            .matchAll(/>([^<]*[A-Za-z][^<]*)</g),
        ]
          .map((m) => m[1].trim())
          .filter((t) => !/^(GET|POST|PUT|DELETE)$/.test(t));
        assert.deepStrictEqual(text, []);
        const attrs = [...form.matchAll(/\s(placeholder|title)="([^"]*[A-Za-z][^"]*)"/g)]
          .map((m) => m[2])
          .filter((v) => !/^(https?|mqtts?):\/\/|^node-red$/.test(v)); // example values, not words
        assert.deepStrictEqual(attrs, []);
      });

      it('resolves every literal status/error key of its runtime in en-US', function () {
        const ts = read(type, `${type}.ts`);
        const missing = runtimeKeys(type, ts).filter((k) => k.startsWith(`${type}.`) && !enKeys.has(k));
        assert.deepStrictEqual(missing, []);
      });

      it('has every en-US key in sv-SE, with the same placeholders, and no stray keys', function () {
        assert.ok(exists(type, 'locales', 'sv-SE', `${type}.json`), 'no sv-SE catalogue');
        const sv = leaves(catalog(type, 'sv-SE'));
        const allowed = new Set(ALLOWED_FALLBACKS[type] || []);
        const missing = [...enKeys.keys()].filter((k) => !sv.has(k) && !allowed.has(k));
        assert.deepStrictEqual(missing, [], 'keys without a Swedish text');
        const stray = [...sv.keys()].filter((k) => !enKeys.has(k));
        assert.deepStrictEqual(stray, [], 'sv-SE keys that en-US does not have (typo?)');
        for (const [k, v] of sv) {
          assert.deepStrictEqual(placeholders(v), placeholders(enKeys.get(k)), `${k}: placeholders differ`);
          assert.ok((typeof v === 'string' && v.trim() !== '') || enKeys.get(k) === v, `${k} is empty`);
        }
      });

      it('is translated, not copied: most sv-SE texts differ from en-US', function () {
        const sv = leaves(catalog(type, 'sv-SE'));
        // palette names are node type names (functionx out, mqtt publish): kept as they are on purpose
        const words = [...enKeys].filter(([k, v]) => !/(^|\.)(paletteLabel|label\.default)$/.test(k) && /[a-z]{4,}\s+[a-z]{3,}/i.test(v));
        const same = words.filter(([k, v]) => sv.get(k) === v).map(([k]) => k);
        assert.ok(same.length <= words.length / 10, `copied unchanged from English: ${same.join(', ')}`);
      });

      it('has Swedish help with the same sections and every identifier of the English help', function () {
        assert.ok(exists(type, 'locales', 'sv-SE', `${type}.html`), 'no sv-SE help');
        const enHelp = read(type, 'locales', 'en-US', `${type}.html`);
        const svHelp = read(type, 'locales', 'sv-SE', `${type}.html`);
        assert.match(svHelp, new RegExp(`^<script type="text/html" data-help-name="${type}">`));
        assert.deepStrictEqual(h3s(enHelp), ['Inputs', 'Outputs', 'Details', 'References']);
        assert.deepStrictEqual(h3s(svHelp), ['Indata', 'Utdata', 'Detaljer', 'Referenser']);
        assert.match(svHelp.trim(), /^<script[^>]*>\s*<p>[^<]*\S/, 'the first paragraph (palette tooltip) is missing');
        for (const tag of [/<dl class="message-properties">/g, /<dt[ >]/g, /<li>/g, /<a href=/g]) {
          assert.strictEqual(count(svHelp, tag), count(enHelp, tag), `number of ${tag.source} differs`);
        }
        const svCodes = codes(svHelp);
        const lost = [...codes(enHelp)].filter((c) => !svCodes.has(c));
        assert.deepStrictEqual(lost, [], '<code> identifiers of the English help missing in Swedish');
      });
    });
  }

  describe('the shared editor script (resources/iotopen-editor.js)', function () {
    const src = fs.readFileSync(RESOURCE, 'utf8');
    const shared = resourceHelpers(src);

    it('reads catalogue keys only as literals, only through tr() and common(), never with RED._()', function () {
      const dynamic = [...shared.units].flatMap(([name, u]) => u.dynamic.map((d) => `${name}: ${d}`));
      assert.deepStrictEqual(dynamic, []);
      assert.doesNotMatch(src, /RED\._\(/);
      assert.ok(shared.keysOf('E.hint', 'common').has('hint.notDeployed'), 'the analysis follows E.hint to failText');
      assert.ok(
        shared.keysOf('E.installationPicker', 'common').has('picker.missing.functions'),
        'the analysis follows the pickers into the KINDS table',
      );
      const missing = [...shared.units.values()].flatMap((u) => [...u.common]).filter((k) => !commonKeys.has(`common.${k}`));
      assert.deepStrictEqual(missing, [], 'common() keys missing from the common en-US texts');
    });

    it('is plain browser script: ES5, one global, no module syntax', function () {
      assert.doesNotThrow(() => acorn.parse(src, { ecmaVersion: 5 }));
      assert.match(src, /window\.IotOpenEditor = E;/);
    });

    it('every key a helper reads exists for every node whose .html calls that helper (and some are read)', function () {
      let checked = 0;
      for (const type of TYPES) {
        const en = leaves(catalog(type, 'en-US'));
        for (const name of sharedUsed(read(type, `${type}.html`))) {
          for (const k of shared.keysOf(`E.${name}`)) {
            assert.ok(en.has(`${type}.${k}`), `${type} calls IotOpenEditor.${name}, which reads ${k}`);
            checked++;
          }
          for (const k of shared.keysOf(`E.${name}`, 'common')) {
            assert.ok(commonKeys.has(`common.${k}`), `${type} calls IotOpenEditor.${name}, which reads common ${k}`);
            checked++;
          }
        }
      }
      assert.ok(checked > 10, `only ${checked} keys checked`);
    });
  });

  describe('dialog validators mirror the runtime', function () {
    // The schedule dialog's cron check, taken from the .html as the editor runs it, must accept
    // exactly what src/lynx/schedule.ts accepts, or a red field would disagree with the deployed node.
    it('iotopen-schedule: cron fields', function () {
      const html = read('iotopen-schedule', 'iotopen-schedule.html');
      const src = /function cronProblem\(value, min, max\) \{[\s\S]*?\n {2}\}\n/.exec(html);
      assert.ok(src, 'cronProblem not found in iotopen-schedule.html');
      const cronProblem = new Function(`${src[0]}; return cronProblem;`)();
      const { validateCronField, CRON_RANGES } = require(path.join(root, 'dist', 'src', 'lynx', 'schedule.js'));
      const samples = [
        '*',
        '0',
        '5',
        '59',
        '60',
        '7',
        '8',
        '23',
        '24',
        '31',
        '32',
        '12',
        '13',
        '1-5',
        '5-1',
        '0-7',
        '*/5',
        '*/0',
        '*/60',
        '0-30/10',
        '5/2',
        '1,2,3',
        '1,,2',
        ',',
        '1-2-3',
        'a',
        '1.5',
        '-1',
        '*/',
        '1-',
        ' 7 ',
        '001',
        '1/2/3',
        '*/24',
        '*/7',
        '0,7',
        '1-31/31',
      ];
      let checked = 0;
      for (const field of Object.keys(CRON_RANGES)) {
        const [min, max] = CRON_RANGES[field];
        for (const v of samples) {
          let runtimeOk = true;
          try {
            validateCronField(field, v);
          } catch {
            runtimeOk = false;
          }
          assert.strictEqual(cronProblem(v, min, max) === null, runtimeOk, `${field} "${v}": editor and runtime disagree`);
          checked++;
        }
      }
      assert.ok(checked > 100);
    });
  });

  describe('served by a real Node-RED', function () {
    this.timeout(60000);
    let tmp;
    let red;
    let base;

    before(async function () {
      assert.ok(fs.existsSync(path.join(root, 'dist', 'nodes', TYPES[0], `${TYPES[0]}.js`)), 'build first (npm run build)');
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iotopen-i18n-'));
      fs.mkdirSync(path.join(tmp, 'node_modules', '@lynxflow'), { recursive: true });
      fs.symlinkSync(root, path.join(tmp, 'node_modules', '@lynxflow', 'node-red-iotopen'), 'dir');
      fs.writeFileSync(
        path.join(tmp, 'settings.js'),
        `module.exports = { uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: false,
          telemetry: { enabled: false, updateNotification: false },
          editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
          logging: { console: { level: 'info', metrics: false, audit: false } } };\n`,
      );
      fs.writeFileSync(path.join(tmp, 'flows.json'), '[]');
      red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', tmp, '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      base = await new Promise((resolve, reject) => {
        const onData = (d) => {
          out += d;
          const m = /Server now running at (http:\/\/[^/\s]+)\//.exec(out);
          if (m) resolve(m[1]);
        };
        red.stdout.on('data', onData);
        red.stderr.on('data', onData);
        red.on('exit', (code) => reject(new Error(`Node-RED exited (${code}):\n${out}`)));
      });
    });

    after(function () {
      if (red && red.exitCode === null) red.kill('SIGTERM');
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    // nodes/messages is what the editor loads the node catalogues from (RED.i18n.loadNodeCatalogs)
    it('serves the Swedish catalogue of every node at /nodes/messages?lng=sv-SE', async function () {
      const res = await fetch(`${base}/nodes/messages?lng=sv-SE`, { headers: { Accept: 'application/json' } });
      assert.strictEqual(res.status, 200);
      const all = await res.json();
      for (const type of TYPES) {
        const ns = `${pkg.name}/${type}`;
        assert.ok(all[ns], `no catalogue for ${ns}`);
        assert.deepStrictEqual(all[ns], asServed(catalog(type, 'sv-SE')), `${ns} is not the sv-SE catalogue`);
      }
      const enRes = await fetch(`${base}/nodes/messages?lng=en-US`, { headers: { Accept: 'application/json' } });
      const en = await enRes.json();
      assert.deepStrictEqual(en[`${pkg.name}/iotopen-config`], asServed(catalog('iotopen-config', 'en-US')));
    });

    // Each node's .html loads resources/iotopen-editor.js by a relative src, which the editor
    // fetches from <admin root>/resources/<module>/<file>.
    it(`serves the shared editor script at /${RESOURCE_URL}, and every node's editor file loads it`, async function () {
      const res = await fetch(`${base}/${RESOURCE_URL}`);
      assert.strictEqual(res.status, 200);
      assert.match(res.headers.get('content-type') || '', /javascript/);
      assert.strictEqual(await res.text(), fs.readFileSync(RESOURCE, 'utf8'));
      const nodes = await (await fetch(`${base}/nodes`, { headers: { Accept: 'text/html' } })).text();
      const sets = nodes.split(/(?=<!-- --- \[red-module:)/).filter((c) => c.includes(`[red-module:${pkg.name}/`));
      assert.strictEqual(sets.length, TYPES.length);
      for (const set of sets) {
        const type = /\[red-module:[^\]]+\/(iotopen-[\w-]+)\]/.exec(set)[1];
        if (type === 'iotopen-config') continue;
        assert.ok(set.includes(`src="${RESOURCE_URL}"`), `${type}: its editor file does not load ${RESOURCE_URL}`);
      }
    });

    it('serves the Swedish help to a Swedish editor, the English help to others', async function () {
      const get = async (lang) => {
        const res = await fetch(`${base}/nodes`, { headers: { Accept: 'text/html', 'Accept-Language': lang } });
        assert.strictEqual(res.status, 200);
        return res.text();
      };
      const sv = await get('sv-SE');
      const en = await get('en-US');
      for (const type of TYPES) {
        const firstP = (h) => /<p>([\s\S]*?)<\/p>/.exec(h)[1].trim();
        const svP = firstP(read(type, 'locales', 'sv-SE', `${type}.html`));
        const enP = firstP(read(type, 'locales', 'en-US', `${type}.html`));
        assert.ok(sv.includes(svP), `${type}: Swedish help not served`);
        assert.ok(!sv.includes(enP), `${type}: English help served to sv-SE`);
        assert.ok(en.includes(enP), `${type}: English help not served to en-US`);
      }
    });
  });
});
