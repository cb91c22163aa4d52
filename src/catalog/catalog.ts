// Catalog: per config node cache of installations, functions per installation
// and the latest status per installation.
//
// Concurrent callers share one in-flight request, so a deploy of many nodes on
// one installation costs one installations call, one functionx call and one
// status call. Function lists are refreshed on `{client_id}/evt/functionx/updated`
// and `{client_id}/evt/devicex/updated` (subscribed per installation: brokers
// may refuse wildcard-first filters), debounced, one API call per installation,
// then `functions` is emitted with the installation id. While the MQTT hub is
// not connected no events arrive, so cached lists then expire after maxAgeMs;
// after a reconnect every cached list is refreshed (events may have been missed).
import { EventEmitter } from 'node:events';
import type { InstallationInfo, ModelX, ModelXFilter, StatusEntry } from '../api/models';
import type { HubState, MessageHandler, Subscription } from '../mqtt';

/** The parts of ApiClient the catalog uses. */
export interface CatalogApi {
  installations: { list(opts?: { signal?: AbortSignal }): Promise<InstallationInfo[]> };
  functionx: { list(iid: number, filter?: ModelXFilter, opts?: { signal?: AbortSignal }): Promise<ModelX[]> };
  status: { get(iid: number, q?: { topics?: string[] }, opts?: { signal?: AbortSignal }): Promise<StatusEntry[]> };
}

/** The parts of MqttHub the catalog uses. */
export interface CatalogHub {
  subscribe(ownerId: string, filter: string, handler: MessageHandler, options?: { qos?: 0 | 1; shared?: boolean }): Subscription;
  on(event: 'state', listener: (s: HubState) => void): unknown;
  off(event: 'state', listener: (s: HubState) => void): unknown;
  readonly connected: boolean;
}

export interface CatalogOptions {
  /** Debounce of evt-triggered refreshes (default 250 ms). */
  debounceMs?: number;
  /** Age after which cached lists are fetched again while the hub is not connected (default 60 s). */
  maxAgeMs?: number;
  /**
   * Age after which a function list is fetched again even while its change events are
   * followed (default 5 min): changes made with `silent`, or events the broker did not
   * deliver, are seen within that time.
   */
  watchedMaxAgeMs?: number;
  /** How long a latestStatus answer is shared (default 2 s). */
  statusTtlMs?: number;
  log?: { warn(msg: string): void };
}

interface CacheEntry<T> {
  at: number;
  promise: Promise<T>;
  settled: boolean;
}

const OWNER = 'iotopen-catalog';

export class Catalog extends EventEmitter {
  private readonly opts: Required<Omit<CatalogOptions, 'log'>> & Pick<CatalogOptions, 'log'>;
  private inst: CacheEntry<InstallationInfo[]> | null = null;
  private readonly funcs = new Map<number, CacheEntry<ModelX[]>>();
  private readonly status = new Map<number, CacheEntry<StatusEntry[]>>();
  private readonly evtSubs = new Map<number, Subscription[]>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private closed = false;
  private wasConnected = false;
  private readonly onState = (s: HubState): void => {
    if (s.state !== 'connected') return;
    if (this.wasConnected) {
      // Reconnected: events may have been missed while offline.
      this.inst = null;
      for (const iid of this.funcs.keys()) this.scheduleRefresh(iid);
    }
    this.wasConnected = true;
  };

  constructor(
    private readonly api: CatalogApi,
    private readonly hub?: CatalogHub | null,
    options: CatalogOptions = {},
  ) {
    super();
    // One 'functions' listener per node that follows an installation: hundreds on one
    // config node are normal, not a leak.
    this.setMaxListeners(0);
    this.opts = {
      debounceMs: options.debounceMs ?? 250,
      maxAgeMs: options.maxAgeMs ?? 60000,
      watchedMaxAgeMs: options.watchedMaxAgeMs ?? 300000,
      statusTtlMs: options.statusTtlMs ?? 2000,
      log: options.log,
    };
    if (hub) {
      this.wasConnected = hub.connected;
      hub.on('state', this.onState);
    }
  }

  /** Installations the API key sees (cached). */
  installations(): Promise<InstallationInfo[]> {
    if (this.closed) return Promise.reject(closedError());
    if (!this.fresh(this.inst, this.opts.maxAgeMs)) {
      this.inst = this.load(
        () => this.api.installations.list(),
        undefined,
        () => {
          this.inst = null;
        },
      );
    }
    return this.inst!.promise;
  }

  /** One installation by id, or undefined when the API key does not see it. */
  async installation(iid: number): Promise<InstallationInfo | undefined> {
    return (await this.installations()).find((i) => i.id === iid);
  }

  /** The functions of an installation (cached, refreshed on evt). */
  functions(iid: number): Promise<ModelX[]> {
    if (this.closed) return Promise.reject(closedError());
    const cur = this.funcs.get(iid);
    const maxAge = this.hub && this.hub.connected && this.evtSubs.has(iid) ? this.opts.watchedMaxAgeMs : this.opts.maxAgeMs;
    if (cur && this.fresh(cur, maxAge)) return cur.promise;
    this.watch(iid);
    return this.fetchFunctions(iid).promise;
  }

  /** The latest value of every topic of an installation; concurrent callers share one request. */
  latestStatus(iid: number): Promise<StatusEntry[]> {
    if (this.closed) return Promise.reject(closedError());
    const cur = this.status.get(iid);
    if (cur && this.fresh(cur, this.opts.statusTtlMs)) return cur.promise;
    const entry = this.load(
      () => this.api.status.get(iid),
      undefined,
      () => {
        if (this.status.get(iid) === entry) this.status.delete(iid);
      },
    );
    this.status.set(iid, entry);
    return entry.promise;
  }

  /**
   * The function list of one installation changed in a way its events may not
   * announce in time (a change made with `silent`, or one the caller must see
   * before the debounced event refresh): the cached list is dropped at once, so
   * the next functions() call fetches it, and it is fetched again (debounced like
   * an event) before `functions` is emitted for the nodes that follow it.
   * Nothing happens for an installation whose functions are not cached.
   */
  refreshFunctions(iid: number): void {
    if (this.closed || !this.funcs.has(iid)) return;
    this.funcs.delete(iid);
    this.scheduleRefresh(iid);
  }

  /**
   * Installations were created, changed or deleted: the cached list is dropped, so the next
   * installations() / installation() call (ctx.installation of every node) fetches it again.
   */
  refreshInstallations(): void {
    this.inst = null;
  }

  /** Forgets every cached answer (the next calls fetch again). */
  invalidate(): void {
    this.inst = null;
    this.funcs.clear();
    this.status.clear();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const subs of this.evtSubs.values()) for (const s of subs) s.unsubscribe();
    this.evtSubs.clear();
    if (this.hub) this.hub.off('state', this.onState);
    this.invalidate();
    this.removeAllListeners();
  }

  // ---------------------------------------------------------------------

  private fetchFunctions(iid: number): CacheEntry<ModelX[]> {
    const entry = this.load(
      () => this.api.functionx.list(iid),
      undefined,
      () => {
        if (this.funcs.get(iid) === entry) this.funcs.delete(iid);
      },
    );
    this.funcs.set(iid, entry);
    return entry;
  }

  /** Subscribes the evt topics of the installation once its client_id is known. */
  private watch(iid: number): void {
    if (!this.hub || this.evtSubs.has(iid)) return;
    this.evtSubs.set(iid, []);
    this.installations().then(
      (list) => {
        const inst = list.find((i) => i.id === iid);
        const subs = this.evtSubs.get(iid);
        if (this.closed || !inst || !subs || subs.length) return;
        const onEvt = (): void => this.scheduleRefresh(iid);
        for (const kind of ['functionx', 'devicex']) {
          // Not through a share group: every Node-RED instance needs every change event.
          subs.push(this.hub!.subscribe(OWNER, `${inst.client_id}/evt/${kind}/updated`, onEvt, { shared: false }));
        }
      },
      () => {
        // Installations could not be listed: try again on the next functions() call.
        if (this.evtSubs.get(iid)?.length === 0) this.evtSubs.delete(iid);
      },
    );
  }

  private scheduleRefresh(iid: number): void {
    if (this.closed || this.timers.has(iid)) return;
    const t = setTimeout(() => {
      this.timers.delete(iid);
      if (this.closed) return;
      this.fetchFunctions(iid).promise.then(
        () => {
          if (!this.closed) this.emit('functions', iid);
        },
        (err: Error) => this.opts.log?.warn(`Could not refresh the functions of installation ${iid}: ${err.message}`),
      );
    }, this.opts.debounceMs);
    t.unref();
    this.timers.set(iid, t);
  }

  private fresh<T>(entry: CacheEntry<T> | null | undefined, maxAge: number): boolean {
    if (!entry) return false;
    if (!entry.settled) return true; // in flight: share it
    return Date.now() - entry.at < maxAge;
  }

  private load<T>(fetch: () => Promise<T>, onValue?: (v: T) => void, onError?: () => void): CacheEntry<T> {
    const entry: CacheEntry<T> = { at: Date.now(), promise: Promise.resolve() as Promise<never>, settled: false };
    entry.promise = fetch().then(
      (v) => {
        entry.settled = true;
        entry.at = Date.now();
        onValue?.(v);
        return v;
      },
      (err) => {
        entry.settled = true;
        onError?.();
        throw err;
      },
    );
    return entry;
  }
}

function closedError(): Error {
  return new Error('The IoT Open catalog is closed (the config node was stopped or redeployed)');
}
