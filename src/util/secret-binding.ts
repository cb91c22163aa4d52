// A stored secret (API key, password) goes only to the server it was entered
// for. Node-RED keeps a config node's stored credentials when it is redeployed
// with another URL and no new secret, so the runtime remembers, beside each
// secret, the endpoints it was entered for and a salted fingerprint of it (never
// the secret itself), and refuses to send it elsewhere until it is entered again.
// Pure rules here; nodes/iotopen-config/binding.ts reads and writes Node-RED's
// credentials with them.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What the config dialog puts before a secret the user typed. It proves the secret was
 * entered with this deploy (only someone who knows the secret can send it), so the runtime
 * binds it to the deployed endpoints, then stores the secret without the mark.
 */
export const ENTERED_MARK = '__IOTOPEN_ENTERED__';

/** Where a secret is sent: the API's origin and the broker's scheme://host:port. */
export interface Endpoints {
  api: string;
  mqtt: string;
}

/** The endpoints a secret was entered for, and a salted SHA-256 of the secret (which one it was). */
export interface SecretBinding extends Endpoints {
  v: 1;
  salt: string;
  fp: string;
}

/** Endpoints of a config node: the API URL's origin, the MQTT URL's scheme, host and port. */
export function endpointsOf(apiUrl: string, mqttUrl: string): Endpoints {
  const api = new URL(apiUrl);
  const mqtt = new URL(mqttUrl);
  return { api: `${api.protocol}//${api.host}`, mqtt: `${mqtt.protocol}//${mqtt.host}` };
}

/** The API origin of a URL (as endpointsOf gives it), or null when it is not a URL. */
export function apiOrigin(apiUrl: string): string | null {
  try {
    const u = new URL(apiUrl);
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/** A value without the dialog's mark, and whether it had one. */
export function stripEntered(value: string): { value: string; entered: boolean } {
  return value.startsWith(ENTERED_MARK) ? { value: value.slice(ENTERED_MARK.length), entered: true } : { value, entered: false };
}

function fingerprint(secret: string, salt: string): string {
  return createHash('sha256').update(`${salt}:${secret}`, 'utf8').digest('hex');
}

export function bindSecret(secret: string, to: Endpoints, salt: string = randomBytes(16).toString('hex')): SecretBinding {
  return { v: 1, salt, fp: fingerprint(secret, salt), api: to.api, mqtt: to.mqtt };
}

export function isBinding(x: unknown): x is SecretBinding {
  const b = x as SecretBinding;
  return !!b && typeof b === 'object' && b.v === 1 && [b.salt, b.fp, b.api, b.mqtt].every((s) => typeof s === 'string');
}

/** Whether `binding` was made for this very secret. */
export function sameSecret(binding: SecretBinding, secret: string): boolean {
  const a = Buffer.from(fingerprint(secret, binding.salt), 'hex');
  const b = Buffer.from(binding.fp, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export type Verdict =
  /** the secret may be used: it was bound to these endpoints */
  | { kind: 'ok'; binding: SecretBinding }
  /** bind it now to these endpoints (entered with this deploy, a new value, or first start) */
  | { kind: 'bind'; binding: SecretBinding }
  /** the same secret, bound to other endpoints: do not send it */
  | { kind: 'refuse'; binding: SecretBinding };

/**
 * What to do with a stored secret at start. Entered with this deploy: bind it here. No
 * binding yet (a flow saved before bindings existed): trust on first use, bind it here. A
 * binding of another value (the secret was replaced, by someone who knew the new one): bind
 * it here. A binding of this value to other endpoints: refuse until it is entered again.
 */
export function judge(secret: string, entered: boolean, existing: unknown, now: Endpoints): Verdict {
  if (!entered && isBinding(existing) && sameSecret(existing, secret)) {
    return existing.api === now.api && existing.mqtt === now.mqtt
      ? { kind: 'ok', binding: existing }
      : { kind: 'refuse', binding: existing };
  }
  return { kind: 'bind', binding: bindSecret(secret, now) };
}

/** Why a stored secret is not sent: names the secret, both ends and the fix. */
export function refusalMessage(field: 'apiKey' | 'password', bound: Endpoints, now: Endpoints): string {
  const name = field === 'password' ? 'password' : 'API key';
  const where =
    bound.api !== now.api
      ? `The ${name} was entered for ${bound.api}, not for ${now.api}: enter it again in the config node to use it with ${now.api}`
      : `The ${name} was entered for the broker ${bound.mqtt}, not for ${now.mqtt}: enter it again in the config node to send it to ${now.mqtt}`;
  return `${where} (a stored secret is only sent to the server it was entered for).`;
}
