// What a roll-out is given, in the forms a flow gives it (no I/O): the target
// installations ("all", ids as a number, a comma separated string or an array,
// or objects {installation_id, config?}) and the listing (msg.listing over the
// node's settings). The edge-app node maps the message through these.
import { positiveId } from '../lynx/values';
import type { EdgeTarget } from './deploy';
import { EdgeValidationError } from './validate';

/** The targets; `all()` lists every installation the key sees (only asked for "all"). `field` names the input. */
export async function edgeTargets(value: unknown, field: string, all: () => Promise<number[]>): Promise<EdgeTarget[]> {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'string' && value.trim().toLowerCase() === 'all') return (await all()).map((id) => ({ installation_id: id }));
  const list: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : [value];
  return list.map((entry, i) => {
    if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
      const e = entry as { installation_id?: unknown; id?: unknown; config?: unknown };
      const iid = positiveId(e.installation_id ?? e.id, `${field}[${i}].installation_id`);
      if (e.config !== undefined && (e.config === null || typeof e.config !== 'object' || Array.isArray(e.config))) {
        const f = `${field}[${i}].config`;
        throw new EdgeValidationError(`${f} must be an object of input values`, f, undefined, 'edge.targetConfig', { field: f });
      }
      return { installation_id: iid, config: e.config as Record<string, unknown> | undefined };
    }
    return { installation_id: positiveId(entry, Array.isArray(value) ? `${field}[${i}]` : field) };
  });
}

/**
 * The listing's organisation: msg.listing.publisher ({id, name?} or an id), else the node's
 * publisher field; undefined lets the deployer take the organisation of the installations.
 */
export function listingPublisher(fromMsg: unknown, fromNode: string | undefined): { id: number; name?: string } | undefined {
  if (fromMsg !== undefined && fromMsg !== null && fromMsg !== '') {
    if (typeof fromMsg === 'object' && !Array.isArray(fromMsg)) {
      const p = fromMsg as { id?: unknown; name?: unknown };
      return { id: positiveId(p.id, 'msg.listing.publisher.id'), ...(typeof p.name === 'string' ? { name: p.name } : {}) };
    }
    return { id: positiveId(fromMsg, 'msg.listing.publisher') };
  }
  const n = (fromNode ?? '').trim();
  return n ? { id: positiveId(n, 'publisher') } : undefined;
}

export interface ListingDefaults {
  name?: string;
  category?: string;
  description?: string;
  publisher?: string;
}

/** The listing to find or create: msg.listing's fields over the node's; none without a name. */
export function listingOf(fromMsg: unknown, node: ListingDefaults) {
  const l = fromMsg && typeof fromMsg === 'object' ? (fromMsg as Record<string, unknown>) : {};
  const publisher = listingPublisher(l.publisher, node.publisher);
  const name = (typeof l.name === 'string' ? l.name : node.name || '').trim();
  if (!name) return undefined;
  return {
    name,
    category: typeof l.category === 'string' ? l.category : node.category || 'other',
    short_description: typeof l.short_description === 'string' ? l.short_description : node.description || '',
    description: typeof l.description === 'string' ? l.description : node.description || '',
    tags: Array.isArray(l.tags) ? (l.tags as string[]) : [],
    ...(publisher ? { publisher } : {}),
    ...(typeof l.public === 'boolean' ? { public: l.public } : {}),
  };
}
