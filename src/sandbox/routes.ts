// The Lynx REST endpoints the sandbox implements (paths, fields and status codes
// from the Lynx OpenAPI v2 spec).
import { randomBytes } from 'node:crypto';
import { HttpError, empty, json, type Router, type SbRequest } from './router';
import type { SandboxContext } from './context';
import { AGGREGATION_FORM, parseAggregationMethod, parseGoDuration } from '../lynx/aggregation';
import { wildcard } from '../lynx/match';
import {
  bareTopic,
  fullTopic,
  type Installation,
  type LogQuery,
  type ModelX,
  type NotificationExecutor,
  type Schedule,
  type StatusEntry,
} from './store';

type Obj = Record<string, unknown>;

function bodyObject(req: SbRequest): Obj {
  const b = req.json<unknown>();
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'request body must be a JSON object');
  return b as Obj;
}

const missing = (field: string, expected: string) => new HttpError(400, `missing required field "${field}": expected ${expected}`);
const mistyped = (field: string, expected: string) => new HttpError(400, `field "${field}" must be ${expected}`);

function requireString(b: Obj, field: string): string {
  const v = b[field];
  if (v === undefined || v === null || v === '') throw missing(field, 'a non-empty string');
  if (typeof v !== 'string') throw mistyped(field, 'a string');
  return v;
}

function optionalString(b: Obj, field: string): string | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw mistyped(field, 'a string');
  return v;
}

function requireNumber(b: Obj, field: string): number {
  const v = b[field];
  if (v === undefined || v === null) throw missing(field, 'a number');
  if (typeof v !== 'number' || !Number.isFinite(v)) throw mistyped(field, 'a number');
  return v;
}

function requireInteger(b: Obj, field: string): number {
  const v = b[field];
  if (v === undefined || v === null) throw missing(field, 'an integer');
  if (typeof v !== 'number' || !Number.isInteger(v)) throw mistyped(field, 'an integer');
  return v;
}

function requireBoolean(b: Obj, field: string): boolean {
  const v = b[field];
  if (v === undefined || v === null) throw missing(field, 'a boolean (true or false)');
  if (typeof v !== 'boolean') throw mistyped(field, 'a boolean (true or false)');
  return v;
}

function optionalBoolean(b: Obj, field: string): boolean | undefined {
  const v = b[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw mistyped(field, 'a boolean (true or false)');
  return v;
}

/** The body's installation_id: required, an integer, and the path's installation. */
function requireInstallationId(b: Obj, inst: Installation): number {
  const id = requireInteger(b, 'installation_id');
  if (id !== inst.id) throw new HttpError(400, `field "installation_id" (${id}) must equal the path's installation_id (${inst.id})`);
  return id;
}

function stringMap(b: Obj, field: string, required: boolean): Record<string, string> | undefined {
  const v = b[field];
  if (v === undefined || v === null) {
    if (required) throw missing(field, 'an object of strings (may be empty)');
    return undefined;
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw mistyped(field, 'an object of strings');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    if (typeof x !== 'string') throw mistyped(`${field}.${k}`, 'a string');
    out[k] = x;
  }
  return out;
}

function idParam(req: SbRequest, name: string): number {
  const s = req.params[name];
  if (!/^\d+$/.test(s)) throw new HttpError(400, `path parameter "${name}" must be a number`);
  return Number(s);
}

/** A number query parameter (unix seconds, with or without decimals). */
function numberQuery(req: SbRequest, name: string, dflt: number): number {
  const s = req.query.get(name);
  if (s === null || s === '') return dflt;
  const n = Number(s);
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s) || !Number.isFinite(n))
    throw new HttpError(400, `query parameter "${name}" must be a number (unix seconds), got "${s}"`);
  return n;
}

/** An integer query parameter (the spec types limit/offset as integer). */
function integerQuery(req: SbRequest, name: string, dflt: number, min?: number): number {
  const s = req.query.get(name);
  if (s === null || s === '') return dflt;
  const re = min !== undefined && min >= 0 ? /^\+?\d+$/ : /^[+-]?\d+$/;
  const n = Number(s);
  if (!re.test(s) || !Number.isSafeInteger(n) || (min !== undefined && n < min)) {
    throw new HttpError(400, `query parameter "${name}" must be an integer${min !== undefined ? ` >= ${min}` : ''}, got "${s}"`);
  }
  return n;
}

/** A boolean query parameter, read as Go's strconv.ParseBool reads it. */
function boolQuery(req: SbRequest, name: string, dflt: boolean): boolean {
  const s = req.query.get(name);
  if (s === null || s === '') return dflt;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new HttpError(400, `query parameter "${name}" must be true or false (or 1 or 0), got "${s}"`);
}

/**
 * Topic filter from repeated and/or comma-separated query values: bare topics (a
 * function's topic_read, without `{client_id}/`), matched as they are.
 */
function topicsFromQuery(req: SbRequest): string[] | undefined {
  const raw = req.query
    .getAll('topics')
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  return raw.length ? raw : undefined;
}

function topicsFromBody(req: SbRequest): string[] {
  const b = req.json<unknown>();
  if (!Array.isArray(b) || b.some((t) => typeof t !== 'string')) {
    throw new HttpError(400, 'request body must be a JSON array of topic strings');
  }
  return b as string[];
}

export function registerRoutes(router: Router, ctx: SandboxContext): void {
  const { store } = ctx;

  // ---- auth -------------------------------------------------------------
  router.add(
    'POST',
    '/api/v2/auth',
    (req) => {
      let email: string | undefined;
      let password: string | undefined;
      const auth = req.headers.authorization;
      if (auth && /^basic /i.test(auth)) {
        const dec = Buffer.from(auth.slice(6).trim(), 'base64').toString();
        const i = dec.indexOf(':');
        if (i >= 0) {
          email = dec.slice(0, i);
          password = dec.slice(i + 1);
        }
      } else if (req.body.length) {
        const b = bodyObject(req);
        email = optionalString(b, 'email') ?? optionalString(b, 'username');
        password = optionalString(b, 'password');
      }
      if (!email || password === undefined) throw new HttpError(401, 'Unauthorized');
      const t = store.login(email, password);
      if (!t) throw new HttpError(401, 'Unauthorized');
      if (!t.pending2fa) return json(200, { token: t.token });
      // the spec (POST /api/v2/auth) spells it nextstep; node-lynx declares next_step
      return json(200, { token: t.token, [store.behaviour.twoFactorField]: 'smslogin' });
    },
    { auth: false },
  );

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
    return empty(200); // the spec: 200 with no body (Responses: "None")
  });

  // ---- installations ----------------------------------------------------
  // InstallationInfo with `assigned` as seen by the caller
  const installationInfo = (req: SbRequest, i: Installation) => ({
    id: i.id,
    name: i.name,
    client_id: i.client_id,
    organization_id: i.organization_id,
    capabilities: i.capabilities,
    assigned: store.isAssigned(req.principal!, i.id),
  });
  router.add('GET', '/api/v2/installationinfo', (req) => {
    const p = req.principal!;
    const vis = p.installations;
    // "Filter result on installations assigned to the current user account. Defaults to true"
    const assignedOnly = boolQuery(req, 'assigned', true);
    const orgs = req.query.getAll('organization_id').map((o) => {
      if (!/^\d+$/.test(o))
        throw new HttpError(400, `query parameter "organization_id" must be an integer (repeat it for several), got "${o}"`);
      return Number(o);
    });
    return json(
      200,
      store.installations
        .filter((i) => vis === null || vis.includes(i.id))
        .filter((i) => !assignedOnly || store.isAssigned(p, i.id))
        .filter((i) => !orgs.length || orgs.includes(i.organization_id))
        .map((i) => installationInfo(req, i)),
    );
  });
  router.add('GET', '/api/v2/installationinfo/{client_id}', (req) => {
    const cid = idParam(req, 'client_id');
    const inst = store.installationByClientId(cid);
    const vis = req.principal!.installations;
    if (vis !== null && (!inst || !vis.includes(inst.id))) throw new HttpError(403, 'Forbidden');
    if (!inst) throw new HttpError(404, 'Not found');
    return json(200, installationInfo(req, inst));
  });

  // ---- installation rows: /api/v2/installation (CRUD and meta) ----------
  // An InstallationResponse (spec), plus protected_meta: the spec's schema leaves it out, but go-lynx's
  // InstallationRow and node-lynx's Installation read it, so a row here has it (empty when none).
  const installationRow = (i: Installation) => ({
    id: i.id,
    name: i.name,
    client_id: i.client_id,
    created: i.created ?? 0,
    organization_id: i.organization_id,
    notes: i.notes ?? '',
    users: i.users ?? [],
    meta: i.meta ?? {},
    protected_meta: i.protected_meta ?? {},
  });
  // The body is an Installation: name, organization_id, notes, users required; meta, protected_meta optional.
  const installationFields = (req: SbRequest) => {
    const b = bodyObject(req);
    const name = requireString(b, 'name');
    const organization_id = requireInteger(b, 'organization_id');
    if (b.notes === undefined || b.notes === null) throw missing('notes', 'a string (may be empty)');
    if (typeof b.notes !== 'string') throw mistyped('notes', 'a string');
    const users = b.users;
    if (users === undefined || users === null) throw missing('users', 'an array of user ids (may be empty)');
    if (!Array.isArray(users) || users.some((u) => typeof u !== 'number' || !Number.isInteger(u))) {
      throw mistyped('users', 'an array of integer user ids');
    }
    return {
      name,
      organization_id,
      notes: b.notes,
      users: [...(users as number[])],
      meta: stringMap(b, 'meta', false),
      protected_meta: stringMap(b, 'protected_meta', false),
    };
  };
  // A principal that sees only some installations creates only in their organisations.
  const mayUseOrganisation = (req: SbRequest, org: number) => {
    const vis = req.principal!.installations;
    if (vis !== null && !store.installations.some((i) => vis.includes(i.id) && i.organization_id === org)) {
      throw new HttpError(403, 'Forbidden');
    }
  };
  const installationChanged = (req: SbRequest, inst: Installation) => {
    if (!ctx.flag(req, 'silent')) ctx.emitEvent(inst.client_id, 'installation');
  };
  router.add('GET', '/api/v2/installation', (req) => {
    const vis = req.principal!.installations;
    const filters: Array<[string, (v: string | undefined) => boolean]> = [];
    for (const key of new Set(req.query.keys())) {
      const ms = req.query.getAll(key).map(wildcard);
      filters.push([key, (v) => ms.some((m) => m(v))]);
    }
    return json(
      200,
      store.installations
        .filter((i) => vis === null || vis.includes(i.id))
        .filter((i) => filters.every(([k, m]) => m(i.meta?.[k] ?? i.protected_meta?.[k])))
        .map(installationRow),
    );
  });
  router.add('POST', '/api/v2/installation', (req) => {
    const f = installationFields(req);
    mayUseOrganisation(req, f.organization_id);
    const inst = store.addInstallation({ ...f, meta: f.meta ?? {}, protected_meta: f.protected_meta ?? {} }, req.principal);
    return json(200, installationRow(inst));
  });
  router.add('GET', '/api/v2/installation/{installation_id}', (req) =>
    json(200, installationRow(ctx.installationFor(req, req.params.installation_id))),
  );
  router.add('PUT', '/api/v2/installation/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const f = installationFields(req);
    if (f.organization_id !== inst.organization_id) mayUseOrganisation(req, f.organization_id);
    Object.assign(inst, { name: f.name, organization_id: f.organization_id, notes: f.notes, users: f.users });
    // a whole Installation replaces meta; protected_meta only when sent
    inst.meta = f.meta ?? {};
    if (f.protected_meta) inst.protected_meta = f.protected_meta;
    installationChanged(req, inst);
    return json(200, installationRow(inst));
  });
  router.add('DELETE', '/api/v2/installation/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    store.removeInstallation(inst.id);
    return json(200, { message: 'Deleted' });
  });
  {
    const metaPath = '/api/v2/installation/{installation_id}/meta/{meta_key}';
    const metaOf = (i: Installation, key: string) =>
      i.meta && key in i.meta
        ? { value: i.meta[key], protected: false }
        : i.protected_meta && key in i.protected_meta
          ? { value: i.protected_meta[key], protected: true }
          : undefined;
    const setMetaOf = (i: Installation, key: string, value: string, prot: boolean) => {
      i.meta = i.meta ?? {};
      i.protected_meta = i.protected_meta ?? {};
      delete i.meta[key];
      delete i.protected_meta[key];
      (prot ? i.protected_meta : i.meta)[key] = value;
      return { value, protected: prot };
    };
    const metaBodyOf = (req: SbRequest) => {
      const b = bodyObject(req);
      const v = b.value;
      if (v === undefined || v === null) throw missing('value', 'a string');
      if (typeof v !== 'string') throw mistyped('value', 'a string');
      return { value: v, protected: optionalBoolean(b, 'protected') };
    };
    router.add('GET', metaPath, (req) => {
      const m = metaOf(ctx.installationFor(req, req.params.installation_id), req.params.meta_key);
      if (!m) throw new HttpError(404, 'Not found');
      return json(200, m);
    });
    router.add('POST', metaPath, (req) => {
      const inst = ctx.installationFor(req, req.params.installation_id);
      const b = metaBodyOf(req);
      if (metaOf(inst, req.params.meta_key)) throw new HttpError(409, 'duplicate key');
      const r = setMetaOf(inst, req.params.meta_key, b.value, !!b.protected);
      installationChanged(req, inst);
      return json(200, r);
    });
    router.add('PUT', metaPath, (req) => {
      const inst = ctx.installationFor(req, req.params.installation_id);
      const b = metaBodyOf(req);
      const cur = metaOf(inst, req.params.meta_key);
      if (!cur && !ctx.flag(req, 'create_missing')) throw new HttpError(404, 'Not found');
      const r = setMetaOf(inst, req.params.meta_key, b.value, b.protected ?? cur?.protected ?? false);
      installationChanged(req, inst);
      return json(200, r);
    });
    router.add('DELETE', metaPath, (req) => {
      const inst = ctx.installationFor(req, req.params.installation_id);
      if (!metaOf(inst, req.params.meta_key)) throw new HttpError(404, 'Not found');
      delete inst.meta?.[req.params.meta_key];
      delete inst.protected_meta?.[req.params.meta_key];
      installationChanged(req, inst);
      return json(200, { message: 'Deleted' });
    });
  }

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
        const ms = req.query.getAll(key).map(wildcard);
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
    // the body is a ModelXNoID: installation_id, type and meta all required
    const modelBody = (req: SbRequest, inst: Installation) => {
      const b = bodyObject(req);
      requireInstallationId(b, inst);
      return { b, type: requireString(b, 'type'), meta: stringMap(b, 'meta', true)! };
    };
    router.add('POST', base, (req) => {
      const inst = ctx.installationFor(req, req.params.installation_id);
      const { b, type, meta } = modelBody(req, inst);
      const protectedMeta = stringMap(b, 'protected_meta', false) ?? {};
      const x = store.addModel(kind, { installation_id: inst.id, type, meta, protected_meta: protectedMeta });
      changed(req, inst);
      return json(200, x);
    });
    router.add('GET', `${base}/{${idName}}`, (req) => json(200, item(req).x));
    router.add('PUT', `${base}/{${idName}}`, (req) => {
      const { inst, x } = item(req);
      const { b, type, meta } = modelBody(req, inst);
      const pm = stringMap(b, 'protected_meta', false);
      x.type = type;
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
      // a MetaX: value (string) required, protected a boolean
      const b = bodyObject(req);
      const value = b.value;
      if (value === undefined || value === null) throw missing('value', 'a string');
      if (typeof value !== 'string') throw mistyped('value', 'a string');
      return { value, protected: optionalBoolean(b, 'protected') };
    };
    const getMeta = (x: ModelX, key: string) =>
      key in x.meta
        ? { value: x.meta[key], protected: false }
        : key in x.protected_meta
          ? { value: x.protected_meta[key], protected: true }
          : undefined;
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
  // filters are bare topics; an entry matches when its topic minus its own `{client_id}/` equals one
  const status = (inst: Installation, topics?: string[]) => {
    const st = store.status.get(inst.id)!;
    if (!topics) return [...st.values()];
    const want = new Set(topics);
    const out: StatusEntry[] = [];
    for (const e of st.values()) if (want.has(bareTopic(e))) out.push(e);
    return out;
  };
  router.add('GET', '/api/v2/status/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return json(200, status(inst, topicsFromQuery(req)));
  });
  router.add('POST', '/api/v2/status/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return json(200, status(inst, topicsFromBody(req)));
  });

  // ---- log v3 -----------------------------------------------------------
  const logQuery = (req: SbRequest, inst: Installation, topics?: string[]) => {
    const now = Date.now() / 1000;
    const order = req.query.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw new HttpError(400, 'query parameter "order" must be "asc" or "desc"');
    const q: LogQuery = {
      // integers in the spec, but node-lynx sends fractional seconds (GetLog: getTime() / 1000)
      from: numberQuery(req, 'from', now - 86400),
      to: numberQuery(req, 'to', now),
      limit: integerQuery(req, 'limit', 10000, 0),
      offset: integerQuery(req, 'offset', 0, 0),
      order: order as 'asc' | 'desc',
      topics,
    };
    // Server-side aggregation, as go-lynx's LogOptionsV3 and the Grafana data source send it. Older
    // go-lynx sends `aggr_method=&aggr_interval=0s` on every call: no method means no aggregation,
    // and the interval is then not looked at.
    const methodText = req.query.get('aggr_method');
    if (methodText !== null && methodText !== '') {
      const method = parseAggregationMethod(methodText);
      if (!method) throw new HttpError(400, `query parameter "aggr_method" must be ${AGGREGATION_FORM}, got "${methodText}"`);
      const intervalText = req.query.get('aggr_interval');
      let intervalMs = 60_000; // the Grafana data source: "no interval specified, the default interval will be 1m"
      if (intervalText !== null && intervalText !== '') {
        const ms = parseGoDuration(intervalText);
        if (ms === undefined || ms <= 0) {
          throw new HttpError(
            400,
            `query parameter "aggr_interval" must be a positive Go duration such as 30s, 15m, 1h0m0s, 1h30m or 1.5h (units ns, us, ms, s, m, h), got "${intervalText}"`,
          );
        }
        intervalMs = ms;
      }
      q.aggregate = { method, intervalSeconds: intervalMs / 1000 };
    }
    const includeTotal = boolQuery(req, 'include_total', true) && store.behaviour.logTotal;
    const { total, data } = store.logs.get(inst.id)!.query(q);
    const last = data.length ? (q.order === 'asc' ? data[0].timestamp : data[data.length - 1].timestamp) : 0;
    return json(200, includeTotal ? { total, count: data.length, last, data } : { count: data.length, last, data });
  };
  router.add('GET', '/api/v3beta/log/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return logQuery(req, inst, topicsFromQuery(req));
  });
  router.add('POST', '/api/v3beta/log/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const topics = topicsFromBody(req);
    return logQuery(req, inst, topics.length ? topics : undefined);
  });

  // ---- schedules --------------------------------------------------------
  const cronFields = ['day_of_month', 'day_of_week', 'month', 'hour', 'minute'] as const;
  // the body is a Schedule (POST and PUT): active, installation_id, topic, value required;
  // cron fields default to '*'; id, created_at, updated_at are the server's
  const scheduleFields = (b: Obj, inst: Installation) => {
    const out = {
      active: requireBoolean(b, 'active'),
      installation_id: requireInstallationId(b, inst),
      topic: requireString(b, 'topic'),
      value: requireNumber(b, 'value'),
    } as Pick<Schedule, 'active' | 'installation_id' | 'topic' | 'value' | (typeof cronFields)[number]> & { executor?: string };
    for (const f of cronFields) {
      const v = b[f];
      if (v === undefined || v === null || v === '') {
        out[f] = '*';
        continue;
      }
      if (typeof v !== 'string') throw mistyped(f, 'a string such as "*", "5" or "0,30"');
      out[f] = v;
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
    return json(
      200,
      [...store.schedules.values()].filter((s) => s.installation_id === inst.id && s.executor === executor),
    );
  });
  router.add('POST', '/api/v2/schedule/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const f = scheduleFields(bodyObject(req), inst);
    const s = store.addSchedule({ ...f, id: undefined, created_at: undefined, updated_at: undefined });
    if (!ctx.flag(req, 'silent')) ctx.emitEvent(inst.client_id, 'schedule');
    // the spec: 200 with no body (Responses: "None"); go-lynx and node-lynx read a Schedule
    return store.behaviour.scheduleCreateAnswer === 'schedule' ? json(200, s) : empty(200);
  });
  router.add('GET', '/api/v2/schedule/{installation_id}/{schedule_id}', (req) => json(200, scheduleItem(req).s));
  router.add('PUT', '/api/v2/schedule/{installation_id}/{schedule_id}', (req) => {
    const { inst, s } = scheduleItem(req);
    // a whole Schedule replaces the old one; an absent executor keeps the schedule's
    Object.assign(s, scheduleFields(bodyObject(req), inst), { updated_at: String(Math.floor(Date.now() / 1000)) });
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
  // list/get answers without `id` when behaviour.omitIds.messages (the spec's examples lack it)
  const messageListed = (m: { id: number; name: string; text: string }) =>
    store.behaviour.omitIds.messages ? { name: m.name, text: m.text } : messageOut(m);
  router.add('GET', `${nbase}/message`, (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return json(200, [...store.messages.values()].filter((m) => m.installation_id === inst.id).map(messageListed));
  });
  router.add('POST', `${nbase}/message`, (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const b = bodyObject(req);
    return json(
      200,
      messageOut(store.addMessage({ installation_id: inst.id, name: requireString(b, 'name'), text: requireString(b, 'text') })),
    );
  });
  const messageItem = (req: SbRequest) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const m = store.messages.get(idParam(req, 'message_id'));
    if (!m || m.installation_id !== inst.id) throw new HttpError(404, 'Not found');
    return m;
  };
  router.add('GET', `${nbase}/message/{message_id}`, (req) => json(200, messageListed(messageItem(req))));
  router.add('PUT', `${nbase}/message/{message_id}`, (req) => {
    const m = messageItem(req);
    const b = bodyObject(req);
    const name = requireString(b, 'name');
    const text = requireString(b, 'text');
    Object.assign(m, { name, text });
    return json(200, messageOut(m));
  });
  router.add('DELETE', `${nbase}/message/{message_id}`, (req) => {
    store.messages.delete(messageItem(req).id);
    return json(200, { message: 'Deleted' });
  });

  router.add('GET', `${nbase}/output`, (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return json(
      200,
      [...store.outputs.values()].filter((o) => o.installation_id === inst.id),
    );
  });
  // a NotificationOutput: name, executor id, message id (of this installation), config all required
  const outputFields = (b: Obj, inst: Installation) => {
    const name = requireString(b, 'name');
    const ex = requireInteger(b, 'notification_output_executor_id');
    if (!store.executors.has(ex)) throw new HttpError(400, `field "notification_output_executor_id": no notification executor ${ex}`);
    const msg = requireInteger(b, 'notification_message_id');
    const m = store.messages.get(msg);
    if (!m || m.installation_id !== inst.id) {
      throw new HttpError(400, `field "notification_message_id": no notification message ${msg} in installation ${inst.id}`);
    }
    return { name, notification_output_executor_id: ex, notification_message_id: msg, config: stringMap(b, 'config', true)! };
  };
  router.add('POST', `${nbase}/output`, (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return json(200, store.addOutput({ installation_id: inst.id, ...outputFields(bodyObject(req), inst) }));
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
    Object.assign(o, outputFields(bodyObject(req), store.installation(o.installation_id)!));
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
    return empty(200); // the spec: 200 with no body (Responses: "None")
  });
  // without `id` when behaviour.omitIds.executors (the spec's example lacks it)
  const executorOut = (e: NotificationExecutor) => {
    if (!store.behaviour.omitIds.executors) return e;
    const { id: _id, ...rest } = e;
    return rest;
  };
  router.add('GET', `${nbase}/executor`, (req) => {
    ctx.installationFor(req, req.params.installation_id);
    return json(200, [...store.executors.values()].map(executorOut));
  });
  router.add('GET', `${nbase}/executor/{executor_id}`, (req) => {
    ctx.installationFor(req, req.params.installation_id);
    const e = store.executors.get(idParam(req, 'executor_id'));
    if (!e) throw new HttpError(404, 'Not found');
    return json(200, executorOut(e));
  });

  // ---- mqtt publish -----------------------------------------------------
  router.add('POST', '/api/v2/mqtt/publish/{installation_id}', async (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    // an MQTTPublish: topic (string) and payload (a JSON object) required; qos 0-2, retained boolean
    const b = bodyObject(req);
    const topic = requireString(b, 'topic');
    const p = b.payload;
    if (p === undefined) throw missing('payload', 'a JSON object, e.g. {"value": 1}');
    if (p === null || typeof p !== 'object' || Array.isArray(p)) {
      throw mistyped(
        'payload',
        `a JSON object, e.g. {"value": 1} (got ${p === null ? 'null' : Array.isArray(p) ? 'an array' : `a ${typeof p}`})`,
      );
    }
    let qos: 0 | 1 | 2 = 0;
    if (b.qos !== undefined) {
      if (b.qos !== 0 && b.qos !== 1 && b.qos !== 2) throw mistyped('qos', 'an integer 0, 1 or 2');
      qos = b.qos;
    }
    const retained = optionalBoolean(b, 'retained') ?? false;
    try {
      await ctx.publish(fullTopic(inst, topic), JSON.stringify(p), { qos, retain: retained });
    } catch {
      throw new HttpError(503, 'MQTT broker unavailable');
    }
    return json(200, { message: 'Published' });
  });
}
