// The secrets of every deployed iotopen-config node, masked in whatever the
// pack's nodes log, show in a status or hand to a Catch node: a node using one
// config node never shows another's key either. Each config node adds its
// secrets when it starts and removes them when it closes; register() masks the
// nodes that use it (maskNode), and the admin routes mask their answers.
import type { Node } from 'node-red';
import { maskable, maskValue } from '../../src/util/mask';
import { bareError } from '../../src/errors';

type Provider = () => Iterable<string | undefined>;

const providers = new Map<object, Provider>();
const masked = new WeakSet<object>();
const LOG_METHODS = ['error', 'warn', 'log', 'debug', 'trace'] as const;

/** Adds the secrets `owner` (a config node) holds; `provider` is asked each time, so rotated tokens count. */
export function addSecrets(owner: object, provider: Provider): void {
  providers.set(owner, provider);
}

export function removeSecrets(owner: object): void {
  providers.delete(owner);
}

/** Every known secret (plus `extra`, e.g. the values a Test connection was given), longest first. */
export function knownSecrets(extra: Iterable<string | undefined> = []): string[] {
  const all: Array<string | undefined> = [...extra];
  for (const provider of providers.values()) {
    try {
      for (const s of provider()) all.push(s);
    } catch {
      /* a provider of a closing node: nothing to add */
    }
  }
  return maskable(all);
}

/** A text, error or status with every known secret masked (errors in place). */
export function mask<T>(value: T, extra?: Iterable<string | undefined>): T {
  return maskValue(value, knownSecrets(extra));
}

/**
 * Masks every known secret in what `node` logs (error, warn, log, debug, trace, including the
 * done(err) Node-RED reports through node.error) and shows in its status. Once per node.
 */
export function maskNode(node: Node): void {
  if (masked.has(node)) return;
  masked.add(node);
  const n = node as unknown as Methods;
  for (const name of MASKED_METHODS) {
    const orig = n[name];
    if (typeof orig !== 'function') continue;
    // The prototype's method (the usual case): one wrapper shared by every node, so a
    // deployed node costs a property, not a closure per method. A method of the node's
    // own (set by someone else first) gets a wrapper of its own.
    n[name] = orig === (Object.getPrototypeOf(node) as Methods)[name] ? sharedWrapper(name) : ownWrapper(name, orig);
  }
}

type Method = (...args: unknown[]) => unknown;
type Methods = Record<string, Method>;
const MASKED_METHODS = [...LOG_METHODS, 'status'];
const sharedWrappers = new Map<string, Method>();

function sharedWrapper(name: string): Method {
  let w = sharedWrappers.get(name);
  if (!w) {
    w = function (this: object, first: unknown, ...rest: unknown[]) {
      return (Object.getPrototypeOf(this) as Methods)[name].call(this, maskedArg(name, first), ...rest);
    };
    sharedWrappers.set(name, w);
  }
  return w;
}

function ownWrapper(name: string, orig: Method): Method {
  return function (this: unknown, first: unknown, ...rest: unknown[]) {
    return orig.call(this, maskedArg(name, first), ...rest);
  };
}

/** What a masked method passes on: an Error for node.error shown by its message only, no class name (bareError). */
function maskedArg(name: string, first: unknown): unknown {
  return mask(name === 'error' && first instanceof Error ? bareError(first) : first);
}

/**
 * The login tokens `api.token()` has handed out (the last few: a token is renewed after a
 * refusal), for a config node's addSecrets provider. Wraps the client's token() in place,
 * which the client's own calls use too.
 */
export function trackTokens(api: { token: (...args: never[]) => Promise<string> }): () => string[] {
  const seen: string[] = [];
  const token = api.token.bind(api) as (...args: unknown[]) => Promise<string>;
  (api as { token: unknown }).token = (...args: unknown[]) =>
    token(...args).then((t) => {
      if (typeof t === 'string' && !seen.includes(t)) {
        seen.push(t);
        if (seen.length > 4) seen.shift();
      }
      return t;
    });
  return () => seen;
}
