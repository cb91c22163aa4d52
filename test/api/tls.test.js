'use strict';
// TLS options of the ApiClient against a real HTTPS server with a self-signed
// certificate made by openssl for this run.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const { spawnSync } = require('node:child_process');
const { ApiClient } = require('../../dist/src/api');

function selfSigned() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lynx-api-tls-'));
  try {
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=lynx.test',
        '-addext',
        'subjectAltName=DNS:lynx.test',
      ],
      { stdio: 'ignore' },
    );
    if (r.status !== 0) return null;
    // The same key, encrypted, as a client key protected by a passphrase.
    const enc = spawnSync(
      'openssl',
      ['pkey', '-in', path.join(dir, 'key.pem'), '-aes256', '-passout', 'pass:tls-pass-phrase', '-out', path.join(dir, 'enc.pem')],
      { stdio: 'ignore' },
    );
    if (enc.status !== 0) return null;
    return {
      key: fs.readFileSync(path.join(dir, 'key.pem')),
      cert: fs.readFileSync(path.join(dir, 'cert.pem')),
      encryptedKey: fs.readFileSync(path.join(dir, 'enc.pem')),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('api: TLS settings', function () {
  this.timeout(15000);
  let pem;
  let server;
  let base;
  let seenKeys;

  before(async function () {
    pem = selfSigned();
    if (!pem) this.skip(); // no openssl on this machine
    seenKeys = [];
    // Client certificates are asked for (the self-signed one is trusted) but not required.
    server = https.createServer(
      { key: pem.key, cert: pem.cert, ca: pem.cert, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        if (req.url.startsWith('/mtls') && !req.socket.authorized) {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: 'client certificate required' }));
          return;
        }
        seenKeys.push(req.headers['x-api-key']);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify([{ id: 1, client_id: 101, name: 'TLS' }]));
      },
    );
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${server.address().port}`;
  });
  after(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses an unknown certificate with a message pointing at the CA setting', async () => {
    const api = new ApiClient({ baseUrl: base, auth: { type: 'apikey', apiKey: 'k-123456' }, retries: 0 });
    try {
      await assert.rejects(api.installations.list(), (e) => {
        assert.equal(e.code, 'ENETWORK');
        assert.match(
          e.message,
          new RegExp(`TLS certificate of 127\\.0\\.0\\.1:${server.address().port} was not accepted: .+; check the CA in the TLS settings`),
        );
        return true;
      });
    } finally {
      await api.close();
    }
  });

  it('does not retry a refused certificate: trying again cannot help', async () => {
    let connections = 0;
    const count = () => connections++;
    server.on('connection', count);
    const api = new ApiClient({ baseUrl: base, auth: { type: 'apikey', apiKey: 'k-123456' }, retries: 3, retryBaseMs: 1 });
    try {
      await assert.rejects(api.installations.list(), /TLS certificate/);
      assert.equal(connections, 1);
    } finally {
      server.off('connection', count);
      await api.close();
    }
  });

  it('uses an encrypted client key with its passphrase (mutual TLS)', async () => {
    const tls = { ca: pem.cert, servername: 'lynx.test', cert: pem.cert, key: pem.encryptedKey, passphrase: 'tls-pass-phrase' };
    const api = new ApiClient({ baseUrl: base, auth: { type: 'apikey', apiKey: 'k-123456' }, tls });
    try {
      const answer = await api.request('GET', '/mtls/check');
      assert.deepEqual(
        answer.map((i) => i.name),
        ['TLS'],
      );
    } finally {
      await api.close();
    }
  });

  it('accepts it with the CA and server name given', async () => {
    const api = new ApiClient({
      baseUrl: base,
      auth: { type: 'apikey', apiKey: 'k-123456' },
      tls: { ca: pem.cert, servername: 'lynx.test' },
    });
    try {
      const list = await api.installations.list();
      assert.deepEqual(
        list.map((i) => i.name),
        ['TLS'],
      );
      assert.equal(seenKeys.at(-1), 'k-123456');
    } finally {
      await api.close();
    }
  });

  it('accepts it with rejectUnauthorized false', async () => {
    const api = new ApiClient({ baseUrl: base, auth: { type: 'apikey', apiKey: 'k-123456' }, tls: { rejectUnauthorized: false } });
    try {
      assert.equal((await api.installations.list()).length, 1);
    } finally {
      await api.close();
    }
  });
});
