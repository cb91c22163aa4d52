'use strict';
// Edge app listings belong to an organisation. Over real HTTP against the sandbox:
// the published list (GET /edge/app) against the organisation's own list
// (GET /edge/app/organization/{org}, unpublished apps included), the required
// EdgeApp fields and the publisher check of POST /edge/app; then the
// iotopen-edge-app node in the real Node-RED runtime: the listing is found by
// name in its organisation's list, so re-runs of an unpublished app never
// duplicate it and another organisation's app of the same name is never taken.
const assert = require('node:assert/strict');
const path = require('node:path');
const { helper, dist } = require('../support/nodered');
const { orgSeed, appLua, appJson, heaterOf } = require('./fixtures');
const { loadEdge, runEdge } = require('./harness');

const { startSandbox } = require(path.join(dist, 'src/sandbox'));
const { edgeState } = require(path.join(dist, 'src/sandbox/edge.js'));
const { ApiClient } = require(path.join(dist, 'src/api/index.js'));

const perSite = (ids) => ids.map((id) => ({ installation_id: id, config: { heater: heaterOf[id], setpoint: 21 } }));
const listing = (extra = {}) => ({
  name: 'x',
  category: 'climate',
  tags: [],
  short_description: '',
  description: '',
  publisher: { id: 1 },
  public: false,
  ...extra,
});
const ids = (apps) => apps.map((a) => a.id).sort((a, b) => a - b);

describe('edge app listings and organisations', function () {
  let sb;
  const clients = [];
  const client = (apiKey) => {
    const c = new ApiClient({ baseUrl: sb.api, auth: { type: 'apikey', apiKey }, retries: 0 });
    clients.push(c);
    return c;
  };
  before(async () => {
    sb = await startSandbox({ port: 0, mqttPort: 0, seed: orgSeed });
  });
  after(async () => {
    for (const c of clients) await c.close();
    await helper.unload();
    await sb.stop();
  });
  const state = () => edgeState(sb.store);
  const published = async (api, id, name = '1.0.0') => {
    const up = await api.edge.uploadVersion(id, { appLua: `${appLua}-- ${id}\n`, appJson: JSON.stringify(appJson) });
    await api.edge.publishVersion(id, { name, hash: up.hash });
  };

  describe('sandbox: POST /edge/app', function () {
    it('answers 400 naming each required EdgeApp field that is missing', async function () {
      const api = client('edge-org1-key');
      const cases = [
        ['name', { name: undefined }],
        ['category', { category: '' }],
        ['tags', { tags: undefined }],
        ['tags', { tags: [1] }],
        ['short_description', { short_description: undefined }],
        ['description', { description: undefined }],
        ['publisher.id', { publisher: undefined }],
        ['publisher.id', { publisher: { name: 'no id' } }],
        ['public', { public: undefined }],
        ['public', { public: 'yes' }],
      ];
      for (const [field, change] of cases) {
        await assert.rejects(
          api.edge.createApp(listing(change)),
          (e) => e.status === 400 && (e.serverMessage ?? e.message).includes(`${field} is required`),
          `${field}: ${JSON.stringify(change)}`,
        );
      }
      assert.equal(state().apps.size, 0);
    });

    it('answers 403 for a publisher that is not an organisation of the key', async function () {
      await assert.rejects(
        client('edge-org1-key').edge.createApp(listing({ publisher: { id: 2 } })),
        (e) => e.status === 403 && /publisher\.id 2/.test(e.message),
      );
      await assert.rejects(client('edge-org2-key').edge.createApp(listing({ publisher: { id: 1 } })), (e) => e.status === 403);
      assert.equal(state().apps.size, 0);
    });
  });

  describe('sandbox: published list against organisation list', function () {
    const app = {};
    before(async function () {
      const org1 = client('edge-org1-key');
      const org2 = client('edge-org2-key');
      app.draft1 = (await org1.edge.createApp(listing({ name: 'Draft of 1' }))).id; // org 1, private, unpublished
      app.public2 = (await org2.edge.createApp(listing({ name: 'Public of 2', publisher: { id: 2 }, public: true }))).id;
      await published(org2, app.public2);
      app.private2 = (await org2.edge.createApp(listing({ name: 'Private of 2', publisher: { id: 2 } }))).id;
      await published(org2, app.private2);
      app.draftPublic2 = (await org2.edge.createApp(listing({ name: 'Public draft of 2', publisher: { id: 2 }, public: true }))).id; // public, unpublished
    });

    it("GET /edge/app: published apps that are public or of the caller's organisations", async function () {
      assert.deepEqual(ids(await client('edge-org1-key').edge.listApps()), [app.public2]);
      assert.deepEqual(ids(await client('edge-org2-key').edge.listApps()), [app.public2, app.private2]);
      assert.deepEqual(ids(await client(sb.apiKey).edge.listApps()), [app.public2, app.private2]);
    });

    it("GET /edge/app/organization/{org}: the organisation's apps, unpublished included; available=true adds others' public published apps", async function () {
      const org1 = client('edge-org1-key');
      assert.deepEqual(ids(await org1.edge.listOrganizationApps(1)), [app.draft1]);
      assert.deepEqual(ids(await org1.edge.listOrganizationApps(1, { available: false })), [app.draft1]);
      assert.deepEqual(ids(await org1.edge.listOrganizationApps(1, { available: true })), [app.draft1, app.public2]);
      assert.deepEqual(ids(await client('edge-org2-key').edge.listOrganizationApps(2)), [app.public2, app.private2, app.draftPublic2]);
      assert.deepEqual(ids(await client(sb.apiKey).edge.listOrganizationApps(2)), [app.public2, app.private2, app.draftPublic2]);
    });

    it('GET /edge/app/organization/{org}: 403 without an installation in org, 400 for a bad id', async function () {
      await assert.rejects(client('edge-org1-key').edge.listOrganizationApps(2), (e) => e.status === 403);
      await assert.rejects(client('edge-org2-key').edge.listOrganizationApps(1, { available: true }), (e) => e.status === 403);
      await assert.rejects(
        client(sb.apiKey).edge.listOrganizationApps('abc'),
        (e) => e.status === 400 && /organization_id/.test(e.message),
      );
    });

    it('an app joins the published list once a version is named, for its own organisation only while private', async function () {
      const org1 = client('edge-org1-key');
      await published(org1, app.draft1);
      assert.deepEqual(ids(await org1.edge.listApps()), [app.draft1, app.public2]);
      assert.deepEqual(ids(await client('edge-org2-key').edge.listApps()), [app.public2, app.private2]);
    });
  });

  describe('iotopen-edge-app node: the listing of the organisation', function () {
    afterEach(async () => {
      sb.faults.clear();
      await helper.unload();
    });

    const load = (props = {}, apiKey = sb.apiKey) =>
      loadEdge(
        sb,
        {
          appName: 'Unpublished keeper',
          publish: false,
          config: '{}',
          instanceName: 'keeper',
          ...props,
        },
        apiKey,
      );
    const run = runEdge;

    const named = (name) => [...state().apps.values()].filter((a) => a.name === name);
    const msg = (extra = {}) => ({ app_lua: appLua, app_json: JSON.stringify(appJson), installations: perSite([1, 2]), ...extra });

    it("two roll-outs of an unpublished app (publish off) leave one listing, of the targets' organisation", async function () {
      const n = await load();
      const first = await run(n, msg());
      assert.equal(first.error, undefined, first.error && first.error.message);
      const p = first.out.payload;
      assert.equal(p.app.created, true);
      assert.equal(p.version.published, false);
      assert.deepEqual(state().apps.get(p.app.id).publisher, { id: 1 });
      assert.deepEqual(
        (state().versions.get(p.app.id) ?? []).filter((v) => v.name),
        [],
        'nothing published',
      );

      const second = await run(n, msg());
      assert.equal(second.error, undefined, second.error && second.error.message);
      assert.deepEqual(second.out.payload.app, { id: p.app.id, created: false, name: 'Unpublished keeper' });
      assert.deepEqual(
        second.out.payload.installations.map((i) => i.status),
        ['unchanged', 'unchanged'],
      );

      const third = await run(n, msg({ app_lua: `${appLua}-- changed\n` }));
      assert.equal(third.error, undefined, third.error && third.error.message);
      assert.equal(third.out.payload.app.id, p.app.id);
      assert.equal(third.out.payload.version.uploaded, true);
      assert.equal(named('Unpublished keeper').length, 1);
    });

    it("another organisation's public app of the same name is never taken", async function () {
      const org2 = client('edge-org2-key');
      const theirs = await org2.edge.createApp(listing({ name: 'Shared name', publisher: { id: 2 }, public: true }));
      await published(org2, theirs.id);
      const theirVersions = JSON.stringify(
        state()
          .versions.get(theirs.id)
          .map((v) => v.hash),
      );

      const n = await load({ appName: 'Shared name', publish: true, version: '1.0.0' });
      const first = await run(n, msg({ installations: perSite([1]) }));
      assert.equal(first.error, undefined, first.error && first.error.message);
      const mine = first.out.payload.app.id;
      assert.notEqual(mine, theirs.id);
      assert.equal(first.out.payload.app.created, true);
      assert.deepEqual(state().apps.get(mine).publisher, { id: 1 });
      const again = await run(n, msg({ installations: perSite([1]) }));
      assert.deepEqual(again.out.payload.app, { id: mine, created: false, name: 'Shared name' });
      assert.equal(
        JSON.stringify(
          state()
            .versions.get(theirs.id)
            .map((v) => v.hash),
        ),
        theirVersions,
        'their app got no version',
      );
      assert.ok(
        [...state().instances.values()].every((i) => i.app_id !== theirs.id),
        'no instance of their app',
      );
      assert.deepEqual(
        named('Shared name')
          .map((a) => a.publisher.id)
          .sort(),
        [1, 2],
      );
    });

    it('the organisation comes from the targets: installation 3 gives a listing of organisation 2', async function () {
      const n = await load({ appName: 'Org two keeper' });
      const r = await run(n, msg({ installations: perSite([3]) }));
      assert.equal(r.error, undefined, r.error && r.error.message);
      assert.deepEqual(state().apps.get(r.out.payload.app.id).publisher, { id: 2 });
      // the same name for organisation 1 is another listing
      const r1 = await run(n, msg({ installations: perSite([1]) }));
      assert.notEqual(r1.out.payload.app.id, r.out.payload.app.id);
      assert.deepEqual(
        named('Org two keeper')
          .map((a) => a.publisher.id)
          .sort(),
        [1, 2],
      );
    });

    it('targets in two organisations: a clear error naming them, and nothing changed', async function () {
      const n = await load({ appName: 'Mixed keeper' });
      sb.resetRequests();
      const before = JSON.stringify([...state().apps.values(), ...state().instances.values()]);
      const { error, out } = await run(n, msg({ installations: perSite([1, 2, 3]) }), { expectOut: false });
      assert.equal(out, undefined);
      assert.match(
        error.message,
        /installations are in more than one organisation \(organisation 1: installations 1, 2; organisation 2: installation 3\)/,
      );
      assert.match(error.message, /set the publisher \(msg\.listing\.publisher\.id\)/);
      assert.equal(JSON.stringify([...state().apps.values(), ...state().instances.values()]), before);
      assert.deepEqual(
        sb.requests.filter((q) => q.method !== 'GET').map((q) => q.path),
        [],
      );
    });

    it("with a publisher, targets of two organisations roll out; msg.listing.publisher wins over the node's Organisation", async function () {
      const n = await load({ appName: 'Given keeper', publisher: '1' });
      const r = await run(n, msg({ installations: perSite([1, 3]) }));
      assert.equal(r.error, undefined, r.error && r.error.message);
      assert.deepEqual(
        r.out.payload.installations.map((i) => i.status),
        ['ok', 'ok'],
      );
      assert.deepEqual(state().apps.get(r.out.payload.app.id).publisher, { id: 1 });
      const r2 = await run(n, msg({ installations: perSite([3]), listing: { publisher: { id: 2 } } }));
      assert.equal(r2.error, undefined, r2.error && r2.error.message);
      assert.deepEqual(state().apps.get(r2.out.payload.app.id).publisher, { id: 2 });
      assert.deepEqual(
        named('Given keeper')
          .map((a) => a.publisher.id)
          .sort(),
        [1, 2],
      );
    });

    it('no installations and no publisher: an error saying what to set; with the Organisation it uploads', async function () {
      let n = await load({ appName: 'Lonely keeper', publish: true, version: '1.0.0' });
      const r = await run(n, msg({ installations: '' }), { expectOut: false });
      assert.match(
        r.error.message,
        /cannot tell which organisation the edge app "Lonely keeper" belongs to: set the publisher \(the organisation id, msg\.listing\.publisher\.id\), or the installations/,
      );
      assert.equal(named('Lonely keeper').length, 0);
      await helper.unload();
      n = await load({ appName: 'Lonely keeper', publish: true, version: '1.0.0', publisher: '2' });
      const ok = await run(n, msg({ installations: '' }));
      assert.equal(ok.error, undefined, ok.error && ok.error.message);
      assert.equal(ok.out.payload.version.published, true);
      assert.deepEqual(
        named('Lonely keeper').map((a) => a.publisher.id),
        [2],
      );
    });

    it("a publisher the key may not act for: the platform's 403 on the organisation's list is the error, before any write", async function () {
      const n = await load({ appName: 'Foreign keeper', publisher: '2' }, 'edge-org1-key');
      sb.resetRequests();
      const r = await run(n, msg({ installations: perSite([1]) }), { expectOut: false });
      assert.match(r.error.message, /GET \/api\/v2\/edge\/app\/organization\/2 failed with HTTP 403/);
      assert.deepEqual(
        sb.requests.filter((q) => q.method !== 'GET').map((q) => q.path),
        [],
      );
      assert.equal(named('Foreign keeper').length, 0);
    });
  });
});
