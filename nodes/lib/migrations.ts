// Config versions of the flow nodes. Every node's defaults in its .html carry
// `configVersion` (the editor saves it with the node; `version` is an edge-app
// setting); a node saved before versions
// existed (0.1.0) has none and counts as version 0. The node frame runs
// migrate() on the saved settings before the node starts, so a later change of a
// field (renamed, split, new meaning) does not break flows saved earlier.
//
// To change a node's settings: add { version: N + 1, up } to its list below,
// raise `configVersion: { value: N + 1 }` in its .html, and add a case to
// test/nodes/migrations.test.js. An `up` gets the settings of version N and
// returns those of N + 1; it fills in or renames, it never throws (a value it
// cannot read stays for the node's own check to report, naming the field); it
// returns its argument itself when it changes nothing, else a new object (it never
// changes the one it gets).
// test/nodes/saved-flow.test.js deploys a flow saved by 0.1.0 through all of them.
// No Node-RED here.

export interface Migration {
  /** the version this step produces */
  version: number;
  up(config: Record<string, unknown>): Record<string, unknown>;
}

/** 0 -> 1: the settings of 0.1.0, unchanged; from here on they carry their version. */
const FIRST: Migration = { version: 1, up: (c) => c };

/** The migrations of each node type, oldest first. */
export const MIGRATIONS: Readonly<Record<string, readonly Migration[]>> = {
  'iotopen-functionx-in': [FIRST],
  'iotopen-functionx-out': [FIRST],
  'iotopen-mqtt-publish': [FIRST],
  'iotopen-status': [FIRST],
  'iotopen-devicex': [FIRST],
  'iotopen-functionx': [FIRST],
  'iotopen-schedule': [FIRST],
  'iotopen-log': [FIRST],
  // 1 -> 2: the default data wraps a payload that is not an object as {message, value} (so the
  // typical message text `{{.payload.message}}` renders); nodes saved before keep sending the
  // payload as it is ('raw'), as they did.
  'iotopen-notify': [FIRST, { version: 2, up: (c) => (!c.dataMode || c.dataMode === 'default' ? { ...c, dataMode: 'raw' } : c) }],
  'iotopen-edge-app': [FIRST],
  'iotopen-api': [FIRST],
  'iotopen-installation': [FIRST],
  'iotopen-virtual-function': [FIRST],
};

/** The version a node of this type saves today. */
export function currentVersion(type: string): number {
  return (MIGRATIONS[type] ?? []).reduce((v, m) => Math.max(v, m.version), 0);
}

/** The version saved settings have: their `configVersion`, or 0 when they have none (saved by 0.1.0). */
export function versionOf(config: Record<string, unknown>): number {
  const v = Number(config.configVersion);
  return Number.isInteger(v) && v >= 0 ? v : 0;
}

/**
 * Saved settings brought up to today's version, step by step. The saved object is
 * never changed: a step that changes something gives a copy, which carries its
 * `configVersion`; when no step changes anything (as 0 -> 1), the saved settings
 * are given back as they are (no copy per node). Settings of a later version than
 * this runtime knows (a flow from a newer pack) are given back as they are too.
 */
export function migrate<C extends object>(type: string, config: C): C {
  return migrateWith(MIGRATIONS[type] ?? [], config);
}

/** migrate() with the given migrations (tests). */
export function migrateWith<C extends object>(migrations: readonly Migration[], config: C): C {
  let c = config as Record<string, unknown>;
  const from = versionOf(c);
  for (const m of migrations) {
    if (m.version <= from) continue;
    const next = m.up(c);
    if (next !== c) c = { ...next, configVersion: m.version };
  }
  return c as C;
}
