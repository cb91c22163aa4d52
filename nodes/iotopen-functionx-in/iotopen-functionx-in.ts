// iotopen-functionx-in: values of FunctionX topics, live from the Lynx broker.
// Selects functions by id, by type or by meta filter, follows the installation's
// function list live (subscribes/unsubscribes the difference, no redeploy), and
// enriches each value with what the function says about it. Everything a message
// needs except its value is computed when a topic is subscribed, not per message.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from 'node-red';
import { getServer, requireId, type LynxServer } from '../lib';
import { deregisterOnClose } from '../lib/input';
import { decodeLynxPayload } from '../../src/mqtt';
import { compileMetaFilter, presenter, type FunctionLike, type Presenter } from '../../src/lynx/present';
import { fullTopic } from '../../src/lynx/topics';

const TYPE = 'iotopen-functionx-in';
const WARN_INTERVAL_MS = 10_000;

interface Def extends NodeDef {
  server: string;
  selectBy?: 'function' | 'type' | 'meta';
  installation?: string | number;
  function?: string | number;
  ftype?: string;
  metaFilter?: Array<{ key: string; value: string }>;
  topicKey?: string;
  output?: 'value' | 'object';
  onlyChange?: boolean;
  emitLatest?: boolean;
}

/** One function followed by this node; `info` goes out as msg.lynx.function. */
interface FnEntry {
  id: number;
  info: Readonly<{ id: number; type: string; meta: Readonly<Record<string, string>> }>;
  pres: Presenter;
  signature: string;
}

/** One subscribed topic (normally one function; several when functions share a topic). */
interface TopicEntry {
  topic: string;
  fns: FnEntry[];
  sub: { unsubscribe(): void } | null;
  last: string | undefined;
  seen: boolean;
  warnedAt: number;
}

interface Decoded {
  ok: boolean;
  value?: unknown;
  timestamp?: number;
  msg?: string;
  raw?: string;
  error?: string;
}

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}

function glob(pattern: string): (s: string) => boolean {
  if (!pattern.includes('*')) return (s) => s === pattern;
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's');
  return (s) => re.test(s);
}

/** The payload as Lynx sent it: {value, timestamp?, msg?}, absent fields left out. */
function lynxObject(value: unknown, timestamp: number | undefined, text: string | undefined): Record<string, unknown> {
  const o: Record<string, unknown> = { value };
  if (timestamp !== undefined) o.timestamp = timestamp;
  if (text !== undefined) o.msg = text;
  return o;
}

export = function register(RED: NodeAPI): void {
  function FunctionxIn(this: Node, config: Def) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = (key: string, params?: Record<string, unknown>) => RED._(`${TYPE}.${key}`, params as never);
    const server: LynxServer | null = getServer(RED, config.server);
    if (!server) {
      node.status({ fill: 'red', shape: 'ring', text: t('status.no-server') });
      node.error(t('errors.no-server'));
      return;
    }
    const srv: LynxServer = server;

    const selectBy = config.selectBy || 'function';
    const topicKey = (config.topicKey || 'topic_read').trim();
    const wholeObject = config.output === 'object';
    const onlyChange = !!config.onlyChange;
    const emitLatest = !!config.emitLatest;

    let iid = 0;
    let configError: string | null = null;
    let matches: (f: FunctionLike) => boolean = () => false;
    try {
      iid = requireId(config.installation, 'installation');
      if (selectBy === 'function') {
        const fid = requireId(config.function, 'function');
        matches = (f) => f.id === fid;
      } else if (selectBy === 'type') {
        if (!config.ftype || !config.ftype.trim()) throw new Error(t('errors.no-type'));
        const m = glob(config.ftype.trim());
        matches = (f) => m(f.type);
      } else if (selectBy === 'meta') {
        const rows = (config.metaFilter || []).filter((r) => r && r.key && r.key.trim());
        if (rows.length === 0) throw new Error(t('errors.no-filter'));
        matches = compileMetaFilter(rows);
      } else {
        throw new Error(t('errors.bad-select', { selectBy }));
      }
      if (!topicKey.startsWith('topic_')) throw new Error(t('errors.bad-topic-key', { key: topicKey }));
    } catch (err) {
      configError = (err as Error).message;
    }

    // A broken config node (no key, bad URL): its hub and catalog getters throw, so
    // neither is touched; register() shows its error status, the log names the fix once.
    if (srv.configError) {
      srv.register(node);
      node.error(srv.configError.message);
      deregisterOnClose(node, srv);
      return;
    }

    srv.register(node, { mqtt: true });
    if (configError) {
      node.status({ fill: 'red', shape: 'ring', text: t('status.config') });
      node.error(configError);
    }

    /** Set while the status shows this node's own error or warning, not the connection state. */
    let warned = false;
    const ownStatus = (st: NodeStatus) => {
      warned = true;
      node.status(st);
    };

    const topics = new Map<string, TopicEntry>();
    let clientId: number | string | null = null;
    let closed = false;
    let refreshing: Promise<void> | null = null;
    let again = false;

    // Hot path: one JSON.parse, one msg (with its lynx object) per function on the
    // topic; everything else was computed when the topic was subscribed.
    const sendValue = (te: TopicEntry, topic: string, value: unknown, timestamp: number | undefined, text: string | undefined) => {
      if (onlyChange) {
        const key = `${typeof value}:${String(value)}\u0000${text ?? ''}`;
        if (key === te.last) return;
        te.last = key;
      }
      const fns = te.fns;
      for (let i = 0; i < fns.length; i++) {
        const fe = fns[i];
        node.send({
          topic,
          payload: wholeObject ? lynxObject(value, timestamp, text) : value,
          lynx: {
            installation_id: iid,
            client_id: clientId,
            function: fe.info,
            timestamp,
            text,
            formatted: fe.pres.format(value, text),
          },
        } as unknown as NodeMessage);
      }
    };

    const sendRaw = (te: TopicEntry, topic: string, raw: string, error: string) => {
      const now = Date.now();
      if (now - te.warnedAt >= WARN_INTERVAL_MS) {
        te.warnedAt = now;
        node.warn(t('warn.bad-payload', { topic, error }));
      }
      if (onlyChange) {
        const key = `raw:${raw}`;
        if (key === te.last) return;
        te.last = key;
      }
      for (const fe of te.fns) {
        node.send({
          topic,
          payload: raw,
          lynx: { installation_id: iid, client_id: clientId, function: fe.info, error },
        } as unknown as NodeMessage);
      }
    };

    const deliver = (te: TopicEntry, topic: string, d: Decoded) => {
      if (d.ok) sendValue(te, topic, d.value, d.timestamp, d.msg);
      else sendRaw(te, topic, d.raw as string, d.error as string);
    };

    const subscribe = (te: TopicEntry) => {
      te.sub = srv.hub.subscribe(node.id, te.topic, (topic: string, buf: Buffer) => {
        te.seen = true;
        let o: { value?: unknown; timestamp?: unknown; msg?: unknown } | null = null;
        try {
          o = JSON.parse(buf.toString());
        } catch {
          o = null;
        }
        if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
          sendValue(te, topic, o.value, typeof o.timestamp === 'number' ? o.timestamp : undefined, typeof o.msg === 'string' ? o.msg : undefined);
        } else {
          // Not Lynx JSON: the codec says precisely what is wrong.
          deliver(te, topic, decodeLynxPayload(buf) as Decoded);
        }
      });
    };

    const entryFor = (f: FunctionLike): FnEntry => {
      const meta = { ...(f.meta || {}) };
      return {
        id: f.id,
        info: deepFreeze({ id: f.id, type: f.type, meta }),
        pres: presenter(meta),
        signature: `${f.type}\u0000${JSON.stringify(meta)}`,
      };
    };

    /** Bring subscriptions in line with the installation's current function list. */
    const sync = async (): Promise<number> => {
      const catalog = srv.catalog;
      if (clientId === null) {
        const insts = (await catalog.installations()) as Array<{ id: number; client_id: number | string }>;
        const inst = insts.find((i) => Number(i.id) === iid);
        if (!inst) throw new Error(t('errors.no-installation', { id: iid }));
        clientId = inst.client_id;
      }
      const fns = (await catalog.functions(iid)) as FunctionLike[];
      if (closed) return 0;
      const wanted = new Map<string, FnEntry[]>();
      let matched = 0;
      let missingKey = 0;
      for (const f of fns) {
        if (!matches(f)) continue;
        matched++;
        const mt = f.meta && f.meta[topicKey];
        if (!mt) { missingKey++; continue; }
        const topic = fullTopic(clientId, mt);
        let list = wanted.get(topic);
        if (!list) wanted.set(topic, (list = []));
        list.push(entryFor(f));
      }
      for (const [topic, te] of topics) {
        if (!wanted.has(topic)) {
          te.sub?.unsubscribe();
          topics.delete(topic);
        }
      }
      for (const [topic, list] of wanted) {
        const te = topics.get(topic);
        if (te) {
          // Same topic: keep the subscription, take the new meta (state names, format, unit...).
          const old = te.fns.map((e) => e.signature).join('\u0001');
          const neu = list.map((e) => e.signature).join('\u0001');
          if (old !== neu) te.fns = list;
        } else {
          const entry: TopicEntry = { topic, fns: list, sub: null, last: undefined, seen: false, warnedAt: 0 };
          try {
            subscribe(entry);
            topics.set(topic, entry);
          } catch (err) {
            // One function with an unusable topic must not stop the others.
            node.warn(t('warn.bad-topic', { topic, id: list[0].id, message: (err as Error).message }));
          }
        }
      }
      if (matched === 0) {
        ownStatus({ fill: 'yellow', shape: 'ring', text: t('status.no-match') });
      } else if (topics.size === 0 || (missingKey > 0 && selectBy === 'function')) {
        ownStatus({ fill: 'yellow', shape: 'ring', text: t('status.no-topic', { key: topicKey }) });
      } else if (warned) {
        // In sync again: the connection state replaces an earlier error or warning.
        warned = false;
        node.status(srv.connectionStatus());
      }
      return topics.size;
    };

    const refresh = (): Promise<void> => {
      if (refreshing) { again = true; return refreshing; }
      refreshing = (async () => {
        do {
          again = false;
          try {
            await sync();
          } catch (err) {
            if (closed) return;
            ownStatus({ fill: 'red', shape: 'ring', text: t('status.error') });
            node.error(t('errors.load', { id: iid, message: (err as Error).message }));
          }
        } while (again && !closed);
      })().finally(() => { refreshing = null; });
      return refreshing;
    };

    const sendLatest = async () => {
      let entries: Array<{ topic: string; value: unknown; timestamp?: number; msg?: string }>;
      try {
        entries = (await srv.catalog.latestStatus(iid)) as typeof entries;
      } catch (err) {
        if (!closed) node.warn(t('warn.latest', { id: iid, message: (err as Error).message }));
        return;
      }
      if (closed || clientId === null) return;
      for (const e of entries || []) {
        if (!e || typeof e.topic !== 'string') continue;
        const topic = fullTopic(clientId, e.topic);
        const te = topics.get(topic);
        if (!te || te.seen) continue; // a live value already went out: it is newer
        te.seen = true;
        const d: Decoded = { ok: true, value: e.value, timestamp: e.timestamp, msg: e.msg };
        deliver(te, topic, d);
      }
    };

    const onFunctions = (changed: unknown) => {
      if (closed || Number(changed) !== iid) return;
      void refresh();
    };

    if (!configError) {
      srv.catalog.on('functions', onFunctions);
      void refresh().then(() => (emitLatest && !closed && topics.size > 0 ? sendLatest() : undefined));
    }

    deregisterOnClose(node, srv, () => {
      closed = true;
      if (!configError) srv.catalog.off('functions', onFunctions);
      for (const te of topics.values()) te.sub?.unsubscribe();
      topics.clear();
    });
  }

  RED.nodes.registerType(TYPE, FunctionxIn as never);
};
