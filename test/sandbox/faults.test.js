'use strict';
// Fault injection and request recording.
const assert = require('node:assert/strict');
const { sandbox, call } = require('./helpers');

describe('sandbox: fault injection', function () {
  let sb;
  before(async () => {
    sb = await sandbox.startSandbox({ port: 0, mqttPort: 0 });
  });
  afterEach(() => sb.faults.clear());
  after(async () => {
    await sb.stop();
  });

  it('errorRate 1 with errorStatus and retryAfter, limited to a path prefix and a count', async () => {
    sb.faults.set({ errorRate: 1, errorStatus: 429, retryAfter: 2, path: '/api/v2/functionx', count: 2 });
    const other = await call(sb, 'GET', '/api/v2/installationinfo');
    assert.equal(other.status, 200, 'paths outside the prefix are untouched');
    for (let i = 0; i < 2; i++) {
      const r = await call(sb, 'GET', '/api/v2/functionx/101');
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('retry-after'), '2');
      assert.deepEqual(r.body, { message: 'Injected fault' });
    }
    assert.equal((await call(sb, 'GET', '/api/v2/functionx/101')).status, 200, 'count exhausted');
  });

  it('errorBody sends a raw non-JSON body; RegExp path', async () => {
    sb.faults.set({ errorRate: 1, errorStatus: 502, errorBody: '<html>Bad Gateway</html>', path: /^\/api\/v2\/status\// });
    const r = await call(sb, 'GET', '/api/v2/status/101');
    assert.equal(r.status, 502);
    assert.equal(r.text, '<html>Bad Gateway</html>');
    assert.match(r.headers.get('content-type'), /text\/html/);
    assert.equal((await call(sb, 'GET', '/api/v2/schedule/101')).status, 200);
  });

  it('dropRate 1 destroys the socket without an answer', async () => {
    sb.faults.set({ dropRate: 1, count: 1 });
    await assert.rejects(call(sb, 'GET', '/api/v2/installationinfo'), /fetch failed/);
    assert.equal((await call(sb, 'GET', '/api/v2/installationinfo')).status, 200);
  });

  it('latencyMs delays the answer: a later request without the fault is answered first', async () => {
    sb.faults.set({ latencyMs: 300, path: '/api/v2/installationinfo', count: 1 });
    const order = [];
    const slow = call(sb, 'GET', '/api/v2/installationinfo').then((r) => {
      order.push('delayed');
      return r;
    });
    await new Promise((r) => setImmediate(r));
    const fast = call(sb, 'GET', '/api/v2/functionx/101').then((r) => {
      order.push('plain');
      return r;
    });
    const [a, b] = await Promise.all([slow, fast]);
    assert.deepEqual([a.status, b.status], [200, 200]);
    assert.deepEqual(order, ['plain', 'delayed']);
  });

  it('errorRate 0 injects nothing; rates outside 0..1 are refused', async () => {
    sb.faults.set({ errorRate: 0 });
    assert.equal((await call(sb, 'GET', '/api/v2/installationinfo')).status, 200);
    assert.throws(() => sb.faults.set({ errorRate: 2 }), /errorRate must be between 0 and 1/);
  });

  it('phase "before" (the default): the route does not run, nothing changes', async () => {
    const before = sb.store.functions.size;
    sb.faults.set({ errorRate: 1, errorStatus: 500, path: '/api/v2/functionx/101', methods: ['POST'], count: 1 });
    const r = await call(sb, 'POST', '/api/v2/functionx/101', { body: { installation_id: 101, type: 'x', meta: {} } });
    assert.equal(r.status, 500);
    assert.equal(sb.store.functions.size, before, 'no function created');
    assert.deepEqual(sb.faults.stats().before, { drop: 0, stall: 0, error: 1 });
  });

  it('phase "after": the route runs and its change is kept, only the answer is a 500 / lost', async () => {
    const before = sb.store.functions.size;
    sb.faults.set({ errorRate: 1, errorStatus: 500, phase: 'after', path: '/api/v2/functionx/101', methods: ['POST'], count: 1 });
    const r = await call(sb, 'POST', '/api/v2/functionx/101', { body: { installation_id: 101, type: 'after-500', meta: {} } });
    assert.equal(r.status, 500);
    assert.deepEqual(r.body, { message: 'Injected fault' });
    assert.equal(sb.store.functions.size, before + 1, 'the function was created although the answer was 500');
    assert.deepEqual(sb.faults.stats().after, { drop: 0, stall: 0, error: 1 });

    sb.faults.set({ dropRate: 1, phase: 'after', path: '/api/v2/functionx/101', methods: ['POST'], count: 1 });
    await assert.rejects(
      call(sb, 'POST', '/api/v2/functionx/101', { body: { installation_id: 101, type: 'after-drop', meta: {} } }),
      /fetch failed/,
    );
    assert.equal(sb.store.functions.size, before + 2, 'created, then the socket was closed without an answer');
  });

  it('methods limits faults to those methods; the GET beside the POST is untouched', async () => {
    sb.faults.set({ errorRate: 1, errorStatus: 503, path: '/api/v2/functionx/101', methods: ['post'] });
    assert.equal((await call(sb, 'GET', '/api/v2/functionx/101')).status, 200);
    assert.equal((await call(sb, 'POST', '/api/v2/functionx/101', { body: {} })).status, 503);
  });

  it('stallRate holds the request without an answer (a client timeout) and, after acting, keeps the change', async () => {
    const before = sb.store.functions.size;
    sb.faults.set({ stallRate: 1, stallMs: 200, phase: 'after', path: '/api/v2/functionx/101', methods: ['POST'], count: 1 });
    const t0 = Date.now();
    await assert.rejects(
      call(sb, 'POST', '/api/v2/functionx/101', { body: { installation_id: 101, type: 'stalled', meta: {} } }),
      /fetch failed/,
    );
    assert.ok(Date.now() - t0 >= 190, 'held for stallMs');
    assert.equal(sb.store.functions.size, before + 1);
    // a client giving up earlier closes the socket; the sandbox stops holding it
    sb.faults.set({ stallRate: 1, stallMs: 60000, path: '/api/v2/installationinfo', count: 1 });
    await assert.rejects(
      fetch(sb.api + '/api/v2/installationinfo', { headers: { 'x-api-key': sb.apiKey }, signal: AbortSignal.timeout(100) }),
    );
  });

  it('errorStatus may list statuses, one picked per fault; phase "either" strikes both before and after', async () => {
    sb.faults.set({ errorRate: 1, errorStatus: [500, 502], phase: 'either', path: '/api/v2/installationinfo' });
    const seen = new Set();
    for (let i = 0; i < 40; i++) seen.add((await call(sb, 'GET', '/api/v2/installationinfo')).status);
    assert.deepEqual([...seen].sort(), [500, 502]);
    const st = sb.faults.stats();
    assert.equal(st.requests, 40);
    assert.ok(st.before.error > 0 && st.after.error > 0, JSON.stringify(st));
    assert.throws(() => sb.faults.set({ phase: 'later' }), /phase must be/);
  });

  it('a 429 always strikes before the route (a refusal unheard), whatever the phase', async () => {
    const before = sb.store.functions.size;
    sb.faults.set({ errorRate: 1, errorStatus: 429, phase: 'after', path: '/api/v2/functionx/101', methods: ['POST'], count: 3 });
    for (let i = 0; i < 3; i++) {
      assert.equal((await call(sb, 'POST', '/api/v2/functionx/101', { body: { installation_id: 101, type: 'x', meta: {} } })).status, 429);
    }
    assert.equal(sb.store.functions.size, before);
    assert.deepEqual(sb.faults.stats().before, { drop: 0, stall: 0, error: 3 });
    assert.throws(() => sb.faults.set({ stallRate: -1 }), /stallRate must be between 0 and 1/);
  });

  it('records {method, path} of every request (no query string); resetRequests() empties it', async () => {
    sb.resetRequests();
    await call(sb, 'GET', '/api/v2/status/101?topics=obj/a');
    await call(sb, 'POST', '/api/v2/status/101', { body: [] });
    await call(sb, 'GET', '/api/v2/nothing');
    assert.deepEqual(sb.requests, [
      { method: 'GET', path: '/api/v2/status/101' },
      { method: 'POST', path: '/api/v2/status/101' },
      { method: 'GET', path: '/api/v2/nothing' },
    ]);
    sb.resetRequests();
    assert.equal(sb.requests.length, 0);
  });
});
