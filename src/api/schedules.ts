import type { ApiClient, CallOptions } from './client';
import type { MessageResponse, Schedule } from './models';
import { flags, id } from './ids';

export interface ScheduleCallOptions extends CallOptions {
  /** do not publish the `evt/schedule/updated` MQTT event */
  silent?: boolean;
}

export class SchedulesApi {
  constructor(private readonly client: ApiClient) {}

  private base(iid: number): string {
    return `/api/v2/schedule/${id(iid, 'installation id')}`;
  }

  /** Schedules of an installation; the server's default executor filter is "gateway". */
  async list(iid: number, q: { executor?: string } = {}, opts: CallOptions = {}): Promise<Schedule[]> {
    return this.client.request<Schedule[]>('GET', this.base(iid), { query: { executor: q.executor || undefined }, signal: opts.signal });
  }

  async get(iid: number, sid: number, opts: CallOptions = {}): Promise<Schedule> {
    return this.client.request<Schedule>('GET', `${this.base(iid)}/${id(sid, 'schedule id')}`, { signal: opts.signal });
  }

  async create(iid: number, body: Omit<Schedule, 'id'>, opts: ScheduleCallOptions = {}): Promise<Schedule> {
    const installation_id = id(iid, 'installation id');
    return this.client.request<Schedule>('POST', this.base(iid), { query: flags(opts), body: { ...body, installation_id }, signal: opts.signal });
  }

  async update(iid: number, sid: number, body: Partial<Schedule>, opts: ScheduleCallOptions = {}): Promise<Schedule> {
    const installation_id = id(iid, 'installation id');
    const scheduleId = id(sid, 'schedule id');
    return this.client.request<Schedule>('PUT', `${this.base(iid)}/${scheduleId}`, {
      query: flags(opts), body: { ...body, id: scheduleId, installation_id }, signal: opts.signal,
    });
  }

  async delete(iid: number, sid: number, opts: ScheduleCallOptions = {}): Promise<MessageResponse> {
    return this.client.request<MessageResponse>('DELETE', `${this.base(iid)}/${id(sid, 'schedule id')}`, { query: flags(opts), signal: opts.signal });
  }
}
