// Fault injection for the sandbox's HTTP API: a test facility on top of the platform's
// behaviour, never part of it. A fault strikes either before the route runs (nothing
// changed: the honest "the server did not act") or after it (the change is kept, only its
// answer is lost or replaced: the "uncertain" failure a client cannot tell from the first).
export type FaultPhase = 'before' | 'after';

export interface FaultConfig {
  /** Seed of the fault draws: the same seed strikes the same requests every run (default: Math.random). */
  seed?: number;
  /** Delay before answering, in ms (at the fault's phase: before or after the route ran). */
  latencyMs?: number;
  /** Probability (0..1) of answering with errorStatus instead of the real answer. */
  errorRate?: number;
  /** Status of injected errors (default 503); a list picks one at random per fault. */
  errorStatus?: number | number[];
  /** Seconds, sent as Retry-After with injected errors. */
  retryAfter?: number;
  /** Raw (non-JSON) body for injected errors; default `{"message": "Injected fault"}`. */
  errorBody?: string;
  /** Probability (0..1) of destroying the socket without an answer. */
  dropRate?: number;
  /**
   * Probability (0..1) of holding the request for stallMs without an answer, then closing
   * the socket: the client's timeout strikes first.
   */
  stallRate?: number;
  /** How long a stalled request is held, default 60000 ms (the socket closes earlier when the client gives up). */
  stallMs?: number;
  /**
   * When drops, stalls and errors strike: 'before' (default) the route runs, so nothing
   * changes; 'after' the route has run and its change is kept, only the answer is lost or
   * replaced; 'either' picks one of the two at random for each fault. A 429 always strikes
   * before: it says the request was refused unheard, so no server acts and then answers it.
   */
  phase?: FaultPhase | 'either';
  /** Only requests whose path starts with this string / matches this RegExp. */
  path?: string | RegExp;
  /** Only requests with one of these methods (e.g. ['POST']). */
  methods?: string[];
  /** Only the next N matching requests. */
  count?: number;
}

export type FaultAction =
  | { kind: 'none'; latencyMs: number; phase: FaultPhase }
  | { kind: 'drop'; latencyMs: number; phase: FaultPhase }
  | { kind: 'stall'; latencyMs: number; phase: FaultPhase; stallMs: number }
  | {
      kind: 'error';
      latencyMs: number;
      phase: FaultPhase;
      status: number;
      headers: Record<string, string>;
      body: string;
      contentType: string;
    };

/** Faults injected since the last set()/clear(), by kind and phase. */
export interface FaultStats {
  requests: number;
  before: { drop: number; stall: number; error: number };
  after: { drop: number; stall: number; error: number };
}

const emptyStats = (): FaultStats => ({ requests: 0, before: { drop: 0, stall: 0, error: 0 }, after: { drop: 0, stall: 0, error: 0 } });

export class Faults {
  private cfg?: FaultConfig;
  private random: () => number = Math.random;
  private remaining = Infinity;
  private counts: FaultStats = emptyStats();

  set(cfg: FaultConfig): void {
    for (const k of ['errorRate', 'dropRate', 'stallRate'] as const) {
      const v = cfg[k];
      if (v !== undefined && !(v >= 0 && v <= 1)) throw new Error(`faults.set: ${k} must be between 0 and 1`);
    }
    if (cfg.phase !== undefined && !['before', 'after', 'either'].includes(cfg.phase)) {
      throw new Error('faults.set: phase must be "before", "after" or "either"');
    }
    if (Array.isArray(cfg.errorStatus) && cfg.errorStatus.length === 0)
      throw new Error('faults.set: errorStatus must list at least one status');
    this.cfg = { ...cfg, methods: cfg.methods?.map((m) => m.toUpperCase()) };
    this.random = cfg.seed === undefined ? Math.random : seeded(cfg.seed);
    this.remaining = cfg.count ?? Infinity;
    this.counts = emptyStats();
  }

  clear(): void {
    this.cfg = undefined;
  }

  get active(): FaultConfig | undefined {
    return this.cfg ? { ...this.cfg } : undefined;
  }

  /** What was injected since the last set() (a copy). */
  stats(): FaultStats {
    return JSON.parse(JSON.stringify(this.counts)) as FaultStats;
  }

  /** Decides what happens to one request. */
  decide(path: string, method = 'GET'): FaultAction {
    const c = this.cfg;
    const none: FaultAction = { kind: 'none', latencyMs: 0, phase: 'before' };
    if (!c) return none;
    if (c.path !== undefined && !(typeof c.path === 'string' ? path.startsWith(c.path) : c.path.test(path))) return none;
    if (c.methods && !c.methods.includes(method.toUpperCase())) return none;
    if (this.remaining <= 0) return none;
    this.remaining--;
    if (this.remaining <= 0) this.cfg = undefined;
    this.counts.requests++;
    const latencyMs = c.latencyMs ?? 0;
    let phase: FaultPhase = c.phase === 'either' ? (this.random() < 0.5 ? 'before' : 'after') : (c.phase ?? 'before');
    if (c.dropRate && this.random() < c.dropRate) {
      this.counts[phase].drop++;
      return { kind: 'drop', latencyMs, phase };
    }
    if (c.stallRate && this.random() < c.stallRate) {
      this.counts[phase].stall++;
      return { kind: 'stall', latencyMs, phase, stallMs: c.stallMs ?? 60000 };
    }
    if (c.errorRate && this.random() < c.errorRate) {
      const statuses = Array.isArray(c.errorStatus) ? c.errorStatus : [c.errorStatus ?? 503];
      const status = statuses[Math.floor(this.random() * statuses.length)];
      // 429 says the request was refused unheard (RFC 6585): a server never acts and then answers it
      if (status === 429) phase = 'before';
      this.counts[phase].error++;
      const headers: Record<string, string> = {};
      if (c.retryAfter !== undefined) headers['retry-after'] = String(c.retryAfter);
      return c.errorBody !== undefined
        ? { kind: 'error', latencyMs, phase, status, headers, body: c.errorBody, contentType: 'text/html' }
        : {
            kind: 'error',
            latencyMs,
            phase,
            status,
            headers,
            body: JSON.stringify({ message: 'Injected fault' }),
            contentType: 'application/json',
          };
    }
    return { kind: 'none', latencyMs, phase: 'before' };
  }
}

/** mulberry32: a small deterministic generator in [0, 1) for seeded fault draws. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
