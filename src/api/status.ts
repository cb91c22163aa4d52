import type { ApiClient, CallOptions } from './client';
import { LynxApiError } from './errors';
import type { StatusEntry } from './models';
import { id } from './ids';

/** Above this URL length the topic list goes in a POST body instead. */
export const MAX_URL_LENGTH = 2000;

export class StatusApi {
  constructor(private readonly client: ApiClient) {}

  /**
   * Latest value of every topic (or only `topics`) of an installation.
   * Long topic lists use the POST variant; so does a GET answered with 414.
   */
  async get(iid: number, q: { topics?: string[] } = {}, opts: CallOptions = {}): Promise<StatusEntry[]> {
    const path = `/api/v2/status/${id(iid, 'installation id')}`;
    const topics = q.topics?.filter((t) => typeof t === 'string' && t !== '');
    if (!topics || topics.length === 0) return this.client.request<StatusEntry[]>('GET', path, { signal: opts.signal });
    const post = () => this.client.request<StatusEntry[]>('POST', path, { body: topics, signal: opts.signal, idempotent: true });
    if (this.client.url(path, { topics }).length > MAX_URL_LENGTH) return post();
    try {
      return await this.client.request<StatusEntry[]>('GET', path, { query: { topics }, signal: opts.signal });
    } catch (err) {
      if (err instanceof LynxApiError && err.status === 414) return post();
      throw err;
    }
  }
}
