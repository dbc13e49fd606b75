// Authentication and per-user isolation (api-contract §3, §5).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
    startServer, createUser, makeClient, rawRequest, uniqueName, assertApiError,
} from './helpers.mjs';

let server;
let admin;
let bob;
let bobUser;
const adminRes = {};

before(async () => {
    server = await startServer();
    admin = makeClient(server);
    bobUser = await createUser(server, 'bob');
    bob = makeClient(server, bobUser.token);

    const ds = await admin.datasets().getOrCreate(uniqueName('admin-ds'));
    await admin.dataset(ds.id).pushItems({ secret: 'admin-data' });
    const kv = await admin.keyValueStores().getOrCreate(uniqueName('admin-kv'));
    await admin.keyValueStore(kv.id).setRecord({ key: 'SECRET', value: { secret: true } });
    const rq = await admin.requestQueues().getOrCreate(uniqueName('admin-rq'));
    Object.assign(adminRes, { ds, kv, rq });
});

after(async () => {
    await server?.stop();
});

test('GET /healthz answers 200 without a token', async () => {
    const res = await rawRequest(server, '/healthz', { token: null });
    assert.equal(res.status, 200);
});

test('bob cannot see admin storages by id', async () => {
    assert.equal(await bob.dataset(adminRes.ds.id).get(), undefined, 'dataset');
    assert.equal(await bob.keyValueStore(adminRes.kv.id).get(), undefined, 'key-value store');
    assert.equal(await bob.requestQueue(adminRes.rq.id).get(), undefined, 'request queue');
    // Sanity: admin sees them.
    assert.equal((await admin.dataset(adminRes.ds.id).get())?.id, adminRes.ds.id);
    assert.equal((await admin.keyValueStore(adminRes.kv.id).get())?.id, adminRes.kv.id);
    assert.equal((await admin.requestQueue(adminRes.rq.id).get())?.id, adminRes.rq.id);
});

test('bob cannot read or write admin storage contents', async () => {
    await admin.requestQueue(adminRes.rq.id).addRequest({ url: 'https://example.com/secret', uniqueKey: 'secret' });
    assert.equal(await bob.keyValueStore(adminRes.kv.id).getRecord('SECRET'), undefined, 'KV record read');
    await assert.rejects(bob.dataset(adminRes.ds.id).listItems(), 'dataset items read');
    await assert.rejects(bob.dataset(adminRes.ds.id).pushItems({ evil: true }), 'dataset push');
    await assert.rejects(bob.keyValueStore(adminRes.kv.id).setRecord({ key: 'EVIL', value: 1 }), 'KV write');
    await assert.rejects(bob.requestQueue(adminRes.rq.id).addRequest({ url: 'https://evil.example', uniqueKey: 'evil' }), 'RQ add');
    await assert.rejects(bob.dataset(adminRes.ds.id).update({ name: 'stolen' }), 'dataset rename');
    await bob.dataset(adminRes.ds.id).delete().catch(() => {});

    // Nothing changed for admin.
    const items = await admin.dataset(adminRes.ds.id).listItems();
    assert.deepEqual(items.items, [{ secret: 'admin-data' }]);
    assert.equal(await admin.keyValueStore(adminRes.kv.id).recordExists('EVIL'), false);
    const info = await admin.requestQueue(adminRes.rq.id).get();
    assert.equal(info.totalRequestCount, 1);
    const ds = await admin.dataset(adminRes.ds.id).get();
    assert.equal(ds?.name, adminRes.ds.name, 'admin dataset survived bob\'s delete attempt');
});

test('names are per user and lists only show own storages', async () => {
    const name = adminRes.ds.name;
    const bobDs = await bob.datasets().getOrCreate(name);
    assert.notEqual(bobDs.id, adminRes.ds.id, 'same name under another user is a different dataset');
    assert.equal(bobDs.userId, bobUser.id);
    assert.equal((await bob.dataset(`~${name}`).get())?.id, bobDs.id);
    assert.equal((await admin.dataset(`~${name}`).get())?.id, adminRes.ds.id);

    const bobList = await bob.datasets().list({ unnamed: true });
    const bobIds = bobList.items.map((d) => d.id);
    assert.ok(bobIds.includes(bobDs.id));
    assert.ok(!bobIds.includes(adminRes.ds.id));
    const bobKv = await bob.keyValueStores().list({ unnamed: true });
    assert.ok(!bobKv.items.some((s) => s.id === adminRes.kv.id));
    const bobRq = await bob.requestQueues().list({ unnamed: true });
    assert.ok(!bobRq.items.some((q) => q.id === adminRes.rq.id));

    const adminList = await admin.datasets().list({ unnamed: true });
    assert.ok(!adminList.items.some((d) => d.id === bobDs.id));
});

test('invalid token is rejected with 401 invalid-token', async () => {
    const bad = makeClient(server, 'definitely-not-a-valid-token');
    await assertApiError(bad.datasets().list(), { statusCode: 401, type: 'invalid-token' }, 'list');
    // A supplied token is validated even where the call would otherwise return "not found".
    await assertApiError(bad.dataset(adminRes.ds.id).get(), { statusCode: 401, type: 'invalid-token' }, 'get by id');
    await assertApiError(bad.keyValueStores().getOrCreate('x-bad'), { statusCode: 401, type: 'invalid-token' }, 'create');
});

test('missing token on a token-only endpoint is 401 token-not-provided', async () => {
    const anon = makeClient(server, null);
    await assertApiError(anon.datasets().list(), { statusCode: 401, type: 'token-not-provided' });
});

test('token is accepted as ?token= query parameter', async () => {
    const res = await rawRequest(server, `/v2/datasets/${adminRes.ds.id}?token=${encodeURIComponent(server.adminToken)}`, { token: null });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json?.data?.id, adminRes.ds.id);
    const resBad = await rawRequest(server, `/v2/datasets?token=nope`, { token: null });
    assert.equal(resBad.status, 401);
    assert.equal(resBad.json?.error?.type, 'invalid-token');
});

test('errors use the {error:{type,message}} envelope; misses are 404 record-not-found', async () => {
    const res = await rawRequest(server, '/v2/datasets/AAAAAAAAAAAAAAAAA');
    assert.equal(res.status, 404);
    assert.equal(res.json?.error?.type, 'record-not-found');
    assert.equal(typeof res.json?.error?.message, 'string');
});
