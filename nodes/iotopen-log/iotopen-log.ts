// iotopen-log: reads the v3 log of an installation, paging through the whole
// result, as one message, one message per page, or one message per entry; as log
// entries, or as chart series (src/lynx/chart.ts: one message per function, msg.topic
// the series, msg.payload [{x, y}] with x in ms, as Dashboard 2's ui-chart takes them).
import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { defineNode, inputError, type Ctx, type Msg, type Send } from '../lib/frame';
import { asId, type At, type Fields, type Values } from '../lib/fields';
import type { LynxError } from '../../src/errors';
import { parseRange } from '../../src/util/time';
import { AUTO_INTERVAL, aggregationOf } from '../../src/lynx/aggregation';
import { CHART_MAX_POINTS, autoInterval, chartPoint, groupSeries, seriesNamer, type ChartSeries } from '../../src/lynx/chart';
import { pickedTopics } from '../../src/lynx/follow';
import { bareTopic } from '../../src/lynx/topics';
import { idList, topicList, wholeNumber } from '../../src/lynx/values';
import type { LogEntry, LogQuery } from '../../src/api/models';

type Mode = 'all' | 'page' | 'entry';

interface LogNodeDef extends NodeDef {
  server: string;
  installation: string;
  from: string;
  fromType: string;
  to: string;
  toType: string;
  topics: string;
  functions: string[] | string;
  order: string;
  limit: string | number;
  pageSize: string | number;
  mode: Mode;
  maxEntries: string | number;
  aggrMethod?: string;
  aggrInterval?: string;
  /** 'entries' (default): log entries; 'chart': chart series. */
  format?: 'entries' | 'chart';
  /** chart format: the first message of a query replaces the chart's data (msg.action). */
  chartReplace?: boolean;
  /** At most this many points per series for an `auto` interval (default 500). */
  maxPoints?: string | number;
}

interface Running {
  ac: AbortController;
  finished: boolean;
}

const DEFAULT_PAGE_SIZE = 10000;
const DEFAULT_MAX_ENTRIES = 100000;

/** Topics as an array or a comma/newline separated string; nothing is none. */
const topics = (v: unknown, at: At): string[] => (v === undefined || v === null || v === '' ? [] : topicList(v, at.label));
/** A time bound as given, with the name parseRange reports it by. */
const bound = (v: unknown, at: At) => ({ value: v, label: at.label });

const FIELDS = {
  installation: { msg: 'installation_id', setting: 'installation', name: 'installation', check: asId },
  from: { msg: 'from', setting: 'from', type: 'fromType', defaultType: 'str', check: bound },
  to: { msg: 'to', setting: 'to', type: 'toType', defaultType: 'str', check: bound },
  order: {
    msg: 'order',
    setting: 'order',
    default: 'asc',
    check: (v, at): 'asc' | 'desc' => {
      if (v !== 'asc' && v !== 'desc') throw inputError('order', { field: at.label, got: JSON.stringify(v) }, 'order');
      return v;
    },
  },
  limit: { msg: 'limit', setting: 'limit', check: (v, at) => wholeNumber(v, at.label, undefined) },
  // Read once, at deploy: a wrong setting fails every message naming it. An unreadable
  // function id is never dropped, as that would widen the query to the whole installation's log.
  functions: {
    setting: 'functions',
    check: (v): number[] => {
      try {
        return idList(v, 'functions');
      } catch (e) {
        throw inputError('functions', { got: (e as LynxError).params?.got }, 'functions');
      }
    },
  },
  topics: { setting: 'topics', check: topics },
  pageSize: { setting: 'pageSize', check: (v, at) => wholeNumber(v, at.label, DEFAULT_PAGE_SIZE) as number },
  maxEntries: { setting: 'maxEntries', check: (v, at) => wholeNumber(v, at.label, DEFAULT_MAX_ENTRIES) as number },
  maxPoints: {
    msg: 'maxPoints',
    setting: 'maxPoints',
    check: (v, at): number => {
      if (v === undefined || v === null || v === '') return CHART_MAX_POINTS;
      const n = typeof v === 'string' ? Number(v.trim()) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
        throw inputError('maxPoints', { field: at.label, got: JSON.stringify(v) }, at.label);
      return n;
    },
  },
} satisfies Fields;

type V = Values<typeof FIELDS>;

export = function (RED: NodeAPI): void {
  /**
   * Topic list of this query: msg.topics wins, else typed topics + picked functions. The log
   * filters on bare topics (`obj/...`): a `{client_id}/` prefix given by the user is removed.
   */
  async function topicsFor(ctx: Ctx<LogNodeDef>, msg: Msg, v: V, signal: AbortSignal): Promise<string[]> {
    const given = msg.topics !== undefined ? topics(msg.topics, { label: 'msg.topics', source: 'msg' }) : v.topics;
    const useFunctions = msg.topics === undefined && v.functions.length > 0;
    if (!useFunctions && !given.some((tp) => /^\d+\//.test(tp))) return given;
    const inst = await ctx.installation(v.installation, 'installation');
    if (signal.aborted) return [];
    const out = [...new Set(given.map((tp) => bareTopic(inst.client_id, tp)))];
    if (useFunctions)
      for (const tp of pickedTopics(await ctx.server.catalog.functions(v.installation), v.functions, v.installation, inst.client_id))
        if (!out.includes(tp)) out.push(tp);
    return out;
  }

  /**
   * Chart messages of one query: the first carries msg.action `replace` when the node replaces
   * the chart's data (else no action: the chart's own setting), every later one `append`, so a
   * chart set to replace keeps the other series of the same query.
   */
  function chartSender(ctx: Ctx<LogNodeDef>, base: Msg, send: Send) {
    let sent = 0;
    const replace = ctx.config.chartReplace !== false;
    const message = (s: ChartSeries | { name: string; topic: string; points: unknown }, extra: Partial<Msg> = {}): Msg => {
      const out = RED.util.cloneMessage(base) as Msg;
      out.topic = s.name;
      out.payload = s.points;
      const fn = 'fn' in s ? s.fn : undefined;
      out.lynx = { topic: s.topic, ...(fn && fn.id !== undefined ? { function_id: fn.id } : {}) };
      Object.assign(out, extra);
      return out;
    };
    return {
      message,
      get sent() {
        return sent;
      },
      send(out: Msg) {
        if (sent === 0) {
          if (replace) out.action = 'replace';
          else delete out.action;
        } else out.action = 'append';
        sent++;
        send(out);
      },
      /** An empty result: with replace, `payload: []` clears the chart (ui-chart's clear); else nothing to draw. */
      finishEmpty(extra: Partial<Msg> = {}) {
        if (sent > 0 || !replace) return;
        const out = RED.util.cloneMessage(base) as Msg;
        out.payload = [];
        Object.assign(out, extra);
        out.action = 'replace';
        sent++;
        send(out);
      },
    };
  }

  async function run(ctx: Ctx<LogNodeDef>, msg: Msg, v: V, send: Send, job: Running): Promise<void> {
    const { node, config, server, t } = ctx;
    const signal = job.ac.signal;
    const mode: Mode = config.mode === 'page' || config.mode === 'entry' ? config.mode : 'all';
    const chart = config.format === 'chart';
    const { pageSize, maxEntries, limit } = v;
    const iid = v.installation;
    const orderRaw = v.order;
    const range = parseRange(v.from.value, v.to.value, { fromField: v.from.label, toField: v.to.label });
    const aggregation = aggregationOf(msg.aggregation, config.aggrMethod || undefined, config.aggrInterval || undefined);
    if (aggregation?.interval === AUTO_INTERVAL) {
      if (range.from === undefined) throw inputError('autoRange', { field: v.from.label }, v.from.label);
      aggregation.interval = autoInterval(range.from, range.to ?? Date.now() / 1000, v.maxPoints);
    }
    const topics = await topicsFor(ctx, msg, v, signal);
    if (signal.aborted) return;
    let name: ReturnType<typeof seriesNamer> | undefined;
    if (chart) {
      const inst = await ctx.installation(iid, 'installation');
      name = seriesNamer(inst.client_id, await server.catalog.functions(iid), v.functions);
      if (signal.aborted) return;
    }

    // The most this query keeps: the limit, and in one-message mode the cap.
    const keep = mode === 'all' ? Math.min(limit ?? Infinity, maxEntries) : (limit ?? Infinity);
    const query: LogQuery = { ...range, order: orderRaw, limit: Math.min(pageSize, keep) };
    if (topics.length) query.topics = topics;
    if (aggregation) query.aggregation = aggregation;

    const collected: LogEntry[] = [];
    // chart format, one message: the points of each series (never the entries themselves)
    const series = new Map<string, ChartSeries>();
    let seen = 0;
    // undefined while the server leaves `total` out: then the page count is unknown too
    let total: number | undefined;
    let page = 0;
    let pages: number | undefined;
    let sentLast = false;
    const base = { ...msg };
    delete base.payload;
    const charts = chartSender(ctx, base, send);
    // chart format, one message per page: a page's messages wait for the next page, so the
    // last message sent is known and carries page.last (an empty closing page would clear the chart)
    let held: Msg[] = [];
    const flushHeld = (last: boolean) => {
      held.forEach((m, i) => {
        (m.page as { last: boolean }).last = last && i === held.length - 1;
        charts.send(m);
      });
      if (last && held.length) sentLast = true;
      held = [];
    };
    node.status({ fill: 'blue', shape: 'dot', text: t('status.fetching') });
    for await (const p of server.api.log.pages(iid, query, { signal })) {
      if (signal.aborted) return;
      page++;
      total = p.total;
      const wanted = total === undefined ? undefined : Math.min(total, keep);
      pages = wanted === undefined ? undefined : Math.max(1, Math.ceil(wanted / query.limit!));
      let data = p.data;
      if (seen + data.length > keep) data = data.slice(0, keep - seen);
      seen += data.length;
      node.status({
        fill: 'blue',
        shape: 'dot',
        text: pages === undefined ? t('status.pageN', { page }) : t('status.page', { page, pages }),
      });
      const last = seen >= keep || p.count === 0 || (wanted !== undefined ? seen >= wanted : p.count < query.limit!);
      const info = { index: page, pages: last ? page : pages, count: data.length, offset: seen - data.length, total, last };
      if (mode === 'all') {
        if (chart) groupSeries(data, name!, series);
        else for (const e of data) collected.push(e);
      } else if (mode === 'page') {
        if (chart) {
          const msgs = [...groupSeries(data, name!).values()].map((s) => charts.message(s, { page: { ...info, count: s.points.length } }));
          if (msgs.length) flushHeld(false);
          held.push(...msgs);
          if (info.last) flushHeld(true);
        } else {
          const out = RED.util.cloneMessage(base) as Msg;
          out.payload = data;
          out.page = info;
          sentLast = info.last;
          send(out);
        }
      } else {
        const msgs: NodeMessage[] = [];
        for (let i = 0; i < data.length; i++) {
          const e = data[i];
          const out = chart
            ? charts.message({ ...name!(e.topic), topic: e.topic, points: chartPoint(e.timestamp, e.value) })
            : (RED.util.cloneMessage(base) as Msg);
          if (!chart) {
            out.payload = e;
            out.topic = e.topic;
          }
          out.index = info.offset + i;
          out.total = wanted;
          msgs.push(out);
        }
        for (const m of msgs) (chart ? charts.send : send)(m as Msg);
      }
      if (info.last) break;
    }
    if (signal.aborted) return;
    if (mode === 'all') {
      const count = chart ? seen : collected.length;
      // more than the cap matched: known from total, or (without it) from the cap being reached
      const dropped = total !== undefined ? Math.min(total, limit ?? Infinity) - count : undefined;
      let capped: Partial<Msg> = {};
      if (count >= maxEntries && (dropped === undefined ? (limit ?? Infinity) > maxEntries : dropped > 0)) {
        if (dropped !== undefined) {
          capped = { dropped };
          node.warn(t('warn.capped', { kept: count, total: total!, dropped, cap: maxEntries }));
        } else {
          node.warn(t('warn.cappedMaybe', { kept: count, cap: maxEntries }));
        }
      }
      if (chart) {
        for (const s of series.values()) charts.send(charts.message(s, { total, count: s.points.length, ...capped }));
        charts.finishEmpty({ total, count: 0 });
      } else {
        msg.payload = collected;
        msg.total = total;
        msg.count = collected.length;
        Object.assign(msg, capped);
        send(msg);
      }
    } else if (mode === 'page' && chart) {
      flushHeld(true);
      if (!sentLast) charts.finishEmpty({ page: { index: page, pages: page, count: 0, offset: seen, total, last: true } });
    } else if (mode === 'page' && !sentLast) {
      // No page said it was the last (empty result, or the log shrank while
      // paging): close the stream with an empty last page.
      const out = msg;
      out.payload = [];
      out.page = { index: page + 1, pages: page + 1, count: 0, offset: seen, total, last: true };
      send(out);
    } else if (mode === 'entry' && chart && seen === 0) {
      charts.finishEmpty({ total: 0 });
    }
    const count = mode === 'all' && !chart ? collected.length : seen;
    node.status({
      fill: 'green',
      shape: 'dot',
      text: total === undefined ? t('status.doneN', { count }) : t('status.done', { count, total }),
    });
  }

  defineNode<LogNodeDef, typeof FIELDS>(RED, 'iotopen-log', {
    fields: FIELDS,
    statusCode: true,
    setup(ctx) {
      const { node, t } = ctx;
      let running: Running | null = null;
      const cancelled = () => node.status({ fill: 'grey', shape: 'ring', text: t('status.cancelled') });
      return {
        // A new query cancels the running one: its done() is called without an
        // error (being replaced is not a failure) and it sends nothing more.
        async input(msg, v, send) {
          if (running && !running.finished) running.ac.abort();
          const job: Running = { ac: new AbortController(), finished: false };
          running = job;
          try {
            await run(ctx, msg, v, send, job);
            if (job.ac.signal.aborted) cancelled();
          } catch (err) {
            if (!job.ac.signal.aborted) throw err;
            if (running === job) cancelled();
          } finally {
            job.finished = true;
            if (running === job) running = null;
          }
        },
        close() {
          if (running && !running.finished) running.ac.abort();
          running = null;
        },
      };
    },
  });
};
