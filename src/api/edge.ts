// Placeholder: the edge-app engineer replaces this file with the Edge Apps API
// (it uses only client.request). Kept so the client compiles meanwhile.
import type { ApiClient } from './client';

export class EdgeApi {
  constructor(protected readonly client: ApiClient) {}
}
