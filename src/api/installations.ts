import type { ApiClient, CallOptions } from './client';
import type { InstallationInfo } from './models';
import { id } from './ids';

export class InstallationsApi {
  constructor(private readonly client: ApiClient) {}

  /** Every installation the account can see (`id` for the API, `client_id` for MQTT). */
  async list(opts: CallOptions = {}): Promise<InstallationInfo[]> {
    return this.client.request<InstallationInfo[]>('GET', '/api/v2/installationinfo', { signal: opts.signal });
  }

  /** The installation with this MQTT client id. */
  async byClientId(clientId: number, opts: CallOptions = {}): Promise<InstallationInfo> {
    return this.client.request<InstallationInfo>('GET', `/api/v2/installationinfo/${id(clientId, 'clientId')}`, { signal: opts.signal });
  }
}
