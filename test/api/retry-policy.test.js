'use strict';
// The client's retry policy (src/api/retry.ts): which failures say the server did not act,
// which calls are retried after which failures, createOnce() for creates whose answer was
// lost, and the backoff of refused credentials. Over real HTTP against the sandbox, whose
// faults strike before the route acts (nothing done) or after it (done, answer lost).
const assert = require('node:assert/strict');
const net = require('node:net');
const {
  ApiClient,
  LynxApiError,
  classifyFailure,
  classifyStatus,
  failedBeforeSending,
  mayRetry,
  mayHaveActed,
  createOnce,
} = require('../../dist/src/api');
const { startSandbox } = require('../../dist/src/sandbox');
const { API_KEY, USER, USER_2FA, seed, closedPort, served } = require('./fixtures');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const net0 = (code, extra = {}) => ({ status: 0, code: 'ENETWORK', cause: { code, ...extra } });

describe('api: retry policy', function () {
  this.timeout(15000);

  describe('classification (no I/O)', () => {
    it('a failure before anything was sent: refused connection, failed lookup, connect timeout', () => {
      assert.equal(failedBeforeSending({ code: 'ECONNREFUSED', syscall: 'connect' }), true);
      assert.equal(failedBeforeSending({ code: 'EHOSTUNREACH', syscall: 'connect' }), true);
      assert.equal(failedBeforeSending({ code: 'ENOTFOUND', syscall: 'getaddrinfo' }), true);
      assert.equal(failedBeforeSending({ code: 'EAI_AGAIN' }), true);
      assert.equal(failedBeforeSending({ code: 'UND_ERR_CONNECT_TIMEOUT' }), true);
      assert.equal(failedBeforeSending({ code: 'UND_ERR_SOCKET', cause: { code: 'ECONNREFUSED', syscall: 'connect' } }), true);
    });

    it('a failure after the connection was made may have reached the server: reset, closed, headers/body timeout', () => {
      for (const c of [
        { code: 'UND_ERR_SOCKET' },
        { code: 'ECONNRESET', syscall: 'read' },
        { code: 'EPIPE', syscall: 'write' },
        { code: 'UND_ERR_HEADERS_TIMEOUT' },
        { code: 'UND_ERR_BODY_TIMEOUT' },
        { code: 'UND_ERR_CLOSED' },
        {},
      ])
        assert.equal(failedBeforeSending(c), false, JSON.stringify(c));
      assert.equal(failedBeforeSending(undefined), false);
    });

    it('classifies every failure the client can meet', () => {
      const table = [
        [net0('ECONNREFUSED', { syscall: 'connect' }), 'not-sent'],
        [net0('ENOTFOUND', { syscall: 'getaddrinfo' }), 'not-sent'],
        [net0('UND_ERR_CONNECT_TIMEOUT'), 'not-sent'],
        [net0('UND_ERR_SOCKET'), 'uncertain'],
        [net0('ECONNRESET', { syscall: 'read' }), 'uncertain'],
        [net0('UND_ERR_HEADERS_TIMEOUT'), 'uncertain'],
        [net0('DEPTH_ZERO_SELF_SIGNED_CERT'), 'final'],
        [{ status: 0, code: 'ETIMEDOUT' }, 'uncertain'],
        [{ status: 0, code: 'EABORT' }, 'final'],
        [{ status: 0, code: 'EAUTH' }, 'final'],
        [{ status: 429, code: 'EHTTP' }, 'refused'],
        [{ status: 500, code: 'EHTTP' }, 'uncertain'],
        [{ status: 502, code: 'EHTTP' }, 'uncertain'],
        [{ status: 503, code: 'EHTTP' }, 'uncertain'],
        [{ status: 504, code: 'EHTTP' }, 'uncertain'],
        [{ status: 501, code: 'EHTTP' }, 'final'],
        [{ status: 400, code: 'EHTTP' }, 'final'],
        [{ status: 401, code: 'EAUTH' }, 'final'],
        [{ status: 404, code: 'EHTTP' }, 'final'],
        [{ status: 409, code: 'EHTTP' }, 'final'],
      ];
      for (const [err, kind] of table) assert.equal(classifyFailure(err), kind, JSON.stringify(err));
      assert.equal(classifyStatus(429), 'refused');
    });

    it('retries idempotent calls after any transient failure, POSTs only when the server certainly did not act', () => {
      assert.deepEqual(
        ['not-sent', 'refused', 'uncertain', 'final'].map((k) => [mayRetry(k, true), mayRetry(k, false)]),
        [
          [true, true],
          [true, true],
          [true, false],
          [false, false],
        ],
      );
      assert.equal(mayHaveActed({ failure: 'uncertain' }), true);
      assert.equal(mayHaveActed({ failure: 'not-sent' }), false);
      assert.equal(mayHaveActed(new Error('x')), false);
    });
  });

  describe('over HTTP', () => {
    let sb;
    const clients = [];
    const client = (opts = {}) => {
      const c = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: API_KEY }, retryBaseMs: 5, retryMaxMs: 20, ...opts });
      clients.push(c);
      return c;
    };
    const fnCount = (type) => [...sb.store.functions.values()].filter((f) => f.type === type).length;

    beforeEach(async () => {
      sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await sb.stop();
    });

    it('retries GET, PUT and DELETE on 500, before and after the server acted', async () => {
      const api = client();
      sb.faults.set({ errorRate: 1, errorStatus: 500, path: '/api/v2/functionx/10', methods: ['GET'], count: 2 });
      sb.resetRequests();
      assert.equal((await api.functionx.list(10)).length, 3);
      assert.equal(served(sb, 'GET', '/api/v2/functionx/10'), 3);

      sb.faults.set({ errorRate: 1, errorStatus: 500, phase: 'after', path: '/api/v2/functionx/10/1', methods: ['PUT'], count: 2 });
      const put = await api.functionx.update(10, 1, { type: 'switch', meta: { name: 'Lamp 3' } });
      assert.equal(put.meta.name, 'Lamp 3');
      assert.equal(sb.store.functions.get(1).meta.name, 'Lamp 3');

      sb.faults.set({ errorRate: 1, errorStatus: 500, phase: 'after', path: '/api/v2/functionx/10/2', methods: ['DELETE'], count: 1 });
      // the first DELETE acted, its answer was lost: the retry's 404 means done
      sb.resetRequests();
      assert.equal(await api.functionx.delete(10, 2), undefined);
      assert.equal(served(sb, 'DELETE', '/api/v2/functionx/10/2'), 2);
      assert.equal(sb.store.functions.has(2), false);
      // without an uncertain attempt before it, a 404 is an error
      await assert.rejects(api.functionx.delete(10, 2), (e) => e.status === 404);
      sb.faults.set({ errorRate: 1, errorStatus: 500, path: '/api/v2/functionx/10/3', methods: ['DELETE'], count: 1 });
      await api.functionx.delete(10, 3);
      assert.equal(sb.store.functions.has(3), false);
    });

    it('gives up after the configured retries, bounded, with the last status', async () => {
      const api = client({ retries: 4 });
      sb.faults.set({ errorRate: 1, errorStatus: 500, path: '/api/v2/installationinfo' });
      sb.resetRequests();
      await assert.rejects(
        api.installations.list(),
        (e) => e.status === 500 && e.failure === 'uncertain' && /try again later/.test(e.message),
      );
      assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 5);
    });

    it('retries a timed-out GET (a stalled answer) and a POST never', async () => {
      const api = client({ timeoutMs: 200 });
      sb.faults.set({ stallRate: 1, path: '/api/v2/installationinfo', count: 1 });
      sb.resetRequests();
      assert.equal((await api.installations.list()).length, 2);
      assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 2);

      sb.faults.set({ stallRate: 1, phase: 'after', path: '/api/v2/functionx/10', methods: ['POST'], count: 1 });
      sb.resetRequests();
      await assert.rejects(api.functionx.create(10, { type: 'stalled', meta: {} }), (e) => {
        assert.equal(e.code, 'ETIMEDOUT');
        assert.equal(e.failure, 'uncertain');
        assert.match(e.message, /may or may not have done it: look whether it exists before trying again/);
        return true;
      });
      assert.equal(served(sb, 'POST', '/api/v2/functionx/10'), 1);
      assert.equal(fnCount('stalled'), 1, 'the server did create it: the client could not know');
    });

    it('does not retry a POST after a 500, a 503 or a lost connection: it may have acted', async () => {
      const api = client();
      for (const fault of [
        { errorRate: 1, errorStatus: 500, phase: 'after' },
        { errorRate: 1, errorStatus: 503 },
        { dropRate: 1, phase: 'after' },
        { dropRate: 1 },
      ]) {
        sb.faults.set({ ...fault, path: '/api/v2/functionx/10', methods: ['POST'], count: 1 });
        sb.resetRequests();
        await assert.rejects(api.functionx.create(10, { type: 'x', meta: {} }), (e) => {
          assert.ok(e instanceof LynxApiError);
          assert.equal(e.failure, 'uncertain', JSON.stringify(fault));
          assert.equal(e.method, 'POST');
          assert.match(e.message, /look whether it exists before trying again/);
          return true;
        });
        assert.equal(served(sb, 'POST', '/api/v2/functionx/10'), 1, JSON.stringify(fault));
      }
      assert.equal(fnCount('x'), 2, 'the two faults after acting left their function; the two before did not');
    });

    it('retries a POST on 429, with and without Retry-After: the create happens once', async () => {
      const api = client();
      sb.faults.set({ errorRate: 1, errorStatus: 429, retryAfter: 1, path: '/api/v2/functionx/10', methods: ['POST'], count: 1 });
      sb.resetRequests();
      const t0 = Date.now();
      const f = await api.functionx.create(10, { type: 'rate-limited', meta: {} });
      assert.ok(Date.now() - t0 >= 990, 'waited for Retry-After');
      assert.equal(served(sb, 'POST', '/api/v2/functionx/10'), 2);
      assert.equal(typeof f.id, 'number');

      sb.faults.set({ errorRate: 1, errorStatus: 429, path: '/api/v2/functionx/10', methods: ['POST'], count: 2 });
      sb.resetRequests();
      await api.functionx.create(10, { type: 'rate-limited', meta: {} });
      assert.equal(served(sb, 'POST', '/api/v2/functionx/10'), 3);
      assert.equal(fnCount('rate-limited'), 2, 'one function per create');
    });

    it('fails at once when Retry-After is longer than retryAfterMaxMs, saying how long the server asks to wait', async () => {
      const api = client({ retryAfterMaxMs: 1000 });
      sb.faults.set({ errorRate: 1, errorStatus: 429, retryAfter: 120, path: '/api/v2/installationinfo' });
      sb.resetRequests();
      const t0 = Date.now();
      await assert.rejects(
        api.installations.list(),
        (e) => e.status === 429 && e.failure === 'refused' && /asks to wait 120 s/.test(e.message),
      );
      assert.ok(Date.now() - t0 < 500);
      assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 1);
    });

    it('retries a POST whose connection was refused (nothing was sent), once the server is there', async () => {
      const port = await closedPort();
      const api = new ApiClient({
        baseUrl: `http://127.0.0.1:${port}`,
        auth: { type: 'apikey', apiKey: API_KEY },
        retries: 8,
        retryBaseMs: 20,
        retryMaxMs: 40,
      });
      clients.push(api);
      // a forwarder that starts listening on the refused port after the first retry is announced
      let proxy;
      const retries = [];
      api.on('retry', (ev) => {
        retries.push(ev);
        if (!proxy) {
          proxy = net.createServer((s) => {
            const up = net.connect(new URL(sb.api).port, '127.0.0.1');
            s.pipe(up).pipe(s);
            s.on('error', () => up.destroy());
            up.on('error', () => s.destroy());
          });
          proxy.listen(port, '127.0.0.1');
        }
      });
      try {
        sb.resetRequests();
        const f = await api.functionx.create(10, { type: 'after-refusal', meta: {} });
        assert.equal(typeof f.id, 'number');
        assert.ok(retries.length >= 1);
        assert.ok(
          retries.every((r) => r.failure === 'not-sent' && r.method === 'POST' && r.code === 'ENETWORK'),
          JSON.stringify(retries),
        );
        assert.equal(served(sb, 'POST', '/api/v2/functionx/10'), 1);
        assert.equal(fnCount('after-refusal'), 1);
      } finally {
        await api.close();
        if (proxy) await new Promise((r) => proxy.close(r));
      }
    });

    it('retries a POST whose connection timed out before it was made (a TLS handshake that never ends)', async () => {
      // a TCP server that never answers the TLS handshake: undici's connect timeout strikes, nothing was sent
      const sockets = [];
      const silent = net.createServer((s) => sockets.push(s));
      await new Promise((r) => silent.listen(0, '127.0.0.1', r));
      const api = new ApiClient({
        baseUrl: `https://127.0.0.1:${silent.address().port}`,
        auth: { type: 'apikey', apiKey: API_KEY },
        connectTimeoutMs: 100,
        timeoutMs: 2000,
        retries: 2,
        retryBaseMs: 5,
        retryMaxMs: 10,
      });
      clients.push(api);
      try {
        await assert.rejects(api.functionx.create(10, { type: 'x', meta: {} }), (e) => {
          assert.equal(e.code, 'ENETWORK');
          assert.equal(e.failure, 'not-sent');
          assert.match(e.message, /connection timed out/);
          return true;
        });
        assert.equal(sockets.length, 3, 'the POST was tried three times: each connection timed out before anything was sent');
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((r) => silent.close(r));
      }
    });

    it('announces each retry (the retry event) with the failure that caused it', async () => {
      const api = client();
      const seen = [];
      api.on('retry', (ev) => seen.push(ev));
      sb.faults.set({ errorRate: 1, errorStatus: 502, path: '/api/v2/installationinfo', count: 2 });
      await api.installations.list();
      assert.deepEqual(
        seen.map((e) => [e.method, e.path, e.attempt, e.status, e.failure]),
        [
          ['GET', '/api/v2/installationinfo', 0, 502, 'uncertain'],
          ['GET', '/api/v2/installationinfo', 1, 502, 'uncertain'],
        ],
      );
      assert.ok(seen.every((e) => e.delayMs >= 0 && e.delayMs <= 20));
    });

    describe('createOnce', () => {
      const make = (api, type) => ({
        create: () => api.functionx.create(10, { type, meta: { ext: type } }),
        lookup: async () => (await api.functionx.list(10, { type })).find((f) => f.meta.ext === type),
      });

      it('after a 500 with the create done: looks it up, finds it, creates nothing more', async () => {
        const api = client();
        sb.faults.set({ errorRate: 1, errorStatus: 500, phase: 'after', path: '/api/v2/functionx/10', methods: ['POST'], count: 1 });
        sb.resetRequests();
        const uncertain = [];
        const r = await createOnce({ ...make(api, 'once-a'), onUncertain: (e, n) => uncertain.push([e.status, n]) });
        assert.equal(r.answered, false);
        assert.equal(r.attempts, 1);
        assert.equal(r.value.type, 'once-a');
        assert.deepEqual(uncertain, [[500, 1]]);
        assert.equal(served(sb, 'POST', '/api/v2/functionx/10'), 1);
        assert.equal(fnCount('once-a'), 1);
      });

      it('after a 500 with nothing done: looks, finds nothing, creates again: one object', async () => {
        const api = client();
        sb.faults.set({ errorRate: 1, errorStatus: 500, path: '/api/v2/functionx/10', methods: ['POST'], count: 2 });
        sb.resetRequests();
        const r = await createOnce(make(api, 'once-b'));
        assert.equal(r.answered, true);
        assert.equal(r.attempts, 3);
        assert.equal(served(sb, 'POST', '/api/v2/functionx/10'), 3);
        assert.equal(fnCount('once-b'), 1);
      });

      it('after a timeout with the create done (the answer stalled): finds it', async () => {
        const api = client({ timeoutMs: 200 });
        sb.faults.set({ stallRate: 1, phase: 'after', path: '/api/v2/functionx/10', methods: ['POST'], count: 1 });
        const r = await createOnce(make(api, 'once-c'));
        assert.equal(r.answered, false);
        assert.equal(fnCount('once-c'), 1);
      });

      it("throws a final failure (400) at once, without a lookup; a failed lookup gives the create's error", async () => {
        const api = client({ retries: 0 });
        let lookups = 0;
        await assert.rejects(
          createOnce({
            create: () => api.functionx.create(10, { type: 'x', meta: { n: 1 } }),
            lookup: async () => {
              lookups++;
            },
          }),
          (e) => e.status === 400,
        );
        assert.equal(lookups, 0);
        sb.faults.set({ errorRate: 1, errorStatus: 500, path: '/api/v2/functionx/10' });
        await assert.rejects(
          createOnce(make(api, 'once-d')),
          (e) => e.method === 'POST' && e.status === 500 && /look whether it exists/.test(e.message),
        );
      });

      it('gives up after `attempts` creates that all failed uncertainly with nothing found', async () => {
        const api = client();
        sb.faults.set({ errorRate: 1, errorStatus: 503, path: '/api/v2/functionx/10', methods: ['POST'] });
        sb.resetRequests();
        await assert.rejects(createOnce({ ...make(api, 'once-e'), attempts: 3 }), (e) => e.status === 503);
        assert.equal(served(sb, 'POST', '/api/v2/functionx/10'), 3);
      });
    });

    describe('creates that look themselves up after an uncertain failure', () => {
      const schedulesLike = (body) =>
        [...sb.store.schedules.values()].filter((x) => x.topic === body.topic && Number(x.value) === body.value);

      it('schedule create: a 500 after the server made it gives the new schedule, once; an identical older one is not taken for it', async () => {
        const api = client();
        const body = { topic: 'set/obj/once', value: 3, hour: '6', minute: '15' };
        const older = await api.schedules.create(10, body); // an identical schedule made before
        sb.faults.set({ errorRate: 1, errorStatus: 500, phase: 'after', path: '/api/v2/schedule/10', methods: ['POST'], count: 1 });
        const made = await api.schedules.create(10, body);
        assert.equal(typeof made.id, 'number');
        assert.notEqual(made.id, older.id);
        assert.equal(schedulesLike(body).length, 2, 'the older one and exactly one new one');

        sb.faults.set({ errorRate: 1, errorStatus: 502, path: '/api/v2/schedule/10', methods: ['POST'], count: 1 });
        const again = await api.schedules.create(10, body); // the 502 struck before: created on the retry
        assert.ok(again.id > made.id);
        assert.equal(schedulesLike(body).length, 3);
      });

      it("schedule create under 20 % faults, also with the spec's empty answer: one schedule per create", async () => {
        const api = client();
        sb.store.behaviour.scheduleCreateAnswer = 'empty';
        sb.faults.set({
          seed: 398, // the same requests fail every run: a pass is not luck
          errorRate: 0.15,
          dropRate: 0.05,
          errorStatus: [500, 502, 503, 504, 429],
          phase: 'either',
          path: '/api/v2/schedule/10',
        });
        const ids = [];
        for (let i = 0; i < 15; i++) ids.push((await api.schedules.create(10, { topic: `set/obj/soak/${i}`, value: i })).id);
        sb.faults.clear();
        assert.ok(ids.every((x) => typeof x === 'number'));
        for (let i = 0; i < 15; i++) assert.equal(schedulesLike({ topic: `set/obj/soak/${i}`, value: i }).length, 1, `schedule ${i}`);
      });

      it('meta create: a 500 after the server made the key answers the key, not a 409 on the retry', async () => {
        const api = client();
        sb.faults.set({
          errorRate: 1,
          errorStatus: 500,
          phase: 'after',
          path: '/api/v2/functionx/10/1/meta/',
          methods: ['POST'],
          count: 1,
        });
        const m = await api.functionx.createMeta(10, 1, 'serial', { value: 'S-9' });
        assert.equal(m.value, 'S-9');
        assert.equal(sb.store.functions.get(1).meta.serial, 'S-9');
        // a key that was there before with another value is still a conflict
        sb.faults.set({ errorRate: 1, errorStatus: 500, path: '/api/v2/functionx/10/1/meta/', methods: ['POST'], count: 1 });
        await assert.rejects(api.functionx.createMeta(10, 1, 'serial', { value: 'other' }), (e) => e.status === 409);
      });

      it('findOrCreate: the oldest match, or one created once; refuses a body that does not match its filter', async () => {
        const api = client();
        sb.faults.set({ errorRate: 1, errorStatus: 500, phase: 'after', path: '/api/v2/devicex/10', methods: ['POST'], count: 1 });
        const a = await api.devicex.findOrCreate(
          10,
          { type: 'meter', meta: { serial: 'M-1' } },
          { type: 'meter', meta: { serial: 'M-1' } },
        );
        assert.equal(a.created, true);
        const b = await api.devicex.findOrCreate(
          10,
          { type: 'meter', meta: { serial: 'M-1' } },
          { type: 'meter', meta: { serial: 'M-1' } },
        );
        assert.deepEqual([b.created, b.obj.id, b.count], [false, a.obj.id, 1]);
        assert.equal([...sb.store.devices.values()].filter((d) => d.meta.serial === 'M-1').length, 1);
        await assert.rejects(
          api.devicex.findOrCreate(10, { type: 'meter', meta: { serial: 'M-2' } }, { meta: { serial: 'M-3' } }),
          /does not match the filter/,
        );
      });
    });

    describe('refused login: backoff', () => {
      const login = (password, opts = {}) => client({ auth: { type: 'login', username: USER.email, password }, ...opts });

      it('after a refused login, calls fail at once with the same advice and no login until the backoff has passed', async () => {
        const api = login('wrong password', { loginBackoffMinMs: 200, loginBackoffMaxMs: 10000 });
        const events = [];
        api.on('auth', (s) => events.push(s));
        sb.resetRequests();
        const t0 = Date.now();
        let calls = 0;
        const slow = [];
        while (Date.now() - t0 < 1300) {
          const c0 = Date.now();
          await assert.rejects(api.functionx.list(10), (e) => {
            assert.equal(e.code, 'EAUTH');
            assert.match(e.message, /username or password was refused; check the username and password in the config node/);
            assert.match(e.message, /the next login is tried in \d+ s/);
            return true;
          });
          if (Date.now() - c0 > 100) slow.push(Date.now() - c0);
          calls++;
          await sleep(10);
        }
        // logins at 0, 0.2 s, 0.6 s (then 1.4 s): three in 1.3 s, for dozens of calls
        const logins = served(sb, 'POST', '/api/v2/auth');
        assert.ok(calls > 30, `${calls} calls`);
        assert.equal(logins, 3, `${logins} logins for ${calls} calls`);
        assert.equal(served(sb, 'GET', '/api/v2/functionx'), 0);
        assert.deepEqual(slow, [], 'held calls fail at once');
        assert.deepEqual(
          events.map((e) => [e.state, e.refusals]),
          [
            ['refused', 1],
            ['refused', 2],
            ['refused', 3],
          ],
        );
        assert.equal(events[2].retryAt - Date.now() > 0, true);
        const st = api.authState;
        assert.equal(st.state, 'refused');
        assert.equal(st.auth, 'login');
        assert.ok(st.retryInMs > 0 && st.retryInMs <= 800, String(st.retryInMs));
        assert.match(st.message, /check the username and password in the config node/);
      });

      it('defaults to 5 s, doubling up to 5 minutes', async () => {
        const api = login('wrong password');
        await assert.rejects(api.token(), (e) => /the next login is tried in 5 s/.test(e.message));
        const st = api.authState;
        assert.ok(st.retryInMs > 4500 && st.retryInMs <= 5000, String(st.retryInMs));
        await assert.rejects(api.installations.list(), (e) => e.code === 'EAUTH');
        assert.equal(served(sb, 'POST', '/api/v2/auth'), 1);

        const capped = login('wrong password', { loginBackoffMinMs: 50, loginBackoffMaxMs: 120 });
        const waits = [];
        capped.on('auth', (s) => waits.push(s.retryAt - Date.now()));
        for (let i = 0; i < 4; i++) {
          await assert.rejects(capped.token());
          await sleep(130);
        }
        assert.deepEqual(
          waits.map((w) => Math.round(w / 10) * 10),
          [50, 100, 120, 120],
        );
      });

      it('logs in again after the backoff, and a refusal is over at the first accepted login', async () => {
        const api = login('the new password', { loginBackoffMinMs: 150 });
        const events = [];
        api.on('auth', (s) => events.push(s.state));
        await assert.rejects(api.installations.list(), (e) => e.code === 'EAUTH');
        sb.store.users.find((u) => u.email === USER.email).password = 'the new password'; // reset on the server
        await assert.rejects(api.installations.list(), (e) => e.code === 'EAUTH'); // still held
        await sleep(160);
        assert.equal((await api.installations.list()).length, 2);
        assert.deepEqual(events, ['refused', 'ok']);
        assert.equal(api.authState.state, 'ok');
        assert.equal(api.authState.refusals, 0);
      });

      it('a new client (a redeploy with new credentials) logs in at once', async () => {
        const bad = login('wrong password');
        await assert.rejects(bad.token());
        sb.resetRequests();
        const good = login(USER.password);
        assert.equal((await good.installations.list()).length, 2);
        assert.equal(served(sb, 'POST', '/api/v2/auth'), 1);
      });

      it('holds a two-factor account too (each login may send an SMS)', async () => {
        const api = client({ auth: { type: 'login', username: USER_2FA.email, password: USER_2FA.password } });
        await assert.rejects(api.installations.list(), (e) => e.code === 'E2FA' && /API key/.test(e.message));
        await assert.rejects(api.installations.list(), (e) => e.code === 'E2FA' && /the next login is tried in/.test(e.message));
        assert.equal(served(sb, 'POST', '/api/v2/auth'), 1);
      });

      it("retries a login that failed on the server's side (500) or never left, never a refused one", async () => {
        const api = login(USER.password);
        sb.faults.set({ errorRate: 1, errorStatus: 500, path: '/api/v2/auth', count: 2 });
        sb.resetRequests();
        assert.equal((await api.installations.list()).length, 2);
        assert.equal(served(sb, 'POST', '/api/v2/auth'), 3);
        assert.equal(api.authState.state, 'ok');
      });
    });

    describe('refused API key: a gentler hold', () => {
      it('lets the first 401 pass; after a second, holds calls for keyBackoffMinMs, then tries again', async () => {
        const badKey = 'revoked-key-0123456789';
        const api = client({ auth: { type: 'apikey', apiKey: badKey }, keyBackoffMinMs: 200 });
        const events = [];
        api.on('auth', (s) => events.push([s.state, s.refusals]));
        sb.resetRequests();
        await assert.rejects(api.installations.list(), (e) => e.status === 401 && /check the API key in the config node/.test(e.message));
        await assert.rejects(api.installations.list(), (e) => e.status === 401);
        assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 2);
        for (let i = 0; i < 10; i++) {
          await assert.rejects(api.functionx.list(10), (e) => {
            assert.equal(e.code, 'EAUTH');
            assert.equal(e.status, 401);
            assert.match(
              e.message,
              /^GET \/api\/v2\/functionx\/10 was not sent: the API key was refused by 127\.0\.0\.1:\d+ \(HTTP 401\): check the API key in the config node; it is tried again in 1 s$/,
            );
            assert.ok(!e.message.includes(badKey));
            return true;
          });
        }
        assert.equal(served(sb, 'GET', '/api/v2/functionx'), 0, 'nothing sent while held');
        assert.equal(api.authState.state, 'refused');
        assert.equal(api.authState.auth, 'apikey');
        // the key is enabled on the server; after the hold the next call goes through
        sb.store.apiKeys.set(badKey, { ...sb.store.apiKeys.get(API_KEY), key: badKey });
        await sleep(210);
        assert.equal((await api.functionx.list(10)).length, 3);
        assert.deepEqual(events, [
          ['refused', 1],
          ['ok', 0],
        ]);
      });

      it('a single 401 (a glitch) holds nothing', async () => {
        const api = client();
        sb.faults.set({ errorRate: 1, errorStatus: 401, path: '/api/v2/installationinfo', count: 1 });
        await assert.rejects(api.installations.list(), (e) => e.status === 401);
        assert.equal((await api.installations.list()).length, 2);
        sb.faults.set({ errorRate: 1, errorStatus: 401, path: '/api/v2/installationinfo', count: 1 });
        await assert.rejects(api.installations.list(), (e) => e.status === 401);
        assert.equal((await api.installations.list()).length, 2, 'a success in between starts the count again');
        assert.equal(api.authState.state, 'ok');
      });
    });
  });
});
