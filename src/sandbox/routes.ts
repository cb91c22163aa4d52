// The Lynx REST endpoints the sandbox implements (paths, fields and status codes
// from the Lynx OpenAPI v2 spec).
import { randomBytes } from 'node:crypto';
import { HttpError, json, type Router, type SbRequest } from './router';
import type { SandboxContext } from './context';
import { fullTopic, type Installation, type ModelX, type Schedule } from './store';

type Obj = Record<string, unknown>;

function bodyObject(req: SbRequest): Obj {
  const b = req.json<unknown>();
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'request body must be a JSON object');
  return b as Obj;
}

function requireString(b: Obj, field: string): string {
  const v = b[field];
  if (v === undefined || v === null || v === '') throw new HttpError(400, `missing required field "${field}"`);
  if (typeof v !== 'string') throw new HttpError(400, `field "${field}" must be a string`);
  return v;
}

function optionalString(b: Obj, field: string): string | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new HttpError(400, `field "${field}" must be a string`);
  return v;
}

function requireNumber(b: Obj, field: string): number {
  const v = b[field];
  if (v === undefined || v === null) throw new HttpError(400, `missing required field "${field}"`);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new HttpError(400, `field "${field}" must be a number`);
  return v;
}

function stringMap(b: Obj, field: string, required: boolean): Record<string, string> | undefined {
  const v = b[field];
  if (v === undefined || v === null) {
    if (required) throw new HttpError(400, `missing required field "${field}"`);
    return undefined;
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, `field "${field}" must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    if (typeof x !== 'string') throw new HttpError(400, `field "${field}.${k}" must be a string`);
    out[k] = x;
  }
  return out;
}

function idParam(req: SbRequest, name: string): number {
  const s = req.params[name];
  if (!/^\d+$/.test(s)) throw new HttpError(400, `path parameter "${name}" must be a number`);
  return Number(s);
}

function numberQuery(req: SbRequest, name: string, dflt: number, min = -Infinity): number {
  const s = req.query.get(name);
  if (s === null || s === '') return dflt;
  const n = Number(s);
  if (!Number.isFinite(n) || n < min) throw new HttpError(400, `query parameter "${name}" must be a number${min > -Infinity ? ` >= ${min}` : ''}`);
  return n;
}

/** Topic list from repeated and/or comma-separated query values, normalised to full topics. */
function topicsFromQuery(req: SbRequest, inst: Installation): string[] | undefined {
  const raw = req.query.getAll('topics').flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
  return raw.length ? raw.map((t) => fullTopic(inst, t)) : undefined;
}

function topicsFromBody(req: SbRequest, inst: Installation): string[] {
  const b = req.json<unknown>();
  if (!Array.isArray(b) || b.some((t) => typeof t !== 'string')) {
    throw new HttpError(400, 'request body must be a JSON array of topic strings');
  }
  return (b as string[]).map((t) => fullTopic(inst, t));
}

function wildcardMatcher(pattern: string): (v: string | undefined) => boolean {
  if (!pattern.includes('*')) return (v) => v === pattern;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return (v) => v !== undefined && re.test(v);
}

export function registerRoutes(router: Router, ctx: SandboxContext): void {
  const { store } = ctx;

  // ---- auth -------------------------------------------------------------
  router.add('POST', '/api/v2/auth', (req) => {
    let email: string | undefined;
    let password: string | undefined;
    const auth = req.headers.authorization;
    if (auth && /^basic /i.test(auth)) {
      const dec = Buffer.from(auth.slice(6).trim(), 'base64').toString();
      const i = dec.indexOf(':');
      if (i >= 0) { email = dec.slice(0, i); password = dec.slice(i + 1); }
    } else if (req.body.length) {
      const b = bodyObject(req);
      email = (optionalString(b, 'email') ?? optionalString(b, 'username'));
      password = optionalString(b, 'password');
    }
    if (!email || password === undefined) throw new HttpError(401, 'Unauthorized');
    const t = store.login(email, password);
    if (!t) throw new HttpError(401, 'Unauthorized');
    return json(200, t.pending2fa ? { token: t.token, nextstep: 'smslogin' } : { token: t.token });
  }, { auth: false });

  router.add('PUT', '/api/v2/auth', (req) => {
    const p = req.principal!;
    const tok = store.tokens.get(p.key);
    if (!tok || !tok.pending2fa) throw new HttpError(401, 'Unauthorized');
    const challenge = requireString(bodyObject(req), 'challenge');
    const user = store.users.find((u) => u.email === tok.email);
    if (!user || challenge !== (user.smsCode ?? '123456')) throw new HttpError(401, 'Unauthorized');
    store.revokeToken(tok.token);
    const full = { ...tok, token: randomBytes(16).toString('hex'), pending2fa: false };
    store.tokens.set(full.token, full);
    return json(200, { token: full.token });
  });

  router.add('DELETE', '/api/v2/auth', (req) => {
    store.revokeToken(req.principal!.key);
    return json(200, { message: 'Logged out' });
  });

  // ---- installations ----------------------------------------------------
  router.add('GET', '/api/v2/installationinfo', (req) => {
    const vis = req.principal!.installations;
    return json(200, store.installations.filter((i) => vis === null || vis.includes(i.id)));
  });
  router.add('GET', '/api/v2/installationinfo/{client_id}', (req) => {
    const cid = idParam(req, 'client_id');
    const inst = store.installationByClientId(cid);
    const vis = req.principal!.installations;
    if (vis !== null && (!inst || !vis.includes(inst.id))) throw new HttpError(403, 'Forbidden');
    if (!inst) throw new HttpError(404, 'Not found');
    return json(200, inst);
  });

  // ---- functionx / devicex ----------------------------------------------
  for (const kind of ['functionx', 'devicex'] as const) {
    const coll = store.collection(kind);
    const idName = `${kind}_id`;
    const base = `/api/v2/${kind}/{installation_id}`;
    const item = (req: SbRequest): { inst: Installation; x: ModelX } => {
      const inst = ctx.installationFor(req, req.params.installation_id);
      const x = coll.get(idParam(req, idName));
      if (!x || x.installation_id !== inst.id) throw new HttpError(404, 'Not found');
      return { inst, x };
    };
    const changed = (req: SbRequest, inst: Installation) => {
      if (!ctx.flag(req, 'silent')) ctx.emitEvent(inst.client_id, kind);
    };

    router.add('GET', base, (req) => {
      const inst = ctx.installationFor(req, req.params.installation_id);
      const type = req.query.get('type');
      const filters: Array<[string, (v: string | undefined) => boolean]> = [];
      for (const key of new Set(req.query.keys())) {
        if (key === 'type') continue;
        const ms = req.query.getAll(key).map(wildcardMatcher);
        filters.push([key, (v) => ms.some((m) => m(v))]);
      }
      const out: ModelX[] = [];
      for (const x of coll.values()) {
        if (x.installation_id !== inst.id) continue;
        if (type && x.type !== type) continue;
        if (filters.every(([k, m]) => m(x.meta[k] ?? x.protected_meta[k]))) out.push(x);
      }
      return json(200, out);
    });
    router.add('POST', base, (req) => {
      const inst = ctx.installationFor(req, req.params.installation_id);
      const b = bodyObject(req);
      const type = requireString(b, 'type');
      const meta = stringMap(b, 'meta', false) ?? {};
      const protectedMeta = stringMap(b, 'protected_meta', false) ?? {};
      const x = store.addModel(kind, { installation_id: inst.id, type, meta, protected_meta: protectedMeta });
      changed(req, inst);
      return json(200, x);
    });
    router.add('GET', `${base}/{${idName}}`, (req) => json(200, item(req).x));
    router.add('PUT', `${base}/{${idName}}`, (req) => {
      const { inst, x } = item(req);
      const b = bodyObject(req);
      const type = optionalString(b, 'type');
      const meta = stringMap(b, 'meta', true)!;
      const pm = stringMap(b, 'protected_meta', false);
      if (type) x.type = type;
      x.meta = meta;
      if (pm) x.protected_meta = pm;
      changed(req, inst);
      return json(200, x);
    });
    router.add('DELETE', `${base}/{${idName}}`, (req) => {
      const { inst, x } = item(req);
      coll.delete(x.id);
      changed(req, inst);
      return json(200, { message: 'Deleted' });
    });

    const metaPath = `${base}/{${idName}}/meta/{meta_key}`;
    const metaBody = (req: SbRequest) => {
      const b = bodyObject(req);
      const value = b.value;
      if (value === undefined || value === null) throw new HttpError(400, 'missing required field "value"');
      if (typeof value !== 'string') throw new HttpError(400, 'field "value" must be a string');
      if (b.protected !== undefined && typeof b.protected !== 'boolean') throw new HttpError(400, 'field "protected" must be a boolean');
      return { value, protected: b.protected as boolean | undefined };
    };
    const getMeta = (x: ModelX, key: string) =>
      key in x.meta ? { value: x.meta[key], protected: false }
        : key in x.protected_meta ? { value: x.protected_meta[key], protected: true } : undefined;
    const setMeta = (x: ModelX, key: string, value: string, prot: boolean) => {
      delete x.meta[key];
      delete x.protected_meta[key];
      (prot ? x.protected_meta : x.meta)[key] = value;
      return { value, protected: prot };
    };

    router.add('GET', metaPath, (req) => {
      const m = getMeta(item(req).x, req.params.meta_key);
      if (!m) throw new HttpError(404, 'Not found');
      return json(200, m);
    });
    router.add('POST', metaPath, (req) => {
      const { inst, x } = item(req);
      const key = req.params.meta_key;
      const b = metaBody(req);
      if (getMeta(x, key)) throw new HttpError(409, 'duplicate key');
      const r = setMeta(x, key, b.value, !!b.protected);
      changed(req, inst);
      return json(200, r);
    });
    router.add('PUT', metaPath, (req) => {
      const { inst, x } = item(req);
      const key = req.params.meta_key;
      const b = metaBody(req);
      const cur = getMeta(x, key);
      if (!cur && !ctx.flag(req, 'create_missing')) throw new HttpError(404, 'Not found');
      const r = setMeta(x, key, b.value, b.protected ?? cur?.protected ?? false);
      changed(req, inst);
      return json(200, r);
    });
    router.add('DELETE', metaPath, (req) => {
      const { inst, x } = item(req);
      const key = req.params.meta_key;
      if (!getMeta(x, key)) throw new HttpError(404, 'Not found');
      delete x.meta[key];
      delete x.protected_meta[key];
      changed(req, inst);
      return json(200, { message: 'Deleted' });
    });
  }

  // ---- status -----------------------------------------------------------
  const status = (inst: Installation, topics?: string[]) => {
    const st = store.status.get(inst.id)!;
    if (!topics) return [...st.values()];
    return [...new Set(topics)].map((t) => st.get(t)).filter((e) => !!e);
  };
  router.add('GET', '/api/v2/status/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return json(200, status(inst, topicsFromQuery(req, inst)));
  });
  router.add('POST', '/api/v2/status/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return json(200, status(inst, topicsFromBody(req, inst)));
  });

  // ---- log v3 -----------------------------------------------------------
  const logQuery = (req: SbRequest, inst: Installation, topics?: string[]) => {
    const now = Date.now() / 1000;
    const order = req.query.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw new HttpError(400, 'query parameter "order" must be "asc" or "desc"');
    const q = {
      from: numberQuery(req, 'from', now - 86400),
      to: numberQuery(req, 'to', now),
      limit: numberQuery(req, 'limit', 10000, 0),
      offset: numberQuery(req, 'offset', 0, 0),
      order: order as 'asc' | 'desc',
      topics,
    };
    const { total, data } = store.logs.get(inst.id)!.query(q);
    const last = data.length ? (q.order === 'asc' ? data[0].timestamp : data[data.length - 1].timestamp) : 0;
    return json(200, { total, count: data.length, last, data });
  };
  router.add('GET', '/api/v3beta/log/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return logQuery(req, inst, topicsFromQuery(req, inst));
  });
  router.add('POST', '/api/v3beta/log/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const topics = topicsFromBody(req, inst);
    return logQuery(req, inst, topics.length ? topics : undefined);
  });

  // ---- schedules --------------------------------------------------------
  const cronFields = ['day_of_month', 'day_of_week', 'month', 'hour', 'minute'] as const;
  const scheduleFields = (b: Obj, create: boolean): Partial<Schedule> => {
    const out: Partial<Schedule> = {};
    if (create || b.topic !== undefined) out.topic = requireString(b, 'topic');
    if (create || b.value !== undefined) out.value = requireNumber(b, 'value');
    if (b.active !== undefined) {
      if (typeof b.active !== 'boolean') throw new HttpError(400, 'field "active" must be a boolean');
      out.active = b.active;
    }
    for (const f of cronFields) {
      const v = b[f];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string' && typeof v !== 'number') throw new HttpError(400, `field "${f}" must be a string like "*" or "0,30"`);
      out[f] = String(v);
    }
    const ex = optionalString(b, 'executor');
    if (ex) out.executor = ex;
    return out;
  };
  const scheduleItem = (req: SbRequest) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const s = store.schedules.get(idParam(req, 'schedule_id'));
    if (!s || s.installation_id !== inst.id) throw new HttpError(404, 'Not found');
    return { inst, s };
  };
  router.add('GET', '/api/v2/schedule/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const executor = req.query.get('executor') || 'gateway';
    return json(200, [...store.schedules.values()].filter((s) => s.installation_id === inst.id && s.executor === executor));
  });
  router.add('POST', '/api/v2/schedule/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const f = scheduleFields(bodyObject(req), true);
    const s = store.addSchedule({ ...f, installation_id: inst.id, topic: f.topic!, value: f.value!, id: undefined, created_at: undefined });
    if (!ctx.flag(req, 'silent')) ctx.emitEvent(inst.client_id, 'schedule');
    return json(200, s);
  });
  router.add('GET', '/api/v2/schedule/{installation_id}/{schedule_id}', (req) => json(200, scheduleItem(req).s));
  router.add('PUT', '/api/v2/schedule/{installation_id}/{schedule_id}', (req) => {
    const { inst, s } = scheduleItem(req);
    Object.assign(s, scheduleFields(bodyObject(req), false), { updated_at: String(Math.floor(Date.now() / 1000)) });
    if (!ctx.flag(req, 'silent')) ctx.emitEvent(inst.client_id, 'schedule');
    return json(200, s);
  });
  router.add('DELETE', '/api/v2/schedule/{installation_id}/{schedule_id}', (req) => {
    const { inst, s } = scheduleItem(req);
    store.schedules.delete(s.id);
    if (!ctx.flag(req, 'silent')) ctx.emitEvent(inst.client_id, 'schedule');
    return json(200, { message: 'deleted' });
  });

  // ---- notifications ----------------------------------------------------
  const nbase = '/api/v2/notification/{installation_id}';
  // the spec's NotificationMessage has no installation_id
  const messageOut = (m: { id: number; name: string; text: string }) => ({ id: m.id, name: m.name, text: m.text });
  router.add('GET', `${nbase}/message`, (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return json(200, [...store.messages.values()].filter((m) => m.installation_id === inst.id).map(messageOut));
  });
  router.add('POST', `${nbase}/message`, (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const b = bodyObject(req);
    return json(200, messageOut(store.addMessage({ installation_id: inst.id, name: requireString(b, 'name'), text: requireString(b, 'text') })));
  });
  const messageItem = (req: SbRequest) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const m = store.messages.get(idParam(req, 'message_id'));
    if (!m || m.installation_id !== inst.id) throw new HttpError(404, 'Not found');
    return m;
  };
  router.add('GET', `${nbase}/message/{message_id}`, (req) => json(200, messageOut(messageItem(req))));
  router.add('PUT', `${nbase}/message/{message_id}`, (req) => {
    const m = messageItem(req);
    const b = bodyObject(req);
    m.name = optionalString(b, 'name') ?? m.name;
    m.text = optionalString(b, 'text') ?? m.text;
    return json(200, messageOut(m));
  });
  router.add('DELETE', `${nbase}/message/{message_id}`, (req) => {
    store.messages.delete(messageItem(req).id);
    return json(200, { message: 'Deleted' });
  });

  router.add('GET', `${nbase}/output`, (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return json(200, [...store.outputs.values()].filter((o) => o.installation_id === inst.id));
  });
  const outputFields = (b: Obj) => {
    const ex = requireNumber(b, 'notification_output_executor_id');
    if (!store.executors.has(ex)) throw new HttpError(400, `field "notification_output_executor_id": no executor ${ex}`);
    return { notification_output_executor_id: ex, notification_message_id: requireNumber(b, 'notification_message_id'), config: stringMap(b, 'config', false) ?? {} };
  };
  router.add('POST', `${nbase}/output`, (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const b = bodyObject(req);
    return json(200, store.addOutput({ installation_id: inst.id, name: requireString(b, 'name'), ...outputFields(b) }));
  });
  const outputItem = (req: SbRequest) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const o = store.outputs.get(idParam(req, 'output_id'));
    if (!o || o.installation_id !== inst.id) throw new HttpError(404, 'Not found');
    return o;
  };
  router.add('GET', `${nbase}/output/{output_id}`, (req) => json(200, outputItem(req)));
  router.add('PUT', `${nbase}/output/{output_id}`, (req) => {
    const o = outputItem(req);
    const b = bodyObject(req);
    Object.assign(o, { name: requireString(b, 'name'), ...outputFields(b) });
    return json(200, o);
  });
  router.add('DELETE', `${nbase}/output/{output_id}`, (req) => {
    store.outputs.delete(outputItem(req).id);
    return json(200, { message: 'Deleted' });
  });
  router.add('POST', `${nbase}/output/{output_id}/send`, (req) => {
    const o = outputItem(req);
    const data = req.body.length ? req.json<unknown>() : null;
    store.sentNotifications.push({ installation_id: o.installation_id, output_id: o.id, data, at: Date.now() / 1000 });
    return json(200, { message: 'Sent' });
  });
  router.add('GET', `${nbase}/executor`, (req) => {
    ctx.installationFor(req, req.params.installation_id);
    return json(200, [...store.executors.values()]);
  });
  router.add('GET', `${nbase}/executor/{executor_id}`, (req) => {
    ctx.installationFor(req, req.params.installation_id);
    const e = store.executors.get(idParam(req, 'executor_id'));
    if (!e) throw new HttpError(404, 'Not found');
    return json(200, e);
  });

  // ---- mqtt publish -----------------------------------------------------
  router.add('POST', '/api/v2/mqtt/publish/{installation_id}', async (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const b = bodyObject(req);
    const topic = requireString(b, 'topic');
    if (!('payload' in b)) throw new HttpError(400, 'missing required field "payload"');
    const p = b.payload;
    const payload = typeof p === 'string' ? p : JSON.stringify(p);
    const qos = b.qos === 1 ? 1 : 0;
    try {
      await ctx.publish(fullTopic(inst, topic), payload, { qos, retain: b.retained === true });
    } catch {
      throw new HttpError(503, 'MQTT broker unavailable');
    }
    return json(200, { message: 'Published' });
  });
}
