'use strict';
// MQTT brokers to run the MQTT suites against, and an MQTT-aware TCP proxy that
// counts the control packets a client sends (SUBSCRIBE, UNSUBSCRIBE, PUBLISH),
// whatever the broker.
//
//   const { brokers } = require('../support/brokers');
//   for (const b of brokers) describe(b.name, () => { ... const broker = await b.start(); ... });
//
// Every entry: { name, restartable, auth, start(opts?) } where start resolves
// { url, port, stop(), restart?(), down?(), up?() }:
//   - 'aedes' (always): a bare embedded aedes broker; restartable (down()/up()
//     on the same port, a fresh broker: no sessions, no retained messages);
//     `start({ password })` makes it refuse any other password (CONNACK 5).
//   - 'mosquitto' when the `mosquitto` binary is on PATH: our own instance on a
//     free loopback port with a temp config; restartable.
//   - 'external' when MQTT_URL is set: that broker, not restartable, no auth.
const net = require('node:net');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const { freePort } = require('./util');

/** Resolves once something accepts TCP connections on the port. */
async function waitForPort(port, tries = 200) {
  for (let i = 0; i < tries; i++) {
    const ok = await new Promise((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

async function startAedes(opts = {}) {
  const { Aedes } = await import('aedes');
  let port = opts.port || 0;
  let aedes = null;
  let server = null;
  const sockets = new Set();
  async function up() {
    aedes = await Aedes.createBroker();
    if (opts.password !== undefined) {
      aedes.authenticate = (client, username, password, cb) => {
        if (password && password.toString() === opts.password) return cb(null, true);
        const err = new Error('bad credentials');
        err.returnCode = 5;
        cb(err, null);
      };
    }
    server = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      aedes.handle(sock);
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    port = server.address().port;
  }
  async function down() {
    if (!server) return;
    const s = server;
    const a = aedes;
    server = null;
    aedes = null;
    for (const sock of sockets) sock.destroy();
    await new Promise((resolve) => s.close(() => resolve()));
    await new Promise((resolve) => a.close(() => resolve()));
  }
  await up();
  return {
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get aedes() {
      return aedes;
    },
    down,
    up,
    async restart() {
      await down();
      await up();
    },
    stop: down,
  };
}

function hasMosquitto() {
  const r = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

// Mosquitto children die with this process, even when a run is aborted.
const children = new Set();
process.on('exit', () => {
  for (const p of children) if (p.exitCode === null) p.kill('SIGKILL');
});

async function startMosquitto() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosq-'));
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  let proc = null;
  async function up() {
    proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    const child = proc;
    children.add(child);
    child.once('exit', () => children.delete(child));
    let err = '';
    proc.stderr.on('data', (d) => (err += d));
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    await Promise.race([waitForPort(port), exited.then(() => Promise.reject(new Error(`mosquitto exited: ${err}`)))]);
  }
  async function down() {
    if (!proc) return;
    const p = proc;
    proc = null;
    if (p.exitCode !== null) return;
    await new Promise((resolve) => {
      p.once('exit', resolve);
      p.kill('SIGKILL');
    });
  }
  await up();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    down,
    up,
    async restart() {
      await down();
      await up();
    },
    async stop() {
      await down();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const brokers = [{ name: 'aedes', restartable: true, auth: true, start: startAedes }];
if (hasMosquitto()) brokers.push({ name: 'mosquitto', restartable: true, auth: false, start: startMosquitto });
if (process.env.MQTT_URL) {
  brokers.push({
    name: 'external',
    restartable: false,
    auth: false,
    start: async () => {
      const u = new URL(process.env.MQTT_URL);
      return { url: process.env.MQTT_URL, port: Number(u.port || 1883), stop: async () => {} };
    },
  });
}

/** Reads an MQTT remaining-length varint at buf[off]; returns [value, bytes] or null when incomplete. */
function readVarint(buf, off) {
  let mult = 1;
  let value = 0;
  for (let i = 0; i < 4; i++) {
    if (off + i >= buf.length) return null;
    const b = buf[off + i];
    value += (b & 127) * mult;
    mult *= 128;
    if ((b & 128) === 0) return [value, i + 1];
  }
  throw new Error('malformed MQTT remaining length');
}

/**
 * A TCP proxy in front of a broker that parses what clients send and records
 * it: `subscribes` (one array of filters per SUBSCRIBE packet), `unsubscribes`
 * (likewise), `publishes` ([{topic, qos, dup}]). `cut()` drops every proxied
 * connection (a network failure as the client sees it); `down()`/`up()` make
 * the broker unreachable and reachable again, for any broker.
 */
async function startCountingProxy(target) {
  const t = new URL(target);
  const host = t.hostname;
  const tport = Number(t.port || 1883);
  const rec = { subscribes: [], unsubscribes: [], publishes: [] };
  const pairs = new Set();
  let isDown = false;
  const server = net.createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = net.connect(tport, host);
    const pair = { client, upstream };
    pairs.add(pair);
    let buf = Buffer.alloc(0);
    client.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length < 2) break;
        const len = readVarint(buf, 1);
        if (!len) break;
        const start = 1 + len[1];
        const end = start + len[0];
        if (buf.length < end) break;
        const type = buf[0] >> 4;
        const flags = buf[0] & 15;
        const body = buf.subarray(start, end);
        if (type === 8 || type === 10) {
          const filters = [];
          let o = 2;
          while (o < body.length) {
            const n = body.readUInt16BE(o);
            filters.push(body.toString('utf8', o + 2, o + 2 + n));
            o += 2 + n + (type === 8 ? 1 : 0);
          }
          (type === 8 ? rec.subscribes : rec.unsubscribes).push(filters);
        } else if (type === 3) {
          const n = body.readUInt16BE(0);
          rec.publishes.push({ topic: body.toString('utf8', 2, 2 + n), qos: (flags >> 1) & 3, dup: (flags & 8) !== 0 });
        }
        buf = buf.subarray(end);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (d) => client.write(d));
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    ...rec,
    reset() {
      rec.subscribes.length = 0;
      rec.unsubscribes.length = 0;
      rec.publishes.length = 0;
    },
    cut() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
    },
    /** Cuts every connection and refuses new ones until up(): the broker is unreachable. */
    down() {
      isDown = true;
      this.cut();
    },
    up() {
      isDown = false;
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP server that accepts connections and never answers (a broker that hangs). */
async function startBlackhole() {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    /** Connections held open right now. */
    get open() {
      return sockets.size;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = { brokers, startAedes, startMosquitto, startCountingProxy, startBlackhole, freePort, waitForPort };
