// iotopen-api: calls any endpoint of the Lynx REST API through the config
// node's client (auth, retries and error handling shared with the other nodes).
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { getServer, evaluate, InputError, noServerError, type LynxServer } from '../lib';
import { deregisterOnClose, settle } from '../lib/input';
import { checkPathTemplate, fillPath } from '../../src/util/path-template';

interface ApiNodeDef extends NodeDef {
  server: string;
  method: string;
  path: string;
  installation: string;
  params: string;
  query: string;
  queryType: string;
  ret: string;
}

type Msg = NodeMessage & Record<string, unknown>;
type QueryValue = string | number | boolean | null;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const RESPONSE_TYPES: Record<string, 'json' | 'text' | 'buffer'> = { json: 'json', txt: 'text', bin: 'buffer' };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** A query object: values are strings, numbers, booleans, or arrays of them (repeated keys). */
function checkQuery(value: unknown, field: string): Record<string, QueryValue | QueryValue[]> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw new InputError(`${field} must be a JSON object such as {"limit": 10}, got text that is not JSON`, field);
    }
  }
  if (!isPlainObject(v)) throw new InputError(`${field} must be an object of query parameters such as {"limit": 10}, got ${Array.isArray(v) ? 'an array' : typeof v}`, field);
  const scalar = (x: unknown) => x === null || ['string', 'number', 'boolean'].includes(typeof x);
  for (const [k, x] of Object.entries(v)) {
    if (!(scalar(x) || (Array.isArray(x) && x.every(scalar)))) {
      throw new InputError(`${field}.${k} must be a string, number, boolean or an array of them`, `${field}.${k}`);
    }
  }
  return v as Record<string, QueryValue | QueryValue[]>;
}

export = function (RED: NodeAPI): void {
  function IotopenApiNode(this: Node, config: ApiNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const server: LynxServer | null = getServer(RED, config.server);
    let configError: InputError | undefined;
    let configParams: Record<string, unknown> = {};
    try {
      if (config.path) checkPathTemplate(config.path, 'path');
      if (config.params && config.params.trim()) {
        const p = JSON.parse(config.params) as unknown;
        if (!isPlainObject(p)) throw new InputError('params must be a JSON object such as {"functionx_id": 12}', 'params');
        configParams = p;
      }
    } catch (e) {
      configError = e instanceof InputError ? e : new InputError(e instanceof SyntaxError ? 'params must be valid JSON such as {"functionx_id": 12}' : (e as Error).message, 'params');
      node.error(configError.message);
    }
    if (!server) node.status({ fill: 'red', shape: 'ring', text: 'iotopen-api.status.noServer' });
    else server.register(node);

    node.on('input', (raw: NodeMessage, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      const msg = raw as Msg;
      settle(node, msg, done, (async () => {
        if (configError) throw configError;
        if (!server) throw noServerError();
        const methodRaw = msg.method ?? config.method ?? 'GET';
        const method = typeof methodRaw === 'string' ? methodRaw.toUpperCase() : '';
        if (!METHODS.includes(method)) {
          throw new InputError(`${msg.method !== undefined ? 'msg.method' : 'method'} must be one of ${METHODS.join(', ')}, got ${JSON.stringify(methodRaw)}`, 'method');
        }
        const template = msg.path ?? config.path;
        const pathField = msg.path !== undefined ? 'msg.path' : 'path';
        if (msg.params !== undefined && !isPlainObject(msg.params)) throw new InputError('msg.params must be an object of path values such as {"installation_id": 101}', 'msg.params');
        const params = (msg.params ?? {}) as Record<string, unknown>;
        const path = fillPath(template as string, (name) => {
          if (params[name] !== undefined) return params[name];
          if (msg[name] !== undefined && name !== 'payload') return msg[name];
          if (configParams[name] !== undefined) return configParams[name];
          if (name === 'installation_id' && config.installation) return config.installation;
          return undefined;
        }, pathField);
        const query = msg.query !== undefined
          ? checkQuery(msg.query, 'msg.query')
          : checkQuery(await evaluate(RED, node, msg, config.queryType || 'json', config.query), 'query');
        const responseType = RESPONSE_TYPES[config.ret] ?? 'json';
        let status = 0;
        node.status({ fill: 'blue', shape: 'dot', text: `${method} ${path.length > 40 ? path.slice(0, 40) + '...' : path}` });
        const body = method === 'POST' || method === 'PUT' ? msg.payload : undefined;
        const answer = await server.api.request<unknown>(method, path, {
          query: query as never,
          body,
          responseType,
          onStatus: (s: number) => { status = s; },
        });
        msg.payload = answer;
        msg.statusCode = status;
        node.status({});
        send(msg);
      })(), { statusText: 'iotopen-api.status.error' });
    });

    deregisterOnClose(node, server);
  }
  RED.nodes.registerType('iotopen-api', IotopenApiNode as never);
};
