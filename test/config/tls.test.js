'use strict';
// iotopen-config with TLS: a certificate the machine does not trust is reported
// in plain words, and a Node-RED tls-config node (here: a private CA) fixes it
// for both Test connection and the deployed node's API client.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { helper, nodeModule, core } = require('../support/nodered');

const configMod = nodeModule('iotopen-config');
const tlsMod = core('network/05-tls.js');
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('iotopen-config over TLS', function () {
  let dir;
  let server;
  let url;

  before(async function () {
    if (!hasOpenssl) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iotopen-config-tls-'));
    const res = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(res.status, 0, res.stderr);
    // A minimal Lynx: the installation list, for one key.
    server = https.createServer(
      { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) },
      (req, res2) => {
        if (req.url.startsWith('/api/v2/installationinfo') && req.headers['x-api-key'] === 'tls-key-123456') {
          res2.writeHead(200, { 'content-type': 'application/json' });
          res2.end(JSON.stringify([{ id: 7, client_id: 70, name: 'Behind TLS' }]));
        } else {
          res2.writeHead(401, { 'content-type': 'application/json' });
          res2.end('{"message":"Unauthorized"}');
        }
      },
    );
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${server.address().port}`;
  });

  after(async () => {
    if (server) await new Promise((r) => server.close(r));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => helper.unload());

  function flow(withTls) {
    return [
      { id: 'tls', type: 'tls-config', name: 'private CA', cert: '', key: '', ca: path.join(dir, 'cert.pem'), verifyservercert: true },
      {
        id: 'cfg',
        type: 'iotopen-config',
        apiUrl: url,
        mqttUrl: 'mqtts://127.0.0.1:1',
        authMode: 'apikey',
        usetls: withTls,
        tls: withTls ? 'tls' : '',
      },
    ];
  }

  it('explains an untrusted certificate, and a TLS configuration with the CA fixes it', async () => {
    await helper.load([tlsMod, configMod], flow(false), { cfg: { apiKey: 'tls-key-123456' } });
    const bare = await helper
      .request()
      .post('/iotopen/test')
      .send({ apiUrl: url, authMode: 'apikey', credentials: { apiKey: 'tls-key-123456' } })
      .expect(200);
    assert.equal(bare.body.ok, false);
    assert.match(bare.body.message, /TLS certificate problem/);
    assert.match(bare.body.message, /CA in a TLS configuration/);
    const withCa = await helper
      .request()
      .post('/iotopen/test')
      .send({ apiUrl: url, authMode: 'apikey', usetls: true, tls: 'tls', credentials: { apiKey: 'tls-key-123456' } })
      .expect(200);
    assert.equal(withCa.body.ok, true, withCa.body.message);
    assert.match(withCa.body.message, /1 installation visible/);
  });

  it("uses the TLS configuration for the deployed node's API client", async () => {
    await helper.load([tlsMod, configMod], flow(true), { cfg: { apiKey: 'tls-key-123456' } });
    const list = await helper.getNode('cfg').api.installations.list();
    assert.deepEqual(
      list.map((i) => i.name),
      ['Behind TLS'],
    );
  });
});
