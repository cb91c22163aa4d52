// Small Node-RED glue shared by the nodes. Kept tiny on purpose: anything that
// does not need Node-RED belongs in src/. The node life cycle is frame.ts.
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import type { ApiClient } from '../../src/api';
import type { MqttHub } from '../../src/mqtt';
import type { Catalog } from '../../src/catalog';
import type { FoundOrCreated } from '../../src/api/retry';
import { LynxError, type ErrorParams } from '../../src/errors';
import { positiveId } from '../../src/lynx/values';

/** What an iotopen-config node offers the nodes that use it (the one declaration of it). */
export interface LynxServer extends Node {
  /** The API's base address, normalised (no trailing slash). */
  readonly apiUrl: string;
  /** The broker's address: the configured one, or mqtts://<api host>:8883. */
  readonly mqttUrl: string;
  readonly authMode: 'apikey' | 'login';
  api: ApiClient;
  readonly hub: MqttHub;
  readonly catalog: Catalog;
  /**
   * Track a node that uses this server. `mqtt: true` for nodes that need the shared MQTT
   * connection: it is opened for the first of them and they are shown its state in
   * their status; API-only nodes never open it. `own` is a status of the node's that
   * outranks the connection's state while it returns one (a function it could not create).
   */
  register(node: Node, opts?: { mqtt?: boolean; own?: () => NodeStatus | undefined }): void;
  deregister(node: Node, done?: () => void): void;
  /** The status register(node, { mqtt: true }) shows (connection state, or the config error). */
  connectionStatus(): NodeStatus;
  /** Functions or devices of an installation changed (maybe silently): refresh the catalog's cached list, if any. */
  functionsChanged(iid: number): void;
  /** Installations were created, changed or deleted: drop the catalog's cached list, if any. */
  installationsChanged(): void;
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

/**
 * The meta a find-or-create matches on: the node's Match keys (comma-separated) with their
 * values from msg.payload.meta, exact (no `*`). InputErrors name the setting or the missing key.
 */
export function matchOnKeys(
  matchKeys: string | undefined,
  meta: Record<string, string> | undefined,
  o: { example: string; noun: string; orElse?: string },
): Record<string, string> {
  const keys = (matchKeys || '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (!keys.length) {
    throw new InputError(
      `find-or-create needs Match keys (such as ${o.example}) in the node${o.orElse ?? ''}: without them every ${o.noun} would match`,
      'matchKeys',
    );
  }
  const match: Record<string, string> = {};
  for (const k of keys) {
    const val = meta?.[k];
    if (val === undefined) {
      throw new InputError(
        `msg.payload.meta.${k} is missing: find-or-create matches on ${keys.join(', ')}, so the new ${o.noun} must have them`,
        `msg.payload.meta.${k}`,
      );
    }
    if (val.includes('*'))
      throw new InputError(`msg.payload.meta.${k} contains *: a match key must be an exact value`, `msg.payload.meta.${k}`);
    match[k] = val;
  }
  return match;
}

/**
 * A find-or-create's answer on the message: msg.payload the object, msg.created, msg[idField] its
 * id; and the node's green "created <id>" / "found <id>" status (status.created / status.found).
 */
export function reportFound(
  node: Pick<Node, 'status'>,
  t: (key: string, params?: ErrorParams) => string,
  msg: Record<string, unknown>,
  idField: string,
  result: FoundOrCreated<{ id: number }>,
): void {
  msg.payload = result.obj;
  msg.created = result.created;
  msg[idField] = result.obj.id;
  node.status({ fill: 'green', shape: 'dot', text: t(result.created ? 'status.created' : 'status.found', { id: result.obj.id }) });
}
