// Edge app routes of the Lynx sandbox (`/api/v2/edge/...`): listings, versions
// uploaded as multipart (`app_lua` + `app_json`, sha256 content hash, 204 when
// identical to the latest), publishing under a name, and configured instances
// per installation (each change publishes `{client_id}/evt/edge_app/updated`).
//
// Who sees which listing: an app is published once it has a named version. The
// caller's organisations are those of the installations it may see.
//   GET /edge/app                      published apps that are public or published by one of the caller's organisations
//   GET /edge/app/organization/{org}   403 unless the caller has an installation in org; the apps org
//                                      publishes, published or not; with available=true also others'
//                                      public published apps (those the org's installations may use)
//   POST/PUT /edge/app                 the spec's required EdgeApp fields (400 naming the field);
//                                      publisher.id must be one of the caller's organisations (403)
import { createHash } from 'node:crypto';
import { HttpError, json, raw, Router, SbRequest } from './router';
import type { SandboxContext } from './context';
import type { Store } from './store';
import type { EdgeApp, EdgeAppInstance } from '../api/edge';

/** An app listing as the platform keeps it: the API's EdgeApp with the fields the server always sets. */
export type SbEdgeApp = EdgeApp & Required<Pick<EdgeApp, 'official' | 'created' | 'updated'>>;

export interface SbEdgeVersion {
  hash: string;
  name?: string;
  timestamp: number;
  lua: Buffer;
  json: Buffer;
}

/** A configured instance as the platform keeps it (created/updated always set). */
export type SbEdgeInstance = EdgeAppInstance & Required<Pick<EdgeAppInstance, 'created' | 'updated'>>;

/** The sandbox's edge app state, kept beside (not inside) the Store. */
export interface EdgeState {
  apps: Map<number, SbEdgeApp>;
  /** app id -> versions, oldest first */
  versions: Map<number, SbEdgeVersion[]>;
  instances: Map<number, SbEdgeInstance>;
  nextAppId: number;
  nextInstanceId: number;
}

const states = new WeakMap<Store, EdgeState>();

/** The edge app state of a sandbox store (tests read it to check what changed). */
export function edgeState(store: Store): EdgeState {
  let s = states.get(store);
  if (!s) {
    s = { apps: new Map(), versions: new Map(), instances: new Map(), nextAppId: 1, nextInstanceId: 1 };
    states.set(store, s);
  }
  return s;
}

const now = (): number => Math.floor(Date.now() / 1000);

export function registerEdgeRoutes(router: Router, ctx: SandboxContext): void {
  const st = (): EdgeState => edgeState(ctx.store);

  // configured instances first: `/edge/app/configured/{iid}` has the same shape as `/edge/app/{app_id}/version`
  router.add('GET', '/api/v2/edge/app/configured/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return json(
      200,
      [...st().instances.values()].filter((i) => i.installation_id === inst.id),
    );
  });

  router.add('POST', '/api/v2/edge/app/configured/{installation_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const body = instanceBody(req, st());
    const t = now();
    const s = st();
    const x: SbEdgeInstance = {
      id: s.nextInstanceId++,
      app_id: body.app_id,
      installation_id: inst.id,
      version: body.version,
      config: body.config,
      name: body.name,
      created: t,
      updated: t,
    };
    s.instances.set(x.id, x);
    if (!ctx.flag(req, 'silent')) ctx.emitEvent(inst.client_id, 'edge_app');
    return json(200, x);
  });

  router.add('GET', '/api/v2/edge/app/configured/{installation_id}/{instance_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    return json(200, instanceOf(st(), inst.id, req.params.instance_id));
  });

  router.add('PUT', '/api/v2/edge/app/configured/{installation_id}/{instance_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const x = instanceOf(st(), inst.id, req.params.instance_id);
    const body = instanceBody(req, st());
    Object.assign(x, { app_id: body.app_id, version: body.version, config: body.config, name: body.name, updated: now() });
    if (!ctx.flag(req, 'silent')) ctx.emitEvent(inst.client_id, 'edge_app');
    return json(200, x);
  });

  router.add('DELETE', '/api/v2/edge/app/configured/{installation_id}/{instance_id}', (req) => {
    const inst = ctx.installationFor(req, req.params.installation_id);
    const x = instanceOf(st(), inst.id, req.params.instance_id);
    st().instances.delete(x.id);
    if (!ctx.flag(req, 'silent')) ctx.emitEvent(inst.client_id, 'edge_app');
    return json(200, { message: 'deleted' });
  });

  // listings
  router.add('GET', '/api/v2/edge/app', (req) => {
    const orgs = callerOrgs(ctx, req);
    const s = st();
    return json(
      200,
      [...s.apps.values()].filter((a) => isPublished(s, a) && (a.public || orgs.has(a.publisher.id))),
    );
  });

  router.add('POST', '/api/v2/edge/app', (req) => {
    const b = appBody(req);
    mayPublishAs(ctx, req, b.publisher.id);
    const s = st();
    const t = now();
    const app: SbEdgeApp = { ...b, id: s.nextAppId++, created: t, updated: t };
    s.apps.set(app.id, app);
    s.versions.set(app.id, []);
    return json(200, app);
  });

  router.add('PUT', '/api/v2/edge/app', (req) => {
    const body = req.json<Record<string, unknown>>();
    const id = body && typeof body === 'object' ? body.id : undefined;
    if (typeof id !== 'number') throw new HttpError(400, 'id is required: the id of the edge app to update');
    const app = appOf(st(), id);
    const b = appBody(req);
    mayPublishAs(ctx, req, app.publisher.id);
    mayPublishAs(ctx, req, b.publisher.id);
    Object.assign(app, b, { id: app.id, created: app.created, updated: now() });
    return json(200, app);
  });

  router.add('GET', '/api/v2/edge/app/organization/{organization_id}', (req) => {
    const org = orgParam(req.params.organization_id);
    if (!callerOrgs(ctx, req).has(org))
      throw new HttpError(403, `Forbidden: no installation of organisation ${org} is visible to this key`);
    const s = st();
    const available = ctx.flag(req, 'available');
    return json(
      200,
      [...s.apps.values()].filter((a) => a.publisher.id === org || (available && a.public && isPublished(s, a))),
    );
  });

  router.add('GET', '/api/v2/edge/publisher/{organization_id}', (req) => {
    const org = orgParam(req.params.organization_id);
    const mine = callerOrgs(ctx, req).has(org);
    const s = st();
    const apps = [...s.apps.values()].filter((a) => a.publisher.id === org && isPublished(s, a) && (a.public || mine));
    return json(200, { id: org, name: apps[0]?.publisher.name ?? '', apps });
  });

  router.add('GET', '/api/v2/edge/app/{app_id}', (req) => json(200, appOf(st(), req.params.app_id)));

  // versions
  router.add('GET', '/api/v2/edge/app/{app_id}/version', (req) => {
    const app = appOf(st(), req.params.app_id);
    const untagged = ctx.flag(req, 'untagged');
    const list = (st().versions.get(app.id) ?? []).filter((v) => untagged || v.name);
    return json(200, list.map(versionView));
  });

  router.add('POST', '/api/v2/edge/app/{app_id}/version', (req) => {
    const app = appOf(st(), req.params.app_id);
    const parts = parseMultipart(req);
    const lua = parts.get('app_lua');
    const appJson = parts.get('app_json');
    if (!lua || !appJson) throw new HttpError(400, 'app_lua and app_json are required as multipart/form-data parts');
    try {
      JSON.parse(appJson.toString('utf8'));
    } catch {
      throw new HttpError(400, 'app_json is not valid JSON');
    }
    const hash = createHash('sha256').update(lua).update(appJson).digest('hex');
    const list = st().versions.get(app.id)!;
    const latest = list[list.length - 1];
    if (latest && latest.hash === hash) return { status: 204 };
    const prev = list.findIndex((v) => v.hash === hash);
    const ts = Math.max(Date.now() / 1000, latest ? latest.timestamp + 0.001 : 0);
    if (prev >= 0) {
      // the same code as an older version: it becomes the latest again, keeping its name
      const [v] = list.splice(prev, 1);
      v.timestamp = ts;
      list.push(v);
    } else {
      list.push({ hash, timestamp: ts, lua, json: appJson });
    }
    app.updated = now();
    return json(200, { hash });
  });

  router.add('POST', '/api/v2/edge/app/{app_id}/publish', (req) => {
    const app = appOf(st(), req.params.app_id);
    const b = req.json<{ name?: unknown; hash?: unknown }>();
    const name = typeof b?.name === 'string' ? b.name.trim() : '';
    const hash = typeof b?.hash === 'string' ? b.hash : '';
    if (!name) throw new HttpError(400, 'name is required: the version name to publish under');
    if (!hash) throw new HttpError(400, 'hash is required: the hash of an uploaded version');
    const list = st().versions.get(app.id)!;
    const v = list.find((x) => x.hash === hash);
    if (!v) throw new HttpError(404, `edge app ${app.id} has no version with hash ${hash}`);
    const taken = list.find((x) => x.name === name && x.hash !== hash);
    if (taken) throw new HttpError(400, `version name "${name}" is already used by another version of edge app ${app.id}`);
    if (v.name && v.name !== name) throw new HttpError(400, `this version is already published as "${v.name}"`);
    v.name = name;
    app.updated = now();
    return json(200, versionView(v));
  });

  router.add('GET', '/api/v2/edge/app/{app_id}/configure', (req) => {
    const app = appOf(st(), req.params.app_id);
    const v = versionOf(st(), app.id, req.query.get('version'));
    return raw(200, v.json, 'application/json');
  });

  router.add('GET', '/api/v2/edge/app/{app_id}/download', (req) => {
    const app = appOf(st(), req.params.app_id);
    const v = versionOf(st(), app.id, req.query.get('version'));
    return raw(200, v.lua, 'text/plain; charset=utf-8');
  });
}

/** Organisations the caller may act for: those of the installations it may see. */
function callerOrgs(ctx: SandboxContext, req: SbRequest): Set<number> {
  const vis = req.principal?.installations;
  if (vis === undefined) throw new HttpError(401, 'Unauthorized');
  return new Set(ctx.store.installations.filter((i) => vis === null || vis.includes(i.id)).map((i) => i.organization_id));
}

function mayPublishAs(ctx: SandboxContext, req: SbRequest, org: number): void {
  if (!callerOrgs(ctx, req).has(org)) {
    throw new HttpError(403, `Forbidden: publisher.id ${org} is not an organisation of this key (it sees no installation in it)`);
  }
}

/** Published: at least one version has a name. */
function isPublished(s: EdgeState, a: SbEdgeApp): boolean {
  return (s.versions.get(a.id) ?? []).some((v) => !!v.name);
}

function orgParam(v: string): number {
  const org = Number(v);
  if (!/^\d+$/.test(v) || org <= 0) throw new HttpError(400, `organization_id must be a positive integer, got ${JSON.stringify(v)}`);
  return org;
}

function versionView(v: SbEdgeVersion): { name?: string; hash: string; timestamp: number } {
  return v.name ? { name: v.name, hash: v.hash, timestamp: v.timestamp } : { hash: v.hash, timestamp: v.timestamp };
}

function appOf(s: EdgeState, idIn: string | number): SbEdgeApp {
  const id = Number(idIn);
  if (!Number.isInteger(id) || id <= 0) throw new HttpError(400, `app_id must be a positive integer, got ${JSON.stringify(idIn)}`);
  const app = s.apps.get(id);
  if (!app) throw new HttpError(404, `edge app ${id} not found`);
  return app;
}

/** A version by name, or by hash (named or not). */
function versionOf(s: EdgeState, appId: number, version: string | null): SbEdgeVersion {
  if (!version) throw new HttpError(400, 'version is required: a version name, or the hash of an unnamed version');
  const list = s.versions.get(appId) ?? [];
  const v = list.find((x) => x.name === version) ?? list.find((x) => x.hash === version);
  if (!v) throw new HttpError(404, `edge app ${appId} has no version "${version}"`);
  return v;
}

function instanceOf(s: EdgeState, iid: number, idIn: string): SbEdgeInstance {
  const id = Number(idIn);
  if (!Number.isInteger(id) || id <= 0) throw new HttpError(400, `instance_id must be a positive integer, got ${JSON.stringify(idIn)}`);
  const x = s.instances.get(id);
  if (!x || x.installation_id !== iid) throw new HttpError(404, `edge app instance ${id} not found in installation ${iid}`);
  return x;
}

/** An EdgeApp body with every field the spec requires (name, category, tags, short_description, description, publisher.id, public). */
function appBody(req: SbRequest): Omit<SbEdgeApp, 'id' | 'created' | 'updated'> {
  const b = req.json<Record<string, unknown>>();
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'body must be a JSON object (EdgeApp)');
  if (typeof b.name !== 'string' || !b.name.trim()) throw new HttpError(400, 'name is required: the name of the app');
  if (typeof b.category !== 'string' || !b.category.trim())
    throw new HttpError(400, 'category is required: the category the app is placed in');
  if (!Array.isArray(b.tags) || b.tags.some((t) => typeof t !== 'string'))
    throw new HttpError(400, 'tags is required: an array of strings (may be empty)');
  if (typeof b.short_description !== 'string')
    throw new HttpError(400, 'short_description is required: a short description of the app (text, may be empty)');
  if (typeof b.description !== 'string')
    throw new HttpError(400, 'description is required: a longer description of the app (text, Markdown allowed, may be empty)');
  const pub = (b.publisher && typeof b.publisher === 'object' && !Array.isArray(b.publisher) ? b.publisher : undefined) as
    { id?: unknown; name?: unknown } | undefined;
  if (!pub || typeof pub.id !== 'number' || !Number.isInteger(pub.id) || pub.id <= 0) {
    throw new HttpError(400, 'publisher.id is required: the id of the organisation publishing the app');
  }
  if (typeof b.public !== 'boolean')
    throw new HttpError(400, "public is required: true for an app for all users, false for the publisher's organisation only");
  return {
    name: b.name.trim(),
    category: b.category.trim(),
    tags: b.tags as string[],
    short_description: b.short_description,
    description: b.description,
    publisher: { id: pub.id, ...(typeof pub.name === 'string' ? { name: pub.name } : {}) },
    official: b.official === true,
    public: b.public,
    ...(typeof b.source_url === 'string' ? { source_url: b.source_url } : {}),
  };
}

function instanceBody(req: SbRequest, s: EdgeState): { app_id: number; version: string; config: Record<string, unknown>; name: string } {
  const b = req.json<Record<string, unknown>>();
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'body must be a JSON object (EdgeAppConfig)');
  if (typeof b.app_id !== 'number') throw new HttpError(400, 'app_id is required: the id of the edge app to configure');
  if (!s.apps.has(b.app_id)) throw new HttpError(400, `app_id ${b.app_id}: no such edge app`);
  if (typeof b.version !== 'string' || !b.version) throw new HttpError(400, 'version is required: a published version name of the app');
  const list = s.versions.get(b.app_id) ?? [];
  if (!list.some((v) => v.name === b.version || v.hash === b.version))
    throw new HttpError(400, `version "${b.version}" does not exist for edge app ${b.app_id}`);
  if (typeof b.name !== 'string' || !b.name.trim()) throw new HttpError(400, 'name is required: a name for this instance of the app');
  if (!b.config || typeof b.config !== 'object' || Array.isArray(b.config))
    throw new HttpError(400, "config is required: an object of the app's input values");
  return { app_id: b.app_id, version: b.version, config: b.config as Record<string, unknown>, name: b.name.trim() };
}

/** Minimal multipart/form-data parser: part name -> content. */
export function parseMultipart(req: SbRequest): Map<string, Buffer> {
  const ct = String(req.headers['content-type'] ?? '');
  const m = /^multipart\/form-data\s*;.*?boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(ct);
  if (!m) throw new HttpError(400, 'expected a multipart/form-data body with app_lua and app_json parts');
  const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
  const body = req.body;
  const parts = new Map<string, Buffer>();
  let pos = body.indexOf(boundary);
  if (pos < 0) throw new HttpError(400, 'malformed multipart body: no boundary found');
  for (;;) {
    pos += boundary.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break; // closing boundary "--"
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const headEnd = body.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) throw new HttpError(400, 'malformed multipart body: part without headers');
    const head = body.subarray(pos, headEnd).toString('utf8');
    const next = body.indexOf(boundary, headEnd + 4);
    if (next < 0) throw new HttpError(400, 'malformed multipart body: no closing boundary');
    let end = next;
    if (body[end - 2] === 0x0d && body[end - 1] === 0x0a) end -= 2;
    const name = /content-disposition:[^\r\n]*?\bname="([^"]*)"/i.exec(head)?.[1];
    if (name !== undefined) parts.set(name, Buffer.from(body.subarray(headEnd + 4, end)));
    pos = next;
  }
  return parts;
}
