// Edge Apps API (`/api/v2/edge/...`): listings, versions, configured instances.
// Uses only client.request, so retries, auth and errors behave like every area.
import type { ApiClient } from './client';

export interface EdgeAppPublisher {
  id: number;
  name?: string;
}

/** An edge app listing. */
export interface EdgeApp {
  id: number;
  name: string;
  category: string;
  tags: string[];
  short_description: string;
  description: string;
  publisher: EdgeAppPublisher;
  official?: boolean;
  public: boolean;
  source_url?: string;
  created?: number;
  updated?: number;
}

export type EdgeAppCreate = Omit<
  EdgeApp,
  'id' | 'created' | 'updated' | 'publisher' | 'tags' | 'short_description' | 'description' | 'public'
> & {
  tags?: string[];
  short_description?: string;
  description?: string;
  publisher?: EdgeAppPublisher;
  public?: boolean;
};

export interface EdgeAppVersion {
  /** Absent for an upload that has not been published (named) yet. */
  name?: string;
  hash: string;
  timestamp?: number;
}

/** A configured instance of an app on one installation. */
export interface EdgeAppInstance {
  id: number;
  app_id: number;
  installation_id: number;
  version: string;
  config: Record<string, unknown>;
  name: string;
  created?: number;
  updated?: number;
}

export type EdgeAppInstanceBody = Omit<EdgeAppInstance, 'id' | 'installation_id' | 'created' | 'updated'> & {
  id?: number;
  installation_id?: number;
};

type Opts = { signal?: AbortSignal };
type WriteOpts = Opts & { silent?: boolean };

function seg(v: number | string): string {
  return encodeURIComponent(String(v));
}

export class EdgeApi {
  constructor(protected readonly client: ApiClient) {}

  /**
   * `GET /edge/app`: the *published* apps this key may see (anyone's). An app without a
   * published version is not here, not even for its own organisation: use
   * listOrganizationApps for that.
   */
  listApps(opts: Opts = {}): Promise<EdgeApp[]> {
    return this.client.request<EdgeApp[]>('GET', '/api/v2/edge/app', { signal: opts.signal });
  }

  /**
   * `GET /edge/app/organization/{organization_id}`: the apps of an organisation, unpublished
   * ones included ("created by or available for installations in the organization").
   * `available: true` asks for every app available to it (others' public apps too), as
   * go-lynx GetEdgeAppsOrganization and node-lynx GetEdgeAppOrganization send it
   * (`?available=true`). The spec's wording of `available` can be read two ways, so a
   * caller that wants only the organisation's own apps filters on `publisher.id`.
   */
  listOrganizationApps(organizationId: number, q: { available?: boolean } = {}, opts: Opts = {}): Promise<EdgeApp[]> {
    const query = q.available === undefined ? undefined : { available: String(q.available) };
    return this.client.request<EdgeApp[]>('GET', `/api/v2/edge/app/organization/${seg(organizationId)}`, { query, signal: opts.signal });
  }

  getApp(id: number, opts: Opts = {}): Promise<EdgeApp> {
    return this.client.request<EdgeApp>('GET', `/api/v2/edge/app/${seg(id)}`, { signal: opts.signal });
  }

  createApp(body: EdgeAppCreate, opts: Opts = {}): Promise<EdgeApp> {
    return this.client.request<EdgeApp>('POST', '/api/v2/edge/app', { body, signal: opts.signal });
  }

  listVersions(id: number, q: { untagged?: boolean } = {}, opts: Opts = {}): Promise<EdgeAppVersion[]> {
    const query = q.untagged ? { untagged: 'true' } : undefined;
    return this.client.request<EdgeAppVersion[]>('GET', `/api/v2/edge/app/${seg(id)}/version`, { query, signal: opts.signal });
  }

  /**
   * Upload app.lua + app.json as a new (unnamed) version. The server answers 204 when
   * both are identical to its latest version: then the latest version's hash is returned
   * with `unchanged: true`. That makes a second upload of the same files a no-op, so the
   * upload is retried like a PUT after an uncertain failure (a lost answer of a stored upload
   * then reads `unchanged: true`).
   */
  async uploadVersion(
    id: number,
    files: { appLua: string | Buffer; appJson: string | Buffer },
    opts: Opts = {},
  ): Promise<{ hash: string; unchanged: boolean }> {
    const form = {
      app_lua: { value: toBuffer(files.appLua), filename: 'app.lua', contentType: 'text/x-lua' },
      app_json: { value: toBuffer(files.appJson), filename: 'app.json', contentType: 'application/json' },
    };
    const res = await this.client.request<{ hash?: string } | undefined>('POST', `/api/v2/edge/app/${seg(id)}/version`, {
      form,
      signal: opts.signal,
      idempotent: true,
    });
    if (res && typeof res.hash === 'string') return { hash: res.hash, unchanged: false };
    const versions = await this.listVersions(id, { untagged: true }, opts);
    const latest = latestVersion(versions);
    if (!latest) throw new Error(`edge app ${id}: the server said the upload was identical to the latest version, but lists no version`);
    return { hash: latest.hash, unchanged: true };
  }

  /** Name the version with this hash: it becomes published (downloadable). */
  publishVersion(id: number, v: { name: string; hash: string }, opts: Opts = {}): Promise<EdgeAppVersion> {
    return this.client.request<EdgeAppVersion>('POST', `/api/v2/edge/app/${seg(id)}/publish`, {
      body: { name: v.name, hash: v.hash },
      signal: opts.signal,
    });
  }

  /** The uploaded app.json of a version (a version name, or the hash of an unnamed one). */
  configureOptions(id: number, q: { version: string }, opts: Opts = {}): Promise<unknown> {
    return this.client.request<unknown>('GET', `/api/v2/edge/app/${seg(id)}/configure`, {
      query: { version: q.version },
      signal: opts.signal,
    });
  }

  /** The app.lua of a version, as text. */
  download(id: number, q: { version: string }, opts: Opts = {}): Promise<string> {
    return this.client.request<string>('GET', `/api/v2/edge/app/${seg(id)}/download`, {
      query: { version: q.version },
      responseType: 'text',
      signal: opts.signal,
    });
  }

  listInstances(iid: number, opts: Opts = {}): Promise<EdgeAppInstance[]> {
    return this.client.request<EdgeAppInstance[]>('GET', `/api/v2/edge/app/configured/${seg(iid)}`, { signal: opts.signal });
  }

  getInstance(iid: number, id: number, opts: Opts = {}): Promise<EdgeAppInstance> {
    return this.client.request<EdgeAppInstance>('GET', `/api/v2/edge/app/configured/${seg(iid)}/${seg(id)}`, { signal: opts.signal });
  }

  createInstance(iid: number, body: EdgeAppInstanceBody, opts: WriteOpts = {}): Promise<EdgeAppInstance> {
    return this.client.request<EdgeAppInstance>('POST', `/api/v2/edge/app/configured/${seg(iid)}`, {
      body: { ...body, installation_id: iid },
      query: silentQuery(opts),
      signal: opts.signal,
    });
  }

  updateInstance(iid: number, id: number, body: EdgeAppInstanceBody, opts: WriteOpts = {}): Promise<EdgeAppInstance> {
    return this.client.request<EdgeAppInstance>('PUT', `/api/v2/edge/app/configured/${seg(iid)}/${seg(id)}`, {
      body: { ...body, id, installation_id: iid },
      query: silentQuery(opts),
      signal: opts.signal,
    });
  }

  deleteInstance(iid: number, id: number, opts: WriteOpts = {}): Promise<{ message: string }> {
    return this.client.request<{ message: string }>('DELETE', `/api/v2/edge/app/configured/${seg(iid)}/${seg(id)}`, {
      query: silentQuery(opts),
      signal: opts.signal,
    });
  }
}

/** The most recently uploaded version (highest timestamp; the last listed on a tie). */
export function latestVersion(versions: EdgeAppVersion[]): EdgeAppVersion | undefined {
  let best: EdgeAppVersion | undefined;
  for (const v of versions) {
    if (!best || (v.timestamp ?? 0) >= (best.timestamp ?? 0)) best = v;
  }
  return best;
}

function silentQuery(opts: WriteOpts): Record<string, string> | undefined {
  return opts.silent ? { silent: 'true' } : undefined;
}

function toBuffer(v: string | Buffer): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}
