// Small Node-RED glue shared by the nodes. Kept tiny on purpose: anything that
// does not need Node-RED belongs in src/.
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { ApiClient } from '../../src/api';
import type { MqttHub } from '../../src/mqtt';
import type { Catalog } from '../../src/catalog';

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
}

/** The deployed config node with this id, or null (the caller reports it). */
export function getServer(RED: NodeAPI, id: string | undefined): LynxServer | null {
  if (!id) return null;
  const n = RED.nodes.getNode(id) as LynxServer | null;
  return n && typeof n.register === 'function' ? n : null;
}

/** RED.util.evaluateNodeProperty as a promise (it is async for flow/global contexts). */
export function evaluate(RED: NodeAPI, node: Node, msg: NodeMessage, type: string | undefined, value: string | undefined): Promise<unknown> {
  if (!type || value === undefined || value === '') return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    RED.util.evaluateNodeProperty(value, type as never, node, msg, (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result)));
  });
}

/** An Error whose message names the field and the fix; `code` lets tests and Catch nodes tell kinds apart. */
export class InputError extends Error {
  constructor(message: string, public readonly field?: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Parse an id from config or msg: a positive integer, or throw naming the field. */
export function requireId(value: unknown, field: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) {
    const got = value === undefined ? 'nothing' : JSON.stringify(value);
    throw new InputError(`${field} must be a positive integer id, got ${got}: pick one in the node or set ${field} on the message`, field);
  }
  return n;
}
