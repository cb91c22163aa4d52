// MqttHub: the one MQTT connection of a config node, shared by all its nodes.
//
// - connects on the first acquire(), disconnects on the last release();
// - subscriptions are ref-counted per filter (one SUBSCRIBE on the first,
//   one UNSUBSCRIBE on the last) and dispatched through a topic trie;
// - its own reconnect loop (mqtt.js's is off): exponential backoff with full
//   jitter between minReconnectMs and maxReconnectMs, reset once a connection
//   has been stable for stableMs; a fresh password is fetched at each connect;
// - publishes made while offline wait in a bounded queue and go out in order,
//   once, after the next connect; one in flight when the link drops is sent
//   again (QoS 1 is at-least-once).
//
// Single hand-over: every connection attempt gets a fresh mqtt.js client
// with its own in-memory stores, and a client that lost its connection is
// force-ended and never reconnected. Messages it had not yet acknowledged are
// moved back to the head of our queue, so only our queue ever re-sends them:
// mqtt.js's outgoing store can not send a second copy.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { TopicTrie, validateFilter, validateTopic } from './trie';

export type HubStateName = 'connecting' | 'connected' | 'disconnected' | 'auth-failed' | 'closed';

export interface HubState {
  state: HubStateName;
  /** Why the hub is not connected, in words a user can act on. */
  reason?: string;
  /** Messages waiting for the connection. */
  queued: number;
}

export interface HubTlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface MqttHubOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker. */
  url: string;
  /** MQTT username (Lynx accepts any); default 'node-red'. */
  username?: string;
  /**
   * The password (API key or login token), fetched again at every connect. `refresh` is true
   * after the broker refused the last one, so a login token can be renewed.
   */
  password?: (ctx: { refresh: boolean }) => string | Promise<string>;
  /** Client id prefix; a random suffix is always added. Default 'nr-iotopen-'. */
  clientIdPrefix?: string;
  tls?: HubTlsOptions;
  /** Bound of the offline queue (default 1000); on overflow the oldest message is dropped. */
  queueLimit?: number;
  /**
   * When set, broker subscriptions are `$share/<group>/<filter>` so several Node-RED instances
   * split the stream; a subscription made with `{ shared: false }` (e.g. the catalog's change
   * events, which every instance needs) is not shared.
   */
  shareGroup?: string;
  minReconnectMs?: number;
  maxReconnectMs?: number;
  /** A connection up this long resets the backoff (default 30000). */
  stableMs?: number;
  /** How long to wait for CONNACK (default 15000). */
  connectTimeoutMs?: number;
  keepaliveSec?: number;
  log?: { warn(msg: string): void; info?(msg: string): void };
}

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
}

export interface PublishResult {
  /** true when the message went to the offline queue instead of the broker. */
  queued: boolean;
}

export type MessageHandler = (topic: string, payload: Buffer) => void;

export interface Subscription {
  readonly owner: string;
  readonly filter: string;
  unsubscribe(): void;
}

interface OutItem {
  seq: number;
  topic: string;
  payload: string | Buffer;
  qos: 0 | 1;
  retain: boolean;
  /** Pending caller promise; cleared once settled. */
  resolve?: (r: PublishResult) => void;
  reject?: (err: Error) => void;
}

interface SubHandle extends Subscription {
  handler: MessageHandler;
  qos: 0 | 1;
  active: boolean;
}

interface FilterEntry {
  filter: string;
  qos: 0 | 1;
  /** Subscribed through the share group (decided by the filter's first subscriber). */
  shared: boolean;
  subs: Set<SubHandle>;
}

const AUTH_CODES = new Set([4, 5, 134, 135]);
/** Least time between two queue-length announcements while offline. */
const QUEUE_ANNOUNCE_MS = 1000;

export class MqttHub extends EventEmitter {
  private readonly opts: Required<Pick<MqttHubOptions, 'username' | 'clientIdPrefix' | 'queueLimit' | 'minReconnectMs' | 'maxReconnectMs' | 'stableMs' | 'connectTimeoutMs' | 'keepaliveSec'>> & MqttHubOptions;
  private readonly clientId: string;
  private readonly hostLabel: string;
  private readonly owners = new Set<string>();
  private readonly filters = new Map<string, FilterEntry>();
  private readonly trie = new TopicTrie<FilterEntry>();
  private queue: OutItem[] = [];
  private readonly inflight = new Map<number, OutItem>();
  private client: MqttClient | null = null;
  /** Bumped at every connection attempt and teardown; callbacks of older attempts are ignored. */
  private gen = 0;
  private seq = 0;
  private attempt = 0;
  /** Consecutive refusals of our credentials by the broker (reset on CONNACK success). */
  private authFailures = 0;
  private queueTimer: NodeJS.Timeout | null = null;
  private lastQueueAnnounce = 0;
  private dropped = 0;
  private lastDropWarn = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private stableTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private current: HubState = { state: 'disconnected', reason: 'not started', queued: 0 };

  constructor(options: MqttHubOptions) {
    super();
    if (!options || typeof options.url !== 'string' || !/^(mqtts?|wss?|tcp|ssl):\/\//.test(options.url)) {
      throw new Error(`MQTT url must start with mqtt://, mqtts://, ws:// or wss://, got ${JSON.stringify(options && options.url)}`);
    }
    this.opts = {
      username: 'node-red',
      clientIdPrefix: 'nr-iotopen-',
      queueLimit: 1000,
      minReconnectMs: 1000,
      maxReconnectMs: 60000,
      stableMs: 30000,
      connectTimeoutMs: 15000,
      keepaliveSec: 30,
      ...stripUndefined(options),
      url: options.url,
    };
    if (this.opts.maxReconnectMs < this.opts.minReconnectMs) this.opts.maxReconnectMs = this.opts.minReconnectMs;
    this.clientId = this.opts.clientIdPrefix + randomBytes(6).toString('hex');
    this.hostLabel = describeUrl(options.url);
  }

  /** The last state emitted. */
  get state(): HubState {
    return { ...this.current, queued: this.queue.length };
  }

  get connected(): boolean {
    return this.current.state === 'connected';
  }

  /** Messages waiting for the connection. */
  get queued(): number {
    return this.queue.length;
  }

  /** Number of distinct topic filters subscribed at the broker. */
  get subscriptionCount(): number {
    return this.filters.size;
  }

  /** Registers a user of the connection; the first one connects. */
  acquire(ownerId: string): void {
    if (this.closed) throw new Error('MQTT hub is closed');
    const first = this.owners.size === 0;
    this.owners.add(ownerId);
    if (first && !this.client && !this.retryTimer) void this.openConnection();
  }

  /** Removes a user; the last one disconnects (queued messages stay for the next connection). */
  release(ownerId: string): void {
    if (!this.owners.delete(ownerId) || this.owners.size > 0 || this.closed) return;
    this.gen++;
    this.clearTimers();
    this.attempt = 0;
    this.dropClient(false);
    this.setState('disconnected', 'no node uses the connection');
  }

  subscribe(ownerId: string, filter: string, handler: MessageHandler, options: { qos?: 0 | 1; shared?: boolean } = {}): Subscription {
    if (this.closed) throw new Error('MQTT hub is closed');
    validateFilter(filter);
    if (typeof handler !== 'function') throw new Error('subscribe needs a handler function');
    const qos: 0 | 1 = options.qos === 1 ? 1 : 0;
    let entry = this.filters.get(filter);
    const handle: SubHandle = {
      owner: ownerId,
      filter,
      handler,
      qos,
      active: true,
      unsubscribe: () => this.unsubscribeHandle(handle),
    };
    if (!entry) {
      entry = { filter, qos, shared: options.shared !== false, subs: new Set() };
      this.filters.set(filter, entry);
      this.trie.add(filter, entry);
      entry.subs.add(handle);
      this.brokerSubscribe([entry]);
    } else {
      entry.subs.add(handle);
      if (qos > entry.qos) {
        entry.qos = qos;
        this.brokerSubscribe([entry]);
      }
    }
    return handle;
  }

  /**
   * Publishes a message. Connected: resolves `{queued:false}` after the PUBACK
   * (QoS 1) or once written (QoS 0). Not connected: the message, QoS 0 as well
   * as QoS 1, joins the bounded offline queue and the promise resolves
   * `{queued:true}` at once; the queue is sent in order after the next connect.
   * QoS 0 messages are therefore never silently lost while offline; only a
   * queue overflow drops messages (the oldest first, with a warning).
   */
  publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new Error('MQTT hub is closed: the message was not sent'));
    try {
      validateTopic(topic);
    } catch (err) {
      return Promise.reject(err);
    }
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) {
      return Promise.reject(new Error(`MQTT payload must be a string or a Buffer, got ${payload === null ? 'null' : typeof payload}`));
    }
    const qos = options.qos === undefined ? 0 : options.qos;
    if (qos !== 0 && qos !== 1) return Promise.reject(new Error(`qos must be 0 or 1, got ${JSON.stringify(options.qos)}`));
    return new Promise<PublishResult>((resolve, reject) => {
      const item: OutItem = { seq: ++this.seq, topic, payload, qos, retain: options.retain === true, resolve, reject };
      if (this.client && this.connected) this.send(this.client, item);
      else this.enqueue([item], false);
    });
  }

  /** Ends the connection and stops reconnecting; bounded (< 2 s) even when the broker does not answer. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gen++;
    this.clearTimers();
    this.owners.clear();
    const client = this.client;
    this.client = null;
    for (const item of this.inflight.values()) settle(item, new Error('MQTT connection closed before the broker acknowledged the message'));
    this.inflight.clear();
    if (this.queue.length) this.opts.log?.warn(`MQTT: ${this.queue.length} queued message(s) discarded: the connection was closed before they could be sent`);
    this.queue = [];
    for (const entry of this.filters.values()) for (const h of entry.subs) h.active = false;
    this.filters.clear();
    if (client) await endClient(client, 1500);
    this.setState('closed');
    this.removeAllListeners('message');
  }

  // ---- connection ------------------------------------------------------

  private async openConnection(): Promise<void> {
    const gen = ++this.gen;
    this.retryTimer = null;
    this.setState('connecting');
    let password: string | undefined;
    try {
      password = this.opts.password ? await this.opts.password({ refresh: this.authFailures > 0 }) : undefined;
    } catch (err) {
      if (gen !== this.gen || this.closed) return;
      const e = err as { code?: string; message?: string };
      const auth = e && (e.code === 'EAUTH' || e.code === 'E2FA');
      this.failed(auth ? 'auth-failed' : 'disconnected', `could not get the MQTT password: ${e && e.message ? e.message : String(err)}`);
      return;
    }
    if (gen !== this.gen || this.closed || this.owners.size === 0) return;
    const o = this.opts;
    const options: IClientOptions = {
      clientId: this.clientId,
      username: o.username,
      password,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs,
      keepalive: o.keepaliveSec,
      queueQoSZero: false,
      resubscribe: false,
      ...((o.tls || {}) as Partial<IClientOptions>),
    };
    let lastError: (Error & { code?: string | number }) | undefined;
    const client = connect(o.url, options);
    this.client = client;
    client.on('error', (err) => {
      lastError = err as Error & { code?: string | number };
    });
    client.on('connect', () => {
      if (gen === this.gen && this.client === client) this.onConnected(client);
    });
    client.on('message', (topic, payload) => {
      if (gen === this.gen) this.dispatch(topic, payload);
    });
    client.on('close', () => {
      if (gen !== this.gen || this.client !== client) return;
      const wasConnected = this.connected;
      this.dropClient(true);
      const code = lastError ? lastError.code : undefined;
      if (typeof code === 'number' && AUTH_CODES.has(code)) {
        this.failed('auth-failed', `the broker at ${this.hostLabel} rejected the credentials (CONNACK ${code}: ${lastError!.message.replace(/^Connection refused: /, '')}): check the API key or login of the config node`);
      } else {
        this.failed('disconnected', this.describeError(lastError, wasConnected));
      }
    });
  }

  private onConnected(client: MqttClient): void {
    this.authFailures = 0;
    this.setState('connected');
    this.opts.log?.info?.(`MQTT connected to ${this.hostLabel}`);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => {
      this.stableTimer = null;
      this.attempt = 0;
    }, this.opts.stableMs);
    this.stableTimer.unref();
    // One SUBSCRIBE with every filter.
    this.brokerSubscribe([...this.filters.values()]);
    if (this.queue.length) {
      const items = this.queue;
      this.queue = [];
      if (this.dropped) this.opts.log?.warn(`MQTT: sending ${items.length} queued message(s); ${this.dropped} were dropped while offline because the queue was full`);
      this.dropped = 0;
      for (const item of items) this.send(client, item);
    }
  }

  /** Detaches the current client: its unacknowledged messages go back to the queue head; the client is force-ended. */
  private dropClient(lost: boolean): void {
    const client = this.client;
    this.client = null;
    if (this.stableTimer) {
      clearTimeout(this.stableTimer);
      this.stableTimer = null;
    }
    if (this.inflight.size) {
      const back = [...this.inflight.values()];
      this.inflight.clear();
      this.enqueue(back, true);
    }
    if (client) {
      client.removeAllListeners('message');
      client.removeAllListeners('connect');
      if (!lost) client.removeAllListeners('close');
      client.end(true);
    }
  }

  private failed(state: 'disconnected' | 'auth-failed', reason: string): void {
    this.setState(state, reason);
    if (this.closed || this.owners.size === 0) return;
    // A first refusal is retried soon with a refreshed password (an expired login token is
    // renewed); refusals after that wait the longest delay: no storm of bad logins.
    const repeatedAuthFailure = state === 'auth-failed' && this.authFailures++ > 0;
    const delay = repeatedAuthFailure ? this.opts.maxReconnectMs : this.nextDelay();
    this.opts.log?.warn(`MQTT ${state === 'auth-failed' ? 'authentication failed' : 'disconnected'}: ${reason}; retrying in ${Math.round(delay / 100) / 10} s`);
    this.retryTimer = setTimeout(() => void this.openConnection(), delay);
  }

  /** Full jitter: uniform between min and min(max, min * 2^attempt). */
  private nextDelay(): number {
    const { minReconnectMs: min, maxReconnectMs: max } = this.opts;
    const cap = Math.min(max, min * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return min + Math.random() * (cap - min);
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    if (this.queueTimer) clearTimeout(this.queueTimer);
    this.retryTimer = null;
    this.stableTimer = null;
    this.queueTimer = null;
  }

  private describeError(err: (Error & { code?: string | number }) | undefined, wasConnected: boolean): string {
    const code = err ? err.code : undefined;
    if (!err) return wasConnected ? `connection to ${this.hostLabel} lost` : `could not connect to ${this.hostLabel}`;
    if (code === 'ECONNREFUSED') return `${this.hostLabel} refused the connection: is the broker running and the port right?`;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve ${this.hostLabel}: check the MQTT URL`;
    if (code === 'ECONNRESET' || code === 'EPIPE') return `connection to ${this.hostLabel} was reset`;
    if (code === 'ETIMEDOUT' || /timeout/i.test(err.message)) return `no answer from ${this.hostLabel} (timed out)`;
    if (typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED/.test(code)) return `TLS error with ${this.hostLabel}: ${err.message}`;
    if (typeof code === 'number') return `the broker at ${this.hostLabel} refused the connection (CONNACK ${code}: ${err.message.replace(/^Connection refused: /, '')})`;
    return `${wasConnected ? 'connection lost' : 'could not connect'} (${this.hostLabel}): ${err.message}`;
  }

  // ---- publish / queue -------------------------------------------------

  private send(client: MqttClient, item: OutItem): void {
    this.inflight.set(item.seq, item);
    client.publish(item.topic, item.payload, { qos: item.qos, retain: item.retain }, (err) => {
      if (this.inflight.get(item.seq) !== item) return; // already moved back to the queue
      if (err && (!client.connected || this.client !== client)) return; // connection lost: 'close' requeues it
      this.inflight.delete(item.seq);
      settle(item, err || undefined);
    });
  }

  /** Adds items to the queue (at the head when `front`), resolving their callers `{queued:true}`; drops the oldest beyond the limit. */
  private enqueue(items: OutItem[], front: boolean): void {
    for (const item of items) {
      if (item.resolve) {
        item.resolve({ queued: true });
        item.resolve = undefined;
        item.reject = undefined;
      }
    }
    if (front) this.queue = items.concat(this.queue);
    else for (const item of items) this.queue.push(item);
    const limit = Math.max(0, this.opts.queueLimit);
    if (this.queue.length > limit) {
      const n = this.queue.length - limit;
      this.queue.splice(0, n);
      this.dropped += n;
      const now = Date.now();
      if (this.dropped === n || now - this.lastDropWarn >= 10000) {
        this.lastDropWarn = now;
        this.opts.log?.warn(`MQTT offline queue full (limit ${limit}): dropped the oldest message(s), ${this.dropped} dropped so far; raise the queue limit of the config node or check the connection`);
      }
    }
    this.announceQueue();
  }

  /**
   * Tells listeners the queue length changed while offline: at once for the first change,
   * then at most once a second (the last count always arrives). Every listener is a node
   * status update, so 500 nodes and 1000 queued writes must not make 500 000 of them.
   */
  private announceQueue(): void {
    if (this.current.state === 'connected' || this.current.state === 'closed' || this.queueTimer) return;
    const wait = this.lastQueueAnnounce + QUEUE_ANNOUNCE_MS - Date.now();
    if (wait <= 0) {
      this.lastQueueAnnounce = Date.now();
      this.emit('state', this.state);
      return;
    }
    this.queueTimer = setTimeout(() => {
      this.queueTimer = null;
      this.announceQueue();
    }, wait);
    this.queueTimer.unref();
  }

  // ---- subscriptions ---------------------------------------------------

  private brokerFilter(entry: FilterEntry): string {
    return this.opts.shareGroup && entry.shared ? `$share/${this.opts.shareGroup}/${entry.filter}` : entry.filter;
  }

  private brokerSubscribe(entries: FilterEntry[]): void {
    const client = this.client;
    if (!client || !this.connected || entries.length === 0) return;
    const map: Record<string, { qos: 0 | 1 }> = {};
    for (const e of entries) map[this.brokerFilter(e)] = { qos: e.qos };
    client.subscribe(map, (err, granted) => {
      if (err) {
        if (this.client === client && this.connected) this.opts.log?.warn(`MQTT subscribe failed: ${err.message}`);
        return;
      }
      for (const g of granted || []) {
        if (g.qos === 128) this.opts.log?.warn(`MQTT: the broker refused the subscription to "${g.topic}": check the topic and the rights of the API key`);
      }
    });
  }

  private unsubscribeHandle(handle: SubHandle): void {
    if (!handle.active) return;
    handle.active = false;
    const entry = this.filters.get(handle.filter);
    if (!entry || !entry.subs.delete(handle)) return;
    if (entry.subs.size > 0) return;
    this.filters.delete(entry.filter);
    this.trie.remove(entry.filter, entry);
    const client = this.client;
    if (client && this.connected) {
      client.unsubscribe(this.brokerFilter(entry), (err?: Error) => {
        // A connection being closed takes its subscriptions with it (clean session): only a
        // failure on the connection still in use is worth a warning.
        if (err && this.client === client && this.connected) this.opts.log?.warn(`MQTT unsubscribe from "${entry.filter}" failed: ${err.message}`);
      });
    }
  }

  private dispatch(topic: string, payload: Buffer): void {
    // Each filter is one entry, so no entry is visited twice.
    this.trie.forEachMatch(topic, (entry) => {
      for (const h of entry.subs) {
        if (!h.active) continue;
        try {
          h.handler(topic, payload);
        } catch (err) {
          this.opts.log?.warn(`MQTT handler of ${h.owner} for "${entry.filter}" threw: ${(err as Error).message}`);
        }
      }
    });
  }

  private setState(state: HubStateName, reason?: string): void {
    this.current = { state, reason, queued: this.queue.length };
    this.emit('state', this.state);
  }
}

function settle(item: OutItem, err?: Error): void {
  const { resolve, reject } = item;
  item.resolve = undefined;
  item.reject = undefined;
  if (err) reject?.(err);
  else resolve?.({ queued: false });
}

function endClient(client: MqttClient, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    try {
      client.end(true, {}, () => {
        clearTimeout(t);
        resolve();
      });
    } catch {
      clearTimeout(t);
      resolve();
    }
  });
}

/** protocol://host:port, without any credentials the URL may hold. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the broker';
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
