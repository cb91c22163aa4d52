// What the iotopen-config node builds its clients from: the node's fields and
// credentials, the TLS options of a tls-config node, the ApiClient's auth, and
// the stand-in client used while the settings are broken.
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { ApiClient } from '../../src/api';
import type { LynxServer } from '../lib';
import { ConfigError } from '../../src/lynx/connection';

export type AuthMode = 'apikey' | 'login';

export interface ConfigDef extends NodeDef {
  apiUrl?: string;
  mqttUrl?: string;
  authMode?: AuthMode;
  mqttUsername?: string;
  usetls?: boolean;
  tls?: string;
  queueLimit?: number | string;
  queueMaxAge?: number | string;
  shareGroup?: string;
}

export interface Credentials {
  apiKey?: string;
  username?: string;
  password?: string;
}

export interface TlsOptions {
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
  passphrase?: string;
  rejectUnauthorized?: boolean;
  servername?: string;
  ALPNProtocols?: string[];
}

/** The config node as its own code sees it: the LynxServer the other nodes use, writable. */
export type ConfigNode = { -readonly [K in keyof LynxServer]: LynxServer[K] };

interface TlsConfigNode extends Node {
  addTLSOptions(opts: TlsOptions): TlsOptions;
}

export function tlsOptions(RED: NodeAPI, usetls: unknown, tlsId: unknown): TlsOptions | undefined {
  if (!usetls || typeof tlsId !== 'string' || !tlsId) return undefined;
  const tlsNode = RED.nodes.getNode(tlsId) as TlsConfigNode | null;
  if (!tlsNode || typeof tlsNode.addTLSOptions !== 'function') return undefined;
  return tlsNode.addTLSOptions({});
}

export function authFrom(mode: AuthMode, creds: Credentials): ApiClientAuth {
  if (mode === 'login') {
    if (!creds.username || !creds.password) {
      throw new ConfigError(
        'Login mode needs a user name and a password: enter both in the config node, or switch to "API key"',
        'username',
      );
    }
    return { type: 'login', username: creds.username, password: creds.password };
  }
  if (!creds.apiKey) {
    throw new ConfigError('No API key: paste an API key (security token) into the config node, or switch to "Login"', 'apiKey');
  }
  return { type: 'apikey', apiKey: creds.apiKey };
}

/**
 * Stands in for the ApiClient when the config is wrong: every call rejects with
 * the config error (field and fix), so the nodes' Catch handling shows it.
 */
export function unusableApi(err: ConfigError): ApiClient {
  const fail = () => Promise.reject(err);
  const area = (): unknown =>
    new Proxy(fail, {
      get: (_t, prop) => (prop === 'then' ? undefined : area()),
      apply: () => fail(),
    });
  return new Proxy({} as ApiClient, {
    get: (_t, prop) => {
      if (prop === 'close') return () => Promise.resolve();
      if (prop === 'then') return undefined;
      return area();
    },
  });
}

export type ApiClientAuth = ConstructorParameters<typeof ApiClient>[0]['auth'];
type ApiClientTls = ConstructorParameters<typeof ApiClient>[0]['tls'];

export function asApiTls(opts: TlsOptions | undefined): ApiClientTls {
  return opts as ApiClientTls;
}
