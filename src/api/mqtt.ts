import type { ApiClient, CallOptions } from './client';
import type { MessageResponse, MqttPublishRequest } from './models';
import { id } from './ids';

export class MqttApi {
  constructor(private readonly client: ApiClient) {}

  /** Publish through the API (POST /api/v2/mqtt/publish): topic is inside the installation, e.g. `obj/x/1/set`. */
  async publish(iid: number, msg: MqttPublishRequest, opts: CallOptions = {}): Promise<MessageResponse> {
    if (!msg || typeof msg.topic !== 'string' || msg.topic === '')
      throw new TypeError('topic must be a non-empty string, e.g. "obj/device/1/temperature"');
    const body: Record<string, unknown> = { topic: msg.topic, payload: msg.payload };
    if (msg.qos !== undefined) body.qos = msg.qos;
    if (msg.retain !== undefined) body.retained = !!msg.retain;
    return this.client.request<MessageResponse>('POST', `/api/v2/mqtt/publish/${id(iid, 'installation id')}`, {
      body,
      signal: opts.signal,
    });
  }
}
