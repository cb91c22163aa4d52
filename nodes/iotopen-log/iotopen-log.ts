// iotopen-log: reads the v3 log of an installation, paging through the whole
// result, as one message, one message per page, or one message per entry.
import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { defineNode, inputError, type Ctx, type Msg, type Send } from '../lib/frame';
import { asId, type At, type Fields, type Values } from '../lib/fields';
import type { LynxError } from '../../src/errors';
import { parseRange } from '../../src/util/time';
import { aggregationOf } from '../../src/lynx/aggregation';
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

  async function run(ctx: Ctx<LogNodeDef>, msg: Msg, v: V, send: Send, job: Running): Promise<void> {
    const { node, config, server, t } = ctx;
    const signal = job.ac.signal;
    const mode: Mode = config.mode === 'page' || config.mode === 'entry' ? config.mode : 'all';
    const { pageSize, maxEntries, limit } = v;
    const iid = v.installation;
    const orderRaw = v.order;
    const range = parseRange(v.from.value, v.to.value, { fromField: v.from.label, toField: v.to.label });
    const aggregation = aggregationOf(msg.aggregation, config.aggrMethod || undefined, config.aggrInterval || undefined);
    const topics = await topicsFor(ctx, msg, v, signal);
    if (signal.aborted) return;

    // The most this query keeps: the limit, and in one-message mode the cap.
    const keep = mode === 'all' ? Math.min(limit ?? Infinity, maxEntries) : (limit ?? Infinity);
    const query: LogQuery = { ...range, order: orderRaw, limit: Math.min(pageSize, keep) };
    if (topics.length) query.topics = topics;
    if (aggregation) query.aggregation = aggregation;

    const collected: LogEntry[] = [];
    let seen = 0;
    // undefined while the server leaves `total` out: then the page count is unknown too
    let total: number | undefined;
    let page = 0;
    let pages: number | undefined;
    let sentLast = false;
    const base = { ...msg };
    delete base.payload;
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
        for (const e of data) collected.push(e);
      } else if (mode === 'page') {
        const out = RED.util.cloneMessage(base) as Msg;
        out.payload = data;
        out.page = info;
        sentLast = info.last;
        send(out);
      } else {
        const msgs: NodeMessage[] = [];
        for (let i = 0; i < data.length; i++) {
          const out = RED.util.cloneMessage(base) as Msg;
          out.payload = data[i];
          out.topic = data[i].topic;
          out.index = info.offset + i;
          out.total = wanted;
          msgs.push(out);
        }
        for (const m of msgs) send(m);
      }
      if (info.last) break;
    }
    if (signal.aborted) return;
    if (mode === 'all') {
      msg.payload = collected;
      msg.total = total;
      msg.count = collected.length;
      // more than the cap matched: known from total, or (without it) from the cap being reached
      const dropped = total !== undefined ? Math.min(total, limit ?? Infinity) - collected.length : undefined;
      if (collected.length >= maxEntries && (dropped === undefined ? (limit ?? Infinity) > maxEntries : dropped > 0)) {
        if (dropped !== undefined) {
          msg.dropped = dropped;
          node.warn(t('warn.capped', { kept: collected.length, total: total!, dropped, cap: maxEntries }));
        } else {
          node.warn(t('warn.cappedMaybe', { kept: collected.length, cap: maxEntries }));
        }
      }
      send(msg);
    } else if (mode === 'page' && !sentLast) {
      // No page said it was the last (empty result, or the log shrank while
      // paging): close the stream with an empty last page.
      const out = msg;
      out.payload = [];
      out.page = { index: page + 1, pages: page + 1, count: 0, offset: seen, total, last: true };
      send(out);
    }
    const count = mode === 'all' ? collected.length : seen;
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
