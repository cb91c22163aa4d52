// MqttHub: the one MQTT connection of a config node, shared by all its nodes.
//
// - connects on the first acquire(), disconnects on the last release();
// - subscriptions are ref-counted per filter (one SUBSCRIBE on the first,
//   one UNSUBSCRIBE on the last) and dispatched through a topic trie;
// - its own reconnect loop (mqtt.js's is off): the n-th retry after a failure
//   waits a random time in [d/2, d], d = min(maxReconnectMs, minReconnectMs * 2^n)
//   (defaults 0.5 s and 4 s: a broker back after any outage is retried within
//   4 s, and a hundred hubs do not retry in step). The count starts again at
//   every CONNACK; a connection that ends within stableMs of its CONNACK (a
//   flapping broker) makes the next retry wait the longest delay, so a broker
//   that accepts and drops gets at most one attempt every maxReconnectMs / 2.
//   A refused login waits authRetryMs after its second refusal. A fresh password
//   is fetched at each connect;
// - publishes made while offline wait in a bounded queue and go out in order,
//   once, after the next connect; one in flight when the link drops is sent
//   again (QoS 1 is at-least-once). With `queueFile` the queue is journaled on
//   disk (queue-store.ts) before publish() resolves, and read back by the next
//   hub on that file. A queued message that is dropped (queue full, older than
//   maxQueueAgeMs, hub closed without a journal, `close({ discard: true })`)
//   is reported: its publish() rejects if still pending, else its `onDropped`
//   callback runs, and the hub emits 'dropped' either way;
// - the connection is wanted while a user holds the hub, for lingerMs after
//   the last one leaves, and while messages are queued; park()/unpark() (see
//   handover.ts) keep a hub, its queue and its open connection for a successor.
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
import { QueueJournal, type PublishOrigin, type StoredMessage } from './queue-store';

export type { PublishOrigin } from './queue-store';

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
  /** Bound of the offline queue (default 1000); on overflow the oldest message is dropped (and reported). */
  queueLimit?: number;
  /** A queued message older than this (ms since its publish) is dropped and reported; 0 or absent: no limit. */
  maxQueueAgeMs?: number;
  /**
   * Journal file of the offline queue (absent: memory only). Messages found there are queued
   * again at construction and sent after the next connect.
   */
  queueFile?: string;
  /**
   * What the journal's messages belong to (the broker and account, no secret): a file written
   * with another one is not sent; its messages are reported dropped (code ESETTINGS).
   */
  queueFingerprint?: string;
  /**
   * When set, broker subscriptions are `$share/<group>/<filter>` so several Node-RED instances
   * split the stream; a subscription made with `{ shared: false }` (e.g. the catalog's change
   * events, which every instance needs) is not shared.
   */
  shareGroup?: string;
  /** First retry delay bound (default 500). */
  minReconnectMs?: number;
  /** Longest retry delay (default 4000). */
  maxReconnectMs?: number;
  /** A connection that ends sooner than this after its CONNACK counts as a flap (default 10000). */
  stableMs?: number;
  /** Delay after a repeated refusal of the credentials (default 60000). */
  authRetryMs?: number;
  /** Keep the connection this long after the last user left (default 0: close at once). */
  lingerMs?: number;
  /** How long to wait for CONNACK (default 15000). */
  connectTimeoutMs?: number;
  keepaliveSec?: number;
  log?: { warn(msg: string): void; info?(msg: string): void };
}

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
  /** Who sent the message: kept (and journaled) with it while queued, given back when it is dropped. */
  origin?: PublishOrigin;
  /**
   * Called if the message, once queued (publish resolved `{queued: true}`), is dropped
   * unsent. Not kept across a restart: the hub's 'dropped' event carries `origin` then.
   */
  onDropped?: (err: QueueDropError) => void;
}

export type DropCode = 'EQUEUEFULL' | 'EEXPIRED' | 'EDISCARDED' | 'ECLOSED' | 'ESETTINGS' | 'EPUBLISH';

/** A queued message the hub could not keep: why (`code`), what (`topic`) and who sent it (`origin`). */
export class QueueDropError extends Error {
  constructor(
    message: string,
    readonly code: DropCode,
    readonly topic: string,
    readonly queuedAt: number,
    readonly origin?: PublishOrigin,
    readonly payload?: string | Buffer,
  ) {
    super(message);
    this.name = 'QueueDropError';
  }

  /** The message only, no "QueueDropError: " (as LynxError). */
  override toString(): string {
    return this.message;
  }
}

/** What a hub passes to its successor (handover.ts): the queue, in order. */
export interface QueueHandoff {
  readonly items: readonly unknown[];
  readonly seq: number;
  /** Report the items dropped with this code instead of sending them (another broker or account). */
  drop?: DropCode;
}

/** Emitted as 'retry' after each failed connection (attempt) with the delay chosen. */
export interface ReconnectEvent {
  /** Failed attempts since the last CONNACK. */
  attempt: number;
  delayMs: number;
  state: 'disconnected' | 'auth-failed';
  reason: string;
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

/** A queued write: what the journal keeps (queuedAt, from publish(), is what the age limit counts from), and its caller. */
interface OutItem extends StoredMessage {
  onDropped?: (err: QueueDropError) => void;
  /** Written to the journal (and not yet removed from it). */
  stored: boolean;
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
/** Least time between two "still disconnected" warnings with the same reason. */
const FAIL_WARN_MS = 60000;
/** Least time between two warnings that the journal cannot be written. */
const JOURNAL_WARN_MS = 60000;
/** At most this many messages are named in one warning. */
const NAMED = 5;

type Opts = Required<
  Pick<
    MqttHubOptions,
    | 'username'
    | 'clientIdPrefix'
    | 'queueLimit'
    | 'maxQueueAgeMs'
    | 'minReconnectMs'
    | 'maxReconnectMs'
    | 'stableMs'
    | 'authRetryMs'
    | 'lingerMs'
    | 'connectTimeoutMs'
    | 'keepaliveSec'
  >
> &
  MqttHubOptions;

/** Options a successor may change on a hub it takes over (handover.ts); the rest make up the connection. */
export type RebindOptions = Partial<
  Pick<
    MqttHubOptions,
    'password' | 'log' | 'queueLimit' | 'maxQueueAgeMs' | 'lingerMs' | 'minReconnectMs' | 'maxReconnectMs' | 'stableMs' | 'authRetryMs'
  >
>;

export class MqttHub extends EventEmitter {
  private opts: Opts;
  private readonly clientId: string;
  private readonly hostLabel: string;
  private readonly owners = new Set<string>();
  private readonly filters = new Map<string, FilterEntry>();
  private readonly trie = new TopicTrie<FilterEntry>();
  private queue: OutItem[] = [];
  private readonly inflight = new Map<number, OutItem>();
  private client: MqttClient | null = null;
  /** A connection attempt is fetching its password (no client yet). */
  private opening = false;
  /** Bumped at every connection attempt and teardown; callbacks of older attempts are ignored. */
  private gen = 0;
  private seq = 0;
  /** Backoff step: failed attempts since the last CONNACK, or the longest step after a flap. */
  private attempt = 0;
  /** Failed attempts since the last CONNACK (for the words of the log and the 'retry' event). */
  private failures = 0;
  private outageSince = 0;
  private connectedAt = 0;
  private attempts = 0;
  /** Consecutive refusals of our credentials by the broker (reset on CONNACK success). */
  private authFailures = 0;
  private queueTimer: NodeJS.Timeout | null = null;
  private lastQueueAnnounce = 0;
  private dropped = 0;
  private lastDropWarn = 0;
  private lastFailWarn = 0;
  private lastFailReason = '';
  private retryTimer: NodeJS.Timeout | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private journal: QueueJournal | null = null;
  private lastJournalWarn = 0;
  private parked = false;
  private closed = false;
  private current: HubState = { state: 'disconnected', reason: 'not started', queued: 0 };

  /**
   * `inherit` is for handover.ts only: the queue of a predecessor hub (its `surrender()`),
   * taken instead of the journal's messages.
   */
  constructor(options: MqttHubOptions, inherit?: QueueHandoff) {
    super();
    if (!options || typeof options.url !== 'string' || !/^(mqtts?|wss?|tcp|ssl):\/\//.test(options.url)) {
      throw new Error(`MQTT url must start with mqtt://, mqtts://, ws:// or wss://, got ${JSON.stringify(options && options.url)}`);
    }
    this.opts = {
      username: 'node-red',
      clientIdPrefix: 'nr-iotopen-',
      queueLimit: 1000,
      maxQueueAgeMs: 0,
      minReconnectMs: 500,
      maxReconnectMs: 4000,
      stableMs: 10000,
      authRetryMs: 60000,
      lingerMs: 0,
      connectTimeoutMs: 15000,
      keepaliveSec: 30,
      ...stripUndefined(options),
      url: options.url,
    };
    if (this.opts.maxReconnectMs < this.opts.minReconnectMs) this.opts.maxReconnectMs = this.opts.minReconnectMs;
    this.clientId = this.opts.clientIdPrefix + randomBytes(6).toString('hex');
    this.hostLabel = describeUrl(options.url);
    this.restoreQueue(inherit);
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

  /** Connection attempts made so far (each opens a TCP/TLS connection and sends CONNECT). */
  get connectAttempts(): number {
    return this.attempts;
  }

  /** The journal file of the queue, when there is one. */
  get queueFile(): string | undefined {
    return this.journal ? this.journal.file : undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Registers a user of the connection; the first one connects. */
  acquire(ownerId: string): void {
    if (this.closed) throw new Error('MQTT hub is closed');
    this.owners.add(ownerId);
    this.clearLinger();
    this.ensureConnecting();
  }

  /**
   * Removes a user; after the last one (and lingerMs) the connection closes, unless messages
   * are still queued or in flight: those go out first. Queued messages always stay.
   */
  release(ownerId: string): void {
    if (!this.owners.delete(ownerId) || this.owners.size > 0 || this.closed) return;
    this.startLinger();
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
   * as QoS 1, joins the bounded offline queue (and its journal, fsync'ed, when
   * there is one) and the promise resolves `{queued:true}`; the queue is sent in
   * order after the next connect. A queued message that can not be kept is
   * reported through `onDropped` and the 'dropped' event, never only logged.
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
      const item: OutItem = {
        seq: ++this.seq,
        topic,
        payload,
        qos,
        retain: options.retain === true,
        queuedAt: Date.now(),
        origin: options.origin,
        onDropped: typeof options.onDropped === 'function' ? options.onDropped : undefined,
        stored: false,
        resolve,
        reject,
      };
      if (this.client && this.connected) this.send(this.client, item);
      else {
        this.enqueue([item], false);
        this.ensureConnecting();
      }
    });
  }

  /** Changes what a successor may change (handover.ts): callbacks, limits and timings. */
  rebind(options: RebindOptions): void {
    this.opts = { ...this.opts, ...stripUndefined(options) };
    if (this.opts.maxReconnectMs < this.opts.minReconnectMs) this.opts.maxReconnectMs = this.opts.minReconnectMs;
    if (this.queue.length > Math.max(0, this.opts.queueLimit)) this.enqueue([], false);
    this.scheduleExpiry();
  }

  /**
   * Keeps the hub for a successor: no reconnects, no linger; an open connection and the
   * queue stay as they are. unpark() resumes.
   */
  park(): void {
    if (this.closed) return;
    this.parked = true;
    // The owners belonged to the closing instance: a late release of theirs must not count, and
    // the successor's nodes acquire again (with the same ids).
    this.owners.clear();
    this.clearLinger();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  unpark(): void {
    if (this.closed || !this.parked) return;
    this.parked = false;
    if (this.owners.size === 0) this.startLinger();
    this.ensureConnecting();
  }

  /**
   * Ends the connection and stops reconnecting; bounded (< 2 s) even when the broker does not
   * answer. Queued messages: with a journal they stay in its file for the next hub on it;
   * without one, or with `discard`, they are dropped and reported (ECLOSED / EDISCARDED) and
   * the file is deleted. A publish still waiting for its PUBACK rejects. `quiet` (shutdown,
   * tests: nobody is left to tell) drops without calling onDropped or emitting 'dropped'.
   */
  async close(options: { discard?: boolean; quiet?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (options.quiet) for (const item of [...this.inflight.values(), ...this.queue]) item.onDropped = undefined;
    if (options.quiet) this.removeAllListeners('dropped');
    this.gen++;
    this.clearTimers();
    this.owners.clear();
    const client = this.client;
    this.client = null;
    this.opening = false;
    // In flight: a caller still waiting for its PUBACK learns it from its promise; a message
    // queued earlier (its caller was told "queued") is kept or reported like the queue.
    const queued: OutItem[] = [];
    for (const item of this.inflight.values()) {
      if (item.resolve) settle(item, new Error('MQTT connection closed before the broker acknowledged the message'));
      else queued.push(item);
    }
    this.inflight.clear();
    for (const item of this.queue) queued.push(item);
    this.queue = [];
    const journal = this.journal;
    if (journal && !options.discard) {
      const kept = queued.filter((i) => i.stored);
      const unstored = queued.filter((i) => !i.stored);
      if (kept.length)
        this.opts.log?.info?.(`MQTT: ${kept.length} queued message(s) kept in ${journal.file}: they are sent after the next connect`);
      journal.close();
      this.journal = null;
      if (unstored.length) {
        this.opts.log?.warn(
          `MQTT: ${unstored.length} queued message(s) discarded: the connection was closed and they could not be written to ${journal.file} (${named(unstored)})`,
        );
        this.drop(unstored, 'ECLOSED');
      }
    } else {
      if (queued.length) {
        const why = options.discard ? 'the config node was deleted' : 'the connection was closed';
        this.opts.log?.warn(`MQTT: ${queued.length} queued message(s) discarded: ${why} before they could be sent (${named(queued)})`);
        this.drop(queued, options.discard ? 'EDISCARDED' : 'ECLOSED');
      }
      if (journal) journal.destroy();
      this.journal = null;
    }
    for (const entry of this.filters.values()) for (const h of entry.subs) h.active = false;
    this.filters.clear();
    if (client) await endClient(client, 1500);
    this.setState('closed');
    this.removeAllListeners('message');
  }

  /**
   * For handover.ts: gives the queue (messages in flight first, in order) to a successor
   * hub and closes this one. The journal file stays; the successor rewrites it.
   */
  surrender(): QueueHandoff & { closing: Promise<void> } {
    this.parked = true; // no reconnect from here on
    this.gen++;
    this.clearTimers();
    this.dropClient(false);
    const items = this.queue;
    this.queue = [];
    if (this.journal) this.journal.close();
    this.journal = null;
    return { items, seq: this.seq, closing: this.close() };
  }

  // ---- connection ------------------------------------------------------

  /** Connected, connecting or waiting to retry only while someone needs it. */
  private wanted(): boolean {
    return (
      !this.closed && !this.parked && (this.owners.size > 0 || this.lingerTimer !== null || this.queue.length > 0 || this.inflight.size > 0)
    );
  }

  private ensureConnecting(): void {
    if (this.wanted() && !this.client && !this.opening && !this.retryTimer) void this.openConnection();
  }

  private startLinger(): void {
    this.clearLinger();
    if (this.opts.lingerMs > 0 && !this.parked) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = null;
        this.idleIfUnused();
      }, this.opts.lingerMs);
      this.lingerTimer.unref();
      return;
    }
    this.idleIfUnused();
  }

  private clearLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
  }

  /** Closes the connection once nobody needs it: no user, no linger, nothing queued or in flight. */
  private idleIfUnused(): void {
    if (this.closed || this.parked || this.wanted()) return;
    this.gen++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.opening = false;
    this.attempt = 0;
    this.failures = 0;
    // Graceful: a QoS 0 message written just before is flushed, not cut off.
    this.dropClient(false, true);
    this.setState('disconnected', 'no node uses the connection');
  }

  private async openConnection(): Promise<void> {
    const gen = ++this.gen;
    this.retryTimer = null;
    this.opening = true;
    // Retries keep the state of the failure (no flicker between red and yellow at every attempt).
    if (this.failures === 0) this.setState('connecting');
    let password: string | undefined;
    try {
      password = this.opts.password ? await this.opts.password({ refresh: this.authFailures > 0 }) : undefined;
    } catch (err) {
      if (gen !== this.gen || this.closed) return;
      this.opening = false;
      const e = err as { code?: string; message?: string };
      const auth = e && (e.code === 'EAUTH' || e.code === 'E2FA');
      this.failed(auth ? 'auth-failed' : 'disconnected', `could not get the MQTT password: ${e && e.message ? e.message : String(err)}`);
      return;
    }
    if (gen !== this.gen || this.closed) return;
    this.opening = false;
    if (!this.wanted()) return;
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
    this.attempts++;
    const client = connect(o.url, options);
    this.client = client;
    this.emit('attempt', { attempt: this.failures });
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
      // A connection that did not last (the broker accepts, then drops us): no quick retries.
      if (wasConnected && Date.now() - this.connectedAt < this.opts.stableMs) this.attempt = Math.max(this.attempt, this.slowStep());
      if (wasConnected) this.outageSince = Date.now();
      this.dropClient(true);
      const code = lastError ? lastError.code : undefined;
      if (typeof code === 'number' && AUTH_CODES.has(code)) {
        this.failed(
          'auth-failed',
          `the broker at ${this.hostLabel} rejected the credentials (CONNACK ${code}: ${lastError!.message.replace(/^Connection refused: /, '')}): check the API key or login of the config node`,
        );
      } else {
        this.failed('disconnected', this.describeError(lastError, wasConnected));
      }
    });
  }

  private onConnected(client: MqttClient): void {
    const after = this.failures;
    const outage = this.outageSince ? Date.now() - this.outageSince : 0;
    this.authFailures = 0;
    this.attempt = 0;
    this.failures = 0;
    this.outageSince = 0;
    this.lastFailReason = '';
    this.connectedAt = Date.now();
    this.setState('connected');
    this.opts.log?.info?.(
      `MQTT connected to ${this.hostLabel}${after ? ` after ${after} failed attempt(s)${outage ? ` and ${seconds(outage)} s` : ''}` : ''}`,
    );
    // One SUBSCRIBE with every filter.
    this.brokerSubscribe([...this.filters.values()]);
    this.expire();
    if (this.queue.length) {
      const items = this.queue;
      this.queue = [];
      if (this.dropped)
        this.opts.log?.warn(
          `MQTT: sending ${items.length} queued message(s); ${this.dropped} were dropped while offline because the queue was full`,
        );
      this.dropped = 0;
      for (const item of items) this.send(client, item);
    }
    this.scheduleExpiry();
  }

  /** Detaches the current client: its unacknowledged messages go back to the queue head; the client is force-ended. */
  private dropClient(lost: boolean, graceful = false): void {
    const client = this.client;
    this.client = null;
    if (this.inflight.size) {
      const back = [...this.inflight.values()];
      this.inflight.clear();
      this.enqueue(back, true);
    }
    if (client) {
      client.removeAllListeners('message');
      client.removeAllListeners('connect');
      if (!lost) client.removeAllListeners('close');
      client.end(!graceful);
    }
  }

  private failed(state: 'disconnected' | 'auth-failed', reason: string): void {
    if (state !== this.current.state || reason !== this.current.reason) this.setState(state, reason);
    if (!this.wanted()) return;
    if (this.failures++ === 0 && !this.outageSince) this.outageSince = Date.now();
    // A first refusal is retried soon with a refreshed password (an expired login token is
    // renewed); refusals after that wait authRetryMs: no storm of bad logins.
    const repeatedAuthFailure = state === 'auth-failed' && this.authFailures++ > 0;
    const delay = repeatedAuthFailure ? this.opts.authRetryMs : this.nextDelay();
    const now = Date.now();
    if (state === 'auth-failed' || reason !== this.lastFailReason || now - this.lastFailWarn >= FAIL_WARN_MS) {
      this.lastFailWarn = now;
      this.lastFailReason = reason;
      const since = this.failures > 1 ? `; ${this.failures} attempts in ${seconds(now - this.outageSince)} s` : '';
      this.opts.log?.warn(
        `MQTT ${state === 'auth-failed' ? 'authentication failed' : 'disconnected'}: ${reason}${since}; retrying in ${seconds(delay)} s`,
      );
    }
    this.emit('retry', { attempt: this.failures, delayMs: delay, state, reason } satisfies ReconnectEvent);
    this.retryTimer = setTimeout(() => void this.openConnection(), delay);
  }

  /** Random in [d/2, d], d = min(max, min * 2^attempt): quick first retries, then at most one every max/2..max. */
  private nextDelay(): number {
    const { minReconnectMs: min, maxReconnectMs: max } = this.opts;
    const cap = Math.min(max, min * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return cap / 2 + (Math.random() * cap) / 2;
  }

  /** The first backoff step whose delay bound is maxReconnectMs. */
  private slowStep(): number {
    const { minReconnectMs: min, maxReconnectMs: max } = this.opts;
    return min > 0 && max > min ? Math.ceil(Math.log2(max / min)) : 0;
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.queueTimer) clearTimeout(this.queueTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.clearLinger();
    this.retryTimer = null;
    this.queueTimer = null;
    this.expiryTimer = null;
  }

  private describeError(err: (Error & { code?: string | number }) | undefined, wasConnected: boolean): string {
    const code = err ? err.code : undefined;
    if (!err) return wasConnected ? `connection to ${this.hostLabel} lost` : `could not connect to ${this.hostLabel}`;
    if (code === 'ECONNREFUSED') return `${this.hostLabel} refused the connection: is the broker running and the port right?`;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve ${this.hostLabel}: check the MQTT URL`;
    if (code === 'ECONNRESET' || code === 'EPIPE') return `connection to ${this.hostLabel} was reset`;
    if (code === 'ETIMEDOUT' || /timeout/i.test(err.message)) return `no answer from ${this.hostLabel} (timed out)`;
    if (typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED/.test(code)) return `TLS error with ${this.hostLabel}: ${err.message}`;
    if (typeof code === 'number')
      return `the broker at ${this.hostLabel} refused the connection (CONNACK ${code}: ${err.message.replace(/^Connection refused: /, '')})`;
    return `${wasConnected ? 'connection lost' : 'could not connect'} (${this.hostLabel}): ${err.message}`;
  }

  // ---- publish / queue -------------------------------------------------

  private send(client: MqttClient, item: OutItem): void {
    this.inflight.set(item.seq, item);
    client.publish(item.topic, item.payload, { qos: item.qos, retain: item.retain }, (err) => {
      if (this.inflight.get(item.seq) !== item) return; // already moved back to the queue
      if (err && (!client.connected || this.client !== client)) return; // connection lost: 'close' requeues it
      this.inflight.delete(item.seq);
      this.unstore([item]);
      if (err && !item.reject) this.drop([item], 'EPUBLISH', err.message);
      else settle(item, err || undefined);
      // Not from inside this callback: mqtt.js may call it while onConnected() is still sending the queue.
      if (this.inflight.size === 0 && this.owners.size === 0 && !this.lingerTimer) setImmediate(() => this.idleIfUnused());
    });
  }

  /**
   * Adds items to the queue (at the head when `front`), journals the new ones, then resolves
   * their callers `{queued:true}`; beyond the limit the oldest are dropped and reported.
   */
  private enqueue(items: OutItem[], front: boolean): void {
    const all = front ? items.concat(this.queue) : this.queue.concat(items);
    const limit = Math.max(0, this.opts.queueLimit);
    const overflow = all.length > limit ? all.splice(0, all.length - limit) : [];
    this.queue = all;
    const lost = new Set(overflow);
    this.persist(items.filter((i) => !i.stored && !lost.has(i)));
    for (const item of items) {
      if (item.resolve && !lost.has(item)) {
        item.resolve({ queued: true });
        item.resolve = undefined;
        item.reject = undefined;
      }
    }
    if (overflow.length) {
      const n = overflow.length;
      this.dropped += n;
      const now = Date.now();
      if (this.dropped === n || now - this.lastDropWarn >= 10000) {
        this.lastDropWarn = now;
        this.opts.log?.warn(
          `MQTT offline queue full (limit ${limit}): dropped the oldest message(s) (${named(overflow)}), ${this.dropped} dropped so far; raise the queue limit of the config node or check the connection`,
        );
      }
      this.drop(overflow, 'EQUEUEFULL');
    }
    this.announceQueue();
    this.scheduleExpiry();
  }

  /** Journals new queue entries (fsync'ed before returning); on a disk failure they stay in memory only, with a warning. */
  private persist(items: OutItem[]): void {
    const journal = this.journal;
    if (!journal || items.length === 0) return;
    try {
      if (journal.needsRewrite) {
        const all = [...this.inflight.values()].filter((i) => i.stored).concat(this.queue.filter((i) => i.stored || items.includes(i)));
        journal.rewrite(all.sort((a, b) => a.seq - b.seq).map(toStored));
        for (const i of all) i.stored = true;
      } else {
        journal.append(items.map(toStored));
        for (const i of items) i.stored = true;
      }
    } catch (err) {
      const now = Date.now();
      if (now - this.lastJournalWarn >= JOURNAL_WARN_MS) {
        this.lastJournalWarn = now;
        this.opts.log?.warn(
          `MQTT: cannot write the offline queue to ${journal.file} (${(err as NodeJS.ErrnoException).code || (err as Error).message}): queued messages are kept in memory only, and would not survive a restart, until it works again`,
        );
      }
    }
  }

  /** Removes sent or dropped messages from the journal. */
  private unstore(items: OutItem[]): void {
    const seqs: number[] = [];
    for (const i of items) {
      if (i.stored) seqs.push(i.seq);
      i.stored = false;
    }
    if (!this.journal || seqs.length === 0) return;
    this.journal.remove(seqs);
    try {
      this.journal.compact(() =>
        [...this.inflight.values()]
          .concat(this.queue)
          .filter((i) => i.stored)
          .sort((a, b) => a.seq - b.seq)
          .map(toStored),
      );
    } catch {
      /* compaction is an optimisation; the next append or open retries */
    }
  }

  /** Reports messages that leave the queue unsent: a pending publish rejects, else onDropped; 'dropped' either way. */
  private drop(items: OutItem[], code: DropCode, detail?: string): void {
    this.unstore(items);
    for (const item of items) {
      const err = new QueueDropError(
        dropMessage(item, code, this.opts, detail),
        code,
        item.topic,
        item.queuedAt,
        item.origin,
        item.payload,
      );
      let reported = false;
      if (item.reject) {
        const reject = item.reject;
        item.resolve = undefined;
        item.reject = undefined;
        reject(err);
        reported = true;
      } else if (item.onDropped) {
        const cb = item.onDropped;
        item.onDropped = undefined;
        try {
          cb(err);
          reported = true;
        } catch (e) {
          this.opts.log?.warn(`MQTT: the drop handler for "${item.topic}" threw: ${(e as Error).message}`);
        }
      }
      this.emit('dropped', err, reported);
    }
  }

  /** Drops the queued messages older than maxQueueAgeMs, with one warning naming them. */
  private expire(): void {
    const max = this.opts.maxQueueAgeMs;
    if (!max || max <= 0 || this.queue.length === 0) return;
    const now = Date.now();
    const expired = this.queue.filter((i) => now - i.queuedAt >= max);
    if (expired.length === 0) return;
    const gone = new Set(expired);
    this.queue = this.queue.filter((i) => !gone.has(i));
    this.opts.log?.warn(
      `MQTT: ${expired.length} queued message(s) expired unsent after the age limit of ${seconds(max)} s: ${named(expired, true)}`,
    );
    this.drop(expired, 'EEXPIRED');
    this.announceQueue();
  }

  private scheduleExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    const max = this.opts.maxQueueAgeMs;
    if (this.closed || !max || max <= 0 || this.queue.length === 0) return;
    let oldest = Infinity;
    for (const i of this.queue) if (i.queuedAt < oldest) oldest = i.queuedAt;
    this.expiryTimer = setTimeout(
      () => {
        this.expiryTimer = null;
        this.expire();
        this.scheduleExpiry();
      },
      Math.max(0, oldest + max - Date.now()) + 5,
    );
    this.expiryTimer.unref();
  }

  /** The queue at construction: a predecessor's, or the journal's. */
  private restoreQueue(inherit?: QueueHandoff): void {
    const inherited = inherit ? (inherit.items as OutItem[]).slice() : [];
    let foreign: OutItem[] = inherit && inherit.drop ? inherited : [];
    let restored: OutItem[] = inherit && !inherit.drop ? inherited : [];
    if (this.opts.queueFile) {
      try {
        const load = QueueJournal.open(this.opts.queueFile, this.opts.queueFingerprint || '');
        this.journal = load.journal;
        if (load.skipped) this.opts.log?.warn(`MQTT: ${load.skipped} unreadable line(s) in ${this.opts.queueFile} skipped`);
        if (!inherit) {
          restored = load.messages.map(fromStored);
          foreign = load.foreign.map(fromStored);
        } else {
          this.journal.rewrite(restored.map(toStored));
          for (const i of restored) i.stored = true;
        }
      } catch (err) {
        this.opts.log?.warn(
          `MQTT: cannot use ${this.opts.queueFile} for the offline queue (${(err as NodeJS.ErrnoException).code || (err as Error).message}): queued messages are kept in memory only`,
        );
      }
    }
    for (const i of restored.concat(foreign)) if (i.seq > this.seq) this.seq = i.seq;
    if (inherit && inherit.seq > this.seq) this.seq = inherit.seq;
    this.queue = restored;
    if (restored.length && !inherit)
      this.opts.log?.info?.(
        `MQTT: ${restored.length} queued message(s) read back from ${this.opts.queueFile}: they are sent after the next connect`,
      );
    if (restored.length === 0 && foreign.length === 0) return;
    // After the constructor: the owner has attached its 'dropped' and 'state' listeners by then.
    process.nextTick(() => {
      if (this.closed) return;
      if (foreign.length) {
        this.opts.log?.warn(
          `MQTT: ${foreign.length} queued message(s) were queued for other broker settings and are not sent (${named(foreign)})`,
        );
        this.drop(foreign, 'ESETTINGS');
      }
      this.expire();
      this.scheduleExpiry();
      this.announceQueue();
      this.ensureConnecting();
    });
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
        if (g.qos === 128)
          this.opts.log?.warn(`MQTT: the broker refused the subscription to "${g.topic}": check the topic and the rights of the API key`);
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
        if (err && this.client === client && this.connected)
          this.opts.log?.warn(`MQTT unsubscribe from "${entry.filter}" failed: ${err.message}`);
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

function toStored(i: OutItem): StoredMessage {
  return { seq: i.seq, topic: i.topic, payload: i.payload, qos: i.qos, retain: i.retain, queuedAt: i.queuedAt, origin: i.origin };
}

function fromStored(m: StoredMessage): OutItem {
  return { ...m, stored: true };
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

/** `"a/b" (queued 12:00:01, 65 s ago), ...; 3 more`: the first few messages, named. */
function named(items: OutItem[], withTimes = false): string {
  const now = Date.now();
  const shown = items.slice(0, NAMED).map((i) => {
    const at = new Date(i.queuedAt).toISOString();
    return withTimes ? `"${i.topic}" (queued ${at}, ${seconds(now - i.queuedAt)} s ago)` : `"${i.topic}"`;
  });
  return shown.join(', ') + (items.length > NAMED ? `; ${items.length - NAMED} more` : '');
}

function dropMessage(item: OutItem, code: DropCode, opts: Opts, detail?: string): string {
  const what = `MQTT write to "${item.topic}" (queued ${new Date(item.queuedAt).toISOString()}) was not sent`;
  switch (code) {
    case 'EQUEUEFULL':
      return `${what}: the offline queue is full (limit ${opts.queueLimit}) and it was the oldest; raise the queue limit of the config node or check the connection`;
    case 'EEXPIRED':
      return `${what}: it waited ${seconds(Date.now() - item.queuedAt)} s in the offline queue, longer than the age limit of ${seconds(opts.maxQueueAgeMs)} s`;
    case 'EDISCARDED':
      return `${what}: the config node was deleted while it waited in the offline queue`;
    case 'ESETTINGS':
      return `${what}: the broker settings of the config node changed while it waited in the offline queue, and it is only sent to the broker it was queued for`;
    case 'EPUBLISH':
      return `${what}: the broker did not take it (${detail || 'publish failed'})`;
    default:
      return `${what}: the MQTT connection was closed while it waited in the offline queue, and nothing keeps the queue (no user directory)`;
  }
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
