export { MqttHub, QueueDropError } from './hub';
export type {
  MqttHubOptions,
  HubState,
  HubStateName,
  HubTlsOptions,
  PublishOptions,
  PublishResult,
  MessageHandler,
  Subscription,
  DropCode,
  ReconnectEvent,
  RebindOptions,
} from './hub';
export { HubHolder, hubFingerprints, hubQueueFile, queuePending, closeParkedHubs, parkedHubCount, DEFAULT_GRACE_MS } from './handover';
export type { HubIdentity, HubListeners } from './handover';
export { QueueJournal, journalFileName, journalHasMessages } from './queue-store';
export type { StoredMessage, PublishOrigin, JournalLoad } from './queue-store';
export { TopicTrie, validateFilter, validateTopic } from './trie';
export { decodeLynxPayload, encodeLynxPayload } from '../lynx/codec';
export type { LynxPayload, DecodedPayload } from '../lynx/codec';
export { probeBroker, PROBE_MAX_TIMEOUT_MS } from './probe';
export type { ProbeOptions, ProbeResult } from './probe';
