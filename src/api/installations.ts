import type { ApiClient, CallOptions } from './client';
import type { InstallationInfo } from './models';
import { id } from './ids';

export interface InstallationListOptions extends CallOptions {
  /**
   * false (default): every installation the key may see, assigned to its user or not (what an
   * organisation admin or integrator key needs). true: only those assigned to the user.
   */
  assignedOnly?: boolean;
}

export class InstallationsApi {
  constructor(private readonly client: ApiClient) {}

  /**
   * The installations the account can see (`id` for the API, `client_id` for MQTT).
   * `GET /api/v2/installationinfo` answers only the installations *assigned* to the user unless
   * `assigned=false` is sent (spec); IoT Open's own clients (go-lynx and node-lynx
   * `GetInstallation`) send `assigned=false` to find any installation the key may access.
   */
  async list(opts: InstallationListOptions = {}): Promise<InstallationInfo[]> {
    return this.client.request<InstallationInfo[]>('GET', '/api/v2/installationinfo', {
      query: { assigned: opts.assignedOnly ? 'true' : 'false' },
      signal: opts.signal,
    });
  }

  /** The installation with this MQTT client id. */
  async byClientId(clientId: number, opts: CallOptions = {}): Promise<InstallationInfo> {
    return this.client.request<InstallationInfo>('GET', `/api/v2/installationinfo/${id(clientId, 'clientId')}`, { signal: opts.signal });
  }
}
