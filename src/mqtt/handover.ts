// Hub handover: an MqttHub outlives the owner that closes it for a redeploy.
//
// A Node-RED redeploy (or a restart of the flows) closes a config node with
// removed=false and starts a new one with the same id. HubHolder.close(false)
// parks the hub in a process-wide registry for graceMs (default 15 s): its
// queue and its open connection stay, it does not reconnect. The successor's
// HubHolder.open() then:
//   - same id and the same connection fingerprint (broker URL, user, API URL,
//     auth mode, secrets, TLS, client id prefix, share group): takes the hub
//     itself, connection included, and rebinds the password, log and limits;
//   - same id, same broker and account but another connection setting (a new
//     API key, other TLS files ...): a new hub takes over the queue, in order;
//   - same id, another broker or account: a new hub; the queued messages are
//     not sent elsewhere, they are reported dropped (ESETTINGS).
// Nobody within graceMs: the hub closes; with a journal its queue stays in the
// file for the next start, without one its messages are reported dropped.
// HubHolder.close(true) (the node was deleted) closes at once and reports and
// deletes the queue. No Node-RED here: the holder is keyed by plain strings.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import {
  MqttHub,
  type DropCode,
  type HubState,
  type MqttHubOptions,
  type QueueDropError,
  type QueueHandoff,
  type RebindOptions,
} from './hub';
import { journalFileName, journalHasMessages } from './queue-store';

export const DEFAULT_GRACE_MS = 15000;

interface Parked {
  fingerprint: string;
  queueFingerprint: string;
  hub: MqttHub;
  timer: NodeJS.Timeout;
  /** Drops without a sender callback while parked: given to the successor's listener. */
  drops: Array<[QueueDropError, boolean]>;
  onDrop: (err: QueueDropError, reported: boolean) => void;
}

interface Registry {
  parked: Map<string, Parked>;
  /** Keys the secrets' digests: never leaves the process, so the digests mean nothing outside it. */
  secretKey: Buffer;
}

// One registry per process, even if two copies of this module are loaded.
const GLOBAL = Symbol.for('@lynxflow/node-red-iotopen:hub-handover');
const holderOf = globalThis as unknown as { [GLOBAL]?: Registry };
const registry: Registry = holderOf[GLOBAL] || (holderOf[GLOBAL] = { parked: new Map(), secretKey: randomBytes(32) });

export interface HubIdentity {
  /** Which broker and account, besides the hub's url and username (e.g. API URL, auth mode, login name). No secrets. */
  broker?: Record<string, unknown>;
  /** Secrets the connection uses (API key, password): digested with a process-local key, kept in memory only. */
  secrets?: Array<string | undefined | null>;
}

export interface HubListeners {
  state?: (s: HubState) => void;
  /** Every dropped queued message; `reported` is true when its sender was told (publish rejected or onDropped ran). */
  dropped?: (err: QueueDropError, reported: boolean) => void;
}

/** JSON with sorted keys, Buffers as hex: the same settings always give the same text. */
function canonical(v: unknown): string {
  if (Buffer.isBuffer(v)) return JSON.stringify(`hex:${v.toString('hex')}`);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined && typeof o[k] !== 'function')
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v === undefined ? null : v);
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The two fingerprints of a hub's settings: `queueFingerprint` (broker and account, no secret:
 * written in the journal header) and `fingerprint` (everything the live connection depends on,
 * secrets digested with a process-local key: in memory only).
 */
export function hubFingerprints(options: MqttHubOptions, identity: HubIdentity = {}): { fingerprint: string; queueFingerprint: string } {
  const broker = { url: options.url, username: options.username || 'node-red', ...(identity.broker || {}) };
  const queueFingerprint = sha(canonical(broker));
  const secrets = createHmac('sha256', registry.secretKey)
    .update(canonical(identity.secrets || []))
    .digest('hex');
  const connection = {
    broker,
    clientIdPrefix: options.clientIdPrefix,
    tls: options.tls,
    shareGroup: options.shareGroup,
    keepaliveSec: options.keepaliveSec,
    connectTimeoutMs: options.connectTimeoutMs,
    secrets,
  };
  return { fingerprint: sha(canonical(connection)), queueFingerprint };
}

/** `<dir>/iotopen-queue/<key>.jsonl`, or undefined without a directory (no persistence). */
export function hubQueueFile(userDir: unknown, key: string): string | undefined {
  if (typeof userDir !== 'string' || !userDir) return undefined;
  return path.join(userDir, 'iotopen-queue', journalFileName(key));
}

/** Whether messages wait for the owner `key`: in a parked hub, or in its journal file. */
export function queuePending(key: string, queueFile?: string): boolean {
  const p = registry.parked.get(key);
  if (p && !p.hub.isClosed && p.hub.queued > 0) return true;
  return queueFile ? journalHasMessages(queueFile) : false;
}

/**
 * Closes every parked hub now, as the end of their grace period would (shutdown, tests).
 * `quiet`: their dropped messages are not reported to senders (nobody is left to tell).
 */
export async function closeParkedHubs(options: { quiet?: boolean } = {}): Promise<void> {
  const all = [...registry.parked.entries()];
  registry.parked.clear();
  await Promise.all(
    all.map(([, p]) => {
      clearTimeout(p.timer);
      return p.hub.close({ quiet: options.quiet });
    }),
  );
}

/** How many hubs wait for a successor. */
export function parkedHubCount(): number {
  return registry.parked.size;
}

function rebindable(o: MqttHubOptions): RebindOptions {
  const { password, log, queueLimit, maxQueueAgeMs, lingerMs, minReconnectMs, maxReconnectMs, stableMs, authRetryMs } = o;
  return { password, log, queueLimit, maxQueueAgeMs, lingerMs, minReconnectMs, maxReconnectMs, stableMs, authRetryMs };
}

/** The hub of one owner instance (e.g. one config node instance), handed over across redeploys. */
export class HubHolder {
  private current: MqttHub | null = null;
  private listeners: HubListeners = {};
  private fingerprint = '';
  private queueFingerprint = '';

  constructor(
    readonly key: string,
    private readonly graceMs: number = DEFAULT_GRACE_MS,
  ) {}

  get hub(): MqttHub | null {
    return this.current;
  }

  /**
   * The hub: the parked one of a predecessor with the same key and settings, or a new one
   * (which takes over a predecessor's queue when only its connection settings differ).
   */
  open(options: MqttHubOptions, identity: HubIdentity = {}, listeners: HubListeners = {}): MqttHub {
    if (this.current) return this.current;
    const { fingerprint, queueFingerprint } = hubFingerprints(options, identity);
    this.fingerprint = fingerprint;
    this.queueFingerprint = queueFingerprint;
    const opts: MqttHubOptions = { ...options, queueFingerprint };
    const p = registry.parked.get(this.key);
    let pendingDrops: Array<[QueueDropError, boolean]> = [];
    if (p) {
      registry.parked.delete(this.key);
      clearTimeout(p.timer);
      p.hub.off('dropped', p.onDrop);
      pendingDrops = p.drops;
    }
    let hub: MqttHub;
    let claimed = false;
    if (p && !p.hub.isClosed && p.fingerprint === fingerprint) {
      hub = p.hub;
      hub.rebind(rebindable(opts));
      claimed = true;
    } else if (p && !p.hub.isClosed) {
      const handoff = p.hub.surrender();
      const inherit: QueueHandoff & { drop?: DropCode } = { items: handoff.items, seq: handoff.seq };
      // Another broker or account: the messages are reported, never sent there.
      if (p.queueFingerprint !== queueFingerprint) inherit.drop = 'ESETTINGS';
      hub = new MqttHub(opts, inherit);
    } else {
      hub = new MqttHub(opts);
    }
    this.attach(hub, listeners);
    if (listeners.dropped) for (const [err, reported] of pendingDrops) listeners.dropped(err, reported);
    if (claimed) hub.unpark();
    this.current = hub;
    return hub;
  }

  /**
   * Closes for a redeploy or restart (`removed` false: parked for a successor) or for good
   * (`removed` true: the queue is reported dropped and its file deleted).
   */
  async close(removed: boolean): Promise<void> {
    const hub = this.current;
    if (!hub) return;
    this.current = null;
    this.detach(hub);
    if (removed || hub.isClosed) {
      await hub.close({ discard: removed });
      return;
    }
    hub.park();
    const key = this.key;
    const prev = registry.parked.get(key);
    if (prev && prev.hub !== hub) {
      clearTimeout(prev.timer);
      void prev.hub.close();
    }
    const entry: Parked = {
      fingerprint: this.fingerprint,
      queueFingerprint: this.queueFingerprint,
      hub,
      drops: [],
      onDrop: (err, reported) => {
        if (!reported) entry.drops.push([err, reported]);
      },
      timer: setTimeout(() => {
        if (registry.parked.get(key) === entry) registry.parked.delete(key);
        void hub.close();
      }, this.graceMs),
    };
    entry.timer.unref();
    hub.on('dropped', entry.onDrop);
    registry.parked.set(key, entry);
  }

  private attach(hub: MqttHub, listeners: HubListeners): void {
    this.listeners = listeners;
    if (listeners.state) hub.on('state', listeners.state);
    if (listeners.dropped) hub.on('dropped', listeners.dropped);
  }

  private detach(hub: MqttHub): void {
    const l = this.listeners;
    if (l.state) hub.off('state', l.state);
    if (l.dropped) hub.off('dropped', l.dropped);
    this.listeners = {};
  }
}
