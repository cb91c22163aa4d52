'use strict';
// The lynx-sandbox CLI: one JSON line on stdout when ready, a seed file, clean stop.
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { spawn } = require('node:child_process');
const { dist } = require('../support/nodered');
const { call } = require('./helpers');

const CLI = path.join(process.env.LYNX_DIST || dist, 'src', 'sandbox', 'cli.js');

function run(args) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, out, err: () => err })));
  return { child, ready, exited };
}

describe('sandbox: CLI', function () {
  const started = [];
  after(() => {
    for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('prints exactly one JSON line {api, mqtt, apiKey, installations} and stops on SIGTERM', async () => {
    const p = run(['--port', '0', '--mqtt-port', '0']);
    started.push(p.child);
    const line = await p.ready;
    const info = JSON.parse(line.trim());
    assert.deepEqual(Object.keys(info), ['api', 'mqtt', 'apiKey', 'installations']);
    assert.match(info.api, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.mqtt, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.installations.length, 3);
    const r = await call({ api: info.api, apiKey: info.apiKey }, 'GET', '/api/v2/installationinfo');
    assert.equal(r.status, 200);
    p.child.kill('SIGTERM');
    const ex = await p.exited;
    assert.equal(ex.code, 0);
    assert.equal(ex.out.trim().split('\n').length, 1, 'nothing else on stdout');
  });

  it('--seed file and --host; SIGINT stops cleanly', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sbseed-')), 'seed.json');
    fs.writeFileSync(file, JSON.stringify({ apiKey: 'cli-key', installations: [{ id: 5, client_id: 55, name: 'Cli test' }] }));
    const p = run([`--seed=${file}`, '--host', '127.0.0.1', '--port', '0', '--mqtt-port', '0']);
    started.push(p.child);
    const info = JSON.parse((await p.ready).trim());
    assert.equal(info.apiKey, 'cli-key');
    assert.deepEqual(info.installations, [{ id: 5, client_id: 55, name: 'Cli test' }]);
    p.child.kill('SIGINT');
    assert.equal((await p.exited).code, 0);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('bad options exit 2 with usage; an unreadable seed exits 1 naming the file', async () => {
    const bad = run(['--port', 'abc']);
    const e1 = await bad.exited;
    assert.equal(e1.code, 2);
    assert.match(e1.err(), /--port must be a port number/);
    const missing = run(['--seed', '/nonexistent/seed.json', '--port', '0', '--mqtt-port', '0']);
    const e2 = await missing.exited;
    assert.equal(e2.code, 1);
    assert.match(e2.err(), /cannot read seed file \/nonexistent\/seed\.json/);
  });
});
