// iotopen-functionx-in: values of FunctionX topics, live from the Lynx broker.
// Selects functions by id, by type or by meta filter, follows the installation's
// function list live (subscribes/unsubscribes the difference, no redeploy:
// planTopics in src/lynx/follow.ts), and enriches each value with what the
// function says about it. Everything a message needs except its value is
// computed when a topic is subscribed, not per message.
import type { NodeAPI, NodeDef, NodeMessage, NodeStatus } from 'node-red';
import { defineNode, type Ctx as FrameCtx } from '../lib/frame';
import type { Fields } from '../lib/fields';
import { lynxObject, readLynxPayload, type PayloadSink } from '../../src/lynx/codec';
import { functionSelector, planTopics, signature } from '../../src/lynx/follow';
import { presenter, type FunctionLike, type Presenter } from '../../src/lynx/present';
import { fullTopic } from '../../src/lynx/topics';
import { chartPoint, seriesName } from '../../src/lynx/chart';
import { positiveId, topicKey } from '../../src/lynx/values';

const WARN_INTERVAL_MS = 10_000;

interface Def extends NodeDef {
  server: string;
  selectBy?: 'function' | 'type' | 'meta';
  installation?: string | number;
  function?: string | number;
  ftype?: string;
  metaFilter?: Array<{ key: string; value: string }>;
  topicKey?: string;
  /** value (default): payload the value; object: {value, timestamp, msg}; chart: topic the series name, payload {x: ms, y}. */
  output?: 'value' | 'object' | 'chart';
  onlyChange?: boolean;
  emitLatest?: boolean;
}

/** One function followed by this node; `info` goes out as msg.lynx.function. */
interface FnEntry {
  info: Readonly<{ id: number; type: string; meta: Readonly<Record<string, string>> }>;
  pres: Presenter;
  /** The chart series name (src/lynx/chart.ts seriesName), as the log node's chart format names it. */
  series: string;
}

/** One subscribed topic (normally one function; several when functions share a topic). */
interface TopicEntry {
  fns: FnEntry[];
  signature: string;
  sub: { unsubscribe(): void } | null;
  last: string | undefined;
  seen: boolean;
  warnedAt: number;
}

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}

function entryFor(f: FunctionLike): FnEntry {
  const meta = { ...(f.meta || {}) };
  return { info: deepFreeze({ id: f.id, type: f.type, meta }), pres: presenter(meta), series: seriesName(f, '') };
}

const FIELDS = {
  installation: { setting: 'installation', check: (v, at) => positiveId(v, at.label) },
  topicKey: { setting: 'topicKey', name: 'Topic key', default: 'topic_read', check: (v, at) => topicKey(v, at.label) },
} satisfies Fields;

type Ctx = FrameCtx<Def>;

/**
 * One deployed node: its state in fields, its work in shared methods (a flow may
 * hold thousands of these nodes: each costs its fields and its subscriptions).
 */
class Follower implements PayloadSink<TopicEntry, string> {
  readonly topics = new Map<string, TopicEntry>();
  clientId: number | string | null = null;
  closed = false;
  refreshing: Promise<void> | null = null;
  again = false;
  /** Set while the status shows this node's own error or warning, not the connection state. */
  warned = false;
  readonly wholeObject: boolean;
  readonly chart: boolean;
  readonly onlyChange: boolean;
  readonly byFunction: boolean;
  readonly onFunctions = (changed: unknown): void => {
    if (!this.closed && Number(changed) === this.iid) void this.refresh();
  };

  constructor(
    readonly ctx: Ctx,
    readonly iid: number,
    readonly key: string,
    readonly matches: (f: FunctionLike) => boolean,
  ) {
    const c = ctx.config;
    this.wholeObject = c.output === 'object';
    this.chart = c.output === 'chart';
    this.onlyChange = !!c.onlyChange;
    this.byFunction = (c.selectBy || 'function') === 'function';
  }

  ownStatus(st: NodeStatus): void {
    this.warned = true;
    this.ctx.node.status(st);
  }

  // Hot path: one JSON.parse (readLynxPayload), one msg (with its lynx object) per
  // function on the topic; everything else was computed when the topic was subscribed.
  lynxValue(te: TopicEntry, topic: string, value: unknown, timestamp: number | undefined, text: string | undefined): void {
    if (this.onlyChange) {
      const k = `${typeof value}:${String(value)}\u0000${text ?? ''}`;
      if (k === te.last) return;
      te.last = k;
    }
    const fns = te.fns;
    const node = this.ctx.node;
    for (let i = 0; i < fns.length; i++) {
      const fe = fns[i];
      node.send({
        topic: this.chart ? fe.series || topic : topic,
        payload: this.chart ? chartPoint(timestamp, value) : this.wholeObject ? lynxObject({ value, timestamp, msg: text }) : value,
        lynx: {
          installation_id: this.iid,
          client_id: this.clientId,
          function: fe.info,
          timestamp,
          text,
          formatted: fe.pres.format(value, text),
        },
      } as unknown as NodeMessage);
    }
  }

  lynxRaw(te: TopicEntry, topic: string, raw: string, error: string): void {
    const now = Date.now();
    if (now - te.warnedAt >= WARN_INTERVAL_MS) {
      te.warnedAt = now;
      this.ctx.node.warn(this.ctx.t('warn.badPayload', { topic, error }));
    }
    if (this.onlyChange) {
      const k = `raw:${raw}`;
      if (k === te.last) return;
      te.last = k;
    }
    for (const fe of te.fns) {
      this.ctx.node.send({
        // a chart point of a payload that is not Lynx JSON: a plain number ("21.5") is drawn now, anything else is a gap
        topic: this.chart ? fe.series || topic : topic,
        payload: this.chart ? chartPoint(undefined, raw) : raw,
        lynx: { installation_id: this.iid, client_id: this.clientId, function: fe.info, error },
      } as unknown as NodeMessage);
    }
  }

  /** Bring subscriptions in line with the installation's current function list. */
  async sync(): Promise<void> {
    const { ctx, topics } = this;
    const { node, server, t } = ctx;
    if (this.clientId === null) this.clientId = (await ctx.installation(this.iid, 'installation')).client_id;
    const fns = (await server.catalog.functions(this.iid)) as FunctionLike[];
    if (this.closed) return;
    const current = new Map([...topics].map(([topic, te]) => [topic, te.signature]));
    const plan = planTopics(fns, this.matches, this.key, this.clientId, current);
    for (const topic of plan.remove) {
      topics.get(topic)?.sub?.unsubscribe();
      topics.delete(topic);
    }
    for (const topic of plan.changed) {
      // Same topic: keep the subscription, take the new meta (state names, format, unit...).
      const list = plan.wanted.get(topic)!;
      Object.assign(topics.get(topic)!, { fns: list.map(entryFor), signature: signature(list) });
    }
    for (const topic of plan.add) {
      const list = plan.wanted.get(topic)!;
      const te: TopicEntry = { fns: list.map(entryFor), signature: signature(list), sub: null, last: undefined, seen: false, warnedAt: 0 };
      try {
        te.sub = server.hub.subscribe(node.id, topic, (tp: string, buf: Buffer) => {
          te.seen = true;
          readLynxPayload(buf, this, te, tp);
        });
        topics.set(topic, te);
      } catch (err) {
        // One function with an unusable topic must not stop the others.
        node.warn(t('warn.badTopic', { topic, id: list[0].id, message: (err as Error).message }));
      }
    }
    if (plan.matched === 0) {
      this.ownStatus({ fill: 'yellow', shape: 'ring', text: t('status.noMatch') });
    } else if (topics.size === 0 || (plan.missingKey > 0 && this.byFunction)) {
      this.ownStatus({ fill: 'yellow', shape: 'ring', text: t('status.noTopic', { key: this.key }) });
    } else if (this.warned) {
      // In sync again: the connection state replaces an earlier error or warning.
      this.warned = false;
      node.status(server.connectionStatus());
    }
  }

  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          await this.sync();
        } catch (err) {
          if (this.closed) return;
          this.ownStatus(this.ctx.errorStatus(err));
          this.ctx.node.error(this.ctx.t('errors.load', { id: this.iid, message: this.ctx.nodeError(err).message }));
        }
      } while (this.again && !this.closed);
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async sendLatest(): Promise<void> {
    let entries: Array<{ topic: string; value: unknown; timestamp?: number; msg?: string }>;
    try {
      entries = (await this.ctx.server.catalog.latestStatus(this.iid)) as typeof entries;
    } catch (err) {
      if (!this.closed) this.ctx.node.warn(this.ctx.t('warn.latest', { id: this.iid, message: (err as Error).message }));
      return;
    }
    if (this.closed || this.clientId === null) return;
    for (const e of entries || []) {
      if (!e || typeof e.topic !== 'string') continue;
      const topic = fullTopic(this.clientId, e.topic);
      const te = this.topics.get(topic);
      if (!te || te.seen) continue; // a live value already went out: it is newer
      te.seen = true;
      this.lynxValue(te, topic, e.value, e.timestamp, e.msg);
    }
  }

  start(): void {
    this.ctx.server.catalog.on('functions', this.onFunctions);
    void this.refresh().then(() => (this.ctx.config.emitLatest && !this.closed && this.topics.size > 0 ? this.sendLatest() : undefined));
  }

  close(): void {
    this.closed = true;
    this.ctx.server.catalog.off('functions', this.onFunctions);
    for (const te of this.topics.values()) te.sub?.unsubscribe();
    this.topics.clear();
  }
}

export = function register(RED: NodeAPI): void {
  defineNode<Def, typeof FIELDS>(RED, 'iotopen-functionx-in', {
    inputs: 0,
    mqtt: true,
    fields: FIELDS,
    setup(ctx, fixed) {
      const follower = new Follower(ctx, fixed.installation as number, fixed.topicKey as string, functionSelector(ctx.config));
      follower.start();
      return follower;
    },
  });
};
