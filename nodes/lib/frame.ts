// The node frame: the life cycle every flow node shares, written once. A node
// declares what is its own and the frame runs the rest:
//
//   defineNode(RED, 'iotopen-status', {
//     fields: { installation: { msg: 'installation_id', setting: 'installation', check: asId } },
//     setup(ctx) {            // once per deploy; throwing here is a config error
//       return {
//         async input(msg, values, send) { ... },   // throw to fail the message
//         close() { ... },                          // stop timers, listeners, work
//       };
//     },
//   });
//
// The frame: migrates the saved settings (migrations.ts), finds the config node
// (missing: red "no server" status; broken settings: its error), registers with
// it (`mqtt` nodes share its connection and show its state), reads the fixed
// fields and runs setup (a failure: red "config error" status, logged once, and
// every message fails with it), reads and checks the fields of every message
// (fields.ts), calls done() or done(err) exactly once, shows the short reason of
// a failure in a red status, translates errors (errors.<key> of the node's
// catalogue, falling back to English), and on close runs the node's close hook
// and deregisters, within one bound.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeStatus } from 'node-red';
import { LynxError, bareError, fillParams, reasonOf, type ErrorParams } from '../../src/errors';
import type { InstallationInfo } from '../../src/api/models';
import { getServer, type LynxServer } from './index';
import { fieldReader, readField, type Field, type Fields, type Values } from './fields';
import { migrate } from './migrations';

/** Node-RED waits for a close handler's done: a deploy must not hang on a dead server. */
export const CLOSE_BOUND_MS = 1500;

export type Msg = NodeMessage & Record<string, unknown>;
export type Send = (msg: NodeMessage | NodeMessage[]) => void;
type Done = (err?: Error) => void;

/** The error handed to done(err): message (translated), code, field, and an API failure's status and cause. */
export interface NodeFacingError extends Error {
  code?: string;
  status?: number;
  field?: string;
}

/** What setup() and the hooks get. */
export interface Ctx<C> {
  readonly RED: NodeAPI;
  readonly node: Node;
  /** the node's settings, migrated to today's version */
  readonly config: C;
  readonly server: LynxServer;
  /** The node's catalogue text of `key` (under its type), English when no catalogue has it. */
  t(key: string, params?: ErrorParams): string;
  /** A LynxError with the text of errors.<key>: throw it. */
  error(key: string, params?: ErrorParams, field?: string): LynxError;
  /** The installation (with its MQTT client_id) from the catalog, or an error naming `field` (call it as ctx.installation). */
  installation(iid: number, field: string): Promise<InstallationInfo>;
  /** The red status of a failure: "error: <short reason>" (HTTP status, timeout, the field to fix). */
  errorStatus(err: unknown): NodeStatus;
  /** The Error a failure is reported as (translated, API status kept): for node.error / node.warn. */
  nodeError(err: unknown): NodeFacingError;
  /** A TypedInput setting's value for a message (RED.util.evaluateNodeProperty); nothing for a blank one. */
  evaluate(value: string | undefined, type: string, msg: object): Promise<unknown>;
  /** Read a field only when it is needed (an id only some operations take), named like the declared ones. */
  read<T>(field: Field<T>, msg: object): Promise<T>;
}

export interface Hooks<V> {
  /** Resolve to a status to show it after the success (e.g. queued offline); throw to fail the message. */
  input?(msg: Msg, values: V, send: Send): Promise<NodeStatus | void> | NodeStatus | void;
  close?(removed: boolean): void;
  /** A status of the node's own that outranks the connection's state (mqtt nodes) while it returns one. */
  status?(): NodeStatus | undefined;
}

export interface NodeSpec<C, F extends Fields> {
  /** 0 for a node without input (as its .html says): it logs a broken config node's error, having no message to fail. */
  inputs?: 0 | 1;
  /** Share the config node's MQTT connection (and show its state), for all nodes of the type or per settings. */
  mqtt?: boolean | ((config: C) => boolean);
  fields?: F;
  /** Copy an API failure's HTTP status onto msg.statusCode. */
  statusCode?: boolean;
  /** The status a failure shows: default a red ring with the short reason; null leaves the node's own. */
  failStatus?(e: NodeFacingError): NodeStatus | null | undefined;
  /**
   * The status a success puts back after a failure's red one (e.g. the connection's state), for a node
   * that sets none of its own on success; without it the red status stays until the node sets another.
   */
  okStatus?(ctx: Ctx<C>): NodeStatus;
  /** Once per deploy, with the fixed fields' values (fields.ts): throwing here is a config error. */
  setup(ctx: Ctx<C>, fixed: Partial<Values<F>>): Hooks<Values<F>> | void;
}

/**
 * A LynxError of a node's own (errors.<key> of its catalogue), for checks that run
 * without a ctx (a field's check): the frame puts its translated text in at the node edge.
 */
export function inputError(key: string, params?: ErrorParams, field?: string): LynxError {
  return new LynxError(`errors.${key}`, field, key, params);
}

/**
 * A close handler's done, bounded: the returned finish() calls done once, and is
 * called by itself after `ms` (Node-RED waits for done; a deploy must not hang).
 */
export function bounded(done: () => void, ms: number = CLOSE_BOUND_MS): () => void {
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done();
  };
  const timer = setTimeout(finish, ms);
  return finish;
}

// ---- translation --------------------------------------------------------------

/**
 * The pack's common namespace: the `common` section of the config node's catalogue
 * (built from nodes/lib/locales/<lang>/common.json), the texts every node shares.
 */
export const COMMON_NS = '@lynxflow/node-red-iotopen/iotopen-config:common.';

const english = new Map<string, Record<string, unknown> | null>();

/** A built catalogue's en-US section `section`: the text when RED._ has none (e.g. the test helper's RED). */
function englishOf(type: string, section: string = type): Record<string, unknown> | null {
  const id = `${type}:${section}`;
  if (!english.has(id)) {
    let cat: Record<string, unknown> | null = null;
    try {
      const file = path.join(__dirname, '..', type, 'locales', 'en-US', `${type}.json`);
      cat = (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>)[section] ?? null;
    } catch {
      cat = null;
    }
    english.set(id, cat);
  }
  return english.get(id) ?? null;
}

function lookup(cat: Record<string, unknown> | null, key: string): string | undefined {
  let v: unknown = cat;
  for (const part of key.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/**
 * RED._(full) when the catalogue has it: a missing key comes back as the key itself (i18next
 * drops the namespace; the test helper's stub writes it with a dot).
 */
function translated(RED: NodeAPI, full: string, params?: ErrorParams): string | undefined {
  const s = RED._(full, params as never);
  if (typeof s !== 'string' || s === full || s.endsWith(full.slice(full.indexOf(':') + 1))) return undefined;
  return s;
}

/**
 * `key` of the node's catalogue, else of the common namespace, through RED._; else its
 * English text from the same two; else undefined.
 */
export function translator(RED: NodeAPI, type: string): (key: string, params?: ErrorParams) => string | undefined {
  return (key, params) => {
    const s = translated(RED, `${type}.${key}`, params) ?? translated(RED, COMMON_NS + key, params);
    if (s !== undefined) return s;
    const en = lookup(englishOf(type), key) ?? lookup(englishOf('iotopen-config', 'common'), key);
    return en === undefined ? undefined : fillParams(en, params);
  };
}

interface ApiErrorLike {
  status: number;
  message: string;
  serverMessage?: string;
  code?: string;
  method?: string;
  path?: string;
}

function isApiError(err: unknown): err is ApiErrorLike {
  return (
    !!err &&
    typeof err === 'object' &&
    typeof (err as ApiErrorLike).status === 'number' &&
    typeof (err as ApiErrorLike).message === 'string'
  );
}

/**
 * The Error for done(err): an API failure keeps its status and message visible to a
 * Catch node (msg.error.message, .code, .cause.status); a LynxError gets its
 * translated text; nothing secret is added (the client's errors carry no keys).
 */
export function toNodeError(err: unknown, tr?: (key: string, params?: ErrorParams) => string | undefined): NodeFacingError {
  return bareError(nodeError(err, tr));
}

function nodeError(err: unknown, tr?: (key: string, params?: ErrorParams) => string | undefined): NodeFacingError {
  if (isApiError(err)) {
    const { status, serverMessage, method, path: p, code } = err;
    let text = err.message;
    if (status && !text.includes(String(status))) text = `${status}: ${text}`;
    if (serverMessage && !text.includes(serverMessage)) text += ` (${serverMessage})`;
    const e: NodeFacingError = new Error(text, { cause: { status, message: serverMessage ?? err.message, method, path: p, code } });
    e.name = 'LynxApiError';
    e.code = code ?? (status ? 'EHTTP' : 'ENETWORK');
    e.status = status;
    // what the failure says of the server's side (a lost answer: it may have acted), for the status's reason
    const failure = (err as { failure?: unknown }).failure;
    if (failure !== undefined) Object.defineProperty(e, 'failure', { value: failure, enumerable: false });
    return e;
  }
  if (err instanceof LynxError) {
    if (err.key && tr) {
      const text = tr(`errors.${err.key}`, err.params);
      if (text !== undefined) err.message = text;
    }
    return err;
  }
  if (err instanceof Error) {
    const e = err as NodeFacingError;
    if (e.field !== undefined && e.code === undefined) e.code = 'EINPUT';
    return e;
  }
  return new Error(String(err));
}

// ---- the frame ------------------------------------------------------------------

export function defineNode<C extends NodeDef, F extends Fields = Record<string, never>>(
  RED: NodeAPI,
  type: string,
  spec: NodeSpec<C, F>,
): void {
  const tr = translator(RED, type);
  const t = (key: string, params?: ErrorParams): string => tr(key, params) ?? `${type}.${key}`;
  const fields = spec.fields ?? ({} as F);
  const typed = Object.values(fields).some((f) => f.type !== undefined);
  const errorStatus = (err: unknown): NodeStatus => {
    const r = reasonOf(err);
    return { fill: 'red', shape: 'ring', text: t('status.error', { reason: t(`reason.${r.key}`, r.params) }) };
  };

  /**
   * One per node: its ctx, and what the frame keeps of it. Everything else is on the
   * prototype, shared by the type's nodes (t, error... need no `this`: they may be
   * destructured), so a deployed node costs a few fields, not a set of closures.
   */
  class NodeCtx implements Ctx<C> {
    hooks: Hooks<Values<F>> = {};
    readAll: ((msg: Record<string, unknown>) => Promise<Values<F>>) | null = null;
    /** Set when the node cannot work: every message fails with it. */
    broken: NodeFacingError | null = null;
    /** A failure's status is shown: the next success replaces it (okStatus). */
    failShown = false;
    constructor(
      readonly node: Node,
      readonly config: C,
      readonly server: LynxServer,
    ) {}
    declare readonly RED: NodeAPI;
    declare t: (key: string, params?: ErrorParams) => string;
    declare error: (key: string, params?: ErrorParams, field?: string) => LynxError;
    declare errorStatus: (err: unknown) => NodeStatus;
    declare nodeError: (err: unknown) => NodeFacingError;
    evaluate(value: string | undefined, vtype: string, msg: object): Promise<unknown> {
      if (value === undefined || value === '') return Promise.resolve(undefined);
      return new Promise((resolve, reject) => {
        RED.util.evaluateNodeProperty(value, vtype as never, this.node, msg as NodeMessage, (err: Error | null, result: unknown) =>
          err ? reject(err) : resolve(result),
        );
      });
    }
    read<T>(field: Field<T>, msg: object): Promise<T> {
      return readField(field, msg as Record<string, unknown>, this.config as unknown as Record<string, unknown>, (v, vt, m) =>
        this.evaluate(v, vt, m),
      ) as Promise<T>;
    }
    async installation(iid: number, field: string): Promise<InstallationInfo> {
      const inst = await this.server.catalog.installation(iid);
      if (!inst) throw this.error('notVisible', { name: field, id: iid }, field);
      return inst;
    }
    /** A message failed: msg.statusCode (when asked), the red status, done(err) translated. */
    fail(msg: Msg, err: unknown, done: Done): void {
      const e = toNodeError(err, tr);
      if (spec.statusCode && typeof e.status === 'number' && e.status > 0) msg.statusCode = e.status;
      const own = spec.failStatus ? spec.failStatus(e) : undefined;
      if (own !== null) {
        this.node.status(own ?? errorStatus(e));
        this.failShown = true;
      }
      done(e);
    }
    /** A message succeeded: the hook's status, or the okStatus in place of a failure's. */
    ok(st: NodeStatus | void, done: Done): void {
      if (st) {
        this.node.status(st);
        this.failShown = false;
      } else if (this.failShown && spec.okStatus) {
        this.node.status(spec.okStatus(this));
        this.failShown = false;
      }
      done();
    }
    input(msg: Msg, send: Send, done: Done): void {
      const { broken, readAll } = this;
      if (broken || !readAll) {
        this.fail(msg, broken, done);
        return;
      }
      const input = this.hooks.input;
      if (!input) {
        done();
        return;
      }
      readAll(msg)
        .then((values) => input(msg, values, send))
        .then(
          (st) => this.ok(st, done),
          (err: unknown) => this.fail(msg, err, done),
        );
    }
    close(removed: boolean, done: () => void): void {
      try {
        if (this.hooks.close) this.hooks.close(removed);
      } catch (err) {
        this.node.warn((err as Error).message);
      }
      if (!this.server) {
        done();
        return;
      }
      const finish = bounded(done);
      try {
        this.server.deregister(this.node, finish);
      } catch {
        finish();
      }
    }
  }
  Object.assign(NodeCtx.prototype, {
    RED,
    t,
    error: (key: string, params?: ErrorParams, field?: string) => new LynxError(t(`errors.${key}`, params), field, key, params),
    errorStatus,
    nodeError: (err: unknown) => toNodeError(err, tr),
  });

  function start(ctx: NodeCtx): void {
    const { node, config, server } = ctx;
    if (!server) {
      ctx.broken = new LynxError(t('errors.noServer'), 'server', 'noServer', undefined, 'ENOSERVER');
      node.status({ fill: 'red', shape: 'ring', text: t('status.noServer') });
      node.error(ctx.broken.message);
      return;
    }
    if (server.configError) {
      // Its hub and catalog getters throw: neither is touched. register() shows its error status.
      server.register(node);
      ctx.broken = new LynxError(server.configError.message, server.configError.field, undefined, undefined, 'ECONFIG');
      // A node without input could not report it otherwise.
      if (spec.inputs === 0) node.error(ctx.broken.message);
      return;
    }
    const mqtt = typeof spec.mqtt === 'function' ? spec.mqtt(config) : !!spec.mqtt;
    server.register(node, mqtt ? { mqtt: true, own: () => ctx.hooks?.status?.() } : undefined);
    try {
      const evaluate = typed ? (value: string, vtype: string, msg: object) => ctx.evaluate(value, vtype, msg) : undefined;
      const reader = fieldReader(fields, config as unknown as Record<string, unknown>, evaluate);
      ctx.hooks = spec.setup(ctx, reader.fixed) || {};
      if (spec.inputs !== 0) ctx.readAll = reader.read;
    } catch (err) {
      ctx.broken = toNodeError(err, tr);
      node.status({ fill: 'red', shape: 'ring', text: t('status.config') });
      node.error(ctx.broken.message);
    }
  }

  function FrameNode(this: Node, def: C): void {
    RED.nodes.createNode(this, def);
    const config = migrate(type, def);
    const ctx = new NodeCtx(this, config, getServer(RED, (config as { server?: string }).server) as LynxServer);
    start(ctx);
    if (spec.inputs !== 0) this.on('input', (msg: NodeMessage, send: Send, done: Done) => ctx.input(msg as Msg, send, done));
    this.on('close', (removed: boolean, done: () => void) => ctx.close(removed, done));
  }

  RED.nodes.registerType(type, FrameNode as never);
}
