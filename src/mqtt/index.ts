export { MqttHub } from './hub';
export type { MqttHubOptions, HubState, HubStateName, HubTlsOptions, PublishOptions, PublishResult, MessageHandler, Subscription } from './hub';
export { TopicTrie, validateFilter, validateTopic } from './trie';
export { decodeLynxPayload, encodeLynxPayload } from '../lynx/codec';
export type { LynxPayload, DecodedPayload } from '../lynx/codec';
