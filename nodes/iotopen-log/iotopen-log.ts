// iotopen-log: reads the v3 log of an installation, paging through the whole
// result, as one message, one message per page, or one message per entry.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { getServer, evaluate, idList, InputError, noServerError, requireId, type LynxServer } from '../lib';
import { deregisterOnClose, fail } from '../lib/input';
import { parseRange } from '../../src/util/time';
import { bareTopic } from '../../src/lynx/topics';
import { aggregationInterval, aggregationMethod } from '../../src/lynx/aggregation';
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

type LogMsg = NodeMessage & Record<string, unknown>;

function positiveInt(value: unknown, field: string, fallback: number | undefined): number | undefined {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new InputError(`${field} must be a whole number of entries (0 or blank for no limit), got ${JSON.stringify(value)}`, field);
  }
  return n === 0 ? fallback : n;
}

/** Topics from msg.topics, an array or a comma/newline separated string. */
function splitTopics(value: unknown, field: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\n,]/) : null;
  if (!list) throw new InputError(`${field} must be an array of topics or a comma separated string, got ${typeof value}`, field);
  const out: string[] = [];
  for (const t of list) {
    if (typeof t !== 'string') throw new InputError(`${field} must only hold strings (topics), got ${JSON.stringify(t)}`, field);
    const s = t.trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

type Aggregation = LogQuery['aggregation'];

/**
 * Server-side aggregation from msg.aggregation (`{method, interval?}`, a method name, or
 * false / "none" for raw entries) or the node's method and interval.
 */
function aggregationOf(msgValue: unknown, method: string | undefined, interval: string | undefined): Aggregation {
  const check = (m: unknown, i: unknown, mField: string, iField: string): Aggregation => ({
    method: inputError(() => aggregationMethod(m, mField), mField),
    ...(i === undefined || i === null || i === '' ? {} : { interval: inputError(() => aggregationInterval(i, iField), iField) }),
  });
  if (msgValue === undefined) return method ? check(method, interval, 'aggrMethod', 'aggrInterval') : undefined;
  if (msgValue === false || msgValue === null || msgValue === '' || msgValue === 'none') return undefined;
  if (typeof msgValue === 'string') return check(msgValue, interval, 'msg.aggregation', 'aggrInterval');
  if (typeof msgValue === 'object' && !Array.isArray(msgValue)) {
    const a = msgValue as { method?: unknown; interval?: unknown };
    return check(a.method, a.interval, 'msg.aggregation.method', 'msg.aggregation.interval');
  }
  throw new InputError(`msg.aggregation must be {"method": "avg", "interval": "15m"}, a method name, or false for raw entries; got ${JSON.stringify(msgValue)}`, 'msg.aggregation');
}

function inputError<T>(f: () => T, field: string): T {
  try {
    return f();
  } catch (e) {
    throw new InputError((e as Error).message, field);
  }
}

export = function (RED: NodeAPI): void {
  function IotopenLogNode(this: Node, config: LogNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const server: LynxServer | null = getServer(RED, config.server);
    const mode: Mode = config.mode === 'page' || config.mode === 'entry' ? config.mode : 'all';
    let fnIds: number[] = [];
    let configTopics: string[] = [];
    let pageSize = DEFAULT_PAGE_SIZE;
    let maxEntries = DEFAULT_MAX_ENTRIES;
    // A setting that is wrong fails every message naming it: an unreadable function id
    // is never dropped, as that would widen the query to the whole installation's log.
    let configError: InputError | undefined;
    try {
      fnIds = idList(config.functions);
      configTopics = splitTopics(config.topics ?? '', 'topics');
      pageSize = positiveInt(config.pageSize, 'pageSize', DEFAULT_PAGE_SIZE)!;
      maxEntries = positiveInt(config.maxEntries, 'maxEntries', DEFAULT_MAX_ENTRIES)!;
    } catch (e) {
      const err = e as InputError;
      configError = err.field === 'functions'
        ? new InputError(`${err.message.replace(/: pick one in the node.*$/, '')}: pick the functions again in the node (the log is not read, as without them it would be the whole installation's)`, 'functions')
        : new InputError(err.message, err.field);
    }
    let running: Running | null = null;

    if (!server) {
      node.status({ fill: 'red', shape: 'ring', text: RED._('iotopen-log.status.noServer') });
    } else {
      server.register(node);
    }
    if (configError) {
      node.status({ fill: 'red', shape: 'ring', text: RED._('iotopen-log.status.config') });
      node.error(configError.message);
    }

    /**
     * Topic list of this query: msg.topics wins, else typed topics + picked functions. The log
     * filters on bare topics (`obj/...`): a `{client_id}/` prefix given by the user is removed.
     */
    async function topicsFor(msg: LogMsg, iid: number, signal: AbortSignal): Promise<string[]> {
      const given = msg.topics !== undefined ? splitTopics(msg.topics, 'msg.topics') : configTopics;
      const useFunctions = msg.topics === undefined && fnIds.length > 0;
      if (!useFunctions && !given.some((t) => /^\/*\d+\//.test(t))) return given.map((t) => t.replace(/^\/+/, ''));
      const inst = await server!.catalog.installation(iid);
      if (signal.aborted) return [];
      if (!inst) throw new InputError(`installation ${iid} is not visible to this account: pick another installation`, 'installation');
      const topics: string[] = [];
      const add = (t: string) => {
        const bare = bareTopic(inst.client_id, t);
        if (!topics.includes(bare)) topics.push(bare);
      };
      given.forEach(add);
      if (useFunctions) {
        const functions = await server!.catalog.functions(iid);
        for (const id of fnIds) {
          const fn = functions.find((f: { id: number }) => f.id === id);
          if (!fn) throw new InputError(`function ${id} no longer exists in installation ${iid}: pick the functions again`, 'functions');
          const topic = fn.meta?.topic_read;
          if (!topic) throw new InputError(`function ${id} (${fn.meta?.name ?? fn.type}) has no topic_read meta: type its topic instead`, 'functions');
          add(topic);
        }
      }
      return topics;
    }

    async function run(msg: LogMsg, send: (m: NodeMessage | NodeMessage[]) => void, job: Running): Promise<void> {
      const signal = job.ac.signal;
      if (configError) throw configError;
      if (!server) throw noServerError();
      const iid = requireId(msg.installation_id ?? (config.installation || undefined), msg.installation_id !== undefined ? 'msg.installation_id' : 'installation');
      const fromRaw = msg.from !== undefined ? msg.from : await evaluate(RED, node, msg, config.fromType || 'str', config.from);
      const toRaw = msg.to !== undefined ? msg.to : await evaluate(RED, node, msg, config.toType || 'str', config.to);
      let range: { from?: number; to?: number };
      try {
        range = parseRange(fromRaw, toRaw, { fromField: msg.from !== undefined ? 'msg.from' : 'from', toField: msg.to !== undefined ? 'msg.to' : 'to' });
      } catch (e) {
        throw new InputError((e as Error).message, (e as { field?: string }).field);
      }
      const orderRaw = msg.order ?? config.order ?? 'asc';
      if (orderRaw !== 'asc' && orderRaw !== 'desc') {
        throw new InputError(`${msg.order !== undefined ? 'msg.order' : 'order'} must be 'asc' or 'desc', got ${JSON.stringify(orderRaw)}`, 'order');
      }
      const limit = positiveInt(msg.limit ?? config.limit, msg.limit !== undefined ? 'msg.limit' : 'limit', undefined);
      const aggregation = aggregationOf(msg.aggregation, config.aggrMethod || undefined, config.aggrInterval || undefined);
      const topics = await topicsFor(msg, iid, signal);
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
      node.status({ fill: 'blue', shape: 'dot', text: RED._('iotopen-log.status.fetching') });
      for await (const p of server.api.log.pages(iid, query, { signal })) {
        if (signal.aborted) return;
        page++;
        total = p.total;
        const wanted = total === undefined ? undefined : Math.min(total, keep);
        pages = wanted === undefined ? undefined : Math.max(1, Math.ceil(wanted / query.limit!));
        let data = p.data;
        if (seen + data.length > keep) data = data.slice(0, keep - seen);
        seen += data.length;
        node.status({ fill: 'blue', shape: 'dot', text: pages === undefined ? RED._('iotopen-log.status.pageN', { page }) : RED._('iotopen-log.status.page', { page, pages }) });
        const last = seen >= keep || p.count === 0 || (wanted !== undefined ? seen >= wanted : p.count < query.limit!);
        const info = { index: page, pages: last ? page : pages, count: data.length, offset: seen - data.length, total, last };
        if (mode === 'all') {
          for (const e of data) collected.push(e);
        } else if (mode === 'page') {
          const out = RED.util.cloneMessage(base) as LogMsg;
          out.payload = data;
          out.page = info;
          sentLast = info.last;
          send(out);
        } else {
          const msgs: NodeMessage[] = [];
          for (let i = 0; i < data.length; i++) {
            const out = RED.util.cloneMessage(base) as LogMsg;
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
          // Without the message catalogue (e.g. in unit tests) RED._ gives back the key.
          const warn = (key: string, vars: Record<string, number>, english: string) => {
            const text = RED._(`iotopen-log.warn.${key}`, vars);
            node.warn(text !== `iotopen-log.warn.${key}` ? text : english);
          };
          if (dropped !== undefined) {
            msg.dropped = dropped;
            warn('capped', { kept: collected.length, total: total!, dropped, cap: maxEntries },
              `log query matched ${total} entries: kept the first ${collected.length} (cap ${maxEntries}), dropped ${dropped}; raise the cap or use one message per page`);
          } else {
            warn('cappedMaybe', { kept: collected.length, cap: maxEntries },
              `log query reached the cap of ${maxEntries} entries: kept the first ${collected.length}, more may match (the server gave no total); raise the cap or use one message per page`);
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
      node.status({ fill: 'green', shape: 'dot', text: total === undefined ? RED._('iotopen-log.status.doneN', { count }) : RED._('iotopen-log.status.done', { count, total }) });
    }

    node.on('input', (msg: NodeMessage, send: (m: NodeMessage | NodeMessage[]) => void, done: (err?: Error) => void) => {
      // A new query cancels the running one: its done() is called without an
      // error (being replaced is not a failure) and it sends nothing more.
      if (running && !running.finished) running.ac.abort();
      const job: Running = { ac: new AbortController(), finished: false };
      running = job;
      const finish = (err?: Error) => {
        if (job.finished) return;
        job.finished = true;
        if (running === job) running = null;
        if (err) fail(node, msg, err, done, { statusText: () => RED._('iotopen-log.status.error') });
        else done();
      };
      run(msg as LogMsg, send, job).then(
        () => {
          if (job.ac.signal.aborted) node.status({ fill: 'grey', shape: 'ring', text: RED._('iotopen-log.status.cancelled') });
          finish();
        },
        (err: Error) => {
          if (job.ac.signal.aborted) {
            if (running === null || running === job) node.status({ fill: 'grey', shape: 'ring', text: RED._('iotopen-log.status.cancelled') });
            finish();
          } else finish(err);
        },
      );
    });

    deregisterOnClose(node, server, () => {
      if (running && !running.finished) running.ac.abort();
      running = null;
    });
  }
  RED.nodes.registerType('iotopen-log', IotopenLogNode as never);
};
