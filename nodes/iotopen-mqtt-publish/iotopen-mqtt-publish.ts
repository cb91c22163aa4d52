// iotopen-mqtt-publish: publishes msg.payload on a topic of an installation,
// through the config node's shared MQTT connection or the REST API.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { getServer, InputError, noServerError, requireId, visibleInstallation, type LynxServer } from '../lib';
import { deregisterOnClose, settle } from '../lib/input';
import { droppedWrites } from '../lib/dropped';

interface PublishNodeDef extends NodeDef {
  server: string;
  installation: string;
  topic: string;
  qos: string;
  retain: string;
  mode: string;
}

type Msg = NodeMessage & Record<string, unknown>;

const TEMPLATE = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/** Fills {{path}} placeholders from msg properties; a missing property is an error naming it. */
function fillTopic(RED: NodeAPI, template: string, msg: Msg): string {
  return template.replace(TEMPLATE, (_m, path: string) => {
    let v: unknown;
    try {
      v = RED.util.getMessageProperty(msg, path);
    } catch {
      v = undefined;
    }
    if (v === undefined || v === null || typeof v === 'object') {
      throw new InputError(`topic template {{${path}}}: msg.${path} is ${v === undefined || v === null ? 'missing' : 'not a string or number'}; set it on the message or change the topic`, 'topic');
    }
    return String(v);
  });
}

function toPayload(p: unknown): string | Buffer {
  if (p === undefined || p === null) throw new InputError('msg.payload is missing: set the value to publish, e.g. {"value": 1}', 'payload');
  if (typeof p === 'string' || Buffer.isBuffer(p)) return p;
  return JSON.stringify(p);
}

/**
 * The body's payload in API mode. The spec's MQTTPublish.payload is a JSON object
 * (e.g. {"value": 22.1}): an object goes as it is, a string or Buffer must hold a
 * JSON object, a finite number becomes {"value": n} (the Lynx payload); anything
 * else is refused naming msg.payload and what API mode accepts.
 */
function apiPayload(p: unknown): Record<string, unknown> {
  const accepts = 'API mode sends a JSON object (the spec\'s MQTTPublish payload): send an object such as {"value": 1}, a JSON string of one, or a number (sent as {"value": n}); use MQTT mode for other payloads';
  let v: unknown = p;
  if (typeof p === 'string' || Buffer.isBuffer(p)) {
    const text = typeof p === 'string' ? p : p.toString('utf8');
    try {
      v = JSON.parse(text);
    } catch {
      throw new InputError(`msg.payload is ${typeof p === 'string' ? 'a string' : 'a Buffer'} that is not JSON: ${accepts}`, 'msg.payload');
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      throw new InputError(`msg.payload is ${typeof p === 'string' ? 'a string' : 'a Buffer'} whose JSON is not an object: ${accepts}`, 'msg.payload');
    }
    return v as Record<string, unknown>;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new InputError(`msg.payload is ${v}, not a finite number: ${accepts}`, 'msg.payload');
    return { value: v };
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new InputError(`msg.payload is ${Array.isArray(v) ? 'an array' : typeof v}: ${accepts}`, 'msg.payload');
}

function qosOf(v: unknown, field: string): 0 | 1 {
  if (v === undefined || v === '' || v === null) return 0;
  const n = Number(v);
  if (n !== 0 && n !== 1) throw new InputError(`${field} must be 0 or 1, got ${JSON.stringify(v)}`, field);
  return n;
}

function retainOf(v: unknown, field: string): boolean {
  if (v === undefined || v === '' || v === null) return false;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new InputError(`${field} must be true or false, got ${JSON.stringify(v)}`, field);
}

export = function (RED: NodeAPI): void {
  function IotopenMqttPublishNode(this: Node, config: PublishNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const server: LynxServer | null = getServer(RED, config.server);
    const mode = config.mode === 'api' ? 'api' : 'mqtt';
    const t = (key: string, params?: Record<string, unknown>) => RED._(`iotopen-mqtt-publish.${key}`, params as never);
    // A queued message dropped later (queue full, too old, server deleted) comes back as node.error(err, msg).
    const dropOptions = droppedWrites(RED, node, t);
    if (server) server.register(node, { mqtt: mode === 'mqtt' });
    else node.status({ fill: 'red', shape: 'ring', text: RED._('iotopen-mqtt-publish.status.noServer') });

    async function handle(msg: Msg): Promise<void> {
      if (!server) throw noServerError();
      const fromMsg = msg.installation_id !== undefined;
      const iid = requireId(fromMsg ? msg.installation_id : config.installation, fromMsg ? 'msg.installation_id' : 'installation');
      const template = config.topic ? config.topic : msg.topic;
      if (typeof template !== 'string' || template.trim() === '') {
        throw new InputError('no topic: set the Topic of the node or msg.topic (e.g. "obj/lights/1/set")', config.topic ? 'topic' : 'msg.topic');
      }
      let topic = fillTopic(RED, template.trim(), msg).replace(/^\/+/, '');
      if (topic.includes('+') || topic.includes('#')) throw new InputError(`topic "${topic}" contains a wildcard (+ or #): publish to one concrete topic`, 'topic');
      const qos = config.qos === '0' || config.qos === '1' ? (Number(config.qos) as 0 | 1) : qosOf(msg.qos, 'msg.qos');
      const retain = config.retain === 'true' || config.retain === 'false' ? config.retain === 'true' : retainOf(msg.retain, 'msg.retain');
      const payload = toPayload(msg.payload);
      // Checked before any call: API mode takes only what the spec's MQTTPublish.payload is.
      const apiBody = mode === 'api' ? apiPayload(msg.payload) : undefined;
      const inst = await visibleInstallation(server, iid, fromMsg ? 'msg.installation_id' : 'installation');
      const prefix = `${inst.client_id}/`;
      if (mode === 'api') {
        if (topic.startsWith(prefix)) topic = topic.slice(prefix.length);
        await server.api.mqtt.publish(iid, { topic, payload: apiBody, qos, retain });
        msg.topic = prefix + topic;
        msg.queued = false;
      } else {
        if (!topic.startsWith(prefix)) topic = prefix + topic;
        const r = await server.hub.publish(topic, payload, { qos, retain, ...dropOptions(msg) });
        msg.topic = topic;
        msg.queued = r.queued;
      }
    }

    node.on('input', (msg: NodeMessage, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      settle(node, msg, done, handle(msg as Msg), {
        ok: () => {
          node.status((msg as Msg).queued
            ? { fill: 'yellow', shape: 'ring', text: RED._('iotopen-mqtt-publish.status.queued') }
            : { fill: 'green', shape: 'dot', text: RED._('iotopen-mqtt-publish.status.sent') });
          send(msg);
        },
        statusText: () => RED._('iotopen-mqtt-publish.status.error'),
        statusCode: false,
      });
    });

    deregisterOnClose(node, server);
  }
  RED.nodes.registerType('iotopen-mqtt-publish', IotopenMqttPublishNode as never);
};
