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
import type { NodeAPI } from 'node-red';
import { ApiClient } from '../../src/api';
import { describeConnectionError, hostAllowed, normaliseApiUrl, parseHostList } from '../../src/lynx/connection';
import { mask } from '../lib/secrets';
import { apiOrigin, stripEntered } from '../../src/util/secret-binding';
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
  authMode?: string;
  usetls?: boolean;
  tls?: string;
  credentials?: Credentials;
}

type Answer = { ok: boolean; message: string };

/** Tries the dialog's settings against GET /api/v2/installationinfo; answers {ok, message}. */
export async function testConnection(RED: NodeAPI, deployed: (id: string) => ConfigNode | null, raw: unknown): Promise<Answer> {
  if (running > 0) return { ok: false, message: 'Another connection test is still running: try again when it has finished.' };
  running++;
  const typed = (raw as TestBody | undefined)?.credentials;
  try {
    const answer = await runTest(RED, deployed, raw);
    // Every known secret, and those the dialog sent, masked (a server may echo one).
    return { ...answer, message: mask(answer.message, [typed?.apiKey, typed?.password]) };
  } finally {
    running--;
  }
}

/** Why settings.js does not let Test connection reach this URL, or null. */
function refusedHost(RED: NodeAPI, apiUrl: string): string | null {
  const setting = (RED.settings as unknown as Record<string, unknown>)[TEST_HOSTS_SETTING];
  if (setting === undefined || setting === null) return null;
  let patterns;
  try {
    patterns = parseHostList(setting, TEST_HOSTS_SETTING);
  } catch (err) {
    return `Test connection is restricted, but ${(err as Error).message}.`;
  }
  if (hostAllowed(apiUrl, patterns)) return null;
  return `Test connection may only reach the hosts listed in ${TEST_HOSTS_SETTING} in settings.js, and ${new URL(apiUrl).host} is not one of them: ask your Node-RED administrator, or deploy and watch the nodes' status.`;
}

async function runTest(RED: NodeAPI, deployed: (id: string) => ConfigNode | null, raw: unknown): Promise<Answer> {
  const body = (raw && typeof raw === 'object' ? raw : {}) as TestBody;
  const authMode: AuthMode = body.authMode === 'login' ? 'login' : 'apikey';
  let apiUrl: string;
  try {
    apiUrl = normaliseApiUrl(body.apiUrl);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const refused = refusedHost(RED, apiUrl);
  if (refused) return { ok: false, message: refused };
  const given = body.credentials || {};
  // A value typed in the dialog (maybe still marked as entered, before a deploy).
  const typed = (v: unknown) => (typeof v === 'string' ? stripEntered(v).value : undefined);
  const creds: Credentials = { apiKey: typed(given.apiKey), username: typed(given.username), password: typed(given.password) };
  const secret: 'apiKey' | 'password' = authMode === 'login' ? 'password' : 'apiKey';
  if (creds[secret] === SECRET_PLACEHOLDER || creds[secret] === undefined || creds[secret] === '') {
    // The dialog sends a placeholder for a secret it did not change: use the
    // stored one, but only towards the server it was entered for (binding.ts).
    const server = typeof body.id === 'string' && body.id ? deployed(body.id) : null;
    const stored = server ? storedSecret(server, secret) : {};
    creds[secret] = stored.value || undefined;
    if (creds[secret] && apiOrigin(apiUrl) !== stored.api) {
      const name = secret === 'password' ? 'password' : 'API key';
      return {
        ok: false,
        message: stored.api
          ? `The ${name} was entered for ${stored.api}: enter the secret again to test against ${apiOrigin(apiUrl)} (a stored secret is only sent to the server it was entered for).`
          : `The deployed ${name} is not bound to a server yet: enter the secret again to test it (a stored secret is only sent to the server it was entered for).`,
      };
    }
    if (!creds.username && stored.username) creds.username = stored.username;
  }
  let auth: ApiClientAuth;
  try {
    auth = authFrom(authMode, creds);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const api = new ApiClient({
    baseUrl: apiUrl,
    auth,
    timeoutMs: TEST_TIMEOUT_MS,
    retries: 0,
    tls: asApiTls(tlsOptions(RED, body.usetls, body.tls)),
  });
  // One deadline for the whole test (a login and the list, in login mode).
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
    api.close().catch(() => undefined);
  }
}
