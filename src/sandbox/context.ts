// What route modules get besides the router (see the comment atop ./router.ts).
import type { SbRequest } from './router';
import type { Installation, Store } from './store';

export interface SandboxContext {
  store: Store;
  /**
   * The installation addressed by a path parameter, checked against the caller:
   * 400 when not a number, 403 when the key may not see it, 404 when unknown. Any
   * installation the key sees will do, whether or not it is assigned to it.
   */
  installationFor(req: SbRequest, installationId: string | number): Installation;
  /** Publishes `{client_id}/evt/<kind>/updated` (e.g. kind 'functionx', 'edge_app'); never throws. */
  emitEvent(clientId: number, kind: string): void;
  /** Publishes on the sandbox's broker (embedded or external). */
  publish(topic: string, payload: string | Buffer, opts?: { qos?: 0 | 1 | 2; retain?: boolean }): Promise<void>;
  /** True when the query parameter is 'true' or '1'. */
  flag(req: SbRequest, name: string): boolean;
}
