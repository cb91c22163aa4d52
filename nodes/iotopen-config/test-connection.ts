// "Test connection" of the iotopen-config dialog: tries the dialog's values
// (before they are deployed) and answers in words a user can act on.
//
// It is kept narrow, because it makes the runtime connect where a user types:
// http(s) only (normaliseApiUrl), only the Lynx API's own requests under the
// typed base address (GET /api/v2/installationinfo, and POST /api/v2/auth first
// in login mode: nothing else is ever requested), no redirect followed (a 3xx
// is reported, see describeConnectionError), one attempt, TEST_TIMEOUT_MS for
// the whole test, one test at a time per runtime, and, when settings.js sets
// `iotopenConfigTestHosts`, only the hosts listed there (checked before any
// connection is made).
//
// It also opens one short MQTT connection (src/mqtt probeBroker: no reconnect, at
// most TEST_TIMEOUT_MS, always ended) to the dialog's MQTT URL, or the default one,
// with the MQTT user and the password the runtime would give the broker (the API
// key, or the login's token), under the same limits: the MQTT host must be on the
// allowlist too, and a stored secret goes only to the broker it was entered for.
// The broker's answer is `mqtt` beside the API's (`ok`, `message`).
//
// `${NAME}` / `$(NAME)` values (Node-RED's rule: the whole value names one variable)
// are resolved from the runtime's environment, as the deployed node gets them.
import type { NodeAPI } from 'node-red';
import { ApiClient } from '../../src/api';
import { probeBroker } from '../../src/mqtt';
import {
  describeBrokerError,
  describeConnectionError,
  envReference,
  hostAllowed,
  normaliseApiUrl,
  parseHostList,
  resolveMqttUrl,
} from '../../src/lynx/connection';
import { mask } from '../lib/secrets';
import { apiOrigin, endpointsOf, stripEntered } from '../../src/util/secret-binding';
import { storedSecret } from './binding';
import { asApiTls, authFrom, tlsOptions, type ApiClientAuth, type AuthMode, type ConfigNode, type Credentials } from './options';

export const TEST_TIMEOUT_MS = 5000;
/** The settings.js setting restricting the hosts Test connection may reach (unset: any host). */
export const TEST_HOSTS_SETTING = 'iotopenConfigTestHosts';
const SECRET_PLACEHOLDER = '__PWRD__';
/** Tests in flight (one at a time: a test cannot be used to probe many ports at once). */
let running = 0;

interface TestBody {
  id?: string;
  apiUrl?: string;
  mqttUrl?: string;
  mqttUsername?: string;
  authMode?: string;
  usetls?: boolean;
  tls?: string;
  credentials?: Credentials;
}

type Half = { ok: boolean; message: string };
/** `ok` and `message`: the API's answer; `mqtt`: the broker's, when it was tried (or refused). */
type Answer = Half & { mqtt?: Half };

/** Tries the dialog's settings against GET /api/v2/installationinfo and the broker; answers {ok, message, mqtt}. */
export async function testConnection(RED: NodeAPI, deployed: (id: string) => ConfigNode | null, raw: unknown): Promise<Answer> {
  if (running > 0) return { ok: false, message: 'Another connection test is still running: try again when it has finished.' };
  running++;
  const typed = (raw as TestBody | undefined)?.credentials;
  const secrets: Array<string | undefined> = [typed?.apiKey, typed?.password];
  try {
    const answer = await runTest(RED, deployed, raw, secrets);
    // Every known secret, and those the dialog sent or the environment gave, masked (a server may echo one).
    const out: Answer = { ok: answer.ok, message: mask(answer.message, secrets) };
    if (answer.mqtt) out.mqtt = { ok: answer.mqtt.ok, message: mask(answer.mqtt.message, secrets) };
    return out;
  } finally {
    running--;
  }
}

/** Why settings.js does not let Test connection reach this URL, or null. */
function refusedHost(RED: NodeAPI, url: string): string | null {
  const setting = (RED.settings as unknown as Record<string, unknown>)[TEST_HOSTS_SETTING];
  if (setting === undefined || setting === null) return null;
  let patterns;
  try {
    patterns = parseHostList(setting, TEST_HOSTS_SETTING);
  } catch (err) {
    return `Test connection is restricted, but ${(err as Error).message}.`;
  }
  if (hostAllowed(url, patterns)) return null;
  return `Test connection may only reach the hosts listed in ${TEST_HOSTS_SETTING} in settings.js, and ${new URL(url).host} is not one of them: ask your Node-RED administrator, or deploy and watch the nodes' status.`;
}

/**
 * The dialog's values with `${NAME}` references resolved from the runtime's environment
 * (process.env, where Node-RED looks for a config node's variables), and the variables
 * that are not set, with the field naming them.
 */
function resolveEnv(body: TestBody, secrets: Array<string | undefined>) {
  const unset: string[] = [];
  const from = (field: string, v: unknown, secret = false): string | undefined => {
    if (typeof v !== 'string') return undefined;
    const name = envReference(v);
    if (!name) return v;
    const value = process.env[name];
    if (value === undefined) {
      unset.push(`${name} (in ${field})`);
      return v;
    }
    if (secret) secrets.push(value);
    return value;
  };
  const given = body.credentials || {};
  // A value typed in the dialog (maybe still marked as entered, before a deploy).
  const typed = (field: string, v: unknown, secret: boolean) =>
    typeof v === 'string' ? from(field, stripEntered(v).value, secret) : undefined;
  return {
    apiUrl: from('apiUrl', body.apiUrl),
    mqttUrl: from('mqttUrl', body.mqttUrl),
    mqttUsername: from('mqttUsername', body.mqttUsername),
    creds: {
      apiKey: typed('API key', given.apiKey, true),
      username: typed('user name', given.username, false),
      password: typed('password', given.password, true),
    } as Credentials,
    unset,
  };
}

async function runTest(
  RED: NodeAPI,
  deployed: (id: string) => ConfigNode | null,
  raw: unknown,
  secrets: Array<string | undefined>,
): Promise<Answer> {
  const body = (raw && typeof raw === 'object' ? raw : {}) as TestBody;
  const authMode: AuthMode = body.authMode === 'login' ? 'login' : 'apikey';
  const env = resolveEnv(body, secrets);
  if (env.unset.length) {
    const one = env.unset.length === 1;
    return {
      ok: false,
      message: `The environment variable${one ? '' : 's'} ${env.unset.join(', ')} ${one ? 'is' : 'are'} not set for the Node-RED runtime, so the deployed node would get the text itself: set ${one ? 'it' : 'them'} where Node-RED starts (e.g. docker run -e NAME=value) and restart Node-RED.`,
    };
  }
  let apiUrl: string;
  let mqttUrl: string;
  try {
    apiUrl = normaliseApiUrl(env.apiUrl);
    mqttUrl = resolveMqttUrl(env.mqttUrl, apiUrl);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const refused = refusedHost(RED, apiUrl);
  if (refused) return { ok: false, message: refused };
  const creds = env.creds;
  const secret: 'apiKey' | 'password' = authMode === 'login' ? 'password' : 'apiKey';
  // Set when the stored secret may go to the API but was entered for another broker.
  let brokerRefusal: string | null = null;
  if (creds[secret] === SECRET_PLACEHOLDER || creds[secret] === undefined || creds[secret] === '') {
    // The dialog sends a placeholder for a secret it did not change: use the
    // stored one, but only towards the server it was entered for (binding.ts).
    const server = typeof body.id === 'string' && body.id ? deployed(body.id) : null;
    const stored = server ? storedSecret(server, secret) : {};
    creds[secret] = stored.value || undefined;
    const name = secret === 'password' ? 'password' : 'API key';
    if (creds[secret] && apiOrigin(apiUrl) !== stored.api) {
      return {
        ok: false,
        message: stored.api
          ? `The ${name} was entered for ${stored.api}: enter the secret again to test against ${apiOrigin(apiUrl)} (a stored secret is only sent to the server it was entered for).`
          : `The deployed ${name} is not bound to a server yet: enter the secret again to test it (a stored secret is only sent to the server it was entered for).`,
      };
    }
    const broker = endpointsOf(apiUrl, mqttUrl).mqtt;
    if (creds[secret] && stored.mqtt !== broker) {
      brokerRefusal = `The ${name} was entered for the broker ${stored.mqtt}: enter the secret again to test against ${broker} (a stored secret is only sent to the server it was entered for).`;
    }
    if (!creds.username && stored.username) creds.username = stored.username;
  }
  let auth: ApiClientAuth;
  try {
    auth = authFrom(authMode, creds);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const tls = tlsOptions(RED, body.usetls, body.tls);
  const api = new ApiClient({ baseUrl: apiUrl, auth, timeoutMs: TEST_TIMEOUT_MS, retries: 0, tls: asApiTls(tls) });
  const mqttUser = typeof env.mqttUsername === 'string' && env.mqttUsername.trim() ? env.mqttUsername.trim() : 'node-red';
  const brokerRefusedHost = refusedHost(RED, mqttUrl);
  const testBroker = async (password: string): Promise<Half> => {
    if (brokerRefusedHost) return { ok: false, message: brokerRefusedHost };
    if (brokerRefusal) return { ok: false, message: brokerRefusal };
    const r = await probeBroker({
      url: mqttUrl,
      username: mqttUser,
      password,
      timeoutMs: TEST_TIMEOUT_MS,
      tls: tls as Record<string, unknown>,
    });
    return r.ok
      ? { ok: true, message: `The broker at ${new URL(mqttUrl).host} accepted the connection.` }
      : { ok: false, message: describeBrokerError(r.error, { mqttUrl, authMode, timeoutMs: TEST_TIMEOUT_MS }) };
  };
  try {
    // With an API key both at once (the key is the broker's password); a login's token only after the login.
    const early = authMode === 'apikey' ? testBroker(creds.apiKey as string) : null;
    const apiHalf = await testApi(api, apiUrl, authMode);
    let mqtt: Half;
    if (early) mqtt = await early;
    else if (!apiHalf.ok)
      mqtt = { ok: false, message: "Not tested: the broker takes the login's token as password, and the login did not succeed." };
    else mqtt = await testBroker(await api.token());
    return { ...apiHalf, mqtt };
  } finally {
    api.close().catch(() => undefined);
  }
}

async function testApi(api: ApiClient, apiUrl: string, authMode: AuthMode): Promise<Half> {
  // One deadline for the whole API test (a login and the list, in login mode).
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), TEST_TIMEOUT_MS);
  try {
    const list = (await api.installations.list({ signal: deadline.signal })) as unknown;
    if (!Array.isArray(list)) {
      return { ok: false, message: `${new URL(apiUrl).host} answered, but not like a Lynx API (no installation list). Check the API URL.` };
    }
    const n = list.length;
    return {
      ok: true,
      message:
        n === 0 ? 'Connected, but this account sees no installations yet.' : `Connected: ${n} installation${n === 1 ? '' : 's'} visible.`,
    };
  } catch (err) {
    const why = deadline.signal.aborted ? { code: 'ETIMEDOUT' } : err;
    return { ok: false, message: describeConnectionError(why, { apiUrl, authMode, timeoutMs: TEST_TIMEOUT_MS }) };
  } finally {
    clearTimeout(timer);
  }
}
