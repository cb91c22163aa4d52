// iotopen-status: the latest value of topics of an installation (GET/POST
// /api/v2/status), for all topics, picked functions or msg.topics, as one
// array, a topic -> value map, or one message per topic; optionally joined
// with the function that reads each topic (from the config node's Catalog).
import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { defineNode, type Msg } from '../lib/frame';
import { asId, type Fields } from '../lib/fields';
import type { LynxError } from '../../src/errors';
import type { ModelX, StatusEntry } from '../../src/api/models';
import { pickedTopics } from '../../src/lynx/follow';
import { bareTopic, fullTopic } from '../../src/lynx/topics';
import { idList, topicList } from '../../src/lynx/values';

interface Def extends NodeDef {
  server: string;
  installation: string;
  select: string;
  functions: string[] | string;
  output: string;
  join: boolean | string;
}

interface OutEntry extends StatusEntry {
  function?: { id: number; type: string; meta: Record<string, string> };
}

const FIELDS = {
  installation: { msg: 'installation_id', setting: 'installation', name: 'installation', check: asId },
} satisfies Fields;

export = function (RED: NodeAPI): void {
  defineNode<Def, typeof FIELDS>(RED, 'iotopen-status', {
    fields: FIELDS,
    statusCode: true,
    setup(ctx) {
      const { node, config, server, t } = ctx;
      const select = config.select === 'functions' ? 'functions' : 'all';
      const output = config.output === 'map' || config.output === 'split' ? config.output : 'array';
      const join = config.join === true || config.join === 'true';
      // Wrong picks fail the messages that need them (msg.topics goes without).
      let fnIds: number[] = [];
      let picksError: LynxError | undefined;
      try {
        fnIds = select === 'functions' ? idList(config.functions, 'functions') : [];
        if (select === 'functions' && fnIds.length === 0) picksError = ctx.error('noFunctions', undefined, 'functions');
      } catch (e) {
        picksError = e as LynxError;
      }

      return {
        async input(msg, v, send) {
          const iid = v.installation;
          const inst = await ctx.installation(iid, 'installation');
          // The status API filters on bare topics (`obj/...`); its answers carry `{client_id}/`.
          const bare = (tp: string) => bareTopic(inst.client_id, tp);

          let topics: string[] | undefined;
          let functions: ModelX[] | undefined;
          if (msg.topics !== undefined) {
            topics = [...new Set(topicList(msg.topics, 'msg.topics').map(bare))];
            if (topics.length === 0) throw ctx.error('noTopics', undefined, 'msg.topics');
          } else if (select === 'functions') {
            if (picksError) throw picksError;
            functions = await server.catalog.functions(iid);
            topics = pickedTopics(functions, fnIds, iid, inst.client_id);
          }

          const [raw, fns] = await Promise.all([
            server.api.status.get(iid, topics ? { topics } : {}),
            join ? (functions ? Promise.resolve(functions) : server.catalog.functions(iid)) : Promise.resolve(undefined),
          ]);
          // Functions are matched by bare topic: an entry may carry another client_id than the installation's.
          const byTopic = new Map<string, ModelX>();
          if (fns) for (const f of fns) if (f.meta && f.meta.topic_read) byTopic.set(bare(f.meta.topic_read), f);
          const have = new Set<string>();
          const entries: OutEntry[] = (Array.isArray(raw) ? raw : [])
            .filter((e) => e && typeof e === 'object')
            .map((e) => {
              const clientId = typeof e.client_id === 'number' ? e.client_id : inst.client_id;
              const topic = bareTopic(clientId, String(e.topic));
              have.add(topic);
              const out: OutEntry = { ...e, topic: fullTopic(clientId, topic) };
              const f = byTopic.get(topic);
              if (f) out.function = { id: f.id, type: f.type, meta: f.meta };
              return out;
            });
          if (topics) {
            const missing = topics.filter((tp) => !have.has(tp)).map((tp) => fullTopic(inst.client_id, tp));
            if (missing.length) msg.missing = missing;
          }
          msg.installation_id = iid;
          node.status({ fill: 'green', shape: 'dot', text: t('status.values', { count: entries.length }) });
          if (output !== 'split') {
            msg.payload = output === 'map' ? Object.fromEntries(entries.map((e) => [e.topic, e.value])) : entries;
            send(msg);
            return;
          }
          const base = { ...msg };
          delete base.payload;
          entries.forEach((e, i) => {
            const m = (i === entries.length - 1 ? msg : RED.util.cloneMessage(base)) as Msg;
            m.payload = e.value;
            m.topic = e.topic;
            m.status = e;
            if (e.function) m.function = e.function;
            send(m as NodeMessage);
          });
        },
      };
    },
  });
};
