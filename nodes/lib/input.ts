// How the nodes finish a message and close, written once: done() exactly once,
// a failure keeps the API's status (msg.statusCode, the error's cause) and
// shows a red ring, and close deregisters from the config node within a bound.
import type { Node, NodeMessage } from 'node-red';
import { InputError, type LynxServer } from './index';
import { toNodeError, type NodeFacingError } from './api-error';

type Done = (err?: Error) => void;
type Msg = NodeMessage & Record<string, unknown>;

/** Node-RED waits for a close handler's done: a deploy must not hang on a dead server. */
const CLOSE_BOUND_MS = 1500;

export interface FailOptions {
  /** Text of the red ring status: fixed, or from the error (e.g. its status). */
  statusText: string | ((e: NodeFacingError) => string);
  /** Copy the API status of the failure onto msg.statusCode (default true). */
  statusCode?: boolean;
  /** A last change to the error before done(err), e.g. a clearer message for a 404. */
  adjust?: (e: NodeFacingError) => void;
}

/** A message failed: msg.statusCode, red ring status, done(err) with the API's status and message. */
export function fail(node: Node, msg: NodeMessage, err: unknown, done: Done, opts: FailOptions): void {
  const e = toNodeError(err);
  if (opts.statusCode !== false && typeof e.status === 'number' && e.status > 0) (msg as Msg).statusCode = e.status;
  if (opts.adjust) opts.adjust(e);
  node.status({ fill: 'red', shape: 'ring', text: typeof opts.statusText === 'function' ? opts.statusText(e) : opts.statusText });
  done(e);
}

export interface SettleOptions<T> extends FailOptions {
  /** The work succeeded: show it, send. done() follows. */
  ok?: (result: T) => void;
}

/** Ends a message with the outcome of its work: ok() then done(), or fail(). */
export function settle<T>(node: Node, msg: NodeMessage, done: Done, work: Promise<T>, opts: SettleOptions<T>): void {
  work.then(
    (result) => {
      if (opts.ok) opts.ok(result);
      done();
    },
    (err: unknown) => fail(node, msg, err, done, opts),
  );
}

type Translate = (key: string, params?: Record<string, unknown>) => string;

/**
 * The input handler of the management nodes (devicex, functionx, schedule):
 * run(msg, server) changes msg in place, then msg goes out; the red status names
 * the API status (or error code) of a failure.
 */
export function managementInput(node: Node & { server: LynxServer | null }, t: Translate, run: (msg: Msg, server: LynxServer) => Promise<void>): void {
  node.on('input', (msg: NodeMessage, send: (m: NodeMessage) => void, done: Done) => {
    const server = node.server;
    if (!server) {
      done(new InputError(t('errors.noServer'), 'server'));
      return;
    }
    settle(node, msg, done, run(msg as Msg, server), {
      ok: () => send(msg),
      statusText: (e) => t('status.error', { status: e.status ?? e.code ?? '' }),
      statusCode: false,
    });
  });
}

/**
 * A close handler's done, bounded: the returned finish() calls done once, and is
 * called by itself after `ms` (Node-RED waits for done; a deploy must not hang).
 */
export function bounded(done: () => void, ms: number): () => void {
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

/**
 * The close handler: cleanup() (stop timers, listeners, running work), then
 * deregister from the config node, bounded; done() once, even if deregister throws.
 */
export function deregisterOnClose(node: Node, server: LynxServer | null, cleanup?: () => void): void {
  node.on('close', (_removed: boolean, done: () => void) => {
    if (cleanup) cleanup();
    if (!server) {
      done();
      return;
    }
    const finish = bounded(done, CLOSE_BOUND_MS);
    try {
      server.deregister(node, finish);
    } catch {
      finish();
    }
  });
}
