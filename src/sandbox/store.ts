// In-memory platform state of the Lynx sandbox: accounts, installations,
// functions, devices, schedules, notifications, latest status and the value log.
import { bareTopic as bareOf, fullTopic as fullOf } from '../lynx/topics';
import { randomBytes } from 'node:crypto';

export interface Installation {
  id: number;
  client_id: number;
  name: string;
  organization_id: number;
  capabilities: string[];
  /** The rest of an InstallationResponse (GET /api/v2/installation); seeds may leave them out. */
  notes?: string;
  users?: number[];
  meta?: Record<string, string>;
  protected_meta?: Record<string, string>;
  created?: number;
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

export interface NotificationMessage {
  id: number;
  installation_id: number;
  name: string;
  text: string;
}
export interface NotificationOutput {
  id: number;
  installation_id: number;
  name: string;
  notification_output_executor_id: number;
  notification_message_id: number;
  config: Record<string, string>;
}
export interface NotificationExecutor {
  id: number;
  type: string;
  name: string;
  organization_id: number;
  config: Record<string, string>;
}
export interface SentNotification {
  installation_id: number;
  output_id: number;
  data: unknown;
  at: number;
}

export interface StatusEntry {
  client_id: number;
  installation_id: number;
  timestamp: number;
  topic: string;
  value: number;
  msg?: string;
}
export type LogEntry = StatusEntry;

/**
 * A principal (API key, user, login token) may *see* `installations` (null = all) and is
 * *assigned* to `assigned`, a subset of those (null or absent = every installation it sees).
 * Every endpoint works on any visible installation; only `GET /api/v2/installationinfo`
 * tells them apart (`assigned` query parameter, `assigned` field of each entry).
 */
export interface ApiKeyEntry {
  key: string;
  installations: number[] | null;
  assigned?: number[] | null;
}
export interface User {
  email: string;
  password: string;
  twofa?: boolean;
  smsCode?: string;
  installations?: number[] | null;
  assigned?: number[] | null;
}
export interface TokenEntry {
  token: string;
  email: string;
  installations: number[] | null;
  assigned?: number[] | null;
  pending2fa: boolean;
}

/**
 * Switches between readings of the platform where the spec and IoT Open's own clients
 * differ, so a client can be tested against either (seed `behaviour`, or at run time
 * `sb.store.behaviour.<name> = ...`). Defaults follow the spec.
 */
export interface SandboxBehaviour {
  /**
   * `POST /api/v2/schedule/{id}`: 'empty' (default) answers 200 with no body, as the spec
   * documents (Responses: 200 "None"); 'schedule' answers the created Schedule, as go-lynx
   * (schedule.go CreateSchedule) and node-lynx read it.
   */
  scheduleCreateAnswer: 'empty' | 'schedule';
  /** Field of the 2FA login answer: 'nextstep' (default, the spec) or 'next_step' (node-lynx's declaration). */
  twoFactorField: 'nextstep' | 'next_step';
  /** Leave `id` out of notification message / executor list and get answers (the spec's examples lack it). */
  omitIds: { messages: boolean; executors: boolean };
  /**
   * false: log answers never carry `total` (a server that leaves it out whatever is asked);
   * default true: `total` unless `include_total=false`.
   */
  logTotal: boolean;
}

export function defaultBehaviour(): SandboxBehaviour {
  return { scheduleCreateAnswer: 'empty', twoFactorField: 'nextstep', omitIds: { messages: false, executors: false }, logTotal: true };
}

export type SeedBehaviour = Partial<Omit<SandboxBehaviour, 'omitIds'>> & { omitIds?: Partial<SandboxBehaviour['omitIds']> };

/** The seed: everything optional except installations (see README "The Lynx sandbox"). */
export interface Seed {
  apiKey?: string;
  apiKeys?: ApiKeyEntry[];
  users?: User[];
  /**
   * `assigned: false` (the old per-installation flag) is still accepted: such an
   * installation is left out of the `assigned` list of every key and user that has
   * no `assigned` list of its own.
   */
  installations: Array<Partial<Installation> & { id: number; client_id: number; name: string; assigned?: boolean }>;
  functions?: Array<Partial<ModelX> & { installation_id: number; type: string }>;
  devices?: Array<Partial<ModelX> & { installation_id: number; type: string }>;
  schedules?: Array<Partial<Schedule> & { installation_id: number; topic: string; value: number }>;
  notifications?: {
    messages?: Array<Partial<NotificationMessage> & { installation_id: number; name: string; text: string }>;
    outputs?: Array<Partial<NotificationOutput> & { installation_id: number; name: string }>;
    executors?: Array<Partial<NotificationExecutor> & { type: string; name: string }>;
  };
  /**
   * Explicit log entries; `timestamp` <= 0 means seconds relative to now. `client_id`
   * defaults to the installation's; the topic (bare or with that prefix) is stored as
   * `{client_id}/topic`.
   */
  log?: Array<{ installation_id: number; client_id?: number; topic: string; value: number; timestamp: number; msg?: string }>;
  /** Switches between readings of the platform (see SandboxBehaviour). */
  behaviour?: SeedBehaviour;
  /** Synthetic history: for every function's topic_read, one value every intervalSeconds over the last hours. */
  history?: { hours?: number; intervalSeconds?: number };
}

/** Aggregation methods of the v3 log (`aggr_method`), as IoT Open's Grafana data source offers them. */
export type { AggrMethod } from '../lynx/aggregation';
import type { AggrMethod } from '../lynx/aggregation';

export interface LogQuery {
  from: number;
  to: number;
  limit: number;
  offset: number;
  order: 'asc' | 'desc';
  /** Bare topics (a function's topic_read, without `{client_id}/`); absent or empty = every topic. */
  topics?: string[];
  /** Server-side aggregation: one row per topic per interval bucket (aligned to the unix epoch). */
  aggregate?: { method: AggrMethod; intervalSeconds: number };
}

/** An entry's topic without its own `{client_id}/` prefix (src/lynx/topics). */
export function bareTopic(e: { client_id: number; topic: string }): string {
  return bareOf(e.client_id, e.topic);
}

/**
 * Log of one installation: entries in timestamp order, per full topic (`byTopic`, as
 * stored: `{client_id}/...`), and the full topics of each bare topic (`fullTopics`),
 * which is how topic filters (bare) find their lists.
 */
export class InstallationLog {
  readonly all: LogEntry[] = [];
  readonly byTopic = new Map<string, LogEntry[]>();
  readonly fullTopics = new Map<string, Set<string>>();

  add(e: LogEntry): void {
    insertSorted(this.all, e);
    let t = this.byTopic.get(e.topic);
    if (!t) {
      this.byTopic.set(e.topic, (t = []));
      const bare = bareTopic(e);
      let s = this.fullTopics.get(bare);
      if (!s) this.fullTopics.set(bare, (s = new Set()));
      s.add(e.topic);
    }
    insertSorted(t, e);
  }

  /** The per-topic lists a filter of bare topics selects (every topic's list when none). */
  private lists(topics?: string[]): Array<[string, LogEntry[]]> {
    if (!topics || !topics.length) return [...this.byTopic];
    const out: Array<[string, LogEntry[]]> = [];
    const seen = new Set<string>();
    for (const bare of topics) {
      for (const full of this.fullTopics.get(bare) ?? []) {
        if (seen.has(full)) continue;
        seen.add(full);
        out.push([full, this.byTopic.get(full)!]);
      }
    }
    return out;
  }

  /**
   * One page of entries with from <= timestamp <= to, optionally only `topics` (bare).
   * Cost: O(log n + offset + limit) per selected topic; with `aggregate`, O(entries in range).
   */
  query(q: LogQuery): { total: number; data: LogEntry[] } {
    if (q.aggregate) {
      const rows = this.aggregateRows(q);
      return { total: rows.length, data: pageOf(rows, 0, rows.length, q) };
    }
    const lists = q.topics && q.topics.length ? this.lists(q.topics).map(([, l]) => l) : [this.all];
    const ranges = lists.map((l) => ({ l, lo: lowerBound(l, q.from), hi: upperBound(l, q.to) }));
    let total = 0;
    for (const r of ranges) total += Math.max(0, r.hi - r.lo);
    const data: LogEntry[] = [];
    if (q.limit <= 0 || q.offset >= total) return { total, data };
    if (ranges.length === 1) return { total, data: pageOf(ranges[0].l, ranges[0].lo, ranges[0].hi, q) };
    // k-way merge over the per-topic ranges
    const asc = q.order === 'asc';
    const idx = ranges.map((r) => (asc ? r.lo : r.hi - 1));
    let skip = q.offset;
    for (;;) {
      let best = -1;
      for (let k = 0; k < ranges.length; k++) {
        const i = idx[k];
        if (asc ? i >= ranges[k].hi : i < ranges[k].lo) continue;
        if (best < 0) {
          best = k;
          continue;
        }
        const a = ranges[k].l[i].timestamp;
        const b = ranges[best].l[idx[best]].timestamp;
        if (asc ? a < b : a > b) best = k;
      }
      if (best < 0) break;
      const e = ranges[best].l[idx[best]];
      idx[best] += asc ? 1 : -1;
      if (skip > 0) {
        skip--;
        continue;
      }
      data.push(e);
      if (data.length >= q.limit) break;
    }
    return { total, data };
  }

  /**
   * Aggregated rows in ascending (bucket start, topic) order: per full topic, per
   * bucket [k*interval, (k+1)*interval) that has entries in [from, to]; the row's
   * timestamp is the bucket start, `msg` is left out.
   */
  private aggregateRows(q: LogQuery): LogEntry[] {
    const { method, intervalSeconds: iv } = q.aggregate!;
    const rows: LogEntry[] = [];
    const vals: number[] = [];
    for (const [topic, l] of this.lists(q.topics)) {
      const lo = lowerBound(l, q.from);
      const hi = upperBound(l, q.to);
      let i = lo;
      while (i < hi) {
        const bucket = Math.floor(l[i].timestamp / iv) * iv;
        const end = bucket + iv;
        vals.length = 0;
        let j = i;
        for (; j < hi && l[j].timestamp < end; j++) vals.push(l[j].value);
        if (j === i) {
          j++;
          vals.push(l[i].value);
        } // float edge: never loop forever
        rows.push({
          client_id: l[i].client_id,
          installation_id: l[i].installation_id,
          timestamp: bucket,
          topic,
          value: aggregateValues(method, vals),
        });
        i = j;
      }
    }
    rows.sort((a, b) => a.timestamp - b.timestamp || (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    return rows;
  }
}

/** The page of list[lo, hi) that offset, limit and order select. */
function pageOf(list: LogEntry[], lo: number, hi: number, q: LogQuery): LogEntry[] {
  const data: LogEntry[] = [];
  if (q.order === 'asc') {
    for (let i = lo + q.offset; i < hi && data.length < q.limit; i++) data.push(list[i]);
  } else {
    for (let i = hi - 1 - q.offset; i >= lo && data.length < q.limit; i--) data.push(list[i]);
  }
  return data;
}

/** One bucket's aggregate; `vals` in timestamp order, never empty. */
export function aggregateValues(method: AggrMethod, vals: number[]): number {
  const n = vals.length;
  if (typeof method === 'object') {
    // nearest rank, as InfluxQL's PERCENTILE(): the element at floor(n*N/100 + 0.5) - 1
    const s = [...vals].sort((a, b) => a - b);
    const i = Math.min(n - 1, Math.max(0, Math.floor((n * method.percentile) / 100 + 0.5) - 1));
    return s[i];
  }
  switch (method) {
    case 'count':
      return n;
    case 'first':
      return vals[0];
    case 'last':
      return vals[n - 1];
    case 'sum': {
      let t = 0;
      for (const v of vals) t += v;
      return t;
    }
    case 'avg': {
      let t = 0;
      for (const v of vals) t += v;
      return t / n;
    }
    case 'max': {
      let m = -Infinity;
      for (const v of vals) if (v > m) m = v;
      return m;
    }
    case 'min': {
      let m = Infinity;
      for (const v of vals) if (v < m) m = v;
      return m;
    }
    case 'spread': {
      let lo = Infinity,
        hi = -Infinity;
      for (const v of vals) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return hi - lo;
    }
    case 'median': {
      const s = [...vals].sort((a, b) => a - b);
      return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
    case 'stddev': {
      // sample standard deviation (n - 1), as InfluxQL's STDDEV(); 0 for a single value
      if (n < 2) return 0;
      let mean = 0;
      for (const v of vals) mean += v;
      mean /= n;
      let ss = 0;
      for (const v of vals) ss += (v - mean) ** 2;
      return Math.sqrt(ss / (n - 1));
    }
  }
}

function lowerBound(a: LogEntry[], ts: number): number {
  let lo = 0,
    hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m].timestamp < ts) lo = m + 1;
    else hi = m;
  }
  return lo;
}
function upperBound(a: LogEntry[], ts: number): number {
  let lo = 0,
    hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m].timestamp <= ts) lo = m + 1;
    else hi = m;
  }
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
  /** Switches between readings of the platform; change them at run time (see SandboxBehaviour). */
  behaviour: SandboxBehaviour = defaultBehaviour();
  private nextIds = { functionx: 1, devicex: 1, schedule: 1, message: 1, output: 1, executor: 1 };

  constructor(seedIn: Seed) {
    const seed = clone(seedIn);
    if (!Array.isArray(seed.installations) || !seed.installations.length) {
      throw new Error('sandbox seed: "installations" must be a non-empty array');
    }
    this.behaviour = seedBehaviour(seed.behaviour);
    for (const i of seed.installations) {
      this.installations.push({
        id: i.id,
        client_id: i.client_id,
        name: i.name,
        organization_id: i.organization_id ?? 1,
        capabilities: i.capabilities ?? [],
        notes: i.notes ?? '',
        users: i.users ?? [],
        meta: { ...(i.meta ?? {}) },
        protected_meta: { ...(i.protected_meta ?? {}) },
        created: i.created ?? Math.floor(Date.now() / 1000),
      });
      this.logs.set(i.id, new InstallationLog());
      this.status.set(i.id, new Map());
    }
    // the old per-installation `assigned: false`: out of every default `assigned` list
    const unassigned = new Set(seed.installations.filter((i) => i.assigned === false).map((i) => i.id));
    const access = (who: string, installations: number[] | null | undefined, assigned: number[] | null | undefined) => {
      const vis = installations ?? null;
      if (vis !== null && (!Array.isArray(vis) || vis.some((x) => typeof x !== 'number'))) {
        throw new Error(`sandbox seed: ${who}: "installations" must be null or an array of installation ids`);
      }
      if (assigned === undefined || assigned === null) {
        if (!unassigned.size) return { installations: vis, assigned: null };
        return { installations: vis, assigned: (vis ?? this.installations.map((i) => i.id)).filter((id) => !unassigned.has(id)) };
      }
      if (!Array.isArray(assigned) || assigned.some((x) => typeof x !== 'number')) {
        throw new Error(`sandbox seed: ${who}: "assigned" must be null or an array of installation ids`);
      }
      const notSeen = vis === null ? [] : assigned.filter((id) => !vis.includes(id));
      if (notSeen.length) throw new Error(`sandbox seed: ${who}: "assigned" lists ${notSeen.join(', ')}, not in its "installations"`);
      return { installations: vis, assigned: [...assigned] };
    };
    this.apiKey = seed.apiKey || randomBytes(16).toString('hex');
    this.apiKeys.set(this.apiKey, { key: this.apiKey, ...access('apiKey', null, undefined) });
    // an apiKeys entry with the main key's value sets that key's installations and assignment
    for (const k of seed.apiKeys || []) this.apiKeys.set(k.key, { key: k.key, ...access(`API key ${k.key}`, k.installations, k.assigned) });
    this.users = (seed.users || []).map((u) => ({ ...u, ...access(`user ${u.email}`, u.installations, u.assigned) }));
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
          this.record(inst, f.meta.topic_read, synthValue(f, n), t);
        }
      }
    }
    for (const e of seed.log || []) {
      const inst = this.installation(e.installation_id);
      if (!inst) throw new Error(`sandbox seed: log entry for unknown installation_id ${e.installation_id}`);
      this.record(inst, e.topic, e.value, e.timestamp <= 0 ? now + e.timestamp : e.timestamp, e.msg, e.client_id ?? inst.client_id);
    }
  }

  /**
   * A new installation (POST /api/v2/installation): the next id and client_id. A principal that
   * sees only some installations (an API key or login with a list) sees the new one too, as
   * the creator does on the platform.
   */
  addInstallation(
    i: Pick<Installation, 'name' | 'organization_id' | 'notes' | 'users' | 'meta' | 'protected_meta'>,
    creator?: { key: string },
  ): Installation {
    const next = (f: 'id' | 'client_id') => this.installations.reduce((m, x) => Math.max(m, x[f]), 0) + 1;
    const x: Installation = {
      id: next('id'),
      client_id: next('client_id'),
      capabilities: [],
      created: Math.floor(Date.now() / 1000),
      ...i,
    };
    this.installations.push(x);
    this.logs.set(x.id, new InstallationLog());
    this.status.set(x.id, new Map());
    const who = creator && (this.apiKeys.get(creator.key) ?? this.tokens.get(creator.key));
    if (who && who.installations !== null) who.installations.push(x.id);
    if (who && Array.isArray(who.assigned)) who.assigned.push(x.id);
    return x;
  }

  /** Removes an installation and everything in it (functions, devices, schedules, notifications, values). */
  removeInstallation(id: number): void {
    this.installations = this.installations.filter((i) => i.id !== id);
    for (const m of [this.functions, this.devices, this.schedules, this.messages, this.outputs] as Array<
      Map<number, { installation_id: number }>
    >) {
      for (const [k, v] of m) if (v.installation_id === id) m.delete(k);
    }
    this.logs.delete(id);
    this.status.delete(id);
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
    const x: ModelX = {
      id,
      installation_id: m.installation_id,
      type: m.type,
      meta: { ...(m.meta || {}) },
      protected_meta: { ...(m.protected_meta || {}) },
    };
    this.collection(kind).set(id, x);
    return x;
  }

  addSchedule(s: Partial<Schedule> & { installation_id: number; topic: string; value: number }): Schedule {
    const id = s.id ?? this.nextIds.schedule;
    this.nextIds.schedule = Math.max(this.nextIds.schedule, id + 1);
    const now = Math.floor(Date.now() / 1000);
    const x: Schedule = {
      id,
      installation_id: s.installation_id,
      active: s.active ?? true,
      created_at: s.created_at ?? now,
      updated_at: s.updated_at ?? String(now),
      day_of_month: s.day_of_month ?? '*',
      day_of_week: s.day_of_week ?? '*',
      month: s.month ?? '*',
      hour: s.hour ?? '*',
      minute: s.minute ?? '*',
      topic: s.topic,
      value: s.value,
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
      id,
      installation_id: o.installation_id,
      name: o.name,
      notification_output_executor_id: o.notification_output_executor_id ?? 1,
      notification_message_id: o.notification_message_id ?? 1,
      config: o.config ?? {},
    };
    this.outputs.set(id, x);
    return x;
  }

  /**
   * Records a value: becomes the latest status of the topic and a log entry. The topic
   * (bare or full) is stored as `{clientId}/...`; clientId defaults to the installation's.
   */
  record(inst: Installation, topic: string, value: number, timestamp: number, msg?: string, clientId = inst.client_id): StatusEntry {
    const e: StatusEntry = { client_id: clientId, installation_id: inst.id, timestamp, topic: fullOf(clientId, topic), value };
    if (msg !== undefined) e.msg = msg;
    const st = this.status.get(inst.id)!;
    const prev = st.get(e.topic);
    if (!prev || prev.timestamp <= timestamp) st.set(e.topic, e);
    this.logs.get(inst.id)!.add(e);
    return e;
  }

  /** Logs in a user; returns the token (pending 2FA when the user has it). */
  login(email: string, password: string): TokenEntry | undefined {
    const u = this.users.find((x) => x.email.toLowerCase() === email.toLowerCase() && x.password === password);
    if (!u) return undefined;
    const t: TokenEntry = {
      token: randomBytes(16).toString('hex'),
      email: u.email,
      installations: u.installations ?? null,
      assigned: u.assigned ?? null,
      pending2fa: !!u.twofa,
    };
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

  /**
   * Installation ids a key or token may see and is assigned to (null = all it sees);
   * undefined when the secret is unknown.
   */
  visibleTo(
    secret: string,
  ): { kind: 'apikey' | 'token'; installations: number[] | null; assigned: number[] | null; pending2fa: boolean } | undefined {
    const k = this.apiKeys.get(secret);
    if (k) return { kind: 'apikey', installations: k.installations, assigned: k.assigned ?? null, pending2fa: false };
    const t = this.tokens.get(secret);
    if (t) return { kind: 'token', installations: t.installations, assigned: t.assigned ?? null, pending2fa: t.pending2fa };
    return undefined;
  }

  /** Whether a principal ({installations, assigned?}) is assigned to an installation it sees. */
  isAssigned(p: { installations: number[] | null; assigned?: number[] | null }, installationId: number): boolean {
    if (p.installations !== null && !p.installations.includes(installationId)) return false;
    return p.assigned === undefined || p.assigned === null || p.assigned.includes(installationId);
  }
}

export function fullTopic(inst: Installation, topic: string): string {
  return fullOf(inst.client_id, topic);
}

function seedBehaviour(b: SeedBehaviour | undefined): SandboxBehaviour {
  const out = defaultBehaviour();
  if (b === undefined || b === null) return out;
  if (typeof b !== 'object') throw new Error('sandbox seed: "behaviour" must be an object');
  if (b.scheduleCreateAnswer !== undefined) {
    if (b.scheduleCreateAnswer !== 'empty' && b.scheduleCreateAnswer !== 'schedule') {
      throw new Error('sandbox seed: behaviour.scheduleCreateAnswer must be "empty" or "schedule"');
    }
    out.scheduleCreateAnswer = b.scheduleCreateAnswer;
  }
  if (b.twoFactorField !== undefined) {
    if (b.twoFactorField !== 'nextstep' && b.twoFactorField !== 'next_step') {
      throw new Error('sandbox seed: behaviour.twoFactorField must be "nextstep" or "next_step"');
    }
    out.twoFactorField = b.twoFactorField;
  }
  if (b.omitIds !== undefined) {
    for (const k of ['messages', 'executors'] as const) {
      const v = b.omitIds[k];
      if (v === undefined) continue;
      if (typeof v !== 'boolean') throw new Error(`sandbox seed: behaviour.omitIds.${k} must be a boolean`);
      out.omitIds[k] = v;
    }
  }
  if (b.logTotal !== undefined) {
    if (typeof b.logTotal !== 'boolean') throw new Error('sandbox seed: behaviour.logTotal must be a boolean');
    out.logTotal = b.logTotal;
  }
  return out;
}

function synthValue(f: ModelX, n: number): number {
  const t = f.type;
  if (t.startsWith('temperature')) return Math.round((21 + 2 * Math.sin(n / 8) + ((f.id * 7) % 5) / 10) * 10) / 10;
  if (t.startsWith('humidity')) return Math.round(40 + 8 * Math.sin(n / 11));
  if (t.startsWith('power') || t.startsWith('energy')) return Math.round(800 + 400 * Math.sin(n / 6));
  if (t.startsWith('co2')) return Math.round(550 + 200 * Math.sin(n / 9));
  return (n + f.id) % 7 === 0 ? 1 : 0;
}
