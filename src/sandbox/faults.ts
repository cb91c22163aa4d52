// Fault injection for the sandbox's HTTP API.
export interface FaultConfig {
  /** Delay before answering, in ms. */
  latencyMs?: number;
  /** Probability (0..1) of answering with errorStatus instead of the real answer. */
  errorRate?: number;
  /** Status of injected errors (default 503). */
  errorStatus?: number;
  /** Seconds, sent as Retry-After with injected errors. */
  retryAfter?: number;
  /** Raw (non-JSON) body for injected errors; default `{"message": "Injected fault"}`. */
  errorBody?: string;
  /** Probability (0..1) of destroying the socket without an answer. */
  dropRate?: number;
  /** Only requests whose path starts with this string / matches this RegExp. */
  path?: string | RegExp;
  /** Only the next N matching requests. */
  count?: number;
}

export type FaultAction =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'drop'; latencyMs: number }
  | { kind: 'error'; latencyMs: number; status: number; headers: Record<string, string>; body: string; contentType: string };

export class Faults {
  private cfg?: FaultConfig;
  private remaining = Infinity;

  set(cfg: FaultConfig): void {
    for (const k of ['errorRate', 'dropRate'] as const) {
      const v = cfg[k];
      if (v !== undefined && !(v >= 0 && v <= 1)) throw new Error(`faults.set: ${k} must be between 0 and 1`);
    }
    this.cfg = { ...cfg };
    this.remaining = cfg.count ?? Infinity;
  }

  clear(): void {
    this.cfg = undefined;
  }

  get active(): FaultConfig | undefined {
    return this.cfg ? { ...this.cfg } : undefined;
  }

  /** Decides what happens to one request. */
  decide(path: string): FaultAction {
    const c = this.cfg;
    if (!c) return { kind: 'none', latencyMs: 0 };
    if (c.path !== undefined && !(typeof c.path === 'string' ? path.startsWith(c.path) : c.path.test(path))) {
      return { kind: 'none', latencyMs: 0 };
    }
    if (this.remaining <= 0) return { kind: 'none', latencyMs: 0 };
    this.remaining--;
    if (this.remaining <= 0) this.cfg = undefined;
    const latencyMs = c.latencyMs ?? 0;
    if (c.dropRate && Math.random() < c.dropRate) return { kind: 'drop', latencyMs };
    if (c.errorRate && Math.random() < c.errorRate) {
      const status = c.errorStatus ?? 503;
      const headers: Record<string, string> = {};
      if (c.retryAfter !== undefined) headers['retry-after'] = String(c.retryAfter);
      return c.errorBody !== undefined
        ? { kind: 'error', latencyMs, status, headers, body: c.errorBody, contentType: 'text/html' }
        : { kind: 'error', latencyMs, status, headers, body: JSON.stringify({ message: 'Injected fault' }), contentType: 'application/json' };
    }
    return { kind: 'none', latencyMs };
  }
}
