import type { ApiClient, CallOptions, Query } from './client';
import { LynxApiError } from './errors';
import type { LogEntry, LogPage, LogQuery } from './models';
import { id } from './ids';
import { MAX_URL_LENGTH } from './status';
import { aggregationInterval, aggregationMethod } from '../lynx/aggregation';

/** The platform's page size when `limit` is not given (spec: "default is 10 000"). */
export const DEFAULT_LOG_LIMIT = 10000;

export class LogApi {
  constructor(private readonly client: ApiClient) {}

  /**
   * One page of the v3 log. `from`/`to` are unix seconds, sent as whole seconds (the spec's
   * integers: `from` rounded down, `to` up, so the range never shrinks). `topics` are bare
   * (`obj/...`, without the `{client_id}/` prefix); long topic lists go in a POST body.
   * `total` is undefined when the server leaves it out (`includeTotal: false` asks it to).
   */
  async query(iid: number, q: LogQuery = {}, opts: CallOptions = {}): Promise<LogPage> {
    const path = `/api/v3beta/log/${id(iid, 'installation id')}`;
    const query = logQuery(q);
    const topics = q.topics?.filter((t) => typeof t === 'string' && t !== '');
    if (!topics || topics.length === 0) return normalise(await this.client.request<LogPage>('GET', path, { query, signal: opts.signal }));
    const post = async () =>
      normalise(await this.client.request<LogPage>('POST', path, { query, body: topics, signal: opts.signal, idempotent: true }));
    if (this.client.url(path, { ...query, topics }).length > MAX_URL_LENGTH) return post();
    try {
      return normalise(await this.client.request<LogPage>('GET', path, { query: { ...query, topics }, signal: opts.signal }));
    } catch (err) {
      if (err instanceof LynxApiError && err.status === 414) return post();
      throw err;
    }
  }

  /**
   * Every page from `q.offset` (default 0), `offset += count`: until `total` is reached where
   * the server gives it, else (as IoT Open's Grafana client pages with `include_total=false`)
   * until a page shorter than the limit; always at an empty page.
   */
  async *pages(iid: number, q: LogQuery = {}, opts: CallOptions = {}): AsyncGenerator<LogPage, void, undefined> {
    const limit = q.limit ?? DEFAULT_LOG_LIMIT;
    let offset = q.offset ?? 0;
    for (;;) {
      const page = await this.query(iid, { ...q, limit, offset }, opts);
      yield page;
      if (page.count <= 0) return;
      offset += page.count;
      if (page.total !== undefined ? offset >= page.total : page.count < limit) return;
    }
  }
}

function logQuery(q: LogQuery): Query {
  if (q.order !== undefined && q.order !== 'asc' && q.order !== 'desc') {
    throw new TypeError(`log order must be "asc" or "desc", got ${JSON.stringify(q.order)}`);
  }
  const query: Query = {
    from: seconds(q.from, 'from', Math.floor),
    to: seconds(q.to, 'to', Math.ceil),
    limit: count(q.limit, 'limit'),
    offset: count(q.offset, 'offset'),
    order: q.order,
  };
  if (q.includeTotal === false) query.include_total = 'false';
  if (q.aggregation) {
    query.aggr_method = aggregationMethod(q.aggregation.method, 'aggregation.method');
    if (q.aggregation.interval !== undefined) query.aggr_interval = aggregationInterval(q.aggregation.interval, 'aggregation.interval');
  }
  return query;
}

function nonNegative(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new TypeError(`log ${field} must be a non-negative number, got ${JSON.stringify(v)}`);
  return v;
}

function seconds(v: unknown, field: string, round: (n: number) => number): number | undefined {
  const n = nonNegative(v, field);
  return n === undefined ? undefined : round(n);
}

function count(v: unknown, field: string): number | undefined {
  const n = nonNegative(v, field);
  if (n !== undefined && !Number.isInteger(n)) throw new TypeError(`log ${field} must be a whole number, got ${n}`);
  return n;
}

/** The page as the spec names it; node-lynx types `last` as `last_time`, so that spelling is read too. */
function normalise(p: (LogPage & { last_time?: unknown }) | undefined): LogPage {
  const data: LogEntry[] = Array.isArray(p?.data) ? p!.data : [];
  let oldest = 0;
  for (const e of data) if (typeof e?.timestamp === 'number' && (oldest === 0 || e.timestamp < oldest)) oldest = e.timestamp;
  return {
    total: typeof p?.total === 'number' ? p.total : undefined,
    count: typeof p?.count === 'number' ? p.count : data.length,
    last: typeof p?.last === 'number' ? p.last : typeof p?.last_time === 'number' ? p.last_time : oldest,
    data,
  };
}
