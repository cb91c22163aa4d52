import type { ApiClient, CallOptions } from './client';
import type { NotificationExecutor, NotificationMessage, NotificationOutput } from './models';
import { id } from './ids';

export class NotificationsApi {
  constructor(private readonly client: ApiClient) {}

  private base(iid: number): string {
    return `/api/v2/notification/${id(iid, 'installation id')}`;
  }

  async listMessages(iid: number, opts: CallOptions = {}): Promise<NotificationMessage[]> {
    return this.client.request<NotificationMessage[]>('GET', `${this.base(iid)}/message`, { signal: opts.signal });
  }
  async getMessage(iid: number, messageId: number, opts: CallOptions = {}): Promise<NotificationMessage> {
    return this.client.request<NotificationMessage>('GET', `${this.base(iid)}/message/${id(messageId, 'message id')}`, {
      signal: opts.signal,
    });
  }
  async listOutputs(iid: number, opts: CallOptions = {}): Promise<NotificationOutput[]> {
    return this.client.request<NotificationOutput[]>('GET', `${this.base(iid)}/output`, { signal: opts.signal });
  }
  async getOutput(iid: number, outputId: number, opts: CallOptions = {}): Promise<NotificationOutput> {
    return this.client.request<NotificationOutput>('GET', `${this.base(iid)}/output/${id(outputId, 'output id')}`, { signal: opts.signal });
  }
  async listExecutors(iid: number, opts: CallOptions = {}): Promise<NotificationExecutor[]> {
    return this.client.request<NotificationExecutor[]>('GET', `${this.base(iid)}/executor`, { signal: opts.signal });
  }
  async getExecutor(iid: number, executorId: number, opts: CallOptions = {}): Promise<NotificationExecutor> {
    return this.client.request<NotificationExecutor>('GET', `${this.base(iid)}/executor/${id(executorId, 'executor id')}`, {
      signal: opts.signal,
    });
  }

  /** Trigger an output; a JSON object in `data` is available to its templates. Never retried (it sends). */
  async send(iid: number, outputId: number, data?: unknown, opts: CallOptions = {}): Promise<unknown> {
    return this.client.request<unknown>('POST', `${this.base(iid)}/output/${id(outputId, 'output id')}/send`, {
      body: data === undefined ? {} : data,
      signal: opts.signal,
    });
  }
}
