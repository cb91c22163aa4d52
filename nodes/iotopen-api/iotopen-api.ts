// iotopen-api: calls any endpoint of the Lynx REST API through the config
// node's client (auth, retries and error handling shared with the other nodes).
import type { NodeAPI, NodeDef } from 'node-red';
import { defineNode, inputError } from '../lib/frame';
import type { At, Fields } from '../lib/fields';
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

type QueryValue = string | number | boolean | null;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const RESPONSE_TYPES: Record<string, 'json' | 'text' | 'buffer'> = { json: 'json', txt: 'text', bin: 'buffer' };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** A query object: values are strings, numbers, booleans, or arrays of them (repeated keys). */
function checkQuery(value: unknown, at: At): Record<string, QueryValue | QueryValue[]> | undefined {
  const field = at.label;
  if (value === undefined || value === null || value === '') return undefined;
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw inputError('queryJson', { field }, field);
    }
  }
  if (!isPlainObject(v)) throw inputError('queryObject', { field, got: Array.isArray(v) ? 'an array' : typeof v }, field);
  const scalar = (x: unknown) => x === null || ['string', 'number', 'boolean'].includes(typeof x);
  for (const [k, x] of Object.entries(v)) {
    if (!(scalar(x) || (Array.isArray(x) && x.every(scalar)))) throw inputError('queryValue', { field: `${field}.${k}` }, `${field}.${k}`);
  }
  return v as Record<string, QueryValue | QueryValue[]>;
}

const FIELDS = {
  method: {
    msg: 'method',
    setting: 'method',
    default: 'GET',
    check: (v, at) => {
      const method = typeof v === 'string' ? v.toUpperCase() : '';
      if (!METHODS.includes(method)) throw inputError('method', { field: at.label, got: JSON.stringify(v) }, 'method');
      return method;
    },
  },
  path: { msg: 'path', setting: 'path', check: (v, at) => ({ template: v as string, label: at.label }) },
  query: { msg: 'query', setting: 'query', type: 'queryType', defaultType: 'json', check: checkQuery },
} satisfies Fields;

export = function (RED: NodeAPI): void {
  defineNode<ApiNodeDef, typeof FIELDS>(RED, 'iotopen-api', {
    fields: FIELDS,
    statusCode: true,
    setup(ctx) {
      const { node, config, server } = ctx;
      // A wrong path or params in the node is a config error: logged at deploy, and on every message.
      if (config.path) checkPathTemplate(config.path, 'path');
      let configParams: Record<string, unknown> = {};
      if (config.params && config.params.trim()) {
        let p: unknown;
        try {
          p = JSON.parse(config.params);
        } catch {
          throw ctx.error('paramsJson', undefined, 'params');
        }
        if (!isPlainObject(p)) throw ctx.error('paramsObject', undefined, 'params');
        configParams = p;
      }
      return {
        async input(msg, v, send) {
          if (msg.params !== undefined && !isPlainObject(msg.params)) throw ctx.error('msgParams', undefined, 'msg.params');
          const params = (msg.params ?? {}) as Record<string, unknown>;
          const path = fillPath(
            v.path.template,
            (name) => {
              if (params[name] !== undefined) return params[name];
              if (msg[name] !== undefined && name !== 'payload') return msg[name];
              if (configParams[name] !== undefined) return configParams[name];
              if (name === 'installation_id' && config.installation) return config.installation;
              return undefined;
            },
            v.path.label,
          );
          let status = 0;
          node.status({ fill: 'blue', shape: 'dot', text: `${v.method} ${path.length > 40 ? path.slice(0, 40) + '...' : path}` });
          msg.payload = await server.api.request<unknown>(v.method, path, {
            query: v.query as never,
            body: v.method === 'POST' || v.method === 'PUT' ? msg.payload : undefined,
            responseType: RESPONSE_TYPES[config.ret] ?? 'json',
            onStatus: (s: number) => {
              status = s;
            },
          });
          msg.statusCode = status;
          node.status({});
          send(msg);
        },
      };
    },
  });
};
