'use strict';
// Auth, retries, timeouts, aborts and error messages of the ApiClient, against
// the sandbox with injected faults (and a closed port / a self-signed TLS server).
const assert = require('node:assert/strict');
const { ApiClient, LynxApiError, parseRetryAfter } = require('../../dist/src/api');
const { startSandbox } = require('../../dist/src/sandbox');
const { API_KEY, USER, USER_2FA, seed, closedPort, served } = require('./fixtures');

/** Every text of an error a user or a log could see. */
function visible(err) {
  return [err.message, err.serverMessage, JSON.stringify(err), String(err), err.stack].join('\n');
}

describe('api: auth, retries, timeouts and errors', function () {
  this.timeout(10000);
  let sb;
  const clients = [];
  const client = (opts = {}) => {
    const c = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey: API_KEY }, retryBaseMs: 5, retryMaxMs: 20, ...opts });
    clients.push(c);
    return c;
  };
  const login = (user = USER, opts = {}) => client({ auth: { type: 'login', username: user.email, password: user.password }, ...opts });

  beforeEach(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: seed() });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sb.stop();
  });

  describe('login auth', () => {
    it('logs in with HTTP Basic, sends the token as X-API-Key and reuses it', async () => {
      const api = login();
      const list = await api.installations.list();
      assert.equal(list.length, 2);
      await api.functionx.list(10);
      const token = await api.token();
      assert.match(token, /^[0-9a-f]{32}$/);
      assert.ok(sb.store.tokens.has(token), 'the token is a live login token of the sandbox');
      assert.equal(served(sb, 'POST', '/api/v2/auth'), 1, 'one login for several calls');
    });

    it('runs one login for many concurrent calls', async () => {
      const api = login();
      await Promise.all(Array.from({ length: 20 }, () => api.functionx.list(10)));
      assert.equal(served(sb, 'POST', '/api/v2/auth'), 1);
    });

    it('logs in again once on a 401 and retries the call (also a POST)', async () => {
      const api = login();
      const t1 = await api.token();
      assert.equal(sb.store.revokeToken(t1), true);
      const list = await api.installations.list();
      assert.equal(list.length, 2);
      const t2 = await api.token();
      assert.notEqual(t2, t1);
      assert.equal(served(sb, 'POST', '/api/v2/auth'), 2);

      sb.store.revokeToken(t2);
      sb.resetRequests();
      const f = await api.functionx.create(10, { type: 'x', meta: {} });
      assert.equal(f.type, 'x');
      assert.deepEqual(
        sb.requests.map((r) => `${r.method} ${r.path}`),
        ['POST /api/v2/functionx/10', 'POST /api/v2/auth', 'POST /api/v2/functionx/10'],
      );
    });

    it('does not loop when the fresh token is refused too', async () => {
      const api = login();
      await api.token();
      sb.faults.set({ errorRate: 1, errorStatus: 401, path: '/api/v2/installationinfo' });
      sb.resetRequests();
      await assert.rejects(api.installations.list(), (e) => e instanceof LynxApiError && e.status === 401 && e.code === 'EAUTH');
      assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 2);
      assert.equal(served(sb, 'POST', '/api/v2/auth'), 1);
    });

    it('fails a 2FA account with E2FA and a hint to use an API key', async () => {
      const api = login(USER_2FA);
      await assert.rejects(api.installations.list(), (e) => {
        assert.ok(e instanceof LynxApiError);
        assert.equal(e.code, 'E2FA');
        assert.match(e.message, /API key/);
        assert.ok(!visible(e).includes(USER_2FA.password));
        return true;
      });
      assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 0);
    });

    it('fails wrong credentials with EAUTH, never echoing them, and does not retry the login', async () => {
      const api = login({ email: USER.email, password: 'wrong password 42' });
      await assert.rejects(api.token(), (e) => {
        assert.ok(e instanceof LynxApiError);
        assert.equal(e.code, 'EAUTH');
        assert.equal(e.status, 401);
        assert.match(e.message, /username or password was refused/);
        const text = visible(e);
        assert.ok(!text.includes('wrong password 42'));
        assert.ok(!text.includes(USER.email));
        return true;
      });
      assert.equal(served(sb, 'POST', '/api/v2/auth'), 1);
      // a later call fails at once with the same advice, without a login (backoff: retry-policy.test.js)
      await assert.rejects(api.installations.list(), (e) => e.code === 'EAUTH' && /username or password was refused/.test(e.message));
      assert.equal(served(sb, 'POST', '/api/v2/auth'), 1);
    });
  });

  describe('retries', () => {
    it('honours Retry-After on 429 (retry not before the delay)', async () => {
      const api = client();
      sb.faults.set({ errorRate: 1, errorStatus: 429, retryAfter: 1, path: '/api/v2/installationinfo', count: 1 });
      sb.resetRequests();
      const t0 = Date.now();
      const list = await api.installations.list();
      const elapsed = Date.now() - t0;
      assert.equal(list.length, 2);
      assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 2);
      assert.ok(elapsed >= 990, `retried after ${elapsed} ms, before the 1 s Retry-After`);
    });

    it('retries 503 then succeeds (GET, PUT, DELETE)', async () => {
      const api = client();
      sb.faults.set({ errorRate: 1, errorStatus: 503, path: '/api/v2/functionx/10', count: 2 });
      sb.resetRequests();
      assert.equal((await api.functionx.list(10)).length, 3);
      assert.equal(served(sb, 'GET', '/api/v2/functionx/10'), 3);

      sb.faults.set({ errorRate: 1, errorStatus: 502, path: '/api/v2/functionx/10/1', count: 1 });
      const put = await api.functionx.update(10, 1, { type: 'switch', meta: { name: 'Lamp 2' } });
      assert.equal(put.meta.name, 'Lamp 2');
      sb.faults.set({ errorRate: 1, errorStatus: 504, path: '/api/v2/functionx/10/1', count: 1 });
      await api.functionx.delete(10, 1);
      assert.equal(sb.store.functions.has(1), false);
    });

    it('gives up after the configured retries with the last status', async () => {
      const api = client({ retries: 2 });
      sb.faults.set({ errorRate: 1, errorStatus: 503, path: '/api/v2/installationinfo' });
      sb.resetRequests();
      await assert.rejects(api.installations.list(), (e) => e.status === 503 && e.code === 'EHTTP' && /try again later/.test(e.message));
      assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 3);
    });

    it('never retries a POST on 503 (it may have acted)', async () => {
      const api = client();
      const before = sb.store.functions.size;
      sb.faults.set({ errorRate: 1, errorStatus: 503, path: '/api/v2/functionx/10', count: 1 });
      sb.resetRequests();
      await assert.rejects(api.functionx.create(10, { type: 'x', meta: {} }), (e) => e.status === 503 && e.method === 'POST');
      assert.equal(served(sb, 'POST', '/api/v2/functionx/10'), 1);
      assert.equal(sb.store.functions.size, before);
    });

    it('retries read-only POST queries (status topics in the body) on 503', async () => {
      const api = client();
      const topics = Array.from({ length: 200 }, (_, i) => `obj/some/rather/long/topic/name/${i}`);
      sb.faults.set({ errorRate: 1, errorStatus: 503, path: '/api/v2/status/10', count: 1 });
      sb.resetRequests();
      assert.deepEqual(await api.status.get(10, { topics }), []);
      assert.equal(served(sb, 'POST', '/api/v2/status/10'), 2);
    });

    it('retries a dropped connection on GET', async () => {
      const api = client();
      sb.faults.set({ dropRate: 1, path: '/api/v2/installationinfo', count: 1 });
      sb.resetRequests();
      assert.equal((await api.installations.list()).length, 2);
      assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 2);
    });

    it('parses Retry-After seconds and HTTP dates', () => {
      const now = Date.parse('2025-01-01T00:00:00Z');
      assert.equal(parseRetryAfter('3', now), 3000);
      assert.equal(parseRetryAfter(new Date(now + 5000).toUTCString(), now), 5000);
      assert.equal(parseRetryAfter('soon', now), undefined);
      assert.equal(parseRetryAfter(undefined, now), undefined);
    });
  });

  describe('timeouts and aborts', () => {
    it('times out an attempt slower than timeoutMs with ETIMEDOUT', async () => {
      const api = client({ timeoutMs: 100, retries: 0 });
      sb.faults.set({ latencyMs: 1000, path: '/api/v2/installationinfo' });
      await assert.rejects(api.installations.list(), (e) => {
        assert.equal(e.code, 'ETIMEDOUT');
        assert.equal(e.status, 0);
        assert.match(e.message, /timed out after 100 ms/);
        return true;
      });
    });

    it('retries a timed-out GET and succeeds when the server recovers', async () => {
      const api = client({ timeoutMs: 150 });
      sb.faults.set({ latencyMs: 1000, path: '/api/v2/installationinfo', count: 1 });
      sb.resetRequests();
      assert.equal((await api.installations.list()).length, 2);
      assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 2);
    });

    it('aborts mid-call with EABORT and does not retry', async () => {
      const api = client();
      sb.faults.set({ latencyMs: 2000, path: '/api/v2/installationinfo' });
      sb.resetRequests();
      const ac = new AbortController();
      const p = api.installations.list({ signal: ac.signal });
      while (served(sb, 'GET', '/api/v2/installationinfo') === 0) await new Promise((r) => setTimeout(r, 5));
      ac.abort();
      await assert.rejects(p, (e) => e instanceof LynxApiError && e.code === 'EABORT' && e.status === 0);
      assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 1);
    });

    it('aborts a backoff sleep (a 30 s Retry-After) at once', async () => {
      const api = client();
      sb.faults.set({ errorRate: 1, errorStatus: 503, retryAfter: 30, path: '/api/v2/installationinfo' });
      sb.resetRequests();
      const ac = new AbortController();
      const p = api.installations.list({ signal: ac.signal });
      while (served(sb, 'GET', '/api/v2/installationinfo') === 0) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));
      ac.abort();
      await assert.rejects(p, (e) => e.code === 'EABORT'); // the mocha timeout (10 s) would catch a 30 s sleep
      assert.equal(served(sb, 'GET', '/api/v2/installationinfo'), 1);
    });

    it('rejects at once with an already aborted signal, without a request', async () => {
      const api = client();
      sb.resetRequests();
      await assert.rejects(api.functionx.list(10, {}, { signal: AbortSignal.abort() }), (e) => e.code === 'EABORT');
      assert.equal(sb.requests.length, 0);
    });

    it('fails calls in flight and later with EABORT after close()', async () => {
      const api = client();
      sb.faults.set({ latencyMs: 2000, path: '/api/v2/installationinfo' });
      const p = api.installations.list();
      while (served(sb, 'GET', '/api/v2/installationinfo') === 0) await new Promise((r) => setTimeout(r, 5));
      await api.close();
      await assert.rejects(p, (e) => e.code === 'EABORT' && /closed/.test(e.message));
      await assert.rejects(api.functionx.list(10), (e) => e.code === 'EABORT');
    });
  });

  describe('error messages', () => {
    it('keeps a non-JSON error body (truncated) in serverMessage', async () => {
      const api = client({ retries: 0 });
      const html = '<html><body><h1>500 Internal Server Error</h1>' + 'x'.repeat(500) + '</body></html>';
      sb.faults.set({ errorRate: 1, errorStatus: 500, errorBody: html, path: '/api/v2/installationinfo', count: 1 });
      await assert.rejects(api.installations.list(), (e) => {
        assert.equal(e.status, 500);
        assert.equal(e.code, 'EHTTP');
        assert.ok(e.serverMessage.startsWith('<html><body><h1>500 Internal Server Error</h1>'));
        assert.ok(e.serverMessage.length <= 201, `serverMessage is ${e.serverMessage.length} chars`);
        return true;
      });
    });

    it('keeps the JSON message of the server', async () => {
      const api = client();
      await assert.rejects(api.functionx.create(10, { type: 'x', meta: { n: 1 } }), (e) => {
        assert.equal(e.status, 400);
        assert.equal(e.serverMessage, 'field "meta.n" must be a string');
        assert.match(e.message, /POST \/api\/v2\/functionx\/10 failed with HTTP 400/);
        return true;
      });
    });

    it('says what to check for a closed port', async () => {
      const port = await closedPort();
      const api = new ApiClient({
        baseUrl: `http://127.0.0.1:${port}`,
        auth: { type: 'apikey', apiKey: API_KEY },
        retries: 1,
        retryBaseMs: 5,
      });
      clients.push(api);
      await assert.rejects(api.installations.list(), (e) => {
        assert.equal(e.code, 'ENETWORK');
        assert.equal(e.status, 0);
        assert.equal(
          e.message,
          `GET /api/v2/installationinfo failed: could not connect to 127.0.0.1:${port}: connection refused, check the API URL`,
        );
        return true;
      });
    });

    it('never puts the API key or the query string in an error', async () => {
      const badKey = 'bad-key-5f0e6a9d2c7b41e8';
      const api = client({ auth: { type: 'apikey', apiKey: badKey } });
      await assert.rejects(api.functionx.list(10, { meta: { room: 'hall' } }), (e) => {
        assert.equal(e.code, 'EAUTH');
        assert.equal(e.status, 401);
        assert.match(e.message, /API key was refused/);
        assert.equal(e.path, '/api/v2/functionx/10');
        const text = visible(e);
        assert.ok(!text.includes(badKey));
        assert.ok(!text.includes('room=hall'));
        return true;
      });
      // a server that echoes the key back gets it redacted
      const good = client({ retries: 0 });
      sb.faults.set({
        errorRate: 1,
        errorStatus: 500,
        errorBody: `invalid key ${API_KEY} for this request`,
        path: '/api/v2/installationinfo',
        count: 1,
      });
      await assert.rejects(good.installations.list(), (e) => {
        assert.ok(!visible(e).includes(API_KEY));
        assert.match(e.serverMessage, /invalid key \*\*\* for this request/);
        return true;
      });
    });

    it('refuses bad options with a message naming the fix', () => {
      assert.throws(() => new ApiClient({ baseUrl: 'ftp://x', auth: { type: 'apikey', apiKey: 'k' } }), /must start with http/);
      assert.throws(() => new ApiClient({ baseUrl: 'not a url', auth: { type: 'apikey', apiKey: 'k' } }), /not a valid URL/);
      assert.throws(() => new ApiClient({ auth: { type: 'apikey', apiKey: '' } }), /API key is empty/);
      assert.throws(() => new ApiClient({ auth: { type: 'login', username: 'u' } }), /username and password are required/);
    });
  });
});
