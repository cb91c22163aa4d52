// The one error type of the API client. Messages are written for the user of a
// flow: what failed and what to do. They never hold a key, token or password.
import { LynxError } from '../errors';

export type LynxErrorCode = 'ETIMEDOUT' | 'EABORT' | 'ENETWORK' | 'EAUTH' | 'E2FA' | 'EHTTP';

export interface LynxApiErrorInit {
  status: number;
  method: string;
  path: string;
  code: LynxErrorCode;
  serverMessage?: string;
  cause?: unknown;
  /** What the failure says about the server's side (see retry.ts); set by the client. */
  failure?: 'not-sent' | 'refused' | 'uncertain' | 'final';
}

/** A failed call: the library's LynxError (src/errors.ts) with the HTTP side of it. */
export class LynxApiError extends LynxError {
  /** HTTP status, 0 for network errors, timeouts and aborts */
  readonly status: number;
  readonly method: string;
  /** request path without query string */
  readonly path: string;
  /** the server's `message` (or raw text, truncated) for HTTP errors */
  readonly serverMessage?: string;
  declare readonly code: LynxErrorCode;
  /**
   * What the failure says about the server's side: 'not-sent' (no connection was made),
   * 'refused' (429), 'uncertain' (the server may have acted: 5xx, timeout, connection lost
   * after sending), 'final' (anything else). Set on every error the client throws.
   */
  failure?: 'not-sent' | 'refused' | 'uncertain' | 'final';

  constructor(message: string, init: LynxApiErrorInit) {
    super(message, undefined, undefined, undefined, init.code, init.cause);
    this.name = 'LynxApiError';
    this.status = init.status;
    this.method = init.method;
    this.path = stripQuery(init.path);
    this.serverMessage = init.serverMessage;
    if (init.failure) this.failure = init.failure;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      code: this.code,
      status: this.status,
      method: this.method,
      path: this.path,
      serverMessage: this.serverMessage,
    };
  }
}

export function stripQuery(path: string): string {
  const i = path.search(/[?#]/);
  return i < 0 ? path : path.slice(0, i);
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

type NetErr = { code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;

/** The most telling code of a connection-level failure (undici wraps the socket's in `cause`). */
function networkCode(err: unknown): string | undefined {
  const e = err as NetErr;
  return e?.code && !e.code.startsWith('UND_ERR') ? e.code : (e?.cause?.code ?? e?.code);
}

/** A TLS handshake or certificate failure: trying again cannot help. */
export function isTlsFailure(err: unknown): boolean {
  const code = networkCode(err);
  return !!code && (TLS_CODES.has(code) || /CERT|SSL|TLS/.test(code));
}

/** Words a user understands for a connection-level failure (no secret can be in here: host only). */
export function describeNetworkError(err: unknown, host: string): string {
  const e = err as NetErr;
  const code = networkCode(err);
  const reason = (e?.cause?.message ?? e?.message ?? String(err)).split('\n')[0];
  switch (code) {
    case 'ECONNREFUSED':
      return `could not connect to ${host}: connection refused, check the API URL`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `could not connect to ${host}: host not found, check the API URL and the DNS of this machine`;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return `connection to ${host} was closed unexpectedly; the server or a proxy dropped it`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `could not connect to ${host}: network unreachable, check the network of this machine`;
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `could not connect to ${host}: connection timed out, check the API URL and firewalls`;
    default:
      if (isTlsFailure(err)) {
        return `TLS certificate of ${host} was not accepted: ${reason}; check the CA in the TLS settings`;
      }
      return `could not reach ${host}: ${reason}`;
  }
}
