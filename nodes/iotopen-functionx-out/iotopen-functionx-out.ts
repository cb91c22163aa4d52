// iotopen-functionx-out: write a value to a FunctionX, the way Lynx apps do:
// `{value, timestamp, msg}` on `{client_id}/{topic_write}` (or another topic_* key).
// Accepts numbers, booleans, numeric strings, state names from the function's
// `state_*` meta, or `{value, msg?, timestamp?}` (writePayload, src/lynx/codec.ts);
// anything else fails through done(err) naming what came in and what is accepted.
// With QoS 1 done() waits for the broker's PUBACK, or for the message to be queued offline.
import type { NodeAPI, NodeDef } from 'node-red';
import { defineNode } from '../lib/frame';
import { droppedWrites } from '../lib/dropped';
import { asBoolean, asId, asQos, asTopicKey, type Fields } from '../lib/fields';
import { encodeLynxPayload, writePayload } from '../../src/lynx/codec';
import { presenter, topicKeys, type FunctionLike } from '../../src/lynx/present';
import { fullTopic } from '../../src/lynx/topics';

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

const FIELDS = {
  installation: {
    msg: 'installation_id',
    setting: 'installation',
    type: 'installationType',
    defaultType: 'num',
    name: 'installation_id',
    check: asId,
  },
  function: { msg: 'function_id', setting: 'function', type: 'functionType', defaultType: 'num', name: 'function_id', check: asId },
  topicKey: { msg: 'topic_key', setting: 'topicKey', name: 'topic_key', default: 'topic_write', check: asTopicKey },
  qos: { msg: 'qos', setting: 'qos', check: asQos(1) },
  retain: { msg: 'retain', setting: 'retain', check: asBoolean(false) },
} satisfies Fields;

export = function register(RED: NodeAPI): void {
  defineNode<Def, typeof FIELDS>(RED, 'iotopen-functionx-out', {
    mqtt: true,
    fields: FIELDS,
    okStatus: (ctx) => ctx.server.connectionStatus(),
    setup(ctx) {
      const { node, server, t } = ctx;
      let closed = false;
      // A queued write dropped later (queue full, too old, server deleted) comes back as node.error(err, msg).
      const dropOptions = droppedWrites(ctx.RED, node, t);

      /** The function, from the catalog cache, or straight from the API when just created. */
      const lookup = async (iid: number, fid: number): Promise<FunctionLike> => {
        const hit = ((await server.catalog.functions(iid)) as FunctionLike[]).find((f) => Number(f.id) === fid);
        if (hit) return hit;
        try {
          return (await server.api.functionx.get(iid, fid)) as FunctionLike;
        } catch (err) {
          const status = (err as { status?: number }).status;
          if (status === 404 || status === 403) throw ctx.error('noFunction', { fid, iid }, 'function_id');
          throw err;
        }
      };

      return {
        async input(msg, v) {
          const [fn, inst] = await Promise.all([lookup(v.installation, v.function), ctx.installation(v.installation, 'installation_id')]);
          const meta = fn.meta || {};
          const metaTopic = meta[v.topicKey];
          if (!metaTopic) {
            const keys = topicKeys(meta);
            throw ctx.error('noTopic', { fid: v.function, key: v.topicKey, keys: keys.length ? keys.join(', ') : t('none') }, 'topic_key');
          }
          const body = encodeLynxPayload(writePayload(msg.payload, presenter(meta).states, Date.now() / 1000));
          const res = await server.hub.publish(fullTopic(inst.client_id, metaTopic), body, {
            qos: v.qos,
            retain: v.retain,
            ...dropOptions(msg),
          });
          if (closed) return;
          // Queued offline: show the queue length; the config node puts its connection
          // state back on reconnect. Sent: okStatus replaces an earlier failure's red status.
          if (res && res.queued) return { fill: 'yellow', shape: 'ring', text: t('status.queued', { n: server.hub.queued }) };
        },
        close() {
          closed = true;
        },
      };
    },
  });
};
