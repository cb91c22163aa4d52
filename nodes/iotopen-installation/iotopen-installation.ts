// iotopen-installation: onboard sites from a flow. List, get, create, update and
// delete installations, read and write their meta, and find-or-create one by meta
// keys (such as site_code) so an onboarding flow can run again without making a
// second installation. A change drops the config node's cached installation list,
// so the new installation is in ctx.installation and the pickers at once.
import type { NodeAPI, NodeDef } from 'node-red';
import { InputError, matchOnKeys, reportFound } from '../lib';
import { defineNode, type Msg } from '../lib/frame';
import { asBoolean, asId, asOptionalId, type Fields, type Values } from '../lib/fields';
import { findOrCreateLock } from '../lib/keyed-queue';
import type { InstallationInput } from '../../src/api/models';
import { metaWrite, validateMeta } from '../../src/lynx/modelx';
import { operation } from '../../src/lynx/values';
import { shown } from '../../src/errors';
import { mayHaveActed } from '../../src/api/retry';

const INSTALLATION_OPERATIONS = [
  'list',
  'get',
  'create',
  'update',
  'delete',
  'meta-get',
  'meta-set',
  'meta-delete',
  'find-or-create',
] as const;

/** The operations that add, change or remove an installation (the catalog lists installations, not their meta). */
const CHANGES: ReadonlySet<string> = new Set(['create', 'update', 'delete', 'find-or-create']);

interface InstallationNodeDef extends NodeDef {
  server: string;
  operation: string;
  installation: string;
  organization: string;
  metaKey: string;
  matchKeys: string;
  silent: boolean;
  createMissing: boolean;
}

const FIELDS = {
  operation: { msg: 'operation', setting: 'operation', default: 'list', check: (v) => operation(v, INSTALLATION_OPERATIONS) },
  silent: { msg: 'silent', setting: 'silent', check: asBoolean(false) },
  createMissing: { msg: 'create_missing', setting: 'createMissing', check: asBoolean(true) },
} satisfies Fields;

const INSTALLATION = { msg: ['installation_id', 'id'], setting: 'installation', name: 'installation_id', check: asId };
const ORGANIZATION = { msg: 'organization_id', setting: 'organization', name: 'organization_id', check: asOptionalId };
const META_KEY = { msg: 'meta_key', setting: 'metaKey', name: 'meta_key' };

/** msg.payload as an Installation body: name required for a create, the rest optional and checked. */
function installationPayload(p: unknown, mode: 'create' | 'update'): Partial<InstallationInput> {
  if (!p || typeof p !== 'object' || Array.isArray(p)) {
    throw new InputError(
      `msg.payload must be an object such as {"name": "Site A", "meta": {"site_code": "A1"}}, got ${shown(p)}`,
      'msg.payload',
    );
  }
  const b = p as Record<string, unknown>;
  const out: Partial<InstallationInput> = {};
  if (b.name !== undefined || mode === 'create') {
    if (typeof b.name !== 'string' || b.name.trim() === '') {
      throw new InputError(
        `msg.payload.name must be the installation's name (a non-empty string), got ${shown(b.name)}`,
        'msg.payload.name',
      );
    }
    out.name = b.name;
  }
  if (b.organization_id !== undefined)
    out.organization_id = asId(b.organization_id, { label: 'msg.payload.organization_id', prop: 'payload.organization_id', source: 'msg' });
  if (b.notes !== undefined) {
    if (typeof b.notes !== 'string') throw new InputError(`msg.payload.notes must be a string, got ${shown(b.notes)}`, 'msg.payload.notes');
    out.notes = b.notes;
  }
  if (b.users !== undefined) {
    if (!Array.isArray(b.users))
      throw new InputError(`msg.payload.users must be an array of user ids, got ${shown(b.users)}`, 'msg.payload.users');
    out.users = b.users.map((u, i) => asId(u, { label: `msg.payload.users[${i}]`, prop: 'payload.users', source: 'msg' }));
  }
  if (b.meta !== undefined) out.meta = validateMeta(b.meta, 'msg.payload.meta');
  if (b.protected_meta !== undefined) out.protected_meta = validateMeta(b.protected_meta, 'msg.payload.protected_meta');
  return out;
}

export = function (RED: NodeAPI): void {
  defineNode<InstallationNodeDef, typeof FIELDS>(RED, 'iotopen-installation', {
    fields: FIELDS,
    statusCode: true,
    setup(ctx) {
      const { node, config, server, t } = ctx;

      async function organization(msg: Msg, body: Partial<InstallationInput>): Promise<number> {
        if (body.organization_id) return body.organization_id;
        const org = await ctx.read(ORGANIZATION, msg);
        if (org === undefined) {
          throw new InputError(
            'a new installation needs its organisation: set msg.payload.organization_id, msg.organization_id or Organisation in the node',
            'organization_id',
          );
        }
        return org;
      }
      async function metaKey(msg: Msg): Promise<string> {
        const k = await ctx.read(META_KEY, msg);
        if (typeof k !== 'string' || k.trim() === '') {
          throw new InputError(`meta_key must be a meta key such as site_code (in the node or msg.meta_key), got ${shown(k)}`, 'meta_key');
        }
        return k.trim();
      }
      const changed = () => server.installationsChanged();

      async function run(msg: Msg, v: Values<typeof FIELDS>): Promise<void> {
        const api = server.api.installations;
        const op = v.operation;
        const silent = v.silent;
        switch (op) {
          case 'list': {
            let filter: Record<string, string> = {};
            if (msg.filter !== undefined) {
              const f = msg.filter as Record<string, unknown> | null;
              filter = validateMeta(f && typeof f === 'object' && 'meta' in f ? f.meta : f, 'msg.filter');
            }
            const list = await api.rows(filter);
            msg.payload = list;
            node.status({ fill: 'green', shape: 'dot', text: t('status.listed', { count: list.length }) });
            return;
          }
          case 'get': {
            const iid = await ctx.read(INSTALLATION, msg);
            msg.payload = await api.get(iid);
            msg.installation_id = iid;
            break;
          }
          case 'create': {
            const body = installationPayload(msg.payload, 'create');
            const made = await api.create({ ...body, name: body.name!, organization_id: await organization(msg, body) });
            changed();
            msg.payload = made;
            msg.installation_id = made.id;
            break;
          }
          case 'update': {
            const iid = await ctx.read(INSTALLATION, msg);
            msg.payload = await api.update(iid, installationPayload(msg.payload, 'update'), { silent });
            changed();
            msg.installation_id = iid;
            break;
          }
          case 'delete': {
            const iid = await ctx.read(INSTALLATION, msg);
            await api.delete(iid);
            changed();
            msg.payload = { deleted: true, id: iid };
            msg.installation_id = iid;
            break;
          }
          case 'meta-get': {
            const iid = await ctx.read(INSTALLATION, msg);
            const key = await metaKey(msg);
            const meta = await api.getMeta(iid, key);
            msg.payload = meta.value;
            msg.protected = !!meta.protected;
            msg.meta_key = key;
            msg.installation_id = iid;
            break;
          }
          case 'meta-set': {
            const iid = await ctx.read(INSTALLATION, msg);
            const key = await metaKey(msg);
            const value = metaWrite(msg.payload);
            const meta = await api.updateMeta(iid, key, value, { silent, createMissing: v.createMissing });
            msg.payload = meta?.value ?? value.value;
            msg.meta_key = key;
            msg.installation_id = iid;
            break;
          }
          case 'meta-delete': {
            const iid = await ctx.read(INSTALLATION, msg);
            const key = await metaKey(msg);
            await api.deleteMeta(iid, key, { silent });
            msg.payload = { deleted: true, id: iid, key };
            msg.meta_key = key;
            msg.installation_id = iid;
            break;
          }
          case 'find-or-create': {
            const body = installationPayload(msg.payload, 'create');
            const match = matchOnKeys(config.matchKeys, body.meta, { example: 'site_code', noun: 'installation' });
            const org = await organization(msg, body);
            const result = await findOrCreateLock.run(`${config.server}:installation:${org}:${JSON.stringify(match)}`, () =>
              api.findOrCreate({ ...body, name: body.name!, organization_id: org }, match),
            );
            if (result.created) changed();
            reportFound(node, t, msg, 'installation_id', result);
            return;
          }
        }
        node.status({ fill: 'green', shape: 'dot', text: t('status.done', { operation: op }) });
      }

      return {
        async input(msg, v, send) {
          try {
            await run(msg, v);
          } catch (err) {
            // a change whose answer was lost may have been made: the catalog reads the list again
            if (mayHaveActed(err) && CHANGES.has(v.operation)) changed();
            throw err;
          }
          send(msg);
        },
      };
    },
  });
};
