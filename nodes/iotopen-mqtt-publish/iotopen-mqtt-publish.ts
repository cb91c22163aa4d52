// iotopen-mqtt-publish: publishes msg.payload on a topic of an installation,
// through the config node's shared MQTT connection or the REST API.
import type { NodeAPI, NodeDef } from 'node-red';
import { defineNode, inputError, type Msg } from '../lib/frame';
import { droppedWrites } from '../lib/dropped';
import { asBoolean, asId, asQos, type Fields } from '../lib/fields';
import { apiPublishPayload, publishPayload } from '../../src/lynx/codec';
import { bareTopic, concreteTopic, fullTopic } from '../../src/lynx/topics';

interface Def extends NodeDef {
  server: string;
  installation: string;
  topic: string;
  qos: string;
  retain: string;
  mode: string;
}

const TEMPLATE = /\{\{\s*([^{}\s]+)\s*\}\}/g;

const FIELDS = {
  installation: { msg: 'installation_id', setting: 'installation', name: 'installation', check: asId },
  // A topic, QoS or retain set in the node wins over the message's.
  topic: {
    msg: 'topic',
    setting: 'topic',
    settingFirst: true,
    check: (v, at) => {
      if (typeof v !== 'string' || v.trim() === '') throw inputError('noTopic', undefined, at.source === 'setting' ? 'topic' : 'msg.topic');
      return v.trim();
    },
  },
  qos: { msg: 'qos', setting: 'qos', settingFirst: true, check: asQos(0) },
  retain: { msg: 'retain', setting: 'retain', settingFirst: true, check: asBoolean(false) },
} satisfies Fields;

export = function (RED: NodeAPI): void {
  /** Fills {{path}} placeholders from msg properties; a missing property is an error naming it. */
  function fillTopic(template: string, msg: Msg): string {
    return template.replace(TEMPLATE, (_m, path: string) => {
      let v: unknown;
      try {
        v = RED.util.getMessageProperty(msg, path);
      } catch {
        v = undefined;
      }
      if (v === undefined || v === null) throw inputError('templateMissing', { path }, 'topic');
      if (typeof v === 'object') throw inputError('templateType', { path }, 'topic');
      return String(v);
    });
  }

  defineNode<Def, typeof FIELDS>(RED, 'iotopen-mqtt-publish', {
    mqtt: (config) => config.mode !== 'api',
    fields: FIELDS,
    setup(ctx) {
      const { node, config, server, t } = ctx;
      // A queued message dropped later (queue full, too old, server deleted) comes back as node.error(err, msg).
      const dropOptions = droppedWrites(ctx.RED, node, t);
      const api = config.mode === 'api';
      return {
        async input(msg, v, send) {
          const topic = concreteTopic(fillTopic(v.topic, msg).replace(/^\/+/, ''), 'topic');
          const payload = publishPayload(msg.payload);
          // Checked before any call: API mode takes only what the spec's MQTTPublish.payload is.
          const apiBody = api ? apiPublishPayload(msg.payload) : undefined;
          const inst = await ctx.installation(v.installation, 'installation');
          if (api) {
            const bare = bareTopic(inst.client_id, topic);
            await server.api.mqtt.publish(v.installation, { topic: bare, payload: apiBody, qos: v.qos, retain: v.retain });
            msg.topic = fullTopic(inst.client_id, bare);
            msg.queued = false;
          } else {
            msg.topic = fullTopic(inst.client_id, topic);
            msg.queued = (await server.hub.publish(msg.topic, payload, { qos: v.qos, retain: v.retain, ...dropOptions(msg) })).queued;
          }
          node.status(
            msg.queued
              ? { fill: 'yellow', shape: 'ring', text: t('status.queued') }
              : { fill: 'green', shape: 'dot', text: t('status.sent') },
          );
          send(msg);
        },
      };
    },
  });
};
