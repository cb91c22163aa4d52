import type { ApiClient, CallOptions, Query } from './client';
import type { InstallationInfo, InstallationInput, InstallationRow, MessageResponse, Meta, MetaX } from './models';
import { flags, id, segment } from './ids';
import { findOrCreate, type FoundOrCreated } from './retry';
import { createMetaOnce, metaPutBody, type SilentOptions, type UpdateMetaOptions } from './modelx';

export interface InstallationListOptions extends CallOptions {
  /**
   * false (default): every installation the key may see, assigned to its user or not (what an
   * organisation admin or integrator key needs). true: only those assigned to the user.
   */
  assignedOnly?: boolean;
}

export type InstallationFindOrCreateResult = FoundOrCreated<InstallationRow>;

/** The fields of an Installation body the spec requires (name, organization_id, notes, users), filled in. */
export function installationBody(b: Partial<InstallationInput> & { name: string; organization_id: number }): InstallationInput {
  if (!b || typeof b.name !== 'string' || b.name.trim() === '') throw new TypeError('installation name must be a non-empty string');
  const out: InstallationInput = {
    name: b.name,
    organization_id: id(b.organization_id, 'organization_id'),
    notes: typeof b.notes === 'string' ? b.notes : '',
    users: Array.isArray(b.users) ? b.users.map((u) => id(u, 'users')) : [],
    meta: { ...(b.meta ?? {}) },
  };
  if (b.protected_meta) out.protected_meta = { ...b.protected_meta };
  return out;
}

function metaMatches(row: InstallationRow, filter: Meta): boolean {
  const m = { ...(row.protected_meta ?? {}), ...(row.meta ?? {}) };
  return Object.entries(filter).every(([k, v]) => m[k] === v);
}

export class InstallationsApi {
  constructor(private readonly client: ApiClient) {}

  /**
   * The installations the account can see (`id` for the API, `client_id` for MQTT).
   * `GET /api/v2/installationinfo` answers only the installations *assigned* to the user unless
   * `assigned=false` is sent (spec); IoT Open's own clients (go-lynx and node-lynx
   * `GetInstallation`) send `assigned=false` to find any installation the key may access.
   */
  async list(opts: InstallationListOptions = {}): Promise<InstallationInfo[]> {
    return this.client.request<InstallationInfo[]>('GET', '/api/v2/installationinfo', {
      query: { assigned: opts.assignedOnly ? 'true' : 'false' },
      signal: opts.signal,
    });
  }

  /** The installation with this MQTT client id. */
  async byClientId(clientId: number, opts: CallOptions = {}): Promise<InstallationInfo> {
    return this.client.request<InstallationInfo>('GET', `/api/v2/installationinfo/${id(clientId, 'clientId')}`, { signal: opts.signal });
  }

  // ---- installation rows: /api/v2/installation (spec "Installation"; go-lynx InstallationRow) ----

  private one(iid: number): string {
    return `/api/v2/installation/${id(iid, 'installation id')}`;
  }
  private metaPath(iid: number, key: string): string {
    return `${this.one(iid)}/meta/${segment(key, 'meta key')}`;
  }

  /** `GET /api/v2/installation`, filtered by meta key => value (wildcards in values), as go-lynx ListInstallations. */
  async rows(meta: Meta = {}, opts: CallOptions = {}): Promise<InstallationRow[]> {
    const query: Query = {};
    for (const [k, v] of Object.entries(meta)) if (v !== undefined && v !== null) query[k] = String(v);
    return this.client.request<InstallationRow[]>('GET', '/api/v2/installation', { query, signal: opts.signal });
  }

  async get(iid: number, opts: CallOptions = {}): Promise<InstallationRow> {
    return this.client.request<InstallationRow>('GET', this.one(iid), { signal: opts.signal });
  }

  /** `POST /api/v2/installation`: answers the InstallationResponse (with its new `id` and `client_id`). */
  async create(
    body: Partial<InstallationInput> & { name: string; organization_id: number },
    opts: CallOptions = {},
  ): Promise<InstallationRow> {
    return this.client.request<InstallationRow>('POST', '/api/v2/installation', { body: installationBody(body), signal: opts.signal });
  }

  /**
   * The oldest installation of `body.organization_id` whose meta has every key => value of
   * `match`, or else one created from `body` exactly once (createOnce: after an uncertain failure
   * the list is read again before another create). `body.meta` must hold `match`, else it would
   * not be found next time. The list shows every installation the key may access, in every
   * organisation: one with the same site code in another organisation (another customer's) is
   * not the one asked for.
   */
  async findOrCreate(
    body: Partial<InstallationInput> & { name: string; organization_id: number },
    match: Meta,
    opts: CallOptions = {},
  ): Promise<InstallationFindOrCreateResult> {
    const keys = Object.keys(match ?? {});
    if (!keys.length) throw new TypeError('installation find-or-create needs at least one meta key to match on');
    const full = installationBody(body);
    for (const k of keys) {
      if (full.meta[k] !== match[k]) {
        throw new TypeError(
          `installation find-or-create: meta.${k} of the new installation must be ${JSON.stringify(match[k])}, or it would not be found next time`,
        );
      }
    }
    return findOrCreate({
      list: () => this.rows(match, { signal: opts.signal }),
      matches: (r) => r.organization_id === full.organization_id && metaMatches(r, match),
      create: () => this.create(full, opts),
    });
  }

  /**
   * `PUT /api/v2/installation/{id}` with a whole Installation: fields not given are taken from
   * the current row (one GET), so a change of the name alone keeps notes, users and meta; and
   * protected_meta when the row has it, as go-lynx and node-lynx send the row they read (the spec
   * does not say whether a PUT without it keeps or clears it).
   */
  async update(iid: number, changes: Partial<InstallationInput>, opts: SilentOptions = {}): Promise<InstallationRow> {
    const cur = await this.get(iid, { signal: opts.signal });
    const body = installationBody({
      name: changes.name ?? cur.name,
      organization_id: changes.organization_id ?? cur.organization_id,
      notes: changes.notes ?? cur.notes,
      users: changes.users ?? cur.users,
      meta: changes.meta ?? cur.meta,
      protected_meta: changes.protected_meta ?? cur.protected_meta,
    });
    return this.client.request<InstallationRow>('PUT', this.one(iid), { query: flags(opts), body, signal: opts.signal });
  }

  async delete(iid: number, opts: CallOptions = {}): Promise<MessageResponse> {
    return this.client.request<MessageResponse>('DELETE', this.one(iid), { signal: opts.signal });
  }

  async getMeta(iid: number, key: string, opts: CallOptions = {}): Promise<MetaX> {
    return this.client.request<MetaX>('GET', this.metaPath(iid, key), { signal: opts.signal });
  }

  /** Create a meta key (409 when it exists); a lost answer is read back (createOnce), never turned into a 409. */
  async createMeta(iid: number, key: string, meta: { value: string; protected?: boolean }, opts: SilentOptions = {}): Promise<MetaX> {
    return createMetaOnce(
      meta,
      (body) => this.client.request<MetaX>('POST', this.metaPath(iid, key), { query: flags(opts), body, signal: opts.signal }),
      () => this.getMeta(iid, key, { signal: opts.signal }),
    );
  }

  /** `PUT .../meta/{key}`: 404 for a missing key unless `createMissing`; the key's protection kept unless given (metaPutBody). */
  async updateMeta(iid: number, key: string, meta: { value: string; protected?: boolean }, opts: UpdateMetaOptions = {}): Promise<MetaX> {
    const body = await metaPutBody(meta, () => this.getMeta(iid, key, { signal: opts.signal }));
    return this.client.request<MetaX>('PUT', this.metaPath(iid, key), { query: flags(opts), body, signal: opts.signal });
  }

  async deleteMeta(iid: number, key: string, opts: SilentOptions = {}): Promise<MessageResponse> {
    return this.client.request<MessageResponse>('DELETE', this.metaPath(iid, key), { query: flags(opts), signal: opts.signal });
  }
}
