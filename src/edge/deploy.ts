/**
 * Edge app deployment: create the listing, upload a version, publish it, and
 * configure (or remove) an instance on many installations with a concurrency
 * limit. Node-RED free: the iotopen-edge-app node is a thin shell around this.
 *
 * Order of work (nothing is written before every check has passed):
 *   1. check the inputs: app.json parses and has `input`; the instance config of every
 *      target installation has each required input with the right type, and the
 *      function / notification output ids it selects exist in that installation;
 *   2. create the listing when no app id is given and the organisation has none of that name;
 *   3. upload app.lua + app.json (204 = identical: reuse the latest hash);
 *   4. publish that hash under the version name (skipped when it already has a name);
 *   5. per installation: create the instance, or update the one with the same name
 *      (and app), or leave it when version and config already match.
 *
 * Without an app id the listing is found by name in its organisation's own list
 * (`GET /edge/app/organization/{org}`, which holds unpublished apps too; `GET /edge/app`
 * holds only published ones, so a second roll-out of an unpublished app would create a
 * duplicate). Only a listing whose `publisher.id` is that organisation is taken: another
 * organisation's public app of the same name never is. The organisation is the listing's
 * `publisher.id` when given, else the `organization_id` of the target installations
 * (which must then all be in one organisation).
 */
import type { EdgeApi, EdgeApp, EdgeAppCreate, EdgeAppInstance } from '../api/edge';
import { latestVersion } from '../api/edge';
import { createOnce } from '../api/retry';
import {
  checkInstanceConfig,
  EdgeAppManifest,
  EdgeProblem,
  EdgeValidationError,
  neededRefs,
  parseManifest,
  sourceText,
  withDefaults,
} from './validate';

/** What the deployer needs of an ApiClient (an ApiClient fits). */
export interface EdgeDeployClient {
  edge: Pick<
    EdgeApi,
    | 'listOrganizationApps'
    | 'createApp'
    | 'getApp'
    | 'uploadVersion'
    | 'listVersions'
    | 'publishVersion'
    | 'configureOptions'
    | 'download'
    | 'listInstances'
    | 'createInstance'
    | 'updateInstance'
    | 'deleteInstance'
  >;
  functionx: { list(iid: number, q?: object, opts?: { signal?: AbortSignal }): Promise<Array<{ id: number }>> };
  notifications: { listOutputs(iid: number, opts?: { signal?: AbortSignal }): Promise<Array<{ id: number }>> };
  /** The installations the key sees, for the organisation of the targets (InstallationInfo fits). */
  installations: { list(opts?: { signal?: AbortSignal }): Promise<Array<{ id: number; organization_id?: number }>> };
}

export interface EdgeTarget {
  installation_id: number;
  /** Merged over the common config for this installation. */
  config?: Record<string, unknown>;
}

export interface EdgeDeployOptions {
  mode?: 'deploy' | 'remove';
  /** Existing listing; when absent the listing named `listing.name` in its organisation is used, or created. */
  appId?: number;
  /**
   * The listing to find by name or create. `publisher.id` is its organisation; when absent,
   * the organisation of the target installations.
   */
  listing?: EdgeAppCreate;
  appLua?: string | Buffer;
  appJson?: string | Buffer | object;
  /** Upload app.lua/app.json as a version (default true when both are given). */
  upload?: boolean;
  /** Publish the uploaded version under `versionName` (default true). */
  publish?: boolean;
  versionName?: string;
  /** Version to configure when nothing is uploaded (a name or an unnamed hash). */
  version?: string;
  /** Configure an instance on the targets (default true when targets are given). */
  configure?: boolean;
  targets?: EdgeTarget[];
  config?: Record<string, unknown>;
  /** Name of the instance on each installation: the key that makes re-runs update instead of duplicate. */
  instanceName?: string;
  concurrency?: number;
  stopOnFailure?: boolean;
  dryRun?: boolean;
  silent?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export type InstallationStatus = 'ok' | 'unchanged' | 'failed' | 'skipped';

export interface InstallationResult {
  installation_id: number;
  status: InstallationStatus;
  /** What was done (or, in a dry run, what would be done). */
  action: 'create' | 'update' | 'delete' | 'none';
  instance_id?: number;
  error?: string;
  /** HTTP status of the failed call (0 for network errors), when an API call failed. */
  statusCode?: number;
}

export interface EdgeDeployResult {
  dryRun: boolean;
  mode: 'deploy' | 'remove';
  app: { id?: number; created: boolean; name?: string };
  version: { name?: string; hash?: string; uploaded: boolean; unchanged: boolean; published: boolean };
  installations: InstallationResult[];
  /** installation id -> instance id (deploy: the configured instance; remove: the one removed). */
  instances: Record<string, number>;
  summary: { total: number; ok: number; unchanged: number; failed: number; skipped: number };
  /** Human-readable list of the changes made (or, in a dry run, that would be made). */
  changes: string[];
  /** Things the user should know (e.g. a version name that was not applied). */
  warnings: string[];
}

const DEFAULT_CONCURRENCY = 4;

export async function deployEdgeApp(api: EdgeDeployClient, o: EdgeDeployOptions): Promise<EdgeDeployResult> {
  const mode = o.mode ?? 'deploy';
  const dryRun = !!o.dryRun;
  const targets = dedupeTargets(o.targets ?? []);
  const signal = o.signal;
  const result: EdgeDeployResult = {
    dryRun,
    mode,
    app: { id: o.appId, created: false },
    version: { uploaded: false, unchanged: false, published: false },
    installations: [],
    instances: {},
    summary: { total: targets.length, ok: 0, unchanged: 0, failed: 0, skipped: 0 },
    changes: [],
    warnings: [],
  };
  const instanceName = (o.instanceName ?? '').trim();
  let appId = o.appId;
  const listingName = (o.listing?.name ?? '').trim();
  // the listing's organisation: the publisher given, else the one of the target installations
  let org: number | undefined;
  const listingOrg = async (): Promise<number> => {
    if (org !== undefined) return org;
    const given = o.listing?.publisher?.id;
    if (given !== undefined && given !== null) {
      if (typeof given !== 'number' || !Number.isInteger(given) || given <= 0) {
        const got = JSON.stringify(given);
        throw new EdgeValidationError(
          `listing.publisher.id must be the id of an organisation (a positive integer), got ${got}`,
          'publisher',
          undefined,
          'edge.publisher',
          { got },
        );
      }
      return (org = given);
    }
    if (!targets.length) {
      throw new EdgeValidationError(
        `cannot tell which organisation the edge app "${listingName}" belongs to: set the publisher (the organisation id, msg.listing.publisher.id), or the installations to roll out to`,
        'publisher',
        undefined,
        'edge.noOrganisation',
        { name: listingName },
      );
    }
    const seen = new Map((await api.installations.list({ signal })).map((i) => [i.id, i.organization_id]));
    const byOrg = new Map<number, number[]>();
    for (const t of targets) {
      const og = seen.get(t.installation_id);
      if (typeof og === 'number') byOrg.set(og, [...(byOrg.get(og) ?? []), t.installation_id]);
    }
    if (byOrg.size === 0) {
      throw new EdgeValidationError(
        `cannot tell which organisation the edge app "${listingName}" belongs to: this key sees none of installations ${targets.map((t) => t.installation_id).join(', ')} with an organization_id; set the publisher (the organisation id, msg.listing.publisher.id)`,
        'installations',
      );
    }
    if (byOrg.size > 1) {
      const where = [...byOrg]
        .map(([og, ids]) => `organisation ${og}: installation${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`)
        .join('; ');
      throw new EdgeValidationError(
        `installations are in more than one organisation (${where}) and an edge app listing belongs to one: roll out to one organisation's installations per run, or set the publisher (msg.listing.publisher.id) to the organisation that owns the app`,
        'installations',
      );
    }
    return (org = [...byOrg.keys()][0]);
  };
  // the listing's name identifies it within its organisation when no id is given: re-runs reuse it
  // instead of creating another. `available=true` lists the organisation's own apps, unpublished
  // ones included, under either reading of the spec; the publisher check drops other organisations' apps.
  const listingsNamed = async (owner: number): Promise<EdgeApp[]> =>
    listOf(await api.edge.listOrganizationApps(owner, { available: true }, { signal }))
      .filter((a) => a && a.name === listingName && a.publisher?.id === owner)
      .sort((a, b) => a.id - b.id);
  const resolveByName = async (): Promise<void> => {
    if (appId !== undefined || !listingName) return;
    const owner = await listingOrg();
    const mine = await listingsNamed(owner);
    const existing = mine[0];
    if (existing) {
      appId = existing.id;
      result.app = { id: existing.id, created: false, name: existing.name };
      if (mine.length > 1) {
        result.warnings.push(
          `organisation ${owner} has ${mine.length} edge app listings named "${listingName}" (ids ${mine.map((a) => a.id).join(', ')}): using the oldest, ${existing.id}; give the app id to pick another`,
        );
      }
    }
  };

  if (mode === 'remove') {
    if (!targets.length)
      throw new EdgeValidationError(
        'no installations to remove the instance from: set installations',
        'installations',
        undefined,
        'edge.removeNoTargets',
      );
    if (!instanceName)
      throw new EdgeValidationError(
        'no instance name: set the instance name of the instances to remove',
        'instanceName',
        undefined,
        'edge.removeNoName',
      );
    await resolveByName();
    if (appId === undefined && listingName) {
      // no such listing: none of its instances can exist (and other apps' instances are not ours to remove)
      for (const t of targets) result.installations.push({ installation_id: t.installation_id, status: 'unchanged', action: 'none' });
      return finish(result);
    }
    await runPool(targets, o, result, async (t) => removeOne(api, t.installation_id, appId, instanceName, dryRun, o.silent, signal));
    return finish(result);
  }

  // ---- 1. checks (no writes) --------------------------------------------------
  const hasSources = o.appLua !== undefined || o.appJson !== undefined;
  const upload = o.upload ?? hasSources;
  const configure = o.configure ?? targets.length > 0;
  const publish = upload && (o.publish ?? true);
  let luaText: string | undefined;
  let manifest: EdgeAppManifest | undefined;
  let jsonText: string | undefined;
  if (upload) {
    if (o.appLua === undefined)
      throw new EdgeValidationError(
        'app_lua is missing: give the contents of app.lua (msg.app_lua or a file path in the node)',
        'app_lua',
        undefined,
        'edge.noLua',
      );
    if (o.appJson === undefined)
      throw new EdgeValidationError(
        'app_json is missing: give the contents of app.json (msg.app_json or a file path in the node)',
        'app_json',
        undefined,
        'edge.noJson',
      );
    luaText = sourceText(o.appLua, 'app_lua');
    if (luaText.trim() === '')
      throw new EdgeValidationError('app_lua is empty: give the contents of app.lua', 'app_lua', undefined, 'edge.emptyLua');
    ({ manifest, text: jsonText } = parseManifest(o.appJson, 'app_json'));
  } else if (o.appJson !== undefined) {
    ({ manifest } = parseManifest(o.appJson, 'app_json'));
  }
  if (publish && !(o.versionName ?? '').trim()) {
    throw new EdgeValidationError(
      'version name is missing: set the version (e.g. "1.0.2") to publish the upload under, or turn publishing off',
      'version',
      undefined,
      'edge.noVersionName',
    );
  }
  await resolveByName();
  if (appId === undefined && (upload || configure)) {
    if (!listingName) {
      throw new EdgeValidationError(
        'no app id and no app name: pick an existing edge app, or give a name to create the listing',
        'appId',
        undefined,
        'edge.noApp',
      );
    }
    if (!upload)
      throw new EdgeValidationError(
        'a new listing has no version to configure: upload app.lua and app.json too',
        'app_lua',
        undefined,
        'edge.newNoUpload',
      );
  }
  if (!upload && configure && !(o.version ?? '').trim()) {
    throw new EdgeValidationError(
      'no version to configure: set the version name, or upload app.lua and app.json',
      'version',
      undefined,
      'edge.noVersion',
    );
  }
  if (configure) {
    if (!targets.length)
      throw new EdgeValidationError(
        'no installations to configure: set installations (ids, or "all")',
        'installations',
        undefined,
        'edge.noTargets',
      );
    if (!instanceName)
      throw new EdgeValidationError(
        'no instance name: set the instance name (it identifies the instance on re-runs)',
        'instanceName',
        undefined,
        'edge.noName',
      );
    if (!manifest && appId !== undefined) {
      // configuring an existing version: its app.json tells what to check
      const raw = await api.edge.configureOptions(appId, { version: o.version!.trim() }, { signal });
      ({ manifest } = parseManifest(raw, `app.json of version ${o.version}`));
    }
  }

  // per-installation configs, checked against the manifest and what exists there
  const configs = new Map<number, Record<string, unknown>>();
  const preFailed = new Map<number, InstallationResult>();
  if (configure && manifest) {
    const m = manifest;
    const needs = neededRefs(m);
    const problems: Array<{ iid: number; p: EdgeProblem }> = [];
    for (const t of targets) {
      const cfg = withDefaults(m, { ...(o.config ?? {}), ...(t.config ?? {}) });
      configs.set(t.installation_id, cfg);
      for (const p of checkInstanceConfig(m, cfg)) problems.push({ iid: t.installation_id, p });
    }
    // look the selector ids up even when types are already wrong: one run reports every problem
    if (needs.functions || needs.notificationOutputs) {
      await mapLimit(targets, o.concurrency ?? DEFAULT_CONCURRENCY, async (t) => {
        const iid = t.installation_id;
        try {
          const [fns, outs] = await Promise.all([
            needs.functions ? api.functionx.list(iid, {}, { signal }) : Promise.resolve(undefined),
            needs.notificationOutputs ? api.notifications.listOutputs(iid, { signal }) : Promise.resolve(undefined),
          ]);
          const refs = { functionIds: fns?.map((f) => f.id), notificationOutputIds: outs?.map((x) => x.id) };
          const already = new Set(checkInstanceConfig(m, configs.get(iid)).map((p) => p.message));
          for (const p of checkInstanceConfig(m, configs.get(iid), refs)) if (!already.has(p.message)) problems.push({ iid, p });
        } catch (err) {
          // cannot look the installation up (e.g. the key may not see it): that installation fails, the rest go on
          preFailed.set(iid, failed(iid, 'none', err, 'could not check the config against installation'));
        }
      });
    }
    if (problems.length) {
      problems.sort((a, b) => a.iid - b.iid);
      const text = problems.map(({ iid, p }) => `installation ${iid}: ${p.message}`).join('; ');
      throw new EdgeValidationError(
        `instance config is invalid, nothing was changed: ${text}`,
        problems[0].p.field,
        problems.map((x) => x.p),
      );
    }
    if (preFailed.size && o.stopOnFailure) {
      for (const t of targets) {
        result.installations.push(
          preFailed.get(t.installation_id) ?? { installation_id: t.installation_id, status: 'skipped', action: 'none' },
        );
      }
      return finish(result);
    }
  }

  // ---- 2. listing -------------------------------------------------------------
  if (appId === undefined) {
    result.changes.push(`create edge app listing "${o.listing!.name}"`);
    if (!dryRun) {
      const owner = await listingOrg();
      const body = completeListing(o.listing!, owner);
      // exactly once: after an uncertain failure the organisation's listing of that name is looked up
      const app = (
        await createOnce({
          create: () => api.edge.createApp(body, { signal }),
          lookup: async () => (listingName ? (await listingsNamed(owner))[0] : undefined),
        })
      ).value;
      appId = app.id;
      result.app = { id: app.id, created: true, name: app.name };
    } else {
      result.app = { created: true, name: o.listing!.name };
    }
  }
  result.app.id = appId;

  // ---- 3. upload --------------------------------------------------------------
  let hash: string | undefined;
  let versionName = upload ? (o.versionName ?? '').trim() || undefined : (o.version ?? '').trim();
  if (upload) {
    if (dryRun) {
      const same = appId !== undefined ? await sameAsLatest(api, appId, luaText!, jsonText!, signal) : undefined;
      if (same) {
        hash = same.hash;
        result.version = { ...result.version, hash, unchanged: true, name: same.name };
      } else {
        result.changes.push('upload a new version of app.lua and app.json');
        result.version.uploaded = true;
      }
    } else {
      const up = await api.edge.uploadVersion(appId!, { appLua: luaText!, appJson: jsonText! }, { signal });
      hash = up.hash;
      result.version = { ...result.version, hash, uploaded: !up.unchanged, unchanged: up.unchanged };
      if (!up.unchanged) result.changes.push(`upload version ${hash}`);
    }
  }

  // ---- 4. publish -------------------------------------------------------------
  if (publish) {
    const wanted = (o.versionName ?? '').trim();
    let existingName: string | undefined;
    if (hash !== undefined) {
      const versions = await api.edge.listVersions(appId!, { untagged: true }, { signal });
      existingName = versions.find((v) => v.hash === hash)?.name || undefined;
    }
    if (existingName) {
      versionName = existingName;
      if (existingName !== wanted) {
        result.warnings.push(
          `this code is already published as version "${existingName}": "${wanted}" was not applied (a version is named once)`,
        );
      }
    } else {
      result.changes.push(`publish version "${wanted}"`);
      if (!dryRun) {
        // a lost answer: the version listed under that name means it was published
        await createOnce({
          create: () => api.edge.publishVersion(appId!, { name: wanted, hash: hash! }, { signal }),
          lookup: async () =>
            listOf(await api.edge.listVersions(appId!, { untagged: true }, { signal })).find((v) => v.hash === hash && v.name === wanted),
        });
      }
      result.version.published = true;
      versionName = wanted;
    }
  } else if (upload) {
    versionName = hash; // an unnamed upload is addressed by its hash
  }
  result.version.name = versionName;

  // ---- 5. instances -----------------------------------------------------------
  if (configure) {
    await runPool(targets, o, result, async (t) => {
      const iid = t.installation_id;
      const pre = preFailed.get(iid);
      if (pre) return pre;
      return configureOne(
        api,
        iid,
        appId,
        instanceName,
        versionName ?? '',
        configs.get(iid) ?? { ...(o.config ?? {}), ...(t.config ?? {}) },
        dryRun,
        o.silent,
        signal,
      );
    });
  }
  return finish(result);
}

async function configureOne(
  api: EdgeDeployClient,
  iid: number,
  appId: number | undefined,
  name: string,
  version: string,
  config: Record<string, unknown>,
  dryRun: boolean,
  silent: boolean | undefined,
  signal?: AbortSignal,
): Promise<InstallationResult> {
  let existing: EdgeAppInstance | undefined;
  try {
    if (appId !== undefined) {
      const list = await api.edge.listInstances(iid, { signal });
      existing = list.find((i) => i.app_id === appId && i.name === name);
    }
    if (existing) {
      if (existing.version === version && stableJson(existing.config ?? {}) === stableJson(config)) {
        return { installation_id: iid, status: 'unchanged', action: 'none', instance_id: existing.id };
      }
      if (dryRun) return { installation_id: iid, status: 'ok', action: 'update', instance_id: existing.id };
      const upd = await api.edge.updateInstance(iid, existing.id, { app_id: appId!, version, config, name }, { silent, signal });
      return { installation_id: iid, status: 'ok', action: 'update', instance_id: upd?.id ?? existing.id };
    }
    if (dryRun) return { installation_id: iid, status: 'ok', action: 'create' };
    // exactly once: after an uncertain failure the instance of that name is looked up
    const created = (
      await createOnce({
        create: () => api.edge.createInstance(iid, { app_id: appId!, version, config, name }, { silent, signal }),
        lookup: async () => listOf(await api.edge.listInstances(iid, { signal })).find((i) => i.app_id === appId && i.name === name),
      })
    ).value;
    return { installation_id: iid, status: 'ok', action: 'create', instance_id: created.id };
  } catch (err) {
    return failed(iid, existing ? 'update' : 'create', err);
  }
}

async function removeOne(
  api: EdgeDeployClient,
  iid: number,
  appId: number | undefined,
  name: string,
  dryRun: boolean,
  silent: boolean | undefined,
  signal?: AbortSignal,
): Promise<InstallationResult> {
  try {
    const list = await api.edge.listInstances(iid, { signal });
    const found = list.filter((i) => i.name === name && (appId === undefined || i.app_id === appId));
    if (!found.length) return { installation_id: iid, status: 'unchanged', action: 'none' };
    if (!dryRun) for (const f of found) await api.edge.deleteInstance(iid, f.id, { silent, signal });
    return { installation_id: iid, status: 'ok', action: 'delete', instance_id: found[0].id };
  } catch (err) {
    return failed(iid, 'delete', err);
  }
}

/** Runs `fn` over the targets, at most `concurrency` at once, collecting results in target order. */
async function runPool(
  targets: EdgeTarget[],
  o: EdgeDeployOptions,
  result: EdgeDeployResult,
  fn: (t: EdgeTarget) => Promise<InstallationResult>,
): Promise<void> {
  const out: InstallationResult[] = new Array(targets.length);
  let done = 0;
  let stop = false;
  o.onProgress?.(0, targets.length);
  await mapLimit(targets, o.concurrency ?? DEFAULT_CONCURRENCY, async (t, i) => {
    if (stop || o.signal?.aborted) {
      out[i] = { installation_id: t.installation_id, status: 'skipped', action: 'none' };
      return;
    }
    const r = await fn(t);
    out[i] = r;
    if (r.status === 'failed' && o.stopOnFailure) stop = true;
    done++;
    o.onProgress?.(done, targets.length);
  });
  result.installations.push(...out);
}

/**
 * Every edge app the key may configure, for pickers: each of its organisations' own apps
 * (published or not, from `GET /edge/app/organization/{org}?available=true`, which also
 * holds the public apps of others), merged by id. `GET /edge/app` alone would hide the
 * unpublished apps of the user's own organisations.
 */
export async function deployableApps(
  api: Pick<EdgeDeployClient, 'edge' | 'installations'>,
  opts: { signal?: AbortSignal } = {},
): Promise<EdgeApp[]> {
  const orgs = new Set<number>();
  for (const i of listOf(await api.installations.list({ signal: opts.signal })))
    if (typeof i?.organization_id === 'number') orgs.add(i.organization_id);
  // one organisation refusing its list (e.g. 403) does not hide the others' apps
  const lists = await Promise.allSettled([...orgs].map((org) => api.edge.listOrganizationApps(org, { available: true }, opts)));
  const failed = lists.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed && lists.every((r) => r.status === 'rejected')) throw failed.reason;
  const out = new Map<number, EdgeApp>();
  for (const r of lists) if (r.status === 'fulfilled') for (const app of listOf(r.value)) if (app && !out.has(app.id)) out.set(app.id, app);
  return [...out.values()];
}

/** An answer that should be a list: an empty answer (undefined) or anything else is an empty list. */
function listOf<T>(v: T[] | undefined): T[] {
  return Array.isArray(v) ? v : [];
}

/** Calls fn for every item with at most `limit` calls in flight; never rejects unless fn does. */
export async function mapLimit<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  const n = Math.max(1, Math.min(Math.floor(limit) || 1, items.length || 1));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
}

function finish(r: EdgeDeployResult): EdgeDeployResult {
  for (const i of r.installations) {
    r.summary[i.status]++;
    if (i.instance_id !== undefined && i.status !== 'failed' && i.status !== 'skipped')
      r.instances[String(i.installation_id)] = i.instance_id;
    if (i.status === 'ok') {
      const verb = { create: 'create', update: 'update', delete: 'remove', none: 'keep' }[i.action];
      r.changes.push(`${verb} instance on installation ${i.installation_id}`);
    }
  }
  r.summary.total = r.installations.length;
  return r;
}

function failed(iid: number, action: InstallationResult['action'], err: unknown, prefix?: string): InstallationResult {
  const e = err as { message?: string; status?: number };
  const msg = e?.message ?? String(err);
  const r: InstallationResult = { installation_id: iid, status: 'failed', action, error: prefix ? `${prefix} ${iid}: ${msg}` : msg };
  if (typeof e?.status === 'number') r.statusCode = e.status;
  return r;
}

function dedupeTargets(ts: EdgeTarget[]): EdgeTarget[] {
  const seen = new Map<number, EdgeTarget>();
  for (const t of ts)
    seen.set(t.installation_id, {
      installation_id: t.installation_id,
      config: { ...(seen.get(t.installation_id)?.config ?? {}), ...(t.config ?? {}) },
    });
  return [...seen.values()];
}

/** Every field the platform requires of a new listing (the spec's EdgeApp required fields). */
function completeListing(l: EdgeAppCreate, org: number): Omit<EdgeApp, 'id'> {
  return {
    name: l.name.trim(),
    category: l.category || 'other',
    tags: l.tags ?? [],
    short_description: l.short_description ?? '',
    description: l.description ?? '',
    publisher: { ...(l.publisher ?? {}), id: org },
    public: l.public ?? false,
    ...(l.source_url ? { source_url: l.source_url } : {}),
    ...(l.official !== undefined ? { official: l.official } : {}),
  } as Omit<EdgeApp, 'id'>;
}

/** Dry run: is this code what the latest version already holds? (read-only: download + configure) */
async function sameAsLatest(
  api: EdgeDeployClient,
  appId: number,
  lua: string,
  json: string,
  signal?: AbortSignal,
): Promise<{ hash: string; name?: string } | undefined> {
  const latest = latestVersion(await api.edge.listVersions(appId, { untagged: true }, { signal }));
  if (!latest) return undefined;
  const ref = latest.name || latest.hash;
  const [remoteLua, remoteJson] = await Promise.all([
    api.edge.download(appId, { version: ref }, { signal }),
    api.edge.configureOptions(appId, { version: ref }, { signal }),
  ]);
  let localJson: unknown;
  try {
    localJson = JSON.parse(json);
  } catch {
    return undefined;
  }
  const remote = typeof remoteJson === 'string' ? safeParse(remoteJson) : remoteJson;
  return remoteLua === lua && stableJson(remote) === stableJson(localJson)
    ? { hash: latest.hash, name: latest.name || undefined }
    : undefined;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** JSON with object keys sorted, for order-independent comparison. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      return Object.fromEntries(
        Object.keys(val as object)
          .sort()
          .map((k) => [k, (val as Record<string, unknown>)[k]]),
      );
    }
    return val;
  });
}
