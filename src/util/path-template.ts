// Fills `{name}` placeholders of an API path template, e.g.
// `/api/v2/functionx/{installation_id}/{functionx_id}`. No Node-RED here.

import { LynxError, type ErrorParams } from '../errors';

export class PathTemplateError extends LynxError {
  constructor(message: string, field: string, key?: string, params?: ErrorParams) {
    super(message, field, key, params);
    this.name = 'PathTemplateError';
  }
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The placeholder names of a template, in order, without duplicates. */
export function placeholders(template: string): string[] {
  const names: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) if (!names.includes(m[1])) names.push(m[1]);
  return names;
}

/**
 * Checks a template: a path on the configured server (starts with `/`, no
 * scheme or host, no query string -- the query has its own field), balanced braces.
 */
export function checkPathTemplate(template: unknown, field = 'path'): string {
  if (typeof template !== 'string' || template.trim() === '') {
    throw new PathTemplateError(`${field} is empty: set an API path such as /api/v2/functionx/{installation_id}`, field, 'path.empty', {
      field,
    });
  }
  const t = template.trim();
  if (!t.startsWith('/') || t.startsWith('//')) {
    throw new PathTemplateError(
      `${field} must be a path on the configured server starting with /api/ (got '${t.slice(0, 80)}'): hosts come from the config node`,
      field,
      'path.host',
      { field, got: t.slice(0, 80) },
    );
  }
  if (/[?#]/.test(t)) {
    throw new PathTemplateError(
      `${field} must not contain '?' or '#': put query parameters in the query field or msg.query`,
      field,
      'path.query',
      { field },
    );
  }
  const stripped = t.replace(PLACEHOLDER, '');
  if (/[{}]/.test(stripped)) {
    throw new PathTemplateError(
      `${field} has an unbalanced or invalid placeholder in '${t.slice(0, 80)}': use {name} with letters, digits and _`,
      field,
      'path.placeholder',
      { field, got: t.slice(0, 80) },
    );
  }
  return t;
}

/**
 * Fills a template. `lookup(name)` gives the value of a placeholder (undefined
 * or '' when missing). Values are URL-encoded; a missing value is an error naming it.
 */
export function fillPath(template: string, lookup: (name: string) => unknown, field = 'path'): string {
  const t = checkPathTemplate(template, field);
  return t.replace(PLACEHOLDER, (_m, name: string) => {
    const v = lookup(name);
    if (v === undefined || v === null || v === '') {
      throw new PathTemplateError(
        `${field} needs a value for {${name}}: set msg.params.${name} (or msg.${name}), or give it in the node's parameters`,
        name,
        'path.missing',
        { field, name },
      );
    }
    if (typeof v === 'object') {
      const got = Array.isArray(v) ? 'an array' : 'an object';
      throw new PathTemplateError(
        `{${name}} must be a string or number, got ${got}: set msg.params.${name} to a single value`,
        name,
        'path.value',
        { name, got },
      );
    }
    const s = String(v);
    if (s === '.' || s === '..') {
      throw new PathTemplateError(`{${name}} must not be '${s}': it would change the path`, name, 'path.dots', { name, got: s });
    }
    return encodeURIComponent(s);
  });
}
