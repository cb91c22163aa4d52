// FunctionX and DeviceX: the same API under two path prefixes.
import type { ApiClient, CallOptions, Query } from './client';
import type { MessageResponse, MetaX, ModelX, ModelXFilter, Meta } from './models';
import { flags, id, segment } from './ids';
import { createOnce, findOrCreate, type FoundOrCreated } from './retry';
import { LynxApiError } from './errors';
import { matchesFilter } from '../lynx/modelx';

export interface SilentOptions extends CallOptions {
  /** do not publish the `evt/<kind>/updated` MQTT event */
  silent?: boolean;
}
export interface UpdateMetaOptions extends SilentOptions {
  /** create the key when it does not exist (else 404) */
  createMissing?: boolean;
}

export type FindOrCreateResult = FoundOrCreated<ModelX>;

/**
 * POST a meta key (of a function, device or installation) exactly once: after an uncertain
 * failure the key is read back, and the value sent there means it was created (createOnce),
 * so a lost answer never turns into a 409.
 */
export async function createMetaOnce(
  meta: { value: string; protected?: boolean },
  post: (body: { value: string; protected: boolean }) => Promise<MetaX>,
  get: () => Promise<MetaX>,
): Promise<MetaX> {
  const body = { value: String(meta.value), protected: !!meta.protected };
  const r = await createOnce({
    create: () => post(body),
    lookup: async () => {
      try {
        const got = await get();
        // a protected value may be hidden from reads: its key being there, protected, is the sign
        return got && !!got.protected === body.protected && (body.protected || got.value === body.value) ? got : undefined;
      } catch (err) {
        if (err instanceof LynxApiError && err.status === 404) return undefined;
        throw err;
      }
    },
  });
  return r.value;
}

/**
 * The body of a meta PUT (of a function, device or installation): a whole MetaX (spec: `value`
 * and `protected` both required). A write that does not say `protected` first reads the key and
 * keeps its flag (a missing key: false): sending false would turn a protected key into one every
 * user of the installation reads.
 */
export async function metaPutBody(
  meta: { value: string; protected?: boolean },
  get: () => Promise<MetaX>,
): Promise<{ value: string; protected: boolean }> {
  let prot = meta.protected;
  if (prot === undefined) {
    try {
      prot = !!(await get()).protected;
    } catch (err) {
      if (!(err instanceof LynxApiError && err.status === 404)) throw err;
      prot = false;
    }
  }
  return { value: String(meta.value), protected: !!prot };
}

export class ModelXApi {
  constructor(
    private readonly client: ApiClient,
    readonly kind: 'functionx' | 'devicex',
  ) {}

  private base(iid: number): string {
    return `/api/v2/${this.kind}/${id(iid, 'installation id')}`;
  }
  private one(iid: number, xid: number): string {
    return `${this.base(iid)}/${id(xid, `${this.kind} id`)}`;
  }
  private metaPath(iid: number, xid: number, key: string): string {
    return `${this.one(iid, xid)}/meta/${segment(key, 'meta key')}`;
  }

  /** List, filtered by `type` and meta key => value pairs (wildcards allowed in values). */
  async list(iid: number, filter: ModelXFilter = {}, opts: CallOptions = {}): Promise<ModelX[]> {
    const query: Query = {};
    for (const [k, v] of Object.entries(filter.meta ?? {})) {
      if (v !== undefined && v !== null) query[k] = String(v);
    }
    if (filter.type) query.type = filter.type;
    return this.client.request<ModelX[]>('GET', this.base(iid), { query, signal: opts.signal });
  }

  async get(iid: number, xid: number, opts: CallOptions = {}): Promise<ModelX> {
    return this.client.request<ModelX>('GET', this.one(iid, xid), { signal: opts.signal });
  }

  async create(iid: number, body: { type: string; meta?: Meta }, opts: SilentOptions = {}): Promise<ModelX> {
    if (!body || typeof body.type !== 'string' || body.type === '') throw new TypeError(`${this.kind} type must be a non-empty string`);
    const installation_id = id(iid, 'installation id');
    return this.client.request<ModelX>('POST', this.base(iid), {
      query: flags(opts),
      body: { installation_id, type: body.type, meta: body.meta ?? {} },
      signal: opts.signal,
    });
  }

  /**
   * The oldest object matching `filter` (the server's filter, checked again here), or else one
   * created from `body`, exactly once: after an uncertain failure of the create (500, timeout,
   * connection lost) the filter is listed again before another create (createOnce). `body` must
   * match `filter`, else the object made would not be found the next time. Two calls at once
   * for the same filter may both create: callers serialise them (the devicex/functionx nodes do).
   */
  async findOrCreate(
    iid: number,
    body: { type: string; meta?: Meta },
    filter: ModelXFilter,
    opts: SilentOptions = {},
  ): Promise<FindOrCreateResult> {
    if (!matchesFilter({ type: body?.type, meta: body?.meta ?? {} }, filter)) {
      throw new TypeError(
        `${this.kind} find-or-create: the new object does not match the filter ${JSON.stringify(filter)}, so it would not be found next time and every call would create another`,
      );
    }
    return findOrCreate({
      list: () => this.list(iid, filter, { signal: opts.signal }),
      matches: (o) => matchesFilter(o, filter),
      create: () => this.create(iid, body, opts),
    });
  }

  /** Replace type and meta (PUT). Without `type` the current type is kept (one extra GET). */
  async update(iid: number, xid: number, body: { type?: string; meta: Meta }, opts: SilentOptions = {}): Promise<ModelX> {
    const installation_id = id(iid, 'installation id');
    let type = body?.type;
    if (!type) type = (await this.get(iid, xid, { signal: opts.signal })).type;
    return this.client.request<ModelX>('PUT', this.one(iid, xid), {
      query: flags(opts),
      body: { installation_id, type, meta: body?.meta ?? {} },
      signal: opts.signal,
    });
  }

  async delete(iid: number, xid: number, opts: SilentOptions = {}): Promise<MessageResponse> {
    return this.client.request<MessageResponse>('DELETE', this.one(iid, xid), { query: flags(opts), signal: opts.signal });
  }

  async getMeta(iid: number, xid: number, key: string, opts: CallOptions = {}): Promise<MetaX> {
    return this.client.request<MetaX>('GET', this.metaPath(iid, xid, key), { signal: opts.signal });
  }

  /**
   * Create a meta key (409 when it exists). After an uncertain failure the key is read back: the
   * value sent there means it was created (createOnce), so a lost answer never turns into a 409.
   */
  async createMeta(
    iid: number,
    xid: number,
    key: string,
    meta: { value: string; protected?: boolean },
    opts: SilentOptions = {},
  ): Promise<MetaX> {
    return createMetaOnce(
      meta,
      (body) => this.client.request<MetaX>('POST', this.metaPath(iid, xid, key), { query: flags(opts), body, signal: opts.signal }),
      () => this.getMeta(iid, xid, key, { signal: opts.signal }),
    );
  }

  /** `PUT .../meta/{key}`: 404 for a missing key unless `createMissing`; the key's protection kept unless given (metaPutBody). */
  async updateMeta(
    iid: number,
    xid: number,
    key: string,
    meta: { value: string; protected?: boolean },
    opts: UpdateMetaOptions = {},
  ): Promise<MetaX> {
    const body = await metaPutBody(meta, () => this.getMeta(iid, xid, key, { signal: opts.signal }));
    return this.client.request<MetaX>('PUT', this.metaPath(iid, xid, key), { query: flags(opts), body, signal: opts.signal });
  }

  async deleteMeta(iid: number, xid: number, key: string, opts: SilentOptions = {}): Promise<MessageResponse> {
    return this.client.request<MessageResponse>('DELETE', this.metaPath(iid, xid, key), { query: flags(opts), signal: opts.signal });
  }
}
