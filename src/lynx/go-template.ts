// Lynx notification message texts (and output config values) are Go text/template
// templates, rendered by the platform against the data a send posts, plus
// `.installation` (spec NotificationMessage: "{{.installation.Name}} says:
// {{.payload.message}}"). This is a small, safe preview of them: no eval, no
// functions. Field references (`{{.a.b}}`, `{{ .a }}`, `{{- .a -}}`, `{{.}}`) are
// rendered as Go prints them (missing map keys as `<no value>`); comments are
// dropped; every other action (if, range, pipelines, functions) is kept verbatim
// and reported as not previewed. Also lists the fields a template uses and which
// of them given data lacks. No Node-RED here.

/** Top-level keys the platform adds to the data before rendering (not expected from the sender). */
export const PLATFORM_FIELDS: readonly string[] = ['installation'];

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'field'; path: string[]; source: string }
  | { kind: 'comment' }
  | { kind: 'other'; source: string; fields: string[][] };

/** Go prints a missing map key like this (text/template, default missingkey option). */
export const NO_VALUE = '<no value>';

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const FIELD_CHAIN = new RegExp(`^\\.(?:${IDENT}(?:\\.${IDENT})*)?$`);
const FIELD_IN_ACTION = new RegExp(`(?:^|[\\s(|])(\\.${IDENT}(?:\\.${IDENT})*)`, 'g');

function pathOf(chain: string): string[] {
  return chain === '.' ? [] : chain.slice(1).split('.');
}

/** Splits a template into text and actions (`{{-` / `-}}` trim the whitespace beside them, as in Go). */
function parse(src: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) parts.push({ kind: 'text', text });
      break;
    }
    const close = src.indexOf('}}', open + 2);
    if (close < 0) {
      // unclosed action: Go refuses the template; the preview shows the rest as text
      parts.push({ kind: 'text', text: text + src.slice(open) });
      break;
    }
    let inner = src.slice(open + 2, close);
    if (/^-\s/.test(inner)) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    if (/\s-$/.test(inner)) {
      trimNext = true;
      inner = inner.slice(0, -1);
    }
    if (text) parts.push({ kind: 'text', text });
    const action = inner.trim();
    const source = src.slice(open, close + 2);
    if (/^\/\*[\s\S]*\*\/$/.test(action)) parts.push({ kind: 'comment' });
    else if (FIELD_CHAIN.test(action)) parts.push({ kind: 'field', path: pathOf(action), source });
    else {
      const fields: string[][] = [];
      for (const m of action.replace(/"(?:[^"\\]|\\.)*"|`[^`]*`/g, '""').matchAll(FIELD_IN_ACTION)) fields.push(pathOf(m[1]));
      parts.push({ kind: 'other', source, fields });
    }
    i = close + 2;
  }
  return parts;
}

/** A value as Go's fmt %v prints what encoding/json decoded (map keys sorted, as fmt does). */
export function goPrint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goPrint(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

/** float64 with %v (strconv 'g' with the shortest repr; exponent from 1e21 and below 1e-4). */
function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const a = Math.abs(n);
  if (a !== 0 && (a >= 1e21 || a < 1e-4)) {
    const [m, e] = n.toExponential().split('e');
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

type Lookup = { found: true; value: unknown } | { found: false; nonObject?: string };

function lookup(data: unknown, path: string[]): Lookup {
  let cur: unknown = data;
  for (let k = 0; k < path.length; k++) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) {
      return { found: false, nonObject: k === 0 ? '.' : '.' + path.slice(0, k).join('.') };
    }
    const o = cur as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(o, path[k])) return { found: false };
    cur = o[path[k]];
  }
  return { found: true, value: cur };
}

export interface TemplatePreview {
  /** the template rendered: fields filled in, `<no value>` where the data lacks them, other actions verbatim */
  text: string;
  /** every field the template refers to, as `.a.b`, in order of first use */
  fields: string[];
  /** fields of plain references the data lacks (platform fields such as `.installation` count as present only if given) */
  missing: string[];
  /** actions not previewed (if, range, pipelines ...), verbatim */
  unsupported: string[];
}

const dotted = (p: string[]) => (p.length ? '.' + p.join('.') : '.');

/** The fields a template refers to (`.payload.message`), in order of first use, each once. */
export function templateFields(src: string): string[] {
  const out: string[] = [];
  for (const p of parse(String(src ?? ''))) {
    const paths = p.kind === 'field' ? [p.path] : p.kind === 'other' ? p.fields : [];
    for (const path of paths) {
      const d = dotted(path);
      if (path.length && !out.includes(d)) out.push(d);
    }
  }
  return out;
}

/**
 * The fields of plain references (`{{.a.b}}`) the data sent would lack. Fields under a
 * platform field (`.installation...`, added by the platform) are not counted.
 */
export function missingFields(src: string, data: unknown, platform: readonly string[] = PLATFORM_FIELDS): string[] {
  const out: string[] = [];
  for (const p of parse(String(src ?? ''))) {
    if (p.kind !== 'field' || !p.path.length || platform.includes(p.path[0])) continue;
    const d = dotted(p.path);
    if (!lookup(data, p.path).found && !out.includes(d)) out.push(d);
  }
  return out;
}

/**
 * Renders a template for a preview against `data` (what a send posts, with `installation`
 * added as the platform does when given). Never throws.
 */
export function previewTemplate(src: string, data: unknown): TemplatePreview {
  const text = String(src ?? '');
  const parts = parse(text);
  let out = '';
  const missing: string[] = [];
  const unsupported: string[] = [];
  for (const p of parts) {
    if (p.kind === 'text') out += p.text;
    else if (p.kind === 'field') {
      const r = lookup(data, p.path);
      if (r.found) out += goPrint(r.value);
      else {
        out += NO_VALUE;
        const d = dotted(p.path);
        if (!missing.includes(d)) missing.push(d);
      }
    } else if (p.kind === 'other') {
      out += p.source;
      if (!unsupported.includes(p.source)) unsupported.push(p.source);
    }
  }
  return { text: out, fields: templateFields(text), missing, unsupported };
}
