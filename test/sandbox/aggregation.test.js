'use strict';
// The v3 log's extras: include_total, integer parameters, and server-side aggregation
// (aggr_method, aggr_interval as go-lynx and IoT Open's Grafana data source send them).
const assert = require('node:assert/strict');
const { sandbox, call } = require('./helpers');

const T0 = 1700000000; // 20 s past a minute, 800 s past an hour
const M0 = T0 - 20; // start of T0's minute
const BIG = 120000;

describe('sandbox: v3 log include_total, integer parameters and aggregation', function () {
  let sb;
  before(async () => {
    const log = [];
    // obj/a: value i at T0 + 10 i, i = 0..11 -> minute buckets [0..3], [4..9], [10, 11]
    for (let i = 0; i < 12; i++) log.push({ installation_id: 7, topic: 'obj/a', value: i, timestamp: T0 + 10 * i, msg: 'm' });
    // obj/b: 100 at T0 + 5, 200 at T0 + 65
    log.push({ installation_id: 7, topic: 'obj/b', value: 100, timestamp: T0 + 5 });
    log.push({ installation_id: 7, topic: 'obj/b', value: 200, timestamp: T0 + 65 });
    // another client id's obj/a in the same installation: its own rows and prefix
    log.push({ installation_id: 7, client_id: 88, topic: 'obj/a', value: 50, timestamp: T0 + 1 });
    // a large history on installation 8: one entry per second
    for (let i = 0; i < BIG; i++) log.push({ installation_id: 8, topic: 'obj/big', value: i % 100, timestamp: T0 + i });
    sb = await sandbox.startSandbox({
      port: 0,
      mqttPort: 0,
      seed: {
        apiKey: 'k',
        installations: [
          { id: 7, client_id: 77, name: 'A' },
          { id: 8, client_id: 78, name: 'B' },
        ],
        log,
      },
    });
  });
  after(async () => {
    await sb.stop();
  });

  const q = (qs, iid = 7) => call(sb, 'GET', `/api/v3beta/log/${iid}?from=${T0}&to=${T0 + 200}&${qs}`, { key: 'k' });
  const aggr = async (method, extra = '') => {
    const r = await q(`topics=obj/a&order=asc&aggr_method=${encodeURIComponent(method)}&aggr_interval=1m${extra}`);
    assert.equal(r.status, 200, r.text);
    return r.body.data.filter((e) => e.client_id === 77).map((e) => e.value);
  };

  it("include_total=false leaves total out (IoT Open's Grafana data source sends it)", async () => {
    const r = await q('include_total=false&topics=obj/a');
    assert.deepEqual(Object.keys(r.body).sort(), ['count', 'data', 'last']);
    assert.equal(r.body.count, 13);
    assert.equal((await q('include_total=true')).body.total, 15);
    assert.equal((await q('')).body.total, 15);
    assert.match((await q('include_total=no')).body.message, /"include_total"/);
  });

  it('limit and offset must be integers, from and to numbers (node-lynx sends fractional seconds): 400 naming the parameter', async () => {
    for (const [p, v, want] of [
      ['limit', '10.0', 'an integer'],
      ['offset', '1.5', 'an integer'],
      ['limit', '-1', 'an integer'],
      ['from', 'now', 'a number'],
      ['to', '1e9', 'a number'],
    ]) {
      const r = await call(sb, 'GET', `/api/v3beta/log/7?${p}=${v}`, { key: 'k' });
      assert.equal(r.status, 400, `${p}=${v}`);
      assert.match(r.body.message, new RegExp(`query parameter "${p}" must be ${want}`));
    }
    const post = await call(sb, 'POST', '/api/v3beta/log/7?offset=1.5', { key: 'k', body: ['obj/a'] });
    assert.equal(post.status, 400);
    const frac = await call(sb, 'GET', `/api/v3beta/log/7?from=${Math.floor(Date.now() / 1000) - 86400}.25&to=${Date.now() / 1000}`, {
      key: 'k',
    });
    assert.equal(frac.status, 200);
  });

  it('older go-lynx sends aggr_method=&aggr_interval=0s on every call: no method means raw entries', async () => {
    const r = await q('aggr_method=&aggr_interval=0s');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.total, (await q('')).body.total);
    assert.ok(r.body.total > 0);
  });

  it('every method of the Grafana data source, per topic per minute bucket', async () => {
    assert.deepEqual(await aggr('avg'), [1.5, 6.5, 10.5]);
    assert.deepEqual(await aggr('count'), [4, 6, 2]);
    assert.deepEqual(await aggr('first'), [0, 4, 10]);
    assert.deepEqual(await aggr('last'), [3, 9, 11]);
    assert.deepEqual(await aggr('max'), [3, 9, 11]);
    assert.deepEqual(await aggr('min'), [0, 4, 10]);
    assert.deepEqual(await aggr('median'), [1.5, 6.5, 10.5]);
    assert.deepEqual(await aggr('spread'), [3, 5, 1]);
    assert.deepEqual(await aggr('sum'), [6, 39, 21]);
    const sd = await aggr('stddev');
    assert.ok(Math.abs(sd[0] - Math.sqrt(5 / 3)) < 1e-9 && Math.abs(sd[2] - Math.SQRT1_2) < 1e-9, String(sd));
    assert.deepEqual(await aggr('percentile(50)'), [1, 6, 10]);
    assert.deepEqual(await aggr('percentile(90)'), [3, 8, 11]);
    assert.deepEqual(await aggr('percentile(99)'), [3, 9, 11]);
    assert.deepEqual(await aggr('percentile(95)'), [3, 9, 11]);
  });

  it('rows: timestamp = bucket start (aligned to the epoch), topic/client_id/installation_id kept, msg left out', async () => {
    const r = await q('order=asc&aggr_method=count&aggr_interval=1m');
    assert.deepEqual(
      r.body.data.map((e) => [e.timestamp, e.topic, e.value]),
      [
        [M0, '77/obj/a', 4],
        [M0, '77/obj/b', 1],
        [M0, '88/obj/a', 1],
        [M0 + 60, '77/obj/a', 6],
        [M0 + 60, '77/obj/b', 1],
        [M0 + 120, '77/obj/a', 2],
      ],
    );
    for (const e of r.body.data) {
      assert.deepEqual(Object.keys(e).sort(), ['client_id', 'installation_id', 'timestamp', 'topic', 'value']);
      assert.equal(e.installation_id, 7);
      assert.equal(e.client_id, Number(e.topic.split('/')[0]));
    }
  });

  it('paging, order, total, count and last apply to the aggregated rows', async () => {
    const d = await q('aggr_method=sum&aggr_interval=1m&limit=2&offset=1');
    assert.equal(d.body.total, 6);
    assert.equal(d.body.count, 2);
    assert.deepEqual(
      d.body.data.map((e) => [e.timestamp, e.topic]),
      [
        [M0 + 60, '77/obj/b'],
        [M0 + 60, '77/obj/a'],
      ],
    );
    assert.equal(d.body.last, M0 + 60);
    const a = await q('aggr_method=sum&aggr_interval=1m&order=asc&offset=4');
    assert.deepEqual(
      a.body.data.map((e) => e.timestamp),
      [M0 + 60, M0 + 120],
    );
    assert.equal(a.body.last, M0 + 60);
    const nt = await q('aggr_method=sum&include_total=false&limit=1');
    assert.deepEqual([nt.body.total, nt.body.count], [undefined, 1]);
    const post = await call(sb, 'POST', `/api/v3beta/log/7?from=${T0}&to=${T0 + 200}&aggr_method=max&aggr_interval=1h`, {
      key: 'k',
      body: ['obj/b'],
    });
    assert.deepEqual(
      post.body.data.map((e) => [e.timestamp, e.value]),
      [[T0 - 800, 200]],
    );
  });

  it("aggr_interval is Go duration text; without it a method aggregates per minute (the Grafana data source's default)", async () => {
    const starts = async (iv) =>
      (await q(`topics=obj/a&order=asc&aggr_method=count${iv === undefined ? '' : `&aggr_interval=${encodeURIComponent(iv)}`}`)).body.data
        .filter((e) => e.client_id === 77)
        .map((e) => e.timestamp);
    assert.deepEqual(await starts(undefined), [M0, M0 + 60, M0 + 120]);
    assert.deepEqual(await starts('1m0s'), [M0, M0 + 60, M0 + 120]);
    assert.deepEqual(await starts('60s'), [M0, M0 + 60, M0 + 120]);
    assert.deepEqual(await starts('30s'), [T0 - 20, T0 + 10, T0 + 40, T0 + 70, T0 + 100]);
    assert.deepEqual(await starts('15m'), [T0 - 800, T0 + 100], 'obj/a spans 1700000000..1700000110');
    assert.deepEqual(await starts('1h0m0s'), [T0 - 800]);
    const h15 = Math.floor(T0 / 5400) * 5400;
    assert.deepEqual(await starts('1h30m'), [h15]);
    assert.deepEqual(await starts('1.5h'), [h15]);
    assert.deepEqual(await starts('90m'), [h15]);
    assert.deepEqual(await starts('.5m'), [T0 - 20, T0 + 10, T0 + 40, T0 + 70, T0 + 100]);
    assert.deepEqual(await starts('30000ms'), [T0 - 20, T0 + 10, T0 + 40, T0 + 70, T0 + 100]);
    // an interval without a method only has to be well-formed: no aggregation
    assert.equal((await q('topics=obj/a&aggr_interval=1m')).body.total, 13);
  });

  it('400 for an unknown method or a malformed, zero or negative interval, naming the parameter and the form', async () => {
    for (const m of ['mean', 'AVG', 'percentile(101)', 'percentile(x)', 'percentile 50', 'percentile()']) {
      const r = await q(`aggr_method=${encodeURIComponent(m)}`);
      assert.equal(r.status, 400, m);
      assert.match(r.body.message, /query parameter "aggr_method" must be one of avg, count, .*percentile\(N\)/);
    }
    for (const iv of ['0', '0s', '-1m', '1', 'h', '1x', '1h 30m', '1d', '.h', 'm1']) {
      const r = await q(`aggr_method=avg&aggr_interval=${encodeURIComponent(iv)}`);
      assert.equal(r.status, 400, iv);
      assert.match(r.body.message, /query parameter "aggr_interval" must be a positive Go duration such as .*1h30m/);
    }
  });

  it(`aggregates ${BIG} entries over their range (and only it), paging through the rows`, async () => {
    const r = await call(sb, 'GET', `/api/v3beta/log/8?from=${T0}&to=${T0 + BIG}&aggr_method=count&aggr_interval=1h&order=asc&limit=10`, {
      key: 'k',
    });
    const hours = Math.floor((T0 + BIG - 1) / 3600) - Math.floor(T0 / 3600) + 1;
    assert.equal(r.body.total, hours);
    assert.equal(r.body.data[0].timestamp, T0 - 800);
    assert.equal(r.body.data[0].value, 2800);
    assert.equal(r.body.data[1].value, 3600);
    let sum = 0;
    for (let off = 0; off < hours; off += 10) {
      const p = await call(
        sb,
        'GET',
        `/api/v3beta/log/8?from=${T0}&to=${T0 + BIG}&aggr_method=count&aggr_interval=1h&order=asc&limit=10&offset=${off}`,
        { key: 'k' },
      );
      for (const e of p.body.data) sum += e.value;
    }
    assert.equal(sum, BIG);
    const part = await call(sb, 'GET', `/api/v3beta/log/8?from=${T0 + 1000}&to=${T0 + 1999}&aggr_method=avg&aggr_interval=1m0s`, {
      key: 'k',
    });
    assert.equal(part.body.total, 17);
  });
});
