// Secrets stay with their server (rules in src/util/secret-binding.ts). At start
// the config node takes the dialog's "entered" mark off its secrets, judges each
// stored secret against its binding, and stores the bindings beside the secrets
// in Node-RED's credentials under BINDING_FIELD: a field the node type does not
// declare, so no deploy can change or delete it (Node-RED's credentials.extract
// merges only declared fields) and the editor never receives it.
import type { Node, NodeAPI } from 'node-red';
import { ConfigError, envReference } from '../../src/lynx/connection';
import { endpointsOf, judge, refusalMessage, stripEntered, type Endpoints, type SecretBinding } from '../../src/util/secret-binding';
import type { AuthMode, Credentials } from './options';

export const BINDING_FIELD = 'boundTo';
const SECRET_FIELDS = ['apiKey', 'password'] as const;
type SecretField = (typeof SECRET_FIELDS)[number];
type Bindings = Partial<Record<SecretField, SecretBinding>>;

/** A stored secret bound to other endpoints than the config node's (code ESECRETHOST). */
export class SecretBindingError extends ConfigError {
  readonly code = 'ESECRETHOST';
  constructor(field: SecretField, bound: Endpoints, now: Endpoints) {
    super(refusalMessage(field, bound, now), field);
  }
}

/** What Test connection may use of a deployed node: its secrets and where each was entered for. */
interface Stored {
  creds: Credentials;
  bound: Bindings;
}
const stored = new WeakMap<object, Stored>();

function credentialsId(node: Node): string {
  return node._alias || node.id;
}

/**
 * Takes the dialog's mark off the node's secrets (its own copy of the credentials, env
 * references resolved again as Node-RED would) and says which were entered with this deploy.
 * Call before anything reads the secrets.
 */
export function takeEntered(RED: NodeAPI, node: Node, creds: Credentials): Set<SecretField> {
  const entered = new Set<SecretField>();
  for (const f of SECRET_FIELDS) {
    const v = creds[f];
    if (typeof v !== 'string') continue;
    const s = stripEntered(v);
    if (!s.entered) continue;
    entered.add(f);
    const env = envReference(s.value);
    const resolved = env ? (RED.util.getSetting(node, env) as unknown) : undefined;
    creds[f] = typeof resolved === 'string' ? resolved : s.value;
  }
  return entered;
}

/**
 * Judges the stored secrets against the config node's endpoints, stores new bindings (and the
 * secrets without the mark) in Node-RED's credentials, and answers the refusal for the secret
 * `mode` uses, if any. A secret not in use is bound or kept bound the same way, so switching
 * the mode later cannot send it elsewhere either.
 */
export function bindSecrets(
  RED: NodeAPI,
  node: Node,
  creds: Credentials,
  entered: Set<SecretField>,
  urls: { apiUrl: string; mqttUrl: string; authMode: AuthMode },
): SecretBindingError | null {
  const id = credentialsId(node);
  const raw = (RED.nodes.getCredentials(id) || {}) as Record<string, unknown>;
  const now = endpointsOf(urls.apiUrl, urls.mqttUrl);
  const before = (raw[BINDING_FIELD] && typeof raw[BINDING_FIELD] === 'object' ? raw[BINDING_FIELD] : {}) as Record<string, unknown>;
  const bound: Bindings = {};
  const next: Record<string, unknown> = { ...raw };
  let changed = false;
  let refusal: SecretBindingError | null = null;
  for (const f of SECRET_FIELDS) {
    const value = raw[f];
    if (typeof value !== 'string' || value === '') {
      if (before[f] !== undefined) changed = true;
      continue;
    }
    const s = stripEntered(value);
    if (s.entered) next[f] = s.value;
    const verdict = judge(s.value, s.entered || entered.has(f), before[f], now);
    bound[f] = verdict.binding;
    if (verdict.kind === 'bind') changed = true;
    if (verdict.kind === 'refuse' && f === (urls.authMode === 'login' ? 'password' : 'apiKey')) {
      refusal = new SecretBindingError(f, verdict.binding, now);
    }
  }
  stored.set(node, { creds, bound });
  if (changed) {
    next[BINDING_FIELD] = bound;
    // A new object (Node-RED marks the credentials for saving only when they differ):
    // written with the next deploy, made again the same way at every start until then.
    Promise.resolve(RED.nodes.addCredentials(id, next)).catch((err: Error) =>
      node.warn(`could not store the secret binding: ${err.message}`),
    );
  }
  return refusal;
}

/**
 * A deployed node's stored secret (as it sends it) and the API origin it was entered for;
 * its stored user name; or nothing for a node that never judged its secrets.
 */
export function storedSecret(node: object, field: SecretField): { value?: string; api?: string; mqtt?: string; username?: string } {
  const s = stored.get(node);
  if (!s) return {};
  return { value: s.creds[field], api: s.bound[field]?.api, mqtt: s.bound[field]?.mqtt, username: s.creds.username };
}
