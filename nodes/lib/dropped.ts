// Writes the MQTT hub could not keep (queue full, too old, config node deleted,
// broker settings changed) reach the flow that made them: a Catch-able
// node.error(err, msg) and a yellow status on the node that sent them. The
// report goes to the instance of that node running now: after a redeploy
// that is the successor (the same id), started once the flows are.
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { PublishOptions, QueueDropError } from '../../src/mqtt';
import type { ErrorParams } from '../../src/errors';

type Translate = (key: string, params?: ErrorParams) => string;

interface DropAware extends Node {
  /** Set by droppedWrites(): the node's own status text (its catalogue) and node.error. */
  reportDroppedWrite?: (err: QueueDropError, msg: NodeMessage) => void;
}

/** How long a report waits for the flows to start (a redeploy in progress) before it falls back. */
const WAIT_FOR_FLOWS_MS = 15000;
/**
 * Nodes that have been closed. While flows stop, RED.nodes.getNode() may still give a closed
 * node, whose Catch nodes are closed too: an error sent there reaches nobody.
 */
const closedNodes = new WeakSet<object>();

/**
 * Makes `node` report dropped writes (status `status.dropped` with `dropped.<code>` from its
 * catalogue, then node.error(err, msg)); returns the hub.publish options for one message.
 */
export function droppedWrites(RED: NodeAPI, node: Node, t: Translate): (msg: NodeMessage) => Pick<PublishOptions, 'origin' | 'onDropped'> {
  (node as DropAware).reportDroppedWrite = (err, msg) => {
    node.status({ fill: 'yellow', shape: 'ring', text: t('status.dropped', { reason: t(`dropped.${err.code}`) }) });
    node.error(err, msg);
  };
  node.on('close', () => {
    closedNodes.add(node);
  });
  return (msg) => ({
    origin: { node: node.id, msgid: typeof msg._msgid === 'string' ? msg._msgid : undefined },
    // The node is gone (deleted, not redeployed): its error is logged, there is no flow to catch it.
    onDropped: (err) =>
      whenRunning(
        RED,
        node.id,
        (target) => report(target, err, msg),
        () => node.error(err),
      ),
  });
}

/**
 * A drop no sender callback took (a write read back from disk after a restart): to the node
 * named in its origin, with a message rebuilt from what was kept; else a warning on `fallback`.
 */
export function reportDroppedToOrigin(RED: NodeAPI, fallback: Node, err: QueueDropError): void {
  const id = err.origin && err.origin.node;
  if (!id) {
    fallback.warn(err.message);
    return;
  }
  const payload = err.payload === undefined ? undefined : Buffer.isBuffer(err.payload) ? err.payload.toString('utf8') : err.payload;
  const msg = { _msgid: err.origin && err.origin.msgid, topic: err.topic, payload } as NodeMessage;
  whenRunning(
    RED,
    id,
    (target) => report(target, err, msg),
    () => fallback.warn(err.message),
  );
}

function report(target: Node, err: QueueDropError, msg: NodeMessage): void {
  const reporter = (target as DropAware).reportDroppedWrite;
  if (typeof reporter === 'function') reporter(err, msg);
  else target.error(err, msg);
}

/** The node running as `id` (not one being closed by a deploy), or null. */
function running(RED: NodeAPI, id: string): Node | null {
  const n = RED.nodes.getNode(id);
  return n && !closedNodes.has(n) ? n : null;
}

/** fn(the node running as `id`): now, or once the flows have started; `none()` if it never comes. */
function whenRunning(RED: NodeAPI, id: string, fn: (n: Node) => void, none: () => void): void {
  const now = running(RED, id);
  if (now) {
    fn(now);
    return;
  }
  const events = RED.events;
  let settled = false;
  const later = () => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (events) events.removeListener('flows:started', later);
    const n = running(RED, id);
    if (n) fn(n);
    else none();
  };
  const timer = setTimeout(later, events ? WAIT_FOR_FLOWS_MS : 0);
  timer.unref();
  if (events) events.on('flows:started', later);
}
