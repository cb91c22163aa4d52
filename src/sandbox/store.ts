// In-memory platform state of the Lynx sandbox: accounts, installations,
// functions, devices, schedules, notifications, latest status and the value log.
import { randomBytes } from 'node:crypto';

export interface Installation {
  id: number;
  client_id: number;
  name: string;
  organization_id: number;
  capabilities: string[];
  assigned: boolean;
}

export interface ModelX {
  id: number;
  installation_id: number;
  type: string;
  meta: Record<string, string>;
  protected_meta: Record<string, string>;
}

export interface Schedule {
  id: number;
  installation_id: number;
  active: boolean;
  created_at: number;
  updated_at: string;
  day_of_month: string;
  day_of_week: string;
  month: string;
  hour: string;
  minute: string;
  topic: string;
  value: number;
  executor: string;
}

export interface NotificationMessage { id: number; installation_id: number; name: string; text: string }
export interface NotificationOutput {
  id: number; installation_id: number; name: string;
  notification_output_executor_id: number; notification_message_id: number; config: Record<string, string>;
}
export interface NotificationExecutor { id: number; type: string; name: string; organization_id: number; config: Record<string, string> }
export interface SentNotification { installation_id: number; output_id: number; data: unknown; at: number }

export interface StatusEntry {
  client_id: number;
  installation_id: number;
  timestamp: number;
  topic: string;
  value: number;
  msg?: string;
}
export type LogEntry = StatusEntry;

export interface ApiKeyEntry { key: string; installations: number[] | null }
export interface User { email: string; password: string; twofa?: boolean; smsCode?: string; installations?: number[] | null }
export interface TokenEntry { token: string; email: string; installations: number[] | null; pending2fa: boolean }

/** The seed: everything optional except installations (see README "The Lynx sandbox"). */
export interface Seed {
  apiKey?: string;
  apiKeys?: ApiKeyEntry[];
  users?: User[];
  installations: Array<Partial<Installation> & { id: number; client_id: number; name: string }>;
  functions?: Array<Partial<ModelX> & { installation_id: number; type: string }>;
  devices?: Array<Partial<ModelX> & { installation_id: number; type: string }>;
  schedules?: Array<Partial<Schedule> & { installation_id: number; topic: string; value: number }>;
  notifications?: {
    messages?: Array<Partial<NotificationMessage> & { installation_id: number; name: string; text: string }>;
    outputs?: Array<Partial<NotificationOutput> & { installation_id: number; name: string }>;
    executors?: Array<Partial<NotificationExecutor> & { type: string; name: string }>;
  };
  /** Explicit log entries; `timestamp` <= 0 means seconds relative to now. */
  log?: Array<{ installation_id: number; topic: string; value: number; timestamp: number; msg?: string }>;
  /** Synthetic history: for every function's topic_read, one value every intervalSeconds over the last hours. */
  history?: { hours?: number; intervalSeconds?: number };
}

/** Log of one installation: entries in timestamp order, plus per-topic indexes. */
export class InstallationLog {
  readonly all: LogEntry[] = [];
  readonly byTopic = new Map<string, LogEntry[]>();

  add(e: LogEntry): void {
    insertSorted(this.all, e);
    let t = this.byTopic.get(e.topic);
    if (!t) this.byTopic.set(e.topic, (t = []));
    insertSorted(t, e);
  }

  /**
   * One page of entries with from <= timestamp <= to, optionally only `topics`
   * (full topics). Cost: O(log n + offset + limit) for one topic or none.
   */
  query(q: { from: number; to: number; limit: number; offset: number; order: 'asc' | 'desc'; topics?: string[] }): {
    total: number; data: LogEntry[];
  } {
    const lists = q.topics && q.topics.length
      ? [...new Set(q.topics)].map((t) => this.byTopic.get(t)).filter((l): l is LogEntry[] => !!l)
      : [this.all];
    const ranges = lists.map((l) => ({ l, lo: lowerBound(l, q.from), hi: upperBound(l, q.to) }));
    let total = 0;
    for (const r of ranges) total += Math.max(0, r.hi - r.lo);
    const data: LogEntry[] = [];
    if (q.limit <= 0 || q.offset >= total) return { total, data };
    if (ranges.length === 1) {
      const { l, lo, hi } = ranges[0];
      if (q.order === 'asc') {
        for (let i = lo + q.offset; i < hi && data.length < q.limit; i++) data.push(l[i]);
      } else {
        for (let i = hi - 1 - q.offset; i >= lo && data.length < q.limit; i--) data.push(l[i]);
      }
      return { total, data };
    }
    // k-way merge over the per-topic ranges
    const asc = q.order === 'asc';
    const idx = ranges.map((r) => (asc ? r.lo : r.hi - 1));
    let skip = q.offset;
    for (;;) {
      let best = -1;
      for (let k = 0; k < ranges.length; k++) {
        const i = idx[k];
        if (asc ? i >= ranges[k].hi : i < ranges[k].lo) continue;
        if (best < 0) { best = k; continue; }
        const a = ranges[k].l[i].timestamp;
        const b = ranges[best].l[idx[best]].timestamp;
        if (asc ? a < b : a > b) best = k;
      }
      if (best < 0) break;
      const e = ranges[best].l[idx[best]];
      idx[best] += asc ? 1 : -1;
      if (skip > 0) { skip--; continue; }
      data.push(e);
      if (data.length >= q.limit) break;
    }
    return { total, data };
  }
}

function lowerBound(a: LogEntry[], ts: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) { const m = (lo + hi) >>> 1; if (a[m].timestamp < ts) lo = m + 1; else hi = m; }
  return lo;
}
function upperBound(a: LogEntry[], ts: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) { const m = (lo + hi) >>> 1; if (a[m].timestamp <= ts) lo = m + 1; else hi = m; }
  return lo;
}
function insertSorted(a: LogEntry[], e: LogEntry): void {
  if (!a.length || a[a.length - 1].timestamp <= e.timestamp) a.push(e);
  else a.splice(upperBound(a, e.timestamp), 0, e);
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export class Store {
  apiKey: string;
  apiKeys = new Map<string, ApiKeyEntry>();
  users: User[] = [];
  tokens = new Map<string, TokenEntry>();
  installations: Installation[] = [];
  functions = new Map<number, ModelX>();
  devices = new Map<number, ModelX>();
  schedules = new Map<number, Schedule>();
  messages = new Map<number, NotificationMessage>();
  outputs = new Map<number, NotificationOutput>();
  executors = new Map<number, NotificationExecutor>();
  /** Every notification sent through `POST .../output/{id}/send`, oldest first. */
  sentNotifications: SentNotification[] = [];
  /** Latest value per full topic, per installation id. */
  status = new Map<number, Map<string, StatusEntry>>();
  logs = new Map<number, InstallationLog>();
  private nextIds = { functionx: 1, devicex: 1, schedule: 1, message: 1, output: 1, executor: 1 };

  constructor(seedIn: Seed) {
    const seed = clone(seedIn);
    if (!Array.isArray(seed.installations) || !seed.installations.length) {
      throw new Error('sandbox seed: "installations" must be a non-empty array');
    }
    this.apiKey = seed.apiKey || randomBytes(16).toString('hex');
    this.apiKeys.set(this.apiKey, { key: this.apiKey, installations: null });
    for (const k of seed.apiKeys || []) this.apiKeys.set(k.key, { key: k.key, installations: k.installations ?? null });
    this.users = seed.users || [];
    for (const i of seed.installations) {
      this.installations.push({
        id: i.id, client_id: i.client_id, name: i.name, organization_id: i.organization_id ?? 1,
        capabilities: i.capabilities ?? [], assigned: i.assigned ?? true,
      });
      this.logs.set(i.id, new InstallationLog());
      this.status.set(i.id, new Map());
    }
    for (const f of seed.functions || []) this.addModel('functionx', f);
    for (const d of seed.devices || []) this.addModel('devicex', d);
    for (const s of seed.schedules || []) this.addSchedule(s);
    for (const e of seed.notifications?.executors || []) {
      const id = e.id ?? this.nextIds.executor;
      this.nextIds.executor = Math.max(this.nextIds.executor, id + 1);
      this.executors.set(id, { id, type: e.type, name: e.name, organization_id: e.organization_id ?? 1, config: e.config ?? {} });
    }
    for (const m of seed.notifications?.messages || []) this.addMessage(m);
    for (const o of seed.notifications?.outputs || []) this.addOutput(o);

    const now = Date.now() / 1000;
    if (seed.history) {
      const hours = seed.history.hours ?? 24;
      const step = seed.history.intervalSeconds ?? 900;
      const start = Math.floor((now - hours * 3600) / step) * step;
      for (const f of this.functions.values()) {
        const inst = this.installation(f.installation_id);
        if (!inst || !f.meta.topic_read) continue;
        let n = 0;
        for (let t = start; t <= now; t += step, n++) {
          this.record(inst, fullTopic(inst, f.meta.topic_read), synthValue(f, n), t);
        }
      }
    }
    for (const e of seed.log || []) {
      const inst = this.installation(e.installation_id);
      if (!inst) throw new Error(`sandbox seed: log entry for unknown installation_id ${e.installation_id}`);
      this.record(inst, fullTopic(inst, e.topic), e.value, e.timestamp <= 0 ? now + e.timestamp : e.timestamp, e.msg);
    }
  }

  installation(id: number): Installation | undefined {
    return this.installations.find((i) => i.id === id);
  }
  installationByClientId(clientId: number): Installation | undefined {
    return this.installations.find((i) => i.client_id === clientId);
  }

  collection(kind: 'functionx' | 'devicex'): Map<number, ModelX> {
    return kind === 'functionx' ? this.functions : this.devices;
  }

  addModel(kind: 'functionx' | 'devicex', m: Partial<ModelX> & { installation_id: number; type: string }): ModelX {
    const id = m.id ?? this.nextIds[kind];
    this.nextIds[kind] = Math.max(this.nextIds[kind], id + 1);
    const x: ModelX = { id, installation_id: m.installation_id, type: m.type, meta: { ...(m.meta || {}) }, protected_meta: { ...(m.protected_meta || {}) } };
    this.collection(kind).set(id, x);
    return x;
  }

  addSchedule(s: Partial<Schedule> & { installation_id: number; topic: string; value: number }): Schedule {
    const id = s.id ?? this.nextIds.schedule;
    this.nextIds.schedule = Math.max(this.nextIds.schedule, id + 1);
    const now = Math.floor(Date.now() / 1000);
    const x: Schedule = {
      id, installation_id: s.installation_id, active: s.active ?? true, created_at: s.created_at ?? now,
      updated_at: s.updated_at ?? String(now), day_of_month: s.day_of_month ?? '*', day_of_week: s.day_of_week ?? '*',
      month: s.month ?? '*', hour: s.hour ?? '*', minute: s.minute ?? '*', topic: s.topic, value: s.value,
      executor: s.executor ?? 'gateway',
    };
    this.schedules.set(id, x);
    return x;
  }

  addMessage(m: Partial<NotificationMessage> & { installation_id: number; name: string; text: string }): NotificationMessage {
    const id = m.id ?? this.nextIds.message;
    this.nextIds.message = Math.max(this.nextIds.message, id + 1);
    const x = { id, installation_id: m.installation_id, name: m.name, text: m.text };
    this.messages.set(id, x);
    return x;
  }

  addOutput(o: Partial<NotificationOutput> & { installation_id: number; name: string }): NotificationOutput {
    const id = o.id ?? this.nextIds.output;
    this.nextIds.output = Math.max(this.nextIds.output, id + 1);
    const x: NotificationOutput = {
      id, installation_id: o.installation_id, name: o.name,
      notification_output_executor_id: o.notification_output_executor_id ?? 1,
      notification_message_id: o.notification_message_id ?? 1, config: o.config ?? {},
    };
    this.outputs.set(id, x);
    return x;
  }

  /** Records a value: becomes the latest status of the topic and a log entry. */
  record(inst: Installation, topic: string, value: number, timestamp: number, msg?: string): StatusEntry {
    const e: StatusEntry = { client_id: inst.client_id, installation_id: inst.id, timestamp, topic, value };
    if (msg !== undefined) e.msg = msg;
    const st = this.status.get(inst.id)!;
    const prev = st.get(topic);
    if (!prev || prev.timestamp <= timestamp) st.set(topic, e);
    this.logs.get(inst.id)!.add(e);
    return e;
  }

  /** Logs in a user; returns the token (pending 2FA when the user has it). */
  login(email: string, password: string): TokenEntry | undefined {
    const u = this.users.find((x) => x.email.toLowerCase() === email.toLowerCase() && x.password === password);
    if (!u) return undefined;
    const t: TokenEntry = { token: randomBytes(16).toString('hex'), email: u.email, installations: u.installations ?? null, pending2fa: !!u.twofa };
    this.tokens.set(t.token, t);
    return t;
  }

  /** Invalidates a login token (tests use it to force a 401 and a re-login). Returns whether it existed. */
  revokeToken(token: string): boolean {
    return this.tokens.delete(token);
  }

  /** Invalidates every login token. */
  revokeAllTokens(): number {
    const n = this.tokens.size;
    this.tokens.clear();
    return n;
  }

  /** Installation ids a key or token may see; undefined when the secret is unknown. */
  visibleTo(secret: string): { kind: 'apikey' | 'token'; installations: number[] | null; pending2fa: boolean } | undefined {
    const k = this.apiKeys.get(secret);
    if (k) return { kind: 'apikey', installations: k.installations, pending2fa: false };
    const t = this.tokens.get(secret);
    if (t) return { kind: 'token', installations: t.installations, pending2fa: t.pending2fa };
    return undefined;
  }
}

export function fullTopic(inst: Installation, topic: string): string {
  const t = topic.replace(/^\/+/, '');
  return t.startsWith(`${inst.client_id}/`) ? t : `${inst.client_id}/${t}`;
}

function synthValue(f: ModelX, n: number): number {
  const t = f.type;
  if (t.startsWith('temperature')) return Math.round((21 + 2 * Math.sin(n / 8) + ((f.id * 7) % 5) / 10) * 10) / 10;
  if (t.startsWith('humidity')) return Math.round(40 + 8 * Math.sin(n / 11));
  if (t.startsWith('power') || t.startsWith('energy')) return Math.round(800 + 400 * Math.sin(n / 6));
  if (t.startsWith('co2')) return Math.round(550 + 200 * Math.sin(n / 9));
  return (n + f.id) % 7 === 0 ? 1 : 0;
}
