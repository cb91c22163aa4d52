import type { ApiClient, CallOptions } from './client';
import type { NotificationExecutor, NotificationMessage, NotificationOutput } from './models';
import type { MessageResponse } from './models';
import { id } from './ids';
import { findOrCreate, type FoundOrCreated } from './retry';

export type NamedFindOrCreate<T> = FoundOrCreated<T>;

export interface MessageInput {
  name: string;
  text: string;
}
export interface OutputInput {
  name: string;
  notification_output_executor_id: number;
  notification_message_id: number;
  config?: Record<string, string>;
}

function nonEmpty(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new TypeError(`${field} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}
function messageBody(b: MessageInput): MessageInput {
  return { name: nonEmpty(b?.name, 'message name'), text: nonEmpty(b?.text, 'message text') };
}
function outputBody(b: OutputInput, iid: number): Required<OutputInput> & { installation_id: number } {
  return {
    name: nonEmpty(b?.name, 'output name'),
    installation_id: iid,
    notification_output_executor_id: id(b.notification_output_executor_id, 'notification_output_executor_id'),
    notification_message_id: id(b.notification_message_id, 'notification_message_id'),
    config: { ...(b.config ?? {}) },
  };
}
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

  /** `POST .../message` (spec NotificationMessage: name and text required). */
  async createMessage(iid: number, body: MessageInput, opts: CallOptions = {}): Promise<NotificationMessage> {
    return this.client.request<NotificationMessage>('POST', `${this.base(iid)}/message`, { body: messageBody(body), signal: opts.signal });
  }
  /** `PUT .../message/{id}` with the whole message (name and text). */
  async updateMessage(iid: number, messageId: number, body: MessageInput, opts: CallOptions = {}): Promise<NotificationMessage> {
    const mid = id(messageId, 'message id');
    return this.client.request<NotificationMessage>('PUT', `${this.base(iid)}/message/${mid}`, {
      body: { id: mid, ...messageBody(body) },
      signal: opts.signal,
    });
  }
  async deleteMessage(iid: number, messageId: number, opts: CallOptions = {}): Promise<MessageResponse> {
    return this.client.request<MessageResponse>('DELETE', `${this.base(iid)}/message/${id(messageId, 'message id')}`, {
      signal: opts.signal,
    });
  }
  /** The oldest message of this name, or one created exactly once (createOnce). */
  async findOrCreateMessage(iid: number, body: MessageInput, opts: CallOptions = {}): Promise<NamedFindOrCreate<NotificationMessage>> {
    const b = messageBody(body);
    return findOrCreate({
      list: () => this.listMessages(iid, { signal: opts.signal }),
      matches: (m) => m.name === b.name,
      create: () => this.createMessage(iid, b, opts),
    });
  }

  /** `POST .../output` (spec NotificationOutput: name, executor id, message id of this installation, config required). */
  async createOutput(iid: number, body: OutputInput, opts: CallOptions = {}): Promise<NotificationOutput> {
    const i = id(iid, 'installation id');
    return this.client.request<NotificationOutput>('POST', `${this.base(i)}/output`, { body: outputBody(body, i), signal: opts.signal });
  }
  /** `PUT .../output/{id}` with the whole output. */
  async updateOutput(iid: number, outputId: number, body: OutputInput, opts: CallOptions = {}): Promise<NotificationOutput> {
    const i = id(iid, 'installation id');
    const oid = id(outputId, 'output id');
    return this.client.request<NotificationOutput>('PUT', `${this.base(i)}/output/${oid}`, {
      body: { id: oid, ...outputBody(body, i) },
      signal: opts.signal,
    });
  }
  async deleteOutput(iid: number, outputId: number, opts: CallOptions = {}): Promise<MessageResponse> {
    return this.client.request<MessageResponse>('DELETE', `${this.base(iid)}/output/${id(outputId, 'output id')}`, { signal: opts.signal });
  }
  /** The oldest output of this name, or one created exactly once (createOnce). */
  async findOrCreateOutput(iid: number, body: OutputInput, opts: CallOptions = {}): Promise<NamedFindOrCreate<NotificationOutput>> {
    const b = outputBody(body, id(iid, 'installation id'));
    return findOrCreate({
      list: () => this.listOutputs(iid, { signal: opts.signal }),
      matches: (o) => o.name === b.name,
      create: () => this.createOutput(iid, b, opts),
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
