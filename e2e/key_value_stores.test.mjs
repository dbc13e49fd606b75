// Key-value stores through the unmodified apify-client (api-contract §2.2, §7.10; actor-runtime §3, §5.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import {
    useServer, rawRequest, uniqueName, RESOURCE_ID_RE, assertDate,
} from './helpers.mjs';

let server;
let client;

useServer((s, c) => {
    server = s;
    client = c;
});

async function newStore(prefix = 'kv') {
    const store = await client.keyValueStores().getOrCreate(uniqueName(prefix));
    return client.keyValueStore(store.id);
}

test('getOrCreate / get / 201-then-200 on POST ?name=', async () => {
    const name = uniqueName('kvs');
    const store = await client.keyValueStores().getOrCreate(name);
    assert.match(store.id, RESOURCE_ID_RE);
    assert.equal(store.name, name);
    assertDate(store.createdAt, 'createdAt');
    assertDate(store.modifiedAt, 'modifiedAt');
    const again = await client.keyValueStores().getOrCreate(name);
    assert.equal(again.id, store.id);
    const got = await client.keyValueStore(store.id).get();
    assert.equal(got.id, store.id);
    assert.equal(got.name, name);

    const rawName = uniqueName('raw-kvs');
    const first = await rawRequest(server, `/v2/key-value-stores?name=${rawName}`, { method: 'POST' });
    assert.equal(first.status, 201, first.text);
    const second = await rawRequest(server, `/v2/key-value-stores?name=${rawName}`, { method: 'POST' });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.data.id, first.json.data.id);
});

test('JSON object record round-trips with an application/json content type', async () => {
    const kv = await newStore();
    const value = { hello: 'world', n: 42, arr: [1, 'two', { three: 3 }], nested: { ok: true, nil: null } };
    await kv.setRecord({ key: 'obj', value });
    const rec = await kv.getRecord('obj');
    assert.equal(rec.key, 'obj');
    assert.deepEqual(rec.value, value);
    assert.match(rec.contentType, /^application\/json/);
});

test('text record keeps its content type and UTF-8 text', async () => {
    const kv = await newStore();
    const text = 'Hello ščřžýáí 日本語 🚀\nsecond line';
    await kv.setRecord({ key: 'greeting.txt', value: text, contentType: 'text/plain; charset=utf-8' });
    const rec = await kv.getRecord('greeting.txt');
    assert.equal(rec.value, text);
    assert.equal(rec.contentType, 'text/plain; charset=utf-8');
});

test('binary Buffer records are byte-identical (small and compressed)', async () => {
    const kv = await newStore();
    const small = randomBytes(300);
    const large = Buffer.concat([randomBytes(4096), Buffer.alloc(4096, 0xab)]);
    await kv.setRecord({ key: 'small.bin', value: small, contentType: 'application/octet-stream' });
    await kv.setRecord({ key: 'large.bin', value: large });

    const recSmall = await kv.getRecord('small.bin', { buffer: true });
    assert.ok(Buffer.isBuffer(recSmall.value));
    assert.ok(recSmall.value.equals(small), 'small binary record differs');
    assert.equal(recSmall.contentType, 'application/octet-stream');

    const recLarge = await kv.getRecord('large.bin');
    assert.ok(Buffer.isBuffer(recLarge.value), 'octet-stream is returned as a Buffer');
    assert.equal(recLarge.value.length, large.length);
    assert.ok(recLarge.value.equals(large), 'large binary record differs');
    assert.equal(recLarge.contentType, 'application/octet-stream');

    // Raw check without Accept-Encoding tricks: bytes are served as stored.
    const raw = await rawRequest(server, `/v2/key-value-stores/${kv.id}/records/small.bin`);
    assert.equal(raw.status, 200);
    assert.ok(raw.buffer.equals(small));
});

test('large (>1 KiB, client-compressed) JSON and text records round-trip', async () => {
    const kv = await newStore();
    const bigObj = {
        rows: Array.from({ length: 200 }, (_, i) => ({ i, name: `row-${i}`, text: 'lorem ipsum dolor sit amet '.repeat(3) })),
    };
    assert.ok(Buffer.byteLength(JSON.stringify(bigObj)) > 1024);
    await kv.setRecord({ key: 'BIG_JSON', value: bigObj });
    const recObj = await kv.getRecord('BIG_JSON');
    assert.deepEqual(recObj.value, bigObj);

    const bigText = 'Žluťoučký kůň. '.repeat(500);
    await kv.setRecord({ key: 'BIG_TEXT', value: bigText, contentType: 'text/plain; charset=utf-8' });
    const recText = await kv.getRecord('BIG_TEXT');
    assert.equal(recText.value, bigText);

    // Size reported by listKeys is the stored (decompressed) size.
    const keys = await kv.listKeys();
    const sizes = Object.fromEntries(keys.items.map((k) => [k.key, k.size]));
    assert.equal(sizes.BIG_TEXT, Buffer.byteLength(bigText));
    assert.equal(sizes.BIG_JSON, Buffer.byteLength(JSON.stringify(bigObj, null, 2)));
});

test('listKeys pages with limit / exclusiveStartKey in UTF-8 binary key order', async () => {
    const kv = await newStore();
    // Binary order: '-' (45) < '.' (46) < digits < 'A' (65) < '_' (95) < 'a' (97).
    const keys = ['k_x', 'ka', 'k-b', 'kA', 'k.a', 'k0', 'k9'];
    for (const key of keys) {
        await kv.setRecord({ key, value: `v:${key}`, contentType: 'text/plain; charset=utf-8' });
    }
    const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(sorted, ['k-b', 'k.a', 'k0', 'k9', 'kA', 'k_x', 'ka']);

    const p1 = await kv.listKeys({ limit: 3 });
    assert.deepEqual(p1.items.map((i) => i.key), sorted.slice(0, 3));
    assert.equal(p1.count, 3);
    assert.equal(p1.limit, 3);
    assert.equal(p1.isTruncated, true);
    assert.equal(p1.nextExclusiveStartKey, sorted[2]);
    assert.ok(p1.exclusiveStartKey === null || p1.exclusiveStartKey === undefined,
        `exclusiveStartKey on first page should be null, got ${p1.exclusiveStartKey}`);
    for (const item of p1.items) {
        assert.equal(item.size, Buffer.byteLength(`v:${item.key}`), `size of ${item.key}`);
    }

    const p2 = await kv.listKeys({ limit: 3, exclusiveStartKey: p1.nextExclusiveStartKey });
    assert.deepEqual(p2.items.map((i) => i.key), sorted.slice(3, 6));
    assert.equal(p2.exclusiveStartKey, sorted[2]);
    assert.equal(p2.isTruncated, true);
    assert.equal(p2.nextExclusiveStartKey, sorted[5]);

    const p3 = await kv.listKeys({ limit: 3, exclusiveStartKey: p2.nextExclusiveStartKey });
    assert.deepEqual(p3.items.map((i) => i.key), sorted.slice(6));
    assert.equal(p3.count, 1);
    assert.equal(p3.isTruncated, false);
    assert.ok(p3.nextExclusiveStartKey === null || p3.nextExclusiveStartKey === undefined,
        `nextExclusiveStartKey on the last page should be null, got ${p3.nextExclusiveStartKey}`);

    // A start key that is not itself stored still works (keys strictly greater).
    const p4 = await kv.listKeys({ exclusiveStartKey: 'k5' });
    assert.deepEqual(p4.items.map((i) => i.key), ['k9', 'kA', 'k_x', 'ka']);

    // Whole listing and the client's async iterator.
    const all = await kv.listKeys();
    assert.deepEqual(all.items.map((i) => i.key), sorted);
    assert.equal(all.isTruncated, false);
    const iterated = [];
    for await (const item of kv.listKeys({ limit: 5 })) iterated.push(item.key);
    assert.deepEqual(iterated, sorted.slice(0, 5));

    // prefix filter
    const pref = await kv.listKeys({ prefix: 'k.' });
    assert.deepEqual(pref.items.map((i) => i.key), ['k.a']);
});

test('recordExists / deleteRecord / missing records', async () => {
    const kv = await newStore();
    await kv.setRecord({ key: 'present', value: { x: 1 } });
    assert.equal(await kv.recordExists('present'), true);
    assert.equal(await kv.recordExists('absent'), false);

    assert.equal(await kv.getRecord('absent'), undefined);

    await kv.deleteRecord('present');
    assert.equal(await kv.recordExists('present'), false);
    assert.equal(await kv.getRecord('present'), undefined);
    const keys = await kv.listKeys();
    assert.deepEqual(keys.items, []);

    // Deleting a missing record must not fail (SDK setValue(k, null) relies on it).
    await kv.deleteRecord('never-existed');

    // Overwrite replaces value and content type.
    await kv.setRecord({ key: 'over', value: { a: 1 } });
    await kv.setRecord({ key: 'over', value: 'plain', contentType: 'text/plain; charset=utf-8' });
    const rec = await kv.getRecord('over');
    assert.equal(rec.value, 'plain');
    assert.equal(rec.contentType, 'text/plain; charset=utf-8');
});

test('update (rename) and delete store', async () => {
    const kv = await newStore('kvren');
    await kv.setRecord({ key: 'a', value: 1 });
    const newName = uniqueName('kvrenamed');
    const updated = await kv.update({ name: newName });
    assert.equal(updated.name, newName);
    const byName = await client.keyValueStore(`~${newName}`).get();
    assert.equal(byName?.id, kv.id);
    const rec = await client.keyValueStore(`${server.adminUsername}/${newName}`).getRecord('a');
    assert.equal(rec?.value, 1);

    await kv.delete();
    assert.equal(await kv.get(), undefined);
    assert.equal(await client.keyValueStore('AAAAAAAAAAAAAAAAA').get(), undefined);
});

test('invalid record key is rejected with 400 invalid-record-key', async () => {
    const kv = await newStore();
    const res = await rawRequest(server, `/v2/key-value-stores/${kv.id}/records/${encodeURIComponent('bad key?')}`, {
        method: 'PUT', body: 'x', headers: { 'content-type': 'text/plain' },
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json?.error?.type, 'invalid-record-key');
});

test('record write via raw HTTP: 201, POST alias, key length limit, list of stores', async () => {
    const kv = await newStore();
    let res = await rawRequest(server, `/v2/key-value-stores/${kv.id}/records/raw-put`, {
        method: 'PUT', body: 'abc', headers: { 'content-type': 'text/plain' },
    });
    assert.equal(res.status, 201, res.text);
    res = await rawRequest(server, `/v2/key-value-stores/${kv.id}/records/raw-post`, {
        method: 'POST', body: '{"p":1}', headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 201, `POST is an alias of PUT: ${res.text}`);
    assert.deepEqual((await kv.getRecord('raw-post'))?.value, { p: 1 });

    const get = await rawRequest(server, `/v2/key-value-stores/${kv.id}/records/raw-put`);
    assert.equal(get.status, 200);
    assert.equal(get.text, 'abc');
    assert.equal(get.headers.get('content-type'), 'text/plain');

    const key256 = 'k'.repeat(256);
    await kv.setRecord({ key: key256, value: 'max', contentType: 'text/plain' });
    assert.equal((await kv.getRecord(key256))?.value, 'max');
    res = await rawRequest(server, `/v2/key-value-stores/${kv.id}/records/${'k'.repeat(257)}`, {
        method: 'PUT', body: 'x', headers: { 'content-type': 'text/plain' },
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json?.error?.type, 'invalid-record-key');

    const unnamed = await client.keyValueStores().getOrCreate();
    const listAll = await client.keyValueStores().list({ unnamed: true });
    assert.ok(listAll.items.some((s) => s.id === unnamed.id));
    assert.ok(listAll.items.some((s) => s.id === kv.id));
    assert.equal(listAll.unnamed, true);
    const listNamed = await client.keyValueStores().list();
    assert.ok(!listNamed.items.some((s) => s.id === unnamed.id));
    assert.ok(listNamed.items.some((s) => s.id === kv.id));
});
