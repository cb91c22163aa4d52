/**
 * Edge app manifest (`app.json`) parsing and instance-config validation.
 * No Node-RED here: the iotopen-edge-app node and any script can use it.
 *
 * An IoT Open edge app ships `app.lua` and `app.json`. `app.json` declares the
 * inputs an instance must be configured with and the guide steps the UI shows:
 *
 *   { "input": { "heater": { "type": "single_function_selector", "required": true, "name": "Heater" },
 *                "setpoint": { "type": "number", "required": true, "min": 5, "max": 30 } },
 *     "guide": [ { "id": "stage_1", "title": "Choose", "input_fields": ["heater", "setpoint"] } ] }
 */

import { LynxError, type ErrorParams } from '../errors';
export interface EdgeInputDef {
  type: string;
  required?: boolean;
  name?: string;
  description?: string;
  default?: unknown;
  min?: number;
  max?: number;
  /** Allowed values (e.g. a toggle's on/off values, or the choices of a selection). */
  values?: unknown[];
  [key: string]: unknown;
}

export interface EdgeGuideStep {
  id?: string;
  title?: string;
  description?: string;
  input_fields?: string[];
  [key: string]: unknown;
}

export interface EdgeAppManifest {
  input: Record<string, EdgeInputDef>;
  guide?: EdgeGuideStep[];
  [key: string]: unknown;
}

/** One thing wrong, naming the input (or manifest field) and why. */
export interface EdgeProblem {
  field: string;
  message: string;
}

export class EdgeValidationError extends LynxError {
  readonly problems: EdgeProblem[];
  constructor(message: string, field: string, problems?: EdgeProblem[], key?: string, params?: ErrorParams) {
    super(message, field, key, params);
    this.name = 'EdgeValidationError';
    this.problems = problems ?? [{ field, message }];
  }
}

/** What exists in one installation, for the selector inputs. */
export interface InstallationRefs {
  functionIds?: Iterable<number>;
  notificationOutputIds?: Iterable<number>;
}

export function isFunctionSelector(type: string): boolean {
  return /_function_selector$/.test(type);
}
export function isNotificationOutputSelector(type: string): boolean {
  return /_notification_output_selector$/.test(type);
}
function isMulti(type: string): boolean {
  return type.startsWith('multi_');
}

/** The text of app.lua / app.json given as string or Buffer (or object for app.json). */
export function sourceText(value: unknown, field: string): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  const got = describe(value);
  throw new EdgeValidationError(
    `${field} must be a string or a Buffer with the file's contents, got ${got}`,
    field,
    undefined,
    'edge.source',
    { field, got },
  );
}

/**
 * Parse app.json (string, Buffer or an already parsed object) and check its shape:
 * an `input` object whose entries each have a `type`, and `guide` steps that name known inputs.
 */
export function parseManifest(value: unknown, field = 'app_json'): { manifest: EdgeAppManifest; text: string } {
  let text: string;
  let parsed: unknown;
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value) && !(value instanceof Uint8Array)) {
    parsed = value;
    text = JSON.stringify(value, null, 2);
  } else {
    text = sourceText(value, field);
    if (text.trim() === '')
      throw new EdgeValidationError(`${field} is empty: give the contents of app.json`, field, undefined, 'edge.jsonEmpty', { field });
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      const reason = (err as Error).message;
      throw new EdgeValidationError(`${field} is not valid JSON (${reason}): fix app.json`, field, undefined, 'edge.jsonInvalid', {
        field,
        reason,
      });
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const got = describe(parsed);
    throw new EdgeValidationError(
      `${field} must be a JSON object with an "input" object, got ${got}`,
      field,
      undefined,
      'edge.jsonObject',
      { field, got },
    );
  }
  const m = parsed as Record<string, unknown>;
  if (m.input === null || typeof m.input !== 'object' || Array.isArray(m.input)) {
    throw new EdgeValidationError(
      `${field} has no "input" object: app.json must declare its inputs as "input": { "<name>": { "type": ... } } (use {} for none)`,
      `${field}.input`,
      undefined,
      'edge.noInput',
      { field },
    );
  }
  const problems: EdgeProblem[] = [];
  for (const [name, def] of Object.entries(m.input as Record<string, unknown>)) {
    if (def === null || typeof def !== 'object' || typeof (def as EdgeInputDef).type !== 'string' || (def as EdgeInputDef).type === '') {
      problems.push({
        field: `${field}.input.${name}`,
        message: `input "${name}" needs a "type" (e.g. "number", "toggle", "single_function_selector")`,
      });
    }
  }
  if (m.guide !== undefined) {
    if (!Array.isArray(m.guide)) {
      problems.push({ field: `${field}.guide`, message: '"guide" must be an array of steps' });
    } else {
      m.guide.forEach((step: unknown, i: number) => {
        const fields = step && typeof step === 'object' ? (step as EdgeGuideStep).input_fields : undefined;
        if (fields === undefined) return;
        if (!Array.isArray(fields)) {
          problems.push({
            field: `${field}.guide[${i}].input_fields`,
            message: `guide step ${i + 1}: "input_fields" must be an array of input names`,
          });
          return;
        }
        for (const f of fields) {
          if (typeof f !== 'string' || !(f in (m.input as object))) {
            problems.push({
              field: `${field}.guide[${i}].input_fields`,
              message: `guide step ${i + 1} names input ${JSON.stringify(f)}, which "input" does not declare`,
            });
          }
        }
      });
    }
  }
  throwIfAny(problems);
  return { manifest: m as EdgeAppManifest, text };
}

/** The config with each missing input that has a `default` filled in (a new object). */
export function withDefaults(manifest: EdgeAppManifest, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const [name, def] of Object.entries(manifest.input)) {
    if (out[name] === undefined && def.default !== undefined) out[name] = def.default;
  }
  return out;
}

/**
 * Check an instance config against the manifest's inputs. Without `refs`, only
 * types are checked; with `refs` (one installation), selector ids must exist there.
 * Returns every problem found (empty when fine).
 */
export function checkInstanceConfig(manifest: EdgeAppManifest, config: unknown, refs?: InstallationRefs): EdgeProblem[] {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    return [{ field: 'config', message: `the instance config must be an object of input values, got ${describe(config)}` }];
  }
  const cfg = config as Record<string, unknown>;
  const functions = refs?.functionIds ? new Set(refs.functionIds) : undefined;
  const outputs = refs?.notificationOutputIds ? new Set(refs.notificationOutputIds) : undefined;
  const problems: EdgeProblem[] = [];
  for (const [name, def] of Object.entries(manifest.input)) {
    const field = `config.${name}`;
    const label = def.name ? `input "${name}" (${def.name})` : `input "${name}"`;
    const v = cfg[name];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0 && def.required)) {
      if (def.required) problems.push({ field, message: `${label} is required (${def.type}) but not set` });
      continue;
    }
    const type = def.type;
    if (type === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        problems.push({ field, message: `${label} must be a number, got ${describe(v)}` });
      } else if (typeof def.min === 'number' && v < def.min) {
        problems.push({ field, message: `${label} must be at least ${def.min}, got ${v}` });
      } else if (typeof def.max === 'number' && v > def.max) {
        problems.push({ field, message: `${label} must be at most ${def.max}, got ${v}` });
      }
    } else if (type === 'toggle') {
      const allowed = Array.isArray(def.values) && def.values.length > 0 ? def.values : [true, false];
      if (!allowed.some((a) => a === v)) {
        problems.push({
          field,
          message: `${label} is a toggle: its value must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(v)}`,
        });
      }
    } else if (type === 'text' || type === 'string') {
      if (typeof v !== 'string') problems.push({ field, message: `${label} must be text, got ${describe(v)}` });
    } else if (isFunctionSelector(type) || isNotificationOutputSelector(type)) {
      const what = isFunctionSelector(type) ? 'function' : 'notification output';
      const known = isFunctionSelector(type) ? functions : outputs;
      const ids = isMulti(type) ? v : [v];
      if (isMulti(type) && !Array.isArray(v)) {
        problems.push({ field, message: `${label} selects several ${what}s: give an array of ids, got ${describe(v)}` });
        continue;
      }
      if (!isMulti(type) && Array.isArray(v)) {
        problems.push({ field, message: `${label} selects one ${what}: give a single id, got an array` });
        continue;
      }
      for (const id of ids as unknown[]) {
        if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0) {
          problems.push({ field, message: `${label} must hold ${what} ids (positive integers), got ${describe(id)}` });
        } else if (known && !known.has(id)) {
          problems.push({ field, message: `${label}: ${what} ${id} does not exist in this installation` });
        }
      }
    } else if (Array.isArray(def.values) && def.values.length > 0) {
      if (!def.values.some((a) => a === v)) {
        problems.push({
          field,
          message: `${label} must be one of ${def.values.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(v)}`,
        });
      }
    }
    // Other input types are passed through unchecked: the platform knows them.
  }
  return problems;
}

/** Which kinds of reference the manifest needs looked up per installation. */
export function neededRefs(manifest: EdgeAppManifest): { functions: boolean; notificationOutputs: boolean } {
  const types = Object.values(manifest.input).map((d) => d.type);
  return { functions: types.some(isFunctionSelector), notificationOutputs: types.some(isNotificationOutputSelector) };
}

export function throwIfAny(problems: EdgeProblem[], prefix = ''): void {
  if (problems.length === 0) return;
  const text = problems.map((p) => p.message).join('; ');
  throw new EdgeValidationError(prefix + text, problems[0].field, problems);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Buffer.isBuffer(v)) return 'a Buffer';
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${typeof v} ${s.slice(0, 37)}...` : s;
}
