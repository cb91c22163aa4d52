'use strict';
// The v3 log over a large history: time range, topic filter, order, and paging
// with offset += count until total.
const assert = require('node:assert/strict');
const { sandbox, call } = require('./helpers');

const N = 50000;
const T0 = 1700000000;

describe('sandbox: v3 log over 50 000 entries', function () {
  let sb;
  before(async () => {
    const seed = {
      apiKey: 'log-test-key',
      installations: [{ id: 7, client_id: 77, name: 'Log test' }],
      // two topics interleaved, one entry per second
      log: Array.from({ length: N }, (_, i) => ({
        installation_id: 7,
        topic: i % 2 ? 'obj/b' : 'obj/a',
        value: i,
        timestamp: T0 + i,
      })),
    };
    sb = await sandbox.startSandbox({ port: 0, mqttPort: 0, seed });
  });
  after(async () => {
    await sb.stop();
  });

  const q = (qs) => call(sb, 'GET', `/api/v3beta/log/7?${qs}`);

  it('pages through everything with offset += count until total (desc by default)', async () => {
    const seen = [];
    let offset = 0;
    let total;
    let pages = 0;
    do {
      const r = await q(`from=${T0}&to=${T0 + N}&limit=7000&offset=${offset}`);
      assert.equal(r.status, 200);
      total = r.body.total;
      assert.equal(r.body.count, r.body.data.length);
      assert.equal(r.body.last, r.body.data.at(-1).timestamp, 'last = oldest entry of the page');
      for (const e of r.body.data) seen.push(e.value);
      offset += r.body.count;
      pages++;
    } while (offset < total);
    assert.equal(total, N);
    assert.equal(pages, Math.ceil(N / 7000));
    assert.equal(seen.length, N);
    for (let i = 0; i < N; i++) assert.equal(seen[i], N - 1 - i);
  });

  it('asc order, a time window (inclusive bounds), and one topic', async () => {
    const r = await q(`from=${T0 + 100}&to=${T0 + 199}&order=asc&limit=10&offset=5`);
    assert.equal(r.body.total, 100);
    assert.deepEqual(
      r.body.data.map((e) => e.value),
      [105, 106, 107, 108, 109, 110, 111, 112, 113, 114],
    );
    assert.equal(r.body.last, T0 + 105);
    const b = await q(`from=${T0}&to=${T0 + N}&topics=obj/b&limit=3&offset=2`);
    assert.equal(b.body.total, N / 2);
    assert.deepEqual(
      b.body.data.map((e) => e.value),
      [N - 5, N - 7, N - 9],
    );
    assert.equal(b.body.data[0].topic, '77/obj/b');
  });

  it('several topics (repeated and comma-separated) merge in time order', async () => {
    const r = await q(`from=${T0 + 10}&to=${T0 + 19}&order=asc&topics=obj/a,obj/b&topics=obj/none`);
    assert.equal(r.body.total, 10);
    assert.deepEqual(
      r.body.data.map((e) => e.value),
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    );
    const off = await q(`from=${T0 + 10}&to=${T0 + 19}&order=desc&topics=obj/a&topics=obj/b&offset=8`);
    assert.deepEqual(
      off.body.data.map((e) => e.value),
      [11, 10],
    );
  });

  it('POST variant takes the topics as a JSON array', async () => {
    const r = await call(sb, 'POST', `/api/v3beta/log/7?from=${T0}&to=${T0 + 3}&order=asc`, { body: ['obj/a'] });
    assert.deepEqual(
      r.body.data.map((e) => e.value),
      [0, 2],
    );
  });

  it('past the end: count 0, last 0; limit 0 gives no data; defaults cover the last 24 h only', async () => {
    const r = await q(`from=${T0}&to=${T0 + N}&offset=${N}`);
    assert.deepEqual([r.body.total, r.body.count, r.body.last, r.body.data], [N, 0, 0, []]);
    const z = await q(`from=${T0}&to=${T0 + N}&limit=0`);
    assert.deepEqual([z.body.total, z.body.count], [N, 0]);
    const d = await q('');
    assert.equal(d.body.total, 0, 'seed entries are from 2023, outside the default window');
  });

  it('400 names a bad number parameter', async () => {
    const r = await q('limit=ten');
    assert.equal(r.status, 400);
    assert.match(r.body.message, /"limit"/);
    assert.match((await q('offset=-1')).body.message, /"offset"/);
  });
});
