// "Test connection" of the iotopen-config dialog: tries the dialog's values
// (before they are deployed) and answers in words a user can act on.
import type { NodeAPI } from 'node-red';
import { ApiClient } from '../../src/api';
import { describeConnectionError, normaliseApiUrl } from '../../src/lynx/connection';
import { asApiTls, authFrom, tlsOptions, type ApiClientAuth, type AuthMode, type ConfigNode, type Credentials } from './options';

const TEST_TIMEOUT_MS = 8000;
const SECRET_PLACEHOLDER = '__PWRD__';

interface TestBody {
  id?: string;
  apiUrl?: string;
  authMode?: string;
  usetls?: boolean;
  tls?: string;
  credentials?: Credentials;
}

/** Tries the dialog's settings against GET /api/v2/installationinfo; answers {ok, message}. */
export async function testConnection(RED: NodeAPI, deployed: (id: string) => ConfigNode | null, raw: unknown): Promise<{ ok: boolean; message: string }> {
  const body = (raw && typeof raw === 'object' ? raw : {}) as TestBody;
  const authMode: AuthMode = body.authMode === 'login' ? 'login' : 'apikey';
  let apiUrl: string;
  try {
    apiUrl = normaliseApiUrl(body.apiUrl);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const given = body.credentials || {};
  const creds: Credentials = { apiKey: given.apiKey, username: given.username, password: given.password };
  const secret: keyof Credentials = authMode === 'login' ? 'password' : 'apiKey';
  if (creds[secret] === SECRET_PLACEHOLDER || creds[secret] === undefined || creds[secret] === '') {
    // The dialog sends a placeholder for a secret it did not change: use the
    // stored one, but only towards the server it was saved for.
    const server = typeof body.id === 'string' && body.id ? deployed(body.id) : null;
    const stored = server ? ((RED.nodes.getCredentials(server.id) || {}) as Credentials) : {};
    creds[secret] = stored[secret] || undefined;
    if (creds[secret] && server && server.apiUrl !== apiUrl) {
      return {
        ok: false,
        message: 'The API URL differs from the deployed one: enter the secret again to test against the new URL (a stored secret is only sent to the server it was saved for).',
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
  try {
    const list = (await api.installations.list()) as unknown;
    if (!Array.isArray(list)) {
      return { ok: false, message: `${new URL(apiUrl).host} answered, but not like a Lynx API (no installation list). Check the API URL.` };
    }
    const n = list.length;
    return {
      ok: true,
      message: n === 0 ? 'Connected, but this account sees no installations yet.' : `Connected: ${n} installation${n === 1 ? '' : 's'} visible.`,
    };
  } catch (err) {
    return { ok: false, message: describeConnectionError(err, { apiUrl, authMode, timeoutMs: TEST_TIMEOUT_MS }) };
  } finally {
    api.close().catch(() => undefined);
  }
}
