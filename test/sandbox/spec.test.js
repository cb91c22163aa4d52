'use strict';
// Spec conformance: every endpoint the sandbox implements answers with a status
// code the Lynx spec lists, and with the field names of the spec's example
// response (no missing example fields, no fields the spec does not define).
const assert = require('node:assert/strict');
const { sandbox, parseSpec, call } = require('./helpers');

const spec = parseSpec();

function checkShape(ep, status, body, extraFields = []) {
  assert.ok(ep.codes.has(status), `${ep.method} ${ep.path}: status ${status} is not in the spec's list ${[...ep.codes]}`);
  const ex = ep.examples[String(status)];
  if (ex === undefined) return; // the spec shows no body for this status
  assert.equal(Array.isArray(body), Array.isArray(ex), `${ep.method} ${ep.path}: array-ness differs from the spec`);
  const exItem = Array.isArray(ex) ? ex[0] : ex;
  const items = Array.isArray(body) ? body : [body];
  assert.ok(items.length > 0, `${ep.method} ${ep.path}: expected at least one element to compare`);
  const known = new Set([...Object.keys(exItem), ...ep.fields, ...extraFields]);
  for (const item of items) {
    for (const k of Object.keys(exItem)) {
      if (k === 'msg') continue; // optional in the spec's Status schema
      assert.ok(k in item, `${ep.method} ${ep.path}: field "${k}" of the spec's example is missing in ${JSON.stringify(item)}`);
    }
    for (const k of Object.keys(item)) {
      assert.ok(known.has(k), `${ep.method} ${ep.path}: field "${k}" is not in the spec`);
    }
  }
  return items;
}

describe('sandbox: spec conformance', function () {
  let sb;
  before(async () => {
    sb = await sandbox.startSandbox({ port: 0, mqttPort: 0 });
  });
  after(async () => {
    await sb.stop();
  });

  const iid = 101;
  // [spec method, spec path, request path, body?, extra fields allowed (from a sibling schema)]
  const cases = [
    ['GET', '/api/v2/installationinfo', '/api/v2/installationinfo'],
    [
      'GET',
      '/api/v2/installationinfo/{client_id}',
      '/api/v2/installationinfo/2101',
      undefined,
      [...spec.get('GET /api/v2/installationinfo').fields],
    ],
    ['GET', '/api/v2/functionx/{installation_id}', `/api/v2/functionx/${iid}`],
    [
      'POST',
      '/api/v2/functionx/{installation_id}',
      `/api/v2/functionx/${iid}`,
      { installation_id: iid, type: 'switch', meta: { name: 'New' } },
    ],
    ['GET', '/api/v2/functionx/{installation_id}/{functionx_id}', `/api/v2/functionx/${iid}/1`],
    [
      'PUT',
      '/api/v2/functionx/{installation_id}/{functionx_id}',
      `/api/v2/functionx/${iid}/2`,
      { installation_id: iid, type: 'temperature', meta: { name: 'Renamed' } },
    ],
    ['GET', '/api/v2/functionx/{installation_id}/{functionx_id}/meta/{meta_key}', `/api/v2/functionx/${iid}/1/meta/name`],
    [
      'POST',
      '/api/v2/functionx/{installation_id}/{functionx_id}/meta/{meta_key}',
      `/api/v2/functionx/${iid}/1/meta/room`,
      { value: 'Lobby' },
    ],
    [
      'PUT',
      '/api/v2/functionx/{installation_id}/{functionx_id}/meta/{meta_key}',
      `/api/v2/functionx/${iid}/1/meta/room`,
      { value: 'Hall' },
    ],
    ['DELETE', '/api/v2/functionx/{installation_id}/{functionx_id}/meta/{meta_key}', `/api/v2/functionx/${iid}/1/meta/room`],
    ['DELETE', '/api/v2/functionx/{installation_id}/{functionx_id}', `/api/v2/functionx/${iid}/3`],
    ['GET', '/api/v2/devicex/{installation_id}', `/api/v2/devicex/${iid}`],
    [
      'POST',
      '/api/v2/devicex/{installation_id}',
      `/api/v2/devicex/${iid}`,
      { installation_id: iid, type: 'zwave', meta: { name: 'Plug' } },
    ],
    // the spec's example omits installation_id but names the schema ModelX, which has it
    [
      'GET',
      '/api/v2/devicex/{installation_id}/{devicex_id}',
      `/api/v2/devicex/${iid}/1`,
      undefined,
      [...spec.get('GET /api/v2/devicex/{installation_id}').fields],
    ],
    [
      'PUT',
      '/api/v2/devicex/{installation_id}/{devicex_id}',
      `/api/v2/devicex/${iid}/2`,
      { installation_id: iid, type: 'zwave', meta: { name: 'Sensor' } },
    ],
    ['DELETE', '/api/v2/devicex/{installation_id}/{devicex_id}', `/api/v2/devicex/${iid}/3`],
    ['GET', '/api/v2/status/{installation_id}', `/api/v2/status/${iid}`],
    ['POST', '/api/v2/status/{installation_id}', `/api/v2/status/${iid}`, ['obj/zwave/node/4/temperature']],
    ['GET', '/api/v3beta/log/{installation_id}', `/api/v3beta/log/${iid}?limit=5`],
    ['POST', '/api/v3beta/log/{installation_id}', `/api/v3beta/log/${iid}?limit=5`, ['obj/zwave/node/4/temperature']],
    ['GET', '/api/v2/schedule/{installation_id}', `/api/v2/schedule/${iid}`],
    [
      'POST',
      '/api/v2/schedule/{installation_id}',
      `/api/v2/schedule/${iid}`,
      { installation_id: iid, topic: 'set/obj/x', value: 1, active: true },
    ],
    ['GET', '/api/v2/schedule/{installation_id}/{schedule_id}', `/api/v2/schedule/${iid}/1`],
    [
      'PUT',
      '/api/v2/schedule/{installation_id}/{schedule_id}',
      `/api/v2/schedule/${iid}/1`,
      { installation_id: iid, topic: 'set/obj/y', value: 0, active: false },
    ],
    ['DELETE', '/api/v2/schedule/{installation_id}/{schedule_id}', `/api/v2/schedule/${iid}/2`],
    ['GET', '/api/v2/notification/{installation_id}/message', `/api/v2/notification/${iid}/message`],
    [
      'POST',
      '/api/v2/notification/{installation_id}/message',
      `/api/v2/notification/${iid}/message`,
      { name: 'M', text: 'T' },
      [...spec.get('GET /api/v2/notification/{installation_id}/message').fields],
    ],
    [
      'GET',
      '/api/v2/notification/{installation_id}/message/{message_id}',
      `/api/v2/notification/${iid}/message/1`,
      undefined,
      [...spec.get('GET /api/v2/notification/{installation_id}/message').fields],
    ],
    ['GET', '/api/v2/notification/{installation_id}/output', `/api/v2/notification/${iid}/output`],
    [
      'GET',
      '/api/v2/notification/{installation_id}/output/{output_id}',
      `/api/v2/notification/${iid}/output/1`,
      undefined,
      [...spec.get('GET /api/v2/notification/{installation_id}/output').fields],
    ],
    ['GET', '/api/v2/notification/{installation_id}/executor', `/api/v2/notification/${iid}/executor`],
    [
      'GET',
      '/api/v2/notification/{installation_id}/executor/{executor_id}',
      `/api/v2/notification/${iid}/executor/1`,
      undefined,
      [...spec.get('GET /api/v2/notification/{installation_id}/executor').fields],
    ],
    [
      'POST',
      '/api/v2/notification/{installation_id}/output/{output_id}/send',
      `/api/v2/notification/${iid}/output/1/send`,
      { message: 'hi' },
    ],
    ['POST', '/api/v2/mqtt/publish/{installation_id}', `/api/v2/mqtt/publish/${iid}`, { topic: 'obj/test/1', payload: { value: 1 } }],
  ];

  for (const [method, specPath, reqPath, body, extra] of cases) {
    it(`${method} ${specPath}`, async () => {
      const ep = spec.get(`${method} ${specPath}`);
      assert.ok(ep, `endpoint ${method} ${specPath} not found in the spec`);
      const r = await call(sb, method, reqPath, { body });
      assert.equal(r.status, 200, `${method} ${reqPath}: ${r.text}`);
      const items = checkShape(ep, r.status, r.body, extra);
      if (specPath.startsWith('/api/v3beta/log')) {
        // the log's data entries follow the spec's Status schema too
        const exData = ep.examples['200'].data[0];
        assert.ok(items[0].data.length > 0);
        for (const e of items[0].data) {
          for (const k of Object.keys(e)) assert.ok(k in exData, `log entry field "${k}" not in the spec`);
        }
      }
    });
  }

  it('POST /api/v2/auth answers {token} and {token, nextstep: "smslogin"} for a 2FA user', async () => {
    const ep = spec.get('POST /api/v2/auth');
    const basic = (u, p) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const ok = await call(sb, 'POST', '/api/v2/auth', { key: null, headers: basic('demo@example.com', 'demo-password') });
    checkShape(ep, ok.status, ok.body);
    assert.equal(typeof ok.body.token, 'string');
    assert.equal(ok.body.nextstep, undefined);
    const tfa = await call(sb, 'POST', '/api/v2/auth', { key: null, headers: basic('twofactor@example.com', 'demo-password') });
    checkShape(ep, tfa.status, tfa.body);
    assert.equal(tfa.body.nextstep, 'smslogin');
    const bad = await call(sb, 'POST', '/api/v2/auth', { key: null, headers: basic('demo@example.com', 'wrong') });
    checkShape(ep, bad.status, bad.body);
    assert.equal(bad.status, 401);
  });

  it('error statuses are the ones the spec lists, with {"message"} bodies', async () => {
    const meta = spec.get('POST /api/v2/functionx/{installation_id}/{functionx_id}/meta/{meta_key}');
    const dup = await call(sb, 'POST', `/api/v2/functionx/${iid}/1/meta/name`, { body: { value: 'x' } });
    assert.equal(dup.status, 409);
    checkShape(meta, dup.status, dup.body);
    const restricted = 'sandbox-stockholm-only-4e8a2c6b1d3f5a7c';
    const forb = await call(sb, 'GET', '/api/v2/installationinfo/2102', { key: restricted });
    assert.equal(forb.status, 403);
    checkShape(spec.get('GET /api/v2/installationinfo/{client_id}'), forb.status, forb.body);
    const unauth = await call(sb, 'GET', '/api/v2/installationinfo', { key: 'nope' });
    assert.equal(unauth.status, 401);
    checkShape(spec.get('GET /api/v2/installationinfo'), unauth.status, unauth.body);
    const missing = await call(sb, 'GET', `/api/v2/functionx/${iid}/1/meta/nosuchkey`);
    assert.equal(missing.status, 404);
    checkShape(spec.get('GET /api/v2/functionx/{installation_id}/{functionx_id}/meta/{meta_key}'), missing.status, missing.body);
  });
});
