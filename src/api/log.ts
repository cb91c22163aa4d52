import type { ApiClient, CallOptions, Query } from './client';
import { LynxApiError } from './errors';
import type { LogPage, LogQuery } from './models';
import { id } from './ids';
import { MAX_URL_LENGTH } from './status';

export class LogApi {
  constructor(private readonly client: ApiClient) {}

  /** One page of the v3 log (`from`/`to` unix seconds). Long topic lists go in a POST body. */
  async query(iid: number, q: LogQuery = {}, opts: CallOptions = {}): Promise<LogPage> {
    const path = `/api/v3beta/log/${id(iid, 'installation id')}`;
    if (q.order !== undefined && q.order !== 'asc' && q.order !== 'desc') {
      throw new TypeError(`log order must be "asc" or "desc", got ${JSON.stringify(q.order)}`);
    }
    const query: Query = { from: num(q.from, 'from'), to: num(q.to, 'to'), limit: num(q.limit, 'limit'), offset: num(q.offset, 'offset'), order: q.order };
    const topics = q.topics?.filter((t) => typeof t === 'string' && t !== '');
    if (!topics || topics.length === 0) return normalise(await this.client.request<LogPage>('GET', path, { query, signal: opts.signal }));
    const post = async () => normalise(await this.client.request<LogPage>('POST', path, { query, body: topics, signal: opts.signal, idempotent: true }));
    if (this.client.url(path, { ...query, topics }).length > MAX_URL_LENGTH) return post();
    try {
      return normalise(await this.client.request<LogPage>('GET', path, { query: { ...query, topics }, signal: opts.signal }));
    } catch (err) {
      if (err instanceof LynxApiError && err.status === 414) return post();
      throw err;
    }
  }

  /** Every page from `q.offset` (default 0): `offset += count` until `total` is reached or a page is empty. */
  async *pages(iid: number, q: LogQuery = {}, opts: CallOptions = {}): AsyncGenerator<LogPage, void, undefined> {
    let offset = q.offset ?? 0;
    for (;;) {
      const page = await this.query(iid, { ...q, offset }, opts);
      yield page;
      if (page.count <= 0) return;
      offset += page.count;
      if (offset >= page.total) return;
    }
  }
}

function num(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`log ${field} must be a non-negative number, got ${JSON.stringify(v)}`);
  return v;
}

function normalise(p: LogPage | undefined): LogPage {
  const data = Array.isArray(p?.data) ? p!.data : [];
  return {
    total: typeof p?.total === 'number' ? p.total : data.length,
    count: typeof p?.count === 'number' ? p.count : data.length,
    last: typeof p?.last === 'number' ? p.last : 0,
    data,
  };
}
