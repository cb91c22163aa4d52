'use strict';
// Shared seed and sample app for the edge tests.

const seed = {
  apiKey: 'edge-test-key',
  apiKeys: [{ key: 'edge-limited-key', installations: [1, 2] }],
  installations: [
    { id: 1, client_id: 101, name: 'Site A' },
    { id: 2, client_id: 102, name: 'Site B' },
    { id: 3, client_id: 103, name: 'Site C' },
  ],
  functions: [
    { id: 11, installation_id: 1, type: 'switch', meta: { name: 'Heater A', topic_read: 'obj/a/heater' } },
    { id: 21, installation_id: 2, type: 'switch', meta: { name: 'Heater B', topic_read: 'obj/b/heater' } },
    { id: 31, installation_id: 3, type: 'switch', meta: { name: 'Heater C', topic_read: 'obj/c/heater' } },
  ],
  notifications: {
    executors: [{ id: 1, type: 'email', name: 'mail' }],
    messages: [{ id: 1, installation_id: 1, name: 'alarm', text: 'Alarm' }],
    outputs: [
      { id: 5, installation_id: 1, name: 'Ops mail' },
      { id: 6, installation_id: 2, name: 'Ops mail' },
      { id: 7, installation_id: 3, name: 'Ops mail' },
    ],
  },
};

const appLua = `-- Keeps a heater on while the setpoint is above a limit
function onStart()
  log("heater app started")
end
`;

const appJson = {
  author: 'lynxflow',
  license: 'MIT',
  input: {
    heater: { type: 'single_function_selector', required: true, name: 'Heater' },
    setpoint: { type: 'number', required: true, min: 5, max: 30, name: 'Setpoint' },
    enabled: { type: 'toggle', default: true },
    alarm: { type: 'single_notification_output_selector', required: false },
  },
  guide: [{ id: 'stage_1', title: 'Choose the heater', input_fields: ['heater', 'setpoint', 'enabled', 'alarm'] }],
};

/**
 * Two organisations: installations 1 and 2 in organisation 1, 3 in organisation 2. The main
 * key sees all three; one key per organisation sees only that organisation's installations.
 */
const orgSeed = {
  apiKey: 'edge-org-key',
  apiKeys: [
    { key: 'edge-org1-key', installations: [1, 2] },
    { key: 'edge-org2-key', installations: [3] },
  ],
  installations: [
    { id: 1, client_id: 101, name: 'Site A', organization_id: 1 },
    { id: 2, client_id: 102, name: 'Site B', organization_id: 1 },
    { id: 3, client_id: 103, name: 'Site C', organization_id: 2 },
  ],
  functions: seed.functions,
};

/** Per-installation config: heater ids differ per site. */
const heaterOf = { 1: 11, 2: 21, 3: 31 };
const outputOf = { 1: 5, 2: 6, 3: 7 };

module.exports = { seed, orgSeed, appLua, appJson, heaterOf, outputOf };
