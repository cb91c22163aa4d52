'use strict';
// A small seed for the API client tests: every area has something in it, plus
// a login user and a 2FA user.
const { freePort } = require('../support/util');

const API_KEY = 'test-api-key-0123456789abcdef';
const USER = { email: 'ops@example.com', password: 'correct horse battery' };
const USER_2FA = { email: 'boss@example.com', password: 'two factor secret', twofa: true };

function seed() {
  const now = Math.floor(Date.now() / 1000);
  const log = [];
  // 23 values of one topic and 5 of another within the last hour
  for (let i = 0; i < 23; i++)
    log.push({ installation_id: 10, topic: 'obj/room/1/temperature', value: 20 + i / 10, timestamp: now - 3000 + i * 60 });
  for (let i = 0; i < 5; i++)
    log.push({ installation_id: 10, topic: 'obj/room/1/humidity', value: 40 + i, timestamp: now - 2900 + i * 60, msg: `h${i}` });
  return {
    apiKey: API_KEY,
    users: [USER, USER_2FA],
    installations: [
      { id: 10, client_id: 1010, name: 'Office' },
      { id: 20, client_id: 1020, name: 'Warehouse' },
    ],
    functions: [
      {
        id: 1,
        installation_id: 10,
        type: 'switch',
        meta: { name: 'Lamp', topic_read: 'obj/zwave/node/1/switch', topic_write: 'set/obj/zwave/node/1/switch', room: 'hall' },
      },
      {
        id: 2,
        installation_id: 10,
        type: 'temperature',
        meta: { name: 'Hall temperature', topic_read: 'obj/room/1/temperature', room: 'hall' },
      },
      {
        id: 3,
        installation_id: 10,
        type: 'temperature',
        meta: { name: 'Kitchen temperature', topic_read: 'obj/room/2/temperature', room: 'kitchen' },
      },
      { id: 4, installation_id: 20, type: 'switch', meta: { name: 'Gate', topic_read: 'obj/gate' } },
    ],
    devices: [{ id: 1, installation_id: 10, type: 'zwave', meta: { name: 'Wall plug', battery: 'none' } }],
    schedules: [
      { id: 1, installation_id: 10, topic: 'set/obj/zwave/node/1/switch', value: 1, hour: '7', minute: '0' },
      { id: 2, installation_id: 10, topic: 'set/obj/zwave/node/1/switch', value: 0, hour: '22', minute: '30', executor: 'cloud' },
    ],
    notifications: {
      executors: [{ id: 1, type: 'mail', name: 'Mail', config: { endpoint: 'https://executor.example' } }],
      messages: [{ id: 1, installation_id: 10, name: 'Alarm', text: '{{.payload.message}}' }],
      outputs: [
        {
          id: 1,
          installation_id: 10,
          name: 'Mail ops',
          notification_output_executor_id: 1,
          notification_message_id: 1,
          config: { recipients: 'ops@example.com' },
        },
      ],
    },
    log,
  };
}

/** A loopback port where nothing listens (bound, then closed). */
const closedPort = freePort;

/** Requests the sandbox served for a method and a path prefix. */
function served(sb, method, prefix) {
  return sb.requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length;
}

module.exports = { API_KEY, USER, USER_2FA, seed, closedPort, served };
