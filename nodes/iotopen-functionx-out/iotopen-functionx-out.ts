// iotopen-functionx-out: write a value to a FunctionX, the way Lynx apps do:
// `{value, timestamp, msg}` on `{client_id}/{topic_write}` (or another topic_* key).
// Accepts numbers, booleans, numeric strings, state names from the function's
// `state_*` meta, or `{value, msg?, timestamp?}`; anything else fails through
// done(err) with a message naming what came in and what is accepted. With QoS 1
// done() waits for the broker's PUBACK, or for the message to be queued offline.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { evaluate, getServer, InputError, requireId, type LynxServer } from '../lib';
import { deregisterOnClose } from '../lib/input';
import { droppedWrites } from '../lib/dropped';
import { encodeLynxPayload } from '../../src/mqtt';
import { fullTopic, presenter, topicKeys, type FunctionLike } from '../../src/functionx/present';

const TYPE = 'iotopen-functionx-out';

interface Def extends NodeDef {
  server: string;
  installation?: string;
  installationType?: string;
  function?: string;
  functionType?: string;
  topicKey?: string;
  qos?: string | number;
  retain?: string | boolean;
}

interface OutMsg extends NodeMessage {
  installation_id?: unknown;
  function_id?: unknown;
  topic_key?: unknown;
  qos?: unknown;
  retain?: unknown;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Buffer.isBuffer(v)) return `a Buffer of ${v.length} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return `an object with keys {${Object.keys(v as object).slice(0, 6).join(', ')}}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

export = function register(RED: NodeAPI): void {
  function FunctionxOut(this: Node, config: Def) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = (key: string, params?: Record<string, unknown>) => RED._(`${TYPE}.${key}`, params as never);
    // Before the server check: a write queued by this node's predecessor is reported here even
    // when the server was deleted (its queued writes dropped) and this node has none now.
    const dropOptions = droppedWrites(RED, node, t);
    const server = getServer(RED, config.server);
    if (!server) {
      node.status({ fill: 'red', shape: 'ring', text: t('status.no-server') });
      node.error(t('errors.no-server'));
      node.on('input', (_msg: NodeMessage, _send: unknown, done: (err?: Error) => void) => done(new InputError(t('errors.no-server'), 'server')));
      return;
    }
    const srv: LynxServer = server;
    srv.register(node, { mqtt: true });
    let closed = false;

    const cfgQos = config.qos === undefined || config.qos === '' ? 1 : Number(config.qos);
    const cfgRetain = config.retain === true || config.retain === 'true';

    /** The function, from the catalog cache, or straight from the API when just created. */
    const lookup = async (iid: number, fid: number): Promise<FunctionLike> => {
      const fns = (await srv.catalog.functions(iid)) as FunctionLike[];
      const hit = fns.find((f) => Number(f.id) === fid);
      if (hit) return hit;
      try {
        return (await srv.api.functionx.get(iid, fid)) as FunctionLike;
      } catch (err) {
        const status = (err as { status?: number }).status;
        if (status === 404 || status === 403) throw new InputError(t('errors.no-function', { fid, iid }), 'function_id');
        throw err;
      }
    };

    const clientIdOf = async (iid: number): Promise<number | string> => {
      const insts = (await srv.catalog.installations()) as Array<{ id: number; client_id: number | string }>;
      const inst = insts.find((i) => Number(i.id) === iid);
      if (!inst) throw new InputError(t('errors.no-installation', { iid }), 'installation_id');
      return inst.client_id;
    };

    /** A value Lynx accepts (a finite number) from what came in, or null. */
    const scalar = (v: unknown, states: ReadonlyMap<string, number>): number | null => {
      if (typeof v === 'number') return Number.isFinite(v) ? v : null;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'string') {
        const s = v.trim();
        if (s !== '' && Number.isFinite(Number(s))) return Number(s);
        const st = states.get(s.toLowerCase());
        return st === undefined ? null : st;
      }
      return null;
    };

    const handle = async (msg: OutMsg): Promise<void> => {
      const iid = requireId(msg.installation_id ?? (await evaluate(RED, node, msg, config.installationType || 'num', config.installation)), 'installation_id');
      const fid = requireId(msg.function_id ?? (await evaluate(RED, node, msg, config.functionType || 'num', config.function)), 'function_id');
      const topicKey = String(msg.topic_key ?? (config.topicKey || 'topic_write')).trim();
      if (!topicKey.startsWith('topic_')) throw new InputError(t('errors.bad-topic-key', { key: topicKey }), 'topic_key');
      const qos = msg.qos === undefined ? cfgQos : Number(msg.qos);
      if (qos !== 0 && qos !== 1) throw new InputError(t('errors.bad-qos', { got: describe(msg.qos) }), 'qos');
      const retain = msg.retain === undefined ? cfgRetain : msg.retain === true || msg.retain === 'true';

      const [fn, clientId] = await Promise.all([lookup(iid, fid), clientIdOf(iid)]);
      const meta = fn.meta || {};
      const metaTopic = meta[topicKey];
      if (!metaTopic) {
        const keys = topicKeys(meta);
        throw new InputError(t('errors.no-topic', { fid, key: topicKey, keys: keys.length ? keys.join(', ') : t('none') }), 'topic_key');
      }
      const pres = presenter(meta);
      const p = msg.payload as unknown;
      let value: number | null;
      let text: string | undefined;
      let timestamp: number | undefined;
      if (p && typeof p === 'object' && !Array.isArray(p) && !Buffer.isBuffer(p)) {
        const o = p as { value?: unknown; msg?: unknown; timestamp?: unknown };
        value = scalar(o.value, pres.states);
        if (o.msg !== undefined && o.msg !== null) {
          if (typeof o.msg !== 'string') throw new InputError(t('errors.bad-text', { got: describe(o.msg) }), 'payload.msg');
          text = o.msg;
        }
        if (o.timestamp !== undefined && o.timestamp !== null) {
          const ts = Number(o.timestamp);
          if (!Number.isFinite(ts) || ts < 0) throw new InputError(t('errors.bad-timestamp', { got: describe(o.timestamp) }), 'payload.timestamp');
          timestamp = ts;
        }
        if (value === null) throw badValue(`payload.value: ${describe(o.value)}`, pres.states);
      } else {
        value = scalar(p, pres.states);
        if (value === null) throw badValue(describe(p), pres.states);
      }
      const body = encodeLynxPayload({ value, timestamp: timestamp ?? Date.now() / 1000, msg: text });
      const res = await srv.hub.publish(fullTopic(clientId, metaTopic), body, { qos: qos as 0 | 1, retain, ...dropOptions(msg) });
      if (closed) return;
      // Queued offline: show the queue length; the config node puts its connection
      // state back on reconnect.
      if (res && res.queued) node.status({ fill: 'yellow', shape: 'ring', text: t('status.queued', { n: srv.hub.queued }) });
    };

    const badValue = (got: string, states: ReadonlyMap<string, number>) => {
      const names = [...states.keys()];
      return new InputError(
        t('errors.bad-value', { got, states: names.length ? t('states', { names: names.join(', ') }) : '' }),
        'payload',
      );
    };

    node.on('input', (msg: NodeMessage, _send: unknown, done: (err?: Error) => void) => {
      handle(msg as OutMsg).then(() => done(), (err: Error) => done(err));
    });

    deregisterOnClose(node, srv, () => {
      closed = true;
    });
  }

  RED.nodes.registerType(TYPE, FunctionxOut as never);
};
