// Builds the data object sent to a Lynx notification output from a message,
// optionally through a Handlebars template. No Node-RED here.
import Handlebars from 'handlebars';

import { LynxError, type ErrorParams } from '../errors';

export class TemplateError extends LynxError {
  constructor(message: string, field: string, key?: string, params?: ErrorParams) {
    super(message, field, key, params);
    this.name = 'TemplateError';
  }
}

export type TemplateFormat = 'json' | 'text';

// One isolated Handlebars environment: helpers registered here do not leak
// into other packs that use Handlebars.
const hb = Handlebars.create();
hb.registerHelper('json', (value: unknown) => new hb.SafeString(JSON.stringify(value ?? null)));

export interface CompiledTemplate {
  format: TemplateFormat;
  render(context: object): Record<string, unknown>;
}

/**
 * Compiles a template once (syntax errors are thrown here, at deploy).
 * - `json`: the rendered text must be a JSON object; it becomes the data. Use
 *   `{{json payload}}` to insert a value as JSON (quotes escaped).
 * - `text`: the rendered text becomes `{ [field]: text }` (default field `message`).
 */
export function compileTemplate(source: string, format: TemplateFormat, textField = 'message'): CompiledTemplate {
  if (format !== 'json' && format !== 'text') {
    throw new TemplateError(`template format must be 'json' or 'text', got ${JSON.stringify(format)}`, 'format', 'template.format', {
      got: JSON.stringify(format),
    });
  }
  if (typeof source !== 'string' || source.trim() === '') {
    throw new TemplateError(
      'template is empty: write a template, or choose the default data (payload, topic, lynx)',
      'template',
      'template.empty',
    );
  }
  try {
    // parse() reports syntax errors now; compile() alone defers them to the first render.
    hb.parse(source);
  } catch (e) {
    const reason = firstLine((e as Error).message);
    throw new TemplateError(`template has a syntax error: ${reason}`, 'template', 'template.syntax', { reason });
  }
  const fn = hb.compile(source, { noEscape: true, strict: false });
  return {
    format,
    render(context: object): Record<string, unknown> {
      let text: string;
      try {
        text = fn(context);
      } catch (e) {
        const reason = firstLine((e as Error).message);
        throw new TemplateError(`template failed to render: ${reason}`, 'template', 'template.render', { reason });
      }
      // a dotted field nests: 'payload.message' gives {payload: {message: text}}, as a Lynx message text reads it
      if (format === 'text') return nest(textField || 'message', text);
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (e) {
        const reason = firstLine((e as Error).message);
        throw new TemplateError(
          `template did not render valid JSON (${reason}): insert values with {{json value}} so quotes are escaped, or choose the text format`,
          'template',
          'template.json',
          { reason },
        );
      }
      if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        throw new TemplateError('template must render a JSON object ({...}), the notification data', 'template', 'template.object');
      }
      return data as Record<string, unknown>;
    },
  };
}

/** The default data: the message's payload, topic and Lynx metadata (msg.lynx). */
export function defaultData(msg: { payload?: unknown; topic?: unknown; lynx?: unknown }): Record<string, unknown> {
  const data: Record<string, unknown> = { payload: msg.payload ?? null };
  if (msg.topic !== undefined) data.topic = msg.topic;
  if (msg.lynx !== undefined) data.lynx = msg.lynx;
  return data;
}

function nest(field: string, value: unknown): Record<string, unknown> {
  const keys = field.split('.').filter(Boolean);
  if (!keys.length) return { message: value };
  const root: Record<string, unknown> = {};
  let cur = root;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) cur[k] = value;
    else cur = cur[k] = {} as Record<string, unknown>;
  });
  return root;
}

function firstLine(s: string): string {
  return String(s).split('\n').slice(0, 3).join(' ').replace(/\s+/g, ' ').trim();
}

/**
 * The default data of a notify node (settings version 2 on): `{payload, topic, lynx}` as in
 * defaultData(), but a payload that is not an object goes in as `{message, value}`: the text
 * of it in `message`, and a number, boolean or array as it is in `value`. A Lynx message text
 * reads `.payload.message` (the spec's example), which a bare number or string does not have.
 */
export function wrappedData(msg: { payload?: unknown; topic?: unknown; lynx?: unknown }): Record<string, unknown> {
  const data = defaultData(msg);
  const p = msg.payload;
  if (p !== null && typeof p === 'object' && !Array.isArray(p)) return data;
  if (p === undefined || p === null) data.payload = {};
  else if (typeof p === 'string') data.payload = { message: p };
  else data.payload = { message: typeof p === 'object' ? JSON.stringify(p) : String(p), value: p };
  return data;
}

export type DataMode = 'default' | 'raw' | 'template';

/**
 * The data a notify node sends for a message: msg.data as it is (an object), else by the
 * node's mode: 'default' wrappedData(), 'raw' defaultData(), 'template' the compiled template.
 * Throws a TemplateError for a msg.data that is not an object.
 */
export function notificationData(msg: Record<string, unknown>, mode: DataMode, template?: CompiledTemplate): Record<string, unknown> {
  if (msg.data !== undefined) {
    if (!msg.data || typeof msg.data !== 'object' || Array.isArray(msg.data)) {
      throw new TemplateError(
        'msg.data must be an object (the notification data), or leave it unset to build it from the message',
        'msg.data',
        'data',
      );
    }
    return msg.data as Record<string, unknown>;
  }
  if (mode === 'template' && template) return template.render(msg);
  return mode === 'raw' ? defaultData(msg) : wrappedData(msg);
}
