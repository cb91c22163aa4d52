// iotopen-virtual-function: a value (sensor) or a switch/control that lives in the flow,
// shown in IoT Open as a FunctionX of its own. On deploy it finds its function by the
// `ext_id` meta (src/lynx/virtual.ts) or creates it once (createOnce under a per-key
// lock), and updates the meta only when the settings changed it; optionally every
// virtual function of the flow tab shares one DeviceX. A message publishes its value,
// Lynx JSON on {client_id}/{topic_read} with QoS 1 through the shared hub (queued
// offline); only on change and at most one per N seconds (latest value wins) on request.
// A writable kind follows {client_id}/{topic_write} and sends each write as a message
// (echoed on topic_read on request). Deleted from the flow with "delete" set, it deletes
// its function (and the device once empty); a redeploy, a restart or disabling never does.
import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { defineNode } from '../lib/frame';
import { getServer } from '../lib/index';
import { droppedWrites } from '../lib/dropped';
import { findOrCreateLock as locks } from '../lib/keyed-queue';
import type { Fields } from '../lib/fields';
import { LynxError, shown } from '../../src/errors';
import { decodeLynxPayload, encodeLynxPayload, writePayload, type LynxPayload } from '../../src/lynx/codec';
import { presenter } from '../../src/lynx/present';
import { fullTopic } from '../../src/lynx/topics';
import { parseBoolean, parseQos, positiveId } from '../../src/lynx/values';
import {
  DEVICE_TYPE,
  EXT_KEY,
  SWITCH_STATES,
  deviceExtId,
  extId,
  metaUpdate,
  stateOf,
  virtualFunction,
  virtualKind,
  virtualStates,
  virtualTopics,
  writable,
  type VirtualKind,
} from '../../src/lynx/virtual';
import type { ModelX } from '../../src/api/models';

const TYPE = 'iotopen-virtual-function';

interface Def extends NodeDef {
  server: string;
  installation: string;
  kind: string;
  ftype: string;
  fname: string;
  unit: string;
  format: string;
  states: unknown;
  extId: string;
  group: boolean | string;
  deviceName: string;
  onlyChanged: boolean | string;
  minInterval: string | number;
  qos: string | number;
  echo: boolean | string;
  deleteOnRemove: boolean | string;
}

const FIELDS = {} satisfies Fields;

const DEFAULT_TYPE: Record<VirtualKind, string> = { sensor: 'sensor', switch: 'switch', control: 'setpoint' };
/** A failed find-or-create is tried again after 5 s, doubling up to 5 min, while the node runs. */
const RETRY_MIN_MS = 5000;
const RETRY_MAX_MS = 300000;

/**
 * The node ids of the flows being deployed: Node-RED tells close() `removed` for a node
 * deleted and for one disabled (or on a disabled tab); only one no longer in the flows is
 * deleted. 'flows:stopping' carries the new flows before any node is closed.
 */
interface Events {
  on(ev: string, fn: (e: unknown) => void): void;
  once(ev: string, fn: () => void): void;
  removeListener(ev: string, fn: () => void): void;
}
const deployed = new WeakMap<object, { ids: Set<string> | null }>();
function deployedIds(RED: NodeAPI): { ids: Set<string> | null } {
  const events = RED.events as unknown as Events | undefined;
  const key = (events ?? RED) as object;
  let d = deployed.get(key);
  if (!d) {
    const state: { ids: Set<string> | null } = { ids: null };
    d = state;
    deployed.set(key, state);
    events?.on('flows:stopping', (e) => {
      const flows = (e as { config?: { flows?: Array<{ id?: string }> } })?.config?.flows;
      state.ids = Array.isArray(flows) ? new Set(flows.map((n) => String(n && n.id))) : null;
    });
  }
  return d;
}

/** Running nodes per function (server, installation, ext_id) and per grouped device: what a removal must not take away. */
const holders = new Map<string, Set<string>>();
function hold(key: string, id: string): void {
  let s = holders.get(key);
  if (!s) holders.set(key, (s = new Set()));
  s.add(id);
}
function release(key: string, id: string): void {
  const s = holders.get(key);
  if (s && s.delete(id) && s.size === 0) holders.delete(key);
}
const inUse = (key: string): boolean => (holders.get(key)?.size ?? 0) > 0;

/**
 * What a node being redeployed leaves its successor (the node with the same function key):
 * the last value sent (only on change), when it was sent (the interval) and a value still held
 * back by the interval, which the successor sends: the closing config node's hub cannot.
 */
interface Handover {
  lastKey: string | undefined;
  lastSentAt: number;
  held: { p: LynxPayload; msg: NodeMessage } | null;
  timer: NodeJS.Timeout;
}
const handovers = new Map<string, Handover>();

/** How long a removal waits for the deploy to finish before it runs anyway. */
const WAIT_FOR_FLOWS_MS = 15000;
/** fn() once the flows being deployed have started (the config node's successor is running), or after WAIT_FOR_FLOWS_MS. */
function afterDeploy(RED: NodeAPI, fn: () => void): void {
  const events = RED.events as unknown as Events | undefined;
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    events?.removeListener('flows:started', run);
    fn();
  };
  const timer = setTimeout(run, events ? WAIT_FOR_FLOWS_MS : 0);
  timer.unref?.();
  events?.once('flows:started', run);
}

/** What only-on-change compares: the value and its msg. */
const keyOf = (p: LynxPayload): string => `${String(p.value)}|${p.msg ?? ''}`;

function seconds(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'string' ? Number(v.trim()) : v;
  if (typeof n === 'number' && Number.isFinite(n) && n >= 0) return n;
  throw new LynxError(
    `minimum interval must be a number of seconds (0 or blank: no limit), got ${shown(v)}`,
    'minInterval',
    'virtual.interval',
    {
      got: shown(v),
    },
  );
}

export = function register(RED: NodeAPI): void {
  const inConfig = deployedIds(RED);

  defineNode<Def, typeof FIELDS>(RED, TYPE, {
    mqtt: true,
    fields: FIELDS,
    setup(ctx) {
      const { node, config, server, t } = ctx;
      // Settings, checked once: a wrong one is a config error naming it.
      const iid = positiveId(config.installation, 'installation');
      const kind = virtualKind(config.kind || 'sensor');
      let states = virtualStates(config.states);
      if (kind === 'switch' && states.length === 0) states = [...SWITCH_STATES];
      const ext = extId(config.extId, node.id);
      const topics = virtualTopics(ext);
      const group = parseBoolean(config.group, 'group', false);
      const onlyChanged = parseBoolean(config.onlyChanged, 'onlyChanged', false);
      const echo = parseBoolean(config.echo, 'echo', false);
      const deleteOnRemove = parseBoolean(config.deleteOnRemove, 'deleteOnRemove', false);
      const qos = parseQos(config.qos, 'qos', 1);
      const minMs = seconds(config.minInterval) * 1000;
      const ftype = (config.ftype || '').trim() || DEFAULT_TYPE[kind];
      const fname = (config.fname || '').trim() || (config.name || '').trim() || ext;
      const flowId = (node as unknown as { z?: string }).z || 'global';
      const fnKey = `${config.server}:${iid}:function:${ext}`;
      const devKey = `${config.server}:${iid}:device:${deviceExtId(flowId)}`;
      hold(fnKey, node.id);
      if (group) hold(devKey, node.id);
      const settings = {
        kind,
        type: ftype,
        name: fname,
        unit: (config.unit || '').trim(),
        format: (config.format || '').trim(),
        states,
        extId: ext,
      };
      const stateValues = new Map(states.map((s) => [s.name.toLowerCase(), s.value]));
      const show = presenter(virtualFunction(settings).meta);
      const dropOptions = droppedWrites(ctx.RED, node, t);
      const api = server.api;
      const changed = () => server.functionsChanged(iid);

      let closed = false;
      let fid: number | undefined;
      let deviceId: number | undefined;
      let retryTimer: NodeJS.Timeout | undefined;
      let sub: { unsubscribe(): void } | null = null;
      // Rate limit and only-on-change.
      let lastKey: string | undefined;
      let lastSentAt = -Infinity;
      let held: { p: LynxPayload; msg: NodeMessage } | null = null;
      let heldTimer: NodeJS.Timeout | undefined;

      const before = handovers.get(fnKey);
      if (before) {
        handovers.delete(fnKey);
        clearTimeout(before.timer);
        lastKey = before.lastKey;
        lastSentAt = before.lastSentAt;
      }
      // The installation's client_id, asked again after a failure (the catalog shares one
      // request and caches the answer): an API down at deploy is not the node's end.
      let cidKnown: number | undefined;
      const client = async (): Promise<number> => {
        if (cidKnown === undefined) cidKnown = (await ctx.installation(iid, 'installation')).client_id;
        return cidKnown;
      };
      /** Why the function is not found or created yet (its short status text), while provision() retries. */
      let pending: string | undefined;

      const status = (fill: 'green' | 'yellow' | 'blue', text: string, shape: 'dot' | 'ring' = 'dot') => {
        if (!closed) node.status({ fill, shape, text });
      };

      async function ensureDevice(): Promise<number> {
        const dext = deviceExtId(flowId);
        const name = (config.deviceName || '').trim() || 'Node-RED';
        const body = { type: DEVICE_TYPE, meta: { name, [EXT_KEY]: dext } };
        const r = await locks.run(devKey, () => api.devicex.findOrCreate(iid, body, { meta: { [EXT_KEY]: dext } }));
        if (r.created) changed();
        return r.obj.id;
      }

      async function ensureFunction(): Promise<ModelX> {
        const desired = virtualFunction({ ...settings, deviceId });
        return locks.run(fnKey, async () => {
          // ext_id and our own topic_read: a function another integration marked with the same ext_id is never taken over.
          const r = await api.functionx.findOrCreate(iid, desired, { meta: { [EXT_KEY]: ext, topic_read: topics.read } });
          if (r.created) {
            changed();
            status('green', t('status.created', { id: r.obj.id }));
            return r.obj;
          }
          if (r.count > 1) node.warn(t('warn.several', { count: r.count, ext, id: r.obj.id }));
          const meta = metaUpdate(r.obj.meta, desired.meta, group);
          if (meta === null && r.obj.type === desired.type) {
            status('green', t('status.ready', { id: r.obj.id }));
            return r.obj;
          }
          const updated = await api.functionx.update(iid, r.obj.id, { type: desired.type, meta: meta ?? r.obj.meta });
          changed();
          status('green', t('status.updated', { id: r.obj.id }));
          return updated;
        });
      }

      /** Find or create the device and the function; on failure a red status, the error logged, tried again later. */
      async function provision(attempt = 0): Promise<void> {
        try {
          const cid = await client();
          if (closed) return;
          follow(cid);
          if (group) deviceId = await ensureDevice();
          if (closed) return;
          const fn = await ensureFunction();
          fid = fn.id;
          pending = undefined;
        } catch (err) {
          if (closed) return;
          const st = ctx.errorStatus(err);
          pending = String(st.text ?? '');
          node.status(st);
          node.error(ctx.nodeError(err));
          const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt);
          retryTimer = setTimeout(() => void provision(attempt + 1), delay);
          retryTimer.unref?.();
        }
      }
      if (before && before.held) {
        held = before.held;
        heldTimer = setTimeout(flushHeld, Math.max(0, lastSentAt + minMs - Date.now()));
        heldTimer.unref?.();
      }

      async function publish(p: LynxPayload, msg: NodeMessage): Promise<void> {
        lastSentAt = Date.now();
        const cid = await client();
        const res = await server.hub.publish(fullTopic(cid, topics.read), encodeLynxPayload(p), {
          qos,
          retain: false,
          ...dropOptions(msg),
        });
        const value = show.format(p.value, p.msg);
        if (res && res.queued) status('yellow', t('status.queued', { n: server.hub.queued }), 'ring');
        // Sent (the platform keeps it by topic), but the function is not there yet: not green.
        else if (fid === undefined)
          status('yellow', pending ? t('status.valueFailed', { value, reason: pending }) : t('status.valuePending', { value }), 'ring');
        else status('green', t('status.value', { value }));
      }

      function flushHeld(): void {
        heldTimer = undefined;
        const h = held;
        held = null;
        if (!h) return;
        publish(h.p, h.msg).catch((err) => {
          // not sent: the same value again is a change (unless a newer one came meanwhile)
          if (lastKey === keyOf(h.p)) lastKey = undefined;
          if (!closed) node.status(ctx.errorStatus(err));
          node.error(ctx.nodeError(err), h.msg);
        });
      }

      /** Publish now, or hold it as the latest value until the interval has passed. */
      async function offer(p: LynxPayload, msg: NodeMessage): Promise<void> {
        const key = keyOf(p);
        if (onlyChanged && key === lastKey) return;
        lastKey = key;
        const wait = lastSentAt + minMs - Date.now();
        if (minMs > 0 && (wait > 0 || held)) {
          held = { p, msg };
          if (!heldTimer) {
            heldTimer = setTimeout(flushHeld, Math.max(0, wait));
            heldTimer.unref?.();
          }
          status('blue', t('status.held', { value: show.format(p.value, p.msg) }), 'ring');
          return;
        }
        try {
          await publish(p, msg);
        } catch (err) {
          lastKey = undefined; // not sent: the same value again is a change
          throw err;
        }
      }

      // Writes from Lynx (the app's switch, a schedule, an edge app) come out as messages,
      // followed once the client_id is known (provision() asks until it is).
      function follow(cid: number): void {
        if (!writable(kind) || sub || closed) return;
        const topic = fullTopic(cid, topics.write);
        try {
          sub = server.hub.subscribe(
            node.id,
            topic,
            (_tp: string, buf: Buffer) => {
              const d = decodeLynxPayload(buf);
              if (!d.ok) {
                node.warn(t('warn.badWrite', { topic, error: d.error }));
                return;
              }
              const value = typeof d.value === 'string' && d.value.trim() !== '' ? Number(d.value) : d.value;
              if (typeof value !== 'number' || !Number.isFinite(value)) {
                node.warn(t('warn.badWrite', { topic, error: `value ${shown(d.value)} is not a number` }));
                return;
              }
              const state = stateOf(states, value);
              const out: Record<string, unknown> = {
                payload: value,
                topic: topics.write,
                lynx: { value, timestamp: d.timestamp, msg: d.msg },
                installation_id: iid,
                function_id: fid,
                ext_id: ext,
              };
              if (state !== undefined) out.state = state;
              node.send(out as NodeMessage);
              if (echo) {
                const p: LynxPayload = { value, timestamp: Date.now() / 1000, msg: d.msg };
                lastKey = keyOf(p);
                publish(p, out as NodeMessage).catch((err) => {
                  if (lastKey === keyOf(p)) lastKey = undefined; // the echo was not sent
                  node.error(ctx.nodeError(err), out);
                });
              } else if (pending === undefined || fid !== undefined) {
                status('green', t('status.write', { value: show.format(value, d.msg) }));
              } // else the reason its function is missing stays shown
            },
            { qos: 1 },
          );
        } catch (err) {
          // a subscribe that throws (the config node's hub closed first in a full deploy) is reported, never an unhandled rejection
          node.error(ctx.nodeError(err));
        }
      }
      void provision();

      return {
        // While its function is missing the reason stays shown: a reconnect's green "connected" would hide it.
        status: () => (pending !== undefined && fid === undefined && !closed ? { fill: 'red', shape: 'ring', text: pending } : undefined),
        async input(msg) {
          const p = writePayload(msg.payload, stateValues, Date.now() / 1000);
          await offer(p, msg);
        },
        close(removed) {
          closed = true;
          clearTimeout(retryTimer);
          sub?.unsubscribe();
          sub = null;
          release(fnKey, node.id);
          if (group) release(devKey, node.id);
          clearTimeout(heldTimer);
          heldTimer = undefined;
          // Redeployed or restarting: the successor sends the latest value held back by the
          // interval, and goes on from the last one sent. A deleted node's held value goes with it.
          if (!removed) {
            const timer = setTimeout(() => handovers.delete(fnKey), WAIT_FOR_FLOWS_MS);
            timer.unref?.();
            const prev = handovers.get(fnKey);
            if (prev) clearTimeout(prev.timer);
            handovers.set(fnKey, { lastKey, lastSentAt, held, timer });
          }
          held = null;
          const ids = inConfig.ids;
          if (!removed || !deleteOnRemove || (ids && ids.has(node.id))) return;
          // Deleted from the flow. In a full deploy the config node restarts too and its
          // client is closed: the function is deleted once the flows have started, through
          // the server running then, unless a node running then has the same ext_id.
          afterDeploy(ctx.RED, () => {
            removeFunction(ctx.RED, config.server, iid, ext, group ? deviceExtId(flowId) : undefined).catch((err) =>
              node.warn(t('warn.notDeleted', { ext, error: ctx.nodeError(err).message })),
            );
          });
        },
      };
    },
  });
};

/** Deletes the functions with this ext_id, then the device (by its ext_id) when no function is left in it and no running node groups under it. */
async function removeFunction(RED: NodeAPI, serverId: string, iid: number, ext: string, dext: string | undefined): Promise<void> {
  if (inUse(`${serverId}:${iid}:function:${ext}`)) return;
  const server = getServer(RED, serverId);
  if (!server || server.configError) throw new LynxError('its server is not deployed', 'server');
  const api = server.api;
  const read = virtualTopics(ext).read;
  const fns = (await api.functionx.list(iid, { meta: { [EXT_KEY]: ext, topic_read: read } })).filter(
    (f) => f.meta?.[EXT_KEY] === ext && f.meta?.topic_read === read,
  );
  for (const f of fns) await api.functionx.delete(iid, f.id);
  if (fns.length) server.functionsChanged(iid);
  if (dext === undefined) return;
  const devKey = `${serverId}:${iid}:device:${dext}`;
  await locks.run(devKey, async () => {
    if (inUse(devKey)) return;
    const devs = (await api.devicex.list(iid, { meta: { [EXT_KEY]: dext } })).filter((d) => d.meta?.[EXT_KEY] === dext);
    for (const d of devs) {
      const left = await api.functionx.list(iid, { meta: { device_id: String(d.id) } });
      if (left.some((f) => String(f.meta?.device_id) === String(d.id))) continue;
      try {
        await api.devicex.delete(iid, d.id);
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err; // another removal took it first
      }
      server.functionsChanged(iid);
    }
  });
}
