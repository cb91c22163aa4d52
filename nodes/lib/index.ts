// Small Node-RED glue shared by the nodes. Kept tiny on purpose: anything that
// does not need Node-RED belongs in src/. The node life cycle is frame.ts.
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import type { ApiClient } from '../../src/api';
import type { MqttHub } from '../../src/mqtt';
import type { Catalog } from '../../src/catalog';
import { LynxError } from '../../src/errors';
import { positiveId } from '../../src/lynx/values';

/** What an iotopen-config node offers the nodes that use it. */
export interface LynxServer extends Node {
  api: ApiClient;
  readonly hub: MqttHub;
  readonly catalog: Catalog;
  /**
   * Track a node that uses this server. `mqtt: true` for nodes that need the shared MQTT
   * connection: it is opened for the first of them and they are shown its state in
   * their status; API-only nodes never open it.
   */
  register(node: Node, opts?: { mqtt?: boolean }): void;
  deregister(node: Node, done?: () => void): void;
  /** The status register(node, { mqtt: true }) shows (connection state, or the config error). */
  connectionStatus(): NodeStatus;
  /** Functions or devices of an installation changed (maybe silently): refresh the catalog's cached list, if any. */
  functionsChanged(iid: number): void;
  /** Set while the config node's own settings are broken (the pickers answer 409 with it). */
  readonly configError?: { message: string; field?: string } | null;
}

/** The deployed config node with this id, or null (the caller reports it). */
export function getServer(RED: NodeAPI, id: string | undefined): LynxServer | null {
  if (!id) return null;
  const n = RED.nodes.getNode(id) as LynxServer | null;
  return n && typeof n.register === 'function' ? n : null;
}

/**
 * A request the editor or a user got wrong (the admin routes answer it with 400, naming
 * the field): the library's LynxError, told apart from a failed call (LynxApiError).
 */
export class InputError extends LynxError {
  constructor(message: string, field?: string, key?: string, params?: LynxError['params']) {
    super(message, field, key, params);
    this.name = 'InputError';
  }
}

/** Parse an id from config or msg: a positive integer, or an InputError naming the field and the fix. */
export function requireId(value: unknown, field: string): number {
  try {
    return positiveId(value, field, field);
  } catch (e) {
    const err = e as LynxError;
    throw new InputError(err.message, field, err.key, err.params);
  }
}

// ---- legacy: used by the nodes not yet on the frame (removed with the last of them) ----
import type { NodeMessage } from 'node-red';
import type { InstallationInfo } from '../../src/api/models';

/** RED.util.evaluateNodeProperty as a promise (it is async for flow/global contexts). */
export function evaluate(RED: NodeAPI, node: Node, msg: NodeMessage, type: string | undefined, value: string | undefined): Promise<unknown> {
  if (!type || value === undefined || value === '') return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    RED.util.evaluateNodeProperty(value, type as never, node, msg, (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result)));
  });
}

/** Function ids picked in a node: an array or a comma separated string; each must be an id. */
export function idList(value: unknown): number[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' && value.trim() ? value.split(',') : [];
  return list.map((v) => requireId(v, 'functions'));
}

/** A true/false override from msg (boolean or "true"/"false"); nothing gives the fallback. */
export function optionalBoolean(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InputError(`${field} must be true or false, got ${JSON.stringify(value)}`, field);
}

/** The error of a message reaching a node that has no deployed config node. */
export function noServerError(): InputError {
  return new InputError('no iotopen-config node: open the node and pick (or deploy) a Lynx server', 'server');
}

/** The installation (with its MQTT client_id) from the config node's catalog, or an error naming the field. */
export async function visibleInstallation(server: LynxServer, iid: number, field: string): Promise<InstallationInfo> {
  const inst = await server.catalog.installation(iid);
  if (!inst) throw new InputError(`installation ${iid} is not visible to this API key: pick another installation`, field);
  return inst;
}
