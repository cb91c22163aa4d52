// Lynx topic rules (no I/O). An installation's values live on MQTT under
// `{client_id}/...`; FunctionX meta (`topic_read`, `topic_write`, ...) holds the
// topic without that prefix, and so do the topic filters of the status and log
// APIs (IoT Open's Grafana data source sends them bare and strips the prefix
// from the answers, whose `topic` carries it). See docs/PLATFORM.md.
import { LynxError } from '../errors';

/**
 * The topic without the installation's `{client_id}/` prefix and leading
 * slashes: what the status and log APIs filter on. A topic with another
 * prefix, or none, keeps it.
 */
export function bareTopic(clientId: number | string, topic: string): string {
  const t = topic.replace(/^\/+/, '');
  const prefix = `${clientId}/`;
  return t.startsWith(prefix) ? t.slice(prefix.length) : t;
}

/** `{client_id}/{topic}`: the MQTT topic of a meta topic, tolerating one that already carries the prefix or a leading slash. */
export function fullTopic(clientId: number | string, topic: string): string {
  const t = topic.replace(/^\/+/, '');
  const prefix = `${clientId}/`;
  return t.startsWith(prefix) ? t : prefix + t;
}

/** A topic to publish on: MQTT wildcards (+ or #) are refused, naming the topic. */
export function concreteTopic(topic: string, field: string): string {
  if (topic.includes('+') || topic.includes('#')) {
    throw new LynxError(`topic "${topic}" contains a wildcard (+ or #): publish to one concrete topic`, field, 'publish.wildcard', {
      topic,
    });
  }
  return topic;
}
