// iotopen-status: the latest value of topics of an installation (GET/POST
// /api/v2/status), for all topics, picked functions or msg.topics, as one
// array, a topic -> value map, or one message per topic; optionally joined
// with the function that reads each topic (from the config node's Catalog).
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { getServer, idList, InputError, noServerError, requireId, visibleInstallation, type LynxServer } from '../lib';
import { deregisterOnClose, settle } from '../lib/input';
import type { ModelX, StatusEntry } from '../../src/api/models';
import { bareTopic, fullTopic } from '../../src/lynx/topics';

interface StatusNodeDef extends NodeDef {
  server: string;
  installation: string;
  select: string;
  functions: string[] | string;
  output: string;
  join: boolean | string;
}

type Msg = NodeMessage & Record<string, unknown>;

interface OutEntry extends StatusEntry {
  function?: { id: number; type: string; meta: Record<string, string> };
}

function topicList(value: unknown, field: string): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\n,]/) : null;
  if (!list) throw new InputError(`${field} must be an array of topics or a comma separated string, got ${value === null ? 'null' : typeof value}`, field);
  const out: string[] = [];
  for (const t of list) {
    if (typeof t !== 'string') throw new InputError(`${field} must only hold strings (topics such as "obj/zwave/node/3/switch"), got ${JSON.stringify(t)}`, field);
    const s = t.trim().replace(/^\/+/, '');
    if (s && !out.includes(s)) out.push(s);
  }
  if (out.length === 0) throw new InputError(`${field} is empty: give at least one topic, or leave it out to read every topic`, field);
  return out;
}

export = function (RED: NodeAPI): void {
  function IotopenStatusNode(this: Node, config: StatusNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const server: LynxServer | null = getServer(RED, config.server);
    const select = config.select === 'functions' ? 'functions' : 'all';
    const output = config.output === 'map' || config.output === 'split' ? config.output : 'array';
    const join = config.join === true || config.join === 'true';
    let fnIds: number[] = [];
    let configError: string | undefined;
    try {
      fnIds = select === 'functions' ? idList(config.functions) : [];
      if (select === 'functions' && fnIds.length === 0) configError = 'no functions picked: pick at least one function, or choose "all topics"';
    } catch (e) {
      configError = (e as Error).message;
    }
    if (server) server.register(node);
    else node.status({ fill: 'red', shape: 'ring', text: RED._('iotopen-status.status.noServer') });

    async function handle(msg: Msg, send: (m: NodeMessage) => void): Promise<number> {
      if (!server) throw noServerError();
      const fromMsg = msg.installation_id !== undefined;
      const iid = requireId(fromMsg ? msg.installation_id : config.installation, fromMsg ? 'msg.installation_id' : 'installation');
      const inst = await visibleInstallation(server, iid, fromMsg ? 'msg.installation_id' : 'installation');
      // The status API filters on bare topics (`obj/...`); its answers carry `{client_id}/`.
      const bare = (t: string) => bareTopic(inst.client_id, t);

      let topics: string[] | undefined;
      let functions: ModelX[] | undefined;
      if (msg.topics !== undefined) {
        topics = [...new Set(topicList(msg.topics, 'msg.topics').map(bare))];
      } else if (select === 'functions') {
        if (configError) throw new InputError(configError, 'functions');
        functions = await server.catalog.functions(iid);
        topics = [];
        for (const id of fnIds) {
          const fn = functions.find((f) => f.id === id);
          if (!fn) throw new InputError(`function ${id} does not exist in installation ${iid} (deleted?): pick the functions again`, 'functions');
          const tr = fn.meta && fn.meta.topic_read;
          if (!tr) throw new InputError(`function ${id} (${(fn.meta && fn.meta.name) || fn.type}) has no topic_read meta: give it one, or list its topic in msg.topics`, 'functions');
          if (!topics.includes(bare(tr))) topics.push(bare(tr));
        }
      }

      const [raw, fns] = await Promise.all([
        server.api.status.get(iid, topics ? { topics } : {}),
        join ? (functions ? Promise.resolve(functions) : server.catalog.functions(iid)) : Promise.resolve(undefined),
      ]);
      // Functions are matched by bare topic: an entry may carry another client_id than the installation's.
      const byTopic = new Map<string, ModelX>();
      if (fns) for (const f of fns) if (f.meta && f.meta.topic_read) byTopic.set(bare(f.meta.topic_read), f);
      const have = new Set<string>();
      const entries: OutEntry[] = (Array.isArray(raw) ? raw : []).filter((e) => e && typeof e === 'object').map((e) => {
        const clientId = typeof e.client_id === 'number' ? e.client_id : inst.client_id;
        const topic = bareTopic(clientId, String(e.topic));
        have.add(topic);
        const out: OutEntry = { ...e, topic: fullTopic(clientId, topic) };
        const f = byTopic.get(topic);
        if (f) out.function = { id: f.id, type: f.type, meta: f.meta };
        return out;
      });
      if (topics) {
        const missing = topics.filter((t) => !have.has(t)).map((t) => fullTopic(inst.client_id, t));
        if (missing.length) msg.missing = missing;
      }
      msg.installation_id = iid;
      if (output === 'split') {
        const base = { ...msg };
        delete base.payload;
        entries.forEach((e, i) => {
          const m = (i === entries.length - 1 ? msg : RED.util.cloneMessage(base)) as Msg;
          m.payload = e.value;
          m.topic = e.topic;
          m.status = e;
          if (e.function) m.function = e.function;
          send(m);
        });
      } else {
        if (output === 'map') {
          const map: Record<string, unknown> = {};
          for (const e of entries) map[e.topic] = e.value;
          msg.payload = map;
        } else {
          msg.payload = entries;
        }
        send(msg);
      }
      return entries.length;
    }

    node.on('input', (msg: NodeMessage, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      settle(node, msg, done, handle(msg as Msg, send), {
        ok: (count) => node.status({ fill: 'green', shape: 'dot', text: RED._('iotopen-status.status.values', { count }) }),
        statusText: () => RED._('iotopen-status.status.error'),
      });
    });

    deregisterOnClose(node, server);
  }
  RED.nodes.registerType('iotopen-status', IotopenStatusNode as never);
};
