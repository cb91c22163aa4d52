import type { ApiClient, CallOptions } from './client';
import type { MessageResponse, Schedule } from './models';
import { flags, id } from './ids';
import { createOnce } from './retry';

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

  /**
   * Creates a schedule, exactly once, and returns it with its id. The spec documents no answer
   * body (200 with nothing); IoT Open's own clients read a Schedule from it. The installation's
   * matching schedules (same executor, every field sent) are listed first; the new one is the
   * newest match not listed before. That finds it when the answer has no id, and after an
   * uncertain failure of the create (500, timeout, connection lost) decides whether it was made
   * before another create is tried (createOnce). Without a match the sent body comes back without an id.
   */
  async create(iid: number, body: Omit<Schedule, 'id'>, opts: ScheduleCallOptions = {}): Promise<Schedule> {
    const installation_id = id(iid, 'installation id');
    // active is required by the spec's Schedule schema; cron fields default to '*' on the server
    const sent = { ...body, active: (body as Partial<Schedule>).active ?? true, installation_id } as Schedule;
    const matching = async (): Promise<Schedule[]> => {
      const listed = await this.list(iid, { executor: sent.executor }, { signal: opts.signal });
      return (Array.isArray(listed) ? listed : []).filter((s) => s && typeof s.id === 'number' && sameSchedule(s, sent));
    };
    const before = new Set((await matching()).map((s) => s.id));
    const newest = async (): Promise<Schedule | undefined> => {
      let found: Schedule | undefined;
      for (const s of await matching()) if (!before.has(s.id) && (!found || (s.id as number) > (found.id as number))) found = s;
      return found;
    };
    const r = await createOnce<Schedule | undefined>({
      create: () =>
        this.client.request<Schedule | undefined>('POST', this.base(iid), { query: flags(opts), body: sent, signal: opts.signal }),
      lookup: newest,
    });
    const answer = r.value;
    if (answer && typeof answer === 'object' && typeof answer.id === 'number') return answer;
    return (await newest()) ?? sent;
  }

  async update(iid: number, sid: number, body: Partial<Schedule>, opts: ScheduleCallOptions = {}): Promise<Schedule> {
    const installation_id = id(iid, 'installation id');
    const scheduleId = id(sid, 'schedule id');
    return this.client.request<Schedule>('PUT', `${this.base(iid)}/${scheduleId}`, {
      query: flags(opts),
      body: { ...body, id: scheduleId, installation_id },
      signal: opts.signal,
    });
  }

  async delete(iid: number, sid: number, opts: ScheduleCallOptions = {}): Promise<MessageResponse> {
    return this.client.request<MessageResponse>('DELETE', `${this.base(iid)}/${id(sid, 'schedule id')}`, {
      query: flags(opts),
      signal: opts.signal,
    });
  }
}

const CRON = ['minute', 'hour', 'day_of_month', 'month', 'day_of_week'] as const;

/** Does a listed schedule hold what was sent? (cron fields default to '*', executor to "gateway") */
export function sameSchedule(listed: Schedule, sent: Schedule): boolean {
  if (listed.topic !== sent.topic || Number(listed.value) !== Number(sent.value)) return false;
  if ((listed.executor || 'gateway') !== (sent.executor || 'gateway')) return false;
  if (listed.active !== undefined && sent.active !== undefined && listed.active !== sent.active) return false;
  return CRON.every((k) => String(listed[k] ?? '*') === String(sent[k] ?? '*'));
}
