'use strict';
// src/lynx/chart.ts: series names, points, auto intervals (no Node-RED).
const assert = require('node:assert/strict');
const path = require('node:path');
const { dist } = require('../support/nodered');

const chart = require(path.join(dist, 'src/lynx/chart'));
const { aggregationOf } = require(path.join(dist, 'src/lynx/aggregation'));

describe('chart series (src/lynx/chart.ts)', function () {
  it('names a series by the function name and unit, else by the topic', function () {
    assert.equal(chart.seriesName({ meta: { name: 'Hall', unit: '°C' } }, 't'), 'Hall (°C)');
    assert.equal(chart.seriesName({ meta: { name: ' Hall ', unit: '' } }, 't'), 'Hall');
    assert.equal(chart.seriesName({ meta: { unit: '°C' } }, '9/obj/x'), '9/obj/x', 'no name: the topic, without a unit');
    assert.equal(chart.seriesName(undefined, '9/obj/x'), '9/obj/x');
  });

  it('names entries by the function whose topic_read they carry (picked ones first), prefix or not', function () {
    const fns = [
      { id: 1, meta: { name: 'A', topic_read: 'obj/a' } },
      { id: 2, meta: { name: 'A too', topic_read: '9/obj/a' } },
      { id: 3, meta: { name: 'B', unit: '%', topic_read: 'obj/b' } },
    ];
    assert.equal(chart.seriesNamer(9, fns)('9/obj/a').name, 'A');
    assert.equal(chart.seriesNamer(9, fns, [2])('9/obj/a').name, 'A too');
    assert.equal(chart.seriesNamer(9, fns)('obj/b').name, 'B (%)');
    assert.equal(chart.seriesNamer(9, fns)('obj/c').name, '9/obj/c', 'unknown: the full topic, as functionx-in sends it');
  });

  it('points: x in ms (rounded), y a number or a gap', function () {
    assert.deepEqual(chart.chartPoint(1700000000.2504, 21.5), { x: 1700000000250, y: 21.5 });
    assert.deepEqual(chart.chartPoint(1, '3.5'), { x: 1000, y: 3.5 });
    assert.deepEqual(chart.chartPoint(1, 'on'), { x: 1000, y: null });
    assert.deepEqual(chart.chartPoint(1, true), { x: 1000, y: 1 });
    assert.deepEqual(chart.chartPoint(1, Infinity), { x: 1000, y: null });
    const before = Date.now();
    const p = chart.chartPoint(undefined, 1);
    assert.ok(p.x >= before && p.x <= Date.now(), 'no timestamp: now');
  });

  it('groups entries into series in order of first appearance', function () {
    const name = (t) => ({ name: t.toUpperCase() });
    const m = chart.groupSeries(
      [
        { topic: 'b', value: 1, timestamp: 1 },
        { topic: 'a', value: 2, timestamp: 2 },
        { topic: 'b', value: 3, timestamp: 3 },
      ],
      name,
    );
    assert.deepEqual([...m.keys()], ['B', 'A']);
    assert.deepEqual(m.get('B').points, [
      { x: 1000, y: 1 },
      { x: 3000, y: 3 },
    ]);
  });

  it('auto interval: the smallest usual step giving at most maxPoints points', function () {
    for (const [span, max, want] of [
      [86400, 500, '5m0s'],
      [30 * 86400, 500, '2h0m0s'],
      [7 * 86400, 500, '30m0s'],
      [3600, 500, '10s'],
      [60, 500, '1s'],
      [365 * 86400, 500, '24h0m0s'],
      [7200, 10, '15m0s'],
    ]) {
      assert.equal(chart.autoInterval(1000, 1000 + span, max), want, `${span} s at most ${max}`);
    }
    // at the boundary: 24 h / 288 = 5 min, but 5-min buckets over a range off the 5-min grid are 289
    assert.equal(chart.autoInterval(1000, 1000 + 86400, 288), '10m0s');
    assert.equal(chart.autoInterval(1000, 1000 + 86400, 289), '5m0s');
    const huge = chart.autoInterval(0, 3650 * 86400, 10);
    assert.ok(/^\d+h0m0s$/.test(huge), huge);
  });

  it('aggregationOf passes an interval of auto on (in any case) for the caller to resolve', function () {
    assert.deepEqual(aggregationOf({ method: 'avg', interval: 'AUTO' }), { method: 'avg', interval: 'auto' });
    assert.deepEqual(aggregationOf(undefined, 'max', 'auto'), { method: 'max', interval: 'auto' });
    assert.deepEqual(aggregationOf(undefined, 'max', '15m'), { method: 'max', interval: '15m0s' });
  });
});
