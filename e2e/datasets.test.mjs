// Datasets through the unmodified apify-client (api-contract §2, §7.9, §9; actor-runtime §3).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
    useServer, rawRequest, compactJsonText, uniqueName,
    RESOURCE_ID_RE, assertDate, sleep,
} from './helpers.mjs';

let server;
let client;

useServer((s, c) => {
    server = s;
    client = c;
});

const LOREM = 'Příliš žluťoučký kůň úpěl ďábelské ódy – "quoted" \\ backslash / slash. ';

test('POST /v2/datasets?name= is get-or-create: 201 new, 200 existing (raw HTTP)', async () => {
    const name = uniqueName('raw-ds');
    const first = await rawRequest(server, `/v2/datasets?name=${name}`, { method: 'POST' });
    assert.equal(first.status, 201, `first create: ${first.text}`);
    assert.ok(first.json?.data, 'response must be wrapped in {data}');
    assert.match(first.json.data.id, RESOURCE_ID_RE);
    assert.equal(first.json.data.name, name);
    assert.ok(first.headers.get('location'), 'create should send a Location header');

    const second = await rawRequest(server, `/v2/datasets?name=${name}`, { method: 'POST' });
    assert.equal(second.status, 200, `repeat get-or-create: ${second.text}`);
    assert.equal(second.json.data.id, first.json.data.id);
});

test('datasets().getOrCreate(name) creates once and returns the same dataset on repeat', async () => {
    const name = uniqueName('ds');
    const ds = await client.datasets().getOrCreate(name);
    assert.match(ds.id, RESOURCE_ID_RE);
    assert.equal(ds.name, name);
    assert.equal(typeof ds.userId, 'string');
    assertDate(ds.createdAt, 'createdAt');
    assertDate(ds.modifiedAt, 'modifiedAt');
    assertDate(ds.accessedAt, 'accessedAt');
    assert.equal(ds.itemCount, 0);
    assert.equal(ds.cleanItemCount, 0);

    const again = await client.datasets().getOrCreate(name);
    assert.equal(again.id, ds.id);
    assert.equal(again.name, name);

    const fetched = await client.dataset(ds.id).get();
    assert.equal(fetched.id, ds.id);
    assert.equal(fetched.name, name);
});

test('pushItems: single object, arrays, and >1 KiB (brotli-compressed) bodies round-trip', async () => {
    const ds = await client.datasets().getOrCreate(uniqueName('push'));
    const dc = client.dataset(ds.id);

    const single = { kind: 'single', n: 1, nested: { a: [1, 2, 3], b: null, t: true } };
    await dc.pushItems(single);

    const smallArray = [{ kind: 'arr', n: 2 }, { kind: 'arr', n: 3 }];
    await dc.pushItems(smallArray);

    const bigSingle = { kind: 'big-single', n: 4, text: LOREM.repeat(40) };
    assert.ok(Buffer.byteLength(JSON.stringify(bigSingle)) > 1024, 'body must be compressed by the client');
    await dc.pushItems(bigSingle);

    const bigArray = Array.from({ length: 20 }, (_, i) => ({
        kind: 'big-array', n: 5 + i, text: `${i}:${LOREM.repeat(5)}`, tags: ['x', `t${i}`],
    }));
    assert.ok(Buffer.byteLength(JSON.stringify(bigArray)) > 1024);
    await dc.pushItems(bigArray);

    const expected = [single, ...smallArray, bigSingle, ...bigArray];

    // itemCount must be exact immediately after the push.
    const info = await dc.get();
    assert.equal(info.itemCount, expected.length, 'itemCount right after push');

    const list = await dc.listItems();
    assert.deepEqual(list.items, expected);
    assert.equal(list.total, expected.length);
    assert.equal(list.offset, 0);
    assert.equal(list.count, expected.length);
    assert.equal(list.desc, false);
    assert.equal(list.limit, 999999999999, 'X-Apify-Pagination-Limit without a limit (api-contract §2.4)');
});

test('listItems: offset / limit / desc and pagination headers', async () => {
    const ds = await client.datasets().getOrCreate(uniqueName('page'));
    const dc = client.dataset(ds.id);
    const items = Array.from({ length: 10 }, (_, i) => ({ i, label: `item-${i}` }));
    await dc.pushItems(items);

    let page = await dc.listItems({ offset: 2, limit: 3 });
    assert.deepEqual(page.items, items.slice(2, 5));
    assert.equal(page.total, 10);
    assert.equal(page.offset, 2);
    assert.equal(page.limit, 3);
    assert.equal(page.count, 3);
    assert.equal(page.desc, false);

    page = await dc.listItems({ desc: true, limit: 3 });
    assert.deepEqual(page.items.map((x) => x.i), [9, 8, 7]);
    assert.equal(page.total, 10);
    assert.equal(page.offset, 0);
    assert.equal(page.limit, 3);
    assert.equal(page.count, 3);
    assert.equal(page.desc, true);

    page = await dc.listItems({ desc: true, offset: 2, limit: 3 });
    assert.deepEqual(page.items.map((x) => x.i), [7, 6, 5]);
    assert.equal(page.offset, 2);

    page = await dc.listItems({ offset: 8, limit: 5 });
    assert.deepEqual(page.items.map((x) => x.i), [8, 9]);
    assert.equal(page.count, 2);
    assert.equal(page.limit, 5);

    page = await dc.listItems({ offset: 20 });
    assert.deepEqual(page.items, []);
    assert.equal(page.total, 10);
    assert.equal(page.count, 0);

    // The iterator pages through everything with chunkSize.
    const seen = [];
    for await (const item of dc.listItems({ chunkSize: 4 })) seen.push(item.i);
    assert.deepEqual(seen, items.map((x) => x.i));

    // Raw headers (the client silently falls back to the requested desc).
    const raw = await rawRequest(server, `/v2/datasets/${ds.id}/items?offset=1&limit=2&desc=1`);
    assert.equal(raw.status, 200);
    assert.ok(Array.isArray(raw.json), 'items endpoint returns a raw JSON array (no data envelope)');
    assert.deepEqual(raw.json.map((x) => x.i), [8, 7]);
    assert.equal(raw.headers.get('x-apify-pagination-offset'), '1');
    assert.equal(raw.headers.get('x-apify-pagination-limit'), '2');
    assert.equal(raw.headers.get('x-apify-pagination-count'), '2');
    assert.equal(raw.headers.get('x-apify-pagination-total'), '10');
    assert.equal(raw.headers.get('x-apify-pagination-desc'), 'true');
    assert.match(raw.headers.get('content-type') ?? '', /^application\/json/);
});

test('items keep key order and number spelling byte-for-byte', async () => {
    const ds = await client.datasets().getOrCreate(uniqueName('order'));
    const dc = client.dataset(ds.id);
    const itemText = '{"z":1,"a":2,"big":12345678901234567890123,"nested":{"y":true,"b":null,"m":[3,1,2]},"s":"é \\" x"}';
    // pushItems accepts a pre-serialised JSON string and sends it verbatim.
    await dc.pushItems(itemText);
    const arrayText = '[{"b":1,"a":0},{"10":"ten","2":"two","k":-0.5e-7}]';
    await dc.pushItems(arrayText);

    const raw = await rawRequest(server, `/v2/datasets/${ds.id}/items`);
    assert.equal(raw.status, 200);
    assert.equal(
        compactJsonText(raw.text),
        `[${itemText},${arrayText.slice(1, -1)}]`,
        `raw items body was:\n${raw.text}`,
    );

    const info = await dc.get();
    assert.equal(info.itemCount, 3);
});

test('get / update (rename) / name lookups / delete', async () => {
    const name = uniqueName('ren');
    const ds = await client.datasets().getOrCreate(name);
    const dc = client.dataset(ds.id);
    await dc.pushItems([{ a: 1 }, { a: 2 }]);

    const newName = uniqueName('renamed');
    const updated = await dc.update({ name: newName });
    assert.equal(updated.id, ds.id);
    assert.equal(updated.name, newName);
    assert.equal(updated.itemCount, 2);

    const got = await dc.get();
    assert.equal(got.name, newName);
    assert.equal(got.itemCount, 2);

    // username/name (client sends username~name) and ~name resolve to the same dataset.
    const byUserName = await client.dataset(`${server.adminUsername}/${newName}`).get();
    assert.equal(byUserName?.id, ds.id, 'lookup by admin~name');
    const byTildeName = await client.dataset(`~${newName}`).get();
    assert.equal(byTildeName?.id, ds.id, 'lookup by ~name');
    const items = await client.dataset(`${server.adminUsername}/${newName}`).listItems();
    assert.deepEqual(items.items, [{ a: 1 }, { a: 2 }]);

    // The old name no longer resolves.
    assert.equal(await client.dataset(`~${name}`).get(), undefined);

    await dc.delete();
    assert.equal(await dc.get(), undefined);
    assert.equal(await client.dataset(`~${newName}`).get(), undefined);
    // Deleting again is tolerated by the client (404 record-not-found).
    await dc.delete();

    // A never-existing id.
    assert.equal(await client.dataset('AAAAAAAAAAAAAAAAA').get(), undefined);
});

test('getStatistics returns {fieldStatistics}', async () => {
    const ds = await client.datasets().getOrCreate(uniqueName('stats'));
    const dc = client.dataset(ds.id);
    await dc.pushItems([{ price: 1, name: 'a' }, { price: 10, name: '' }, { price: null, name: 'c' }]);
    const stats = await dc.getStatistics();
    assert.ok(stats && typeof stats === 'object', 'statistics object');
    assert.ok('fieldStatistics' in stats, 'has fieldStatistics');
    assert.ok(stats.fieldStatistics === null || typeof stats.fieldStatistics === 'object');

    assert.equal(await client.dataset('AAAAAAAAAAAAAAAAA').getStatistics(), undefined);
});

test('datasets().list(): named by default, unnamed with {unnamed:true}, offset pagination', async () => {
    // Small pauses keep createdAt strictly increasing (ties have no defined order).
    const named = await client.datasets().getOrCreate(uniqueName('listed'));
    await sleep(5);
    const unnamed = await client.datasets().getOrCreate();
    await sleep(5);
    assert.match(unnamed.id, RESOURCE_ID_RE);
    assert.ok(unnamed.name === undefined || unnamed.name === null, `unnamed dataset has no name, got ${unnamed.name}`);
    const unnamed2 = await client.datasets().getOrCreate();
    assert.notEqual(unnamed2.id, unnamed.id, 'every unnamed create is a new dataset');

    const all = await client.datasets().list({ unnamed: true });
    const allIds = all.items.map((d) => d.id);
    assert.ok(allIds.includes(named.id));
    assert.ok(allIds.includes(unnamed.id));
    assert.ok(allIds.includes(unnamed2.id));
    assert.equal(all.total, all.items.length);
    assert.equal(all.count, all.items.length);
    assert.equal(all.offset, 0);
    assert.equal(typeof all.limit, 'number');
    assert.equal(all.desc, false);
    assert.equal(all.unnamed, true);

    const namedOnly = await client.datasets().list();
    const namedIds = namedOnly.items.map((d) => d.id);
    assert.ok(namedIds.includes(named.id));
    assert.ok(!namedIds.includes(unnamed.id), 'default list contains only named datasets');
    assert.equal(namedOnly.unnamed, false);

    const item = all.items.find((d) => d.id === named.id);
    assert.equal(typeof item.itemCount, 'number');
    assertDate(item.createdAt, 'list item createdAt');

    // Ascending by createdAt: the most recent unnamed one is last; desc reverses.
    assert.equal(allIds.at(-1), unnamed2.id);
    const descList = await client.datasets().list({ unnamed: true, desc: true, limit: 1 });
    assert.equal(descList.items.length, 1);
    assert.equal(descList.items[0].id, unnamed2.id);
    assert.equal(descList.desc, true);
    assert.equal(descList.limit, 1);
    assert.equal(descList.total, all.total);

    const page = await client.datasets().list({ unnamed: true, offset: 1, limit: 1 });
    assert.equal(page.items.length, 1);
    assert.equal(page.items[0].id, allIds[1]);
    assert.equal(page.offset, 1);
    assert.equal(page.count, 1);
});

test('push bodies: gzip / deflate / identity accepted, unknown encoding 415, non-JSON 400', async () => {
    const zlib = await import('node:zlib');
    const ds = await client.datasets().getOrCreate(uniqueName('enc'));
    const base = `/v2/datasets/${ds.id}/items`;
    const json = (n) => JSON.stringify([{ enc: n, pad: 'x'.repeat(50) }]);
    const headers = (enc) => ({ 'content-type': 'application/json; charset=utf-8', ...(enc ? { 'content-encoding': enc } : {}) });

    let res = await rawRequest(server, base, { method: 'POST', body: zlib.gzipSync(json('gzip')), headers: headers('gzip') });
    assert.equal(res.status, 201, `gzip: ${res.text}`);
    res = await rawRequest(server, base, { method: 'POST', body: zlib.deflateSync(json('deflate')), headers: headers('deflate') });
    assert.equal(res.status, 201, `deflate: ${res.text}`);
    res = await rawRequest(server, base, { method: 'POST', body: zlib.brotliCompressSync(json('br')), headers: headers('br') });
    assert.equal(res.status, 201, `br: ${res.text}`);
    res = await rawRequest(server, base, { method: 'POST', body: json('identity'), headers: headers('identity') });
    assert.equal(res.status, 201, `identity: ${res.text}`);

    res = await rawRequest(server, base, { method: 'POST', body: json('zstd'), headers: headers('x-unknown') });
    assert.equal(res.status, 415, res.text);
    assert.equal(res.json?.error?.type, 'unsupported-content-encoding');

    res = await rawRequest(server, base, { method: 'POST', body: '{"broken":', headers: headers() });
    assert.equal(res.status, 400, res.text);
    assert.equal(typeof res.json?.error?.type, 'string');

    const items = await client.dataset(ds.id).listItems();
    assert.deepEqual(items.items.map((i) => i.enc), ['gzip', 'deflate', 'br', 'identity']);

    // HEAD items: same pagination headers, no body.
    const head = await fetch(`${server.baseUrl}${base}?limit=2`, { method: 'HEAD', headers: { authorization: `Bearer ${server.adminToken}` } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('x-apify-pagination-total'), '4');
    assert.equal(head.headers.get('x-apify-pagination-limit'), '2');
    assert.equal((await head.arrayBuffer()).byteLength, 0);

    // ~name may arrive percent-encoded.
    const byName = await rawRequest(server, `/v2/datasets/%7E${ds.name}/items?limit=1`);
    assert.equal(byName.status, 200, byName.text);
    assert.equal(byName.json?.[0]?.enc, 'gzip');
});

test('concurrent pushes, empty array push, multi-MB push, 413 over 9 MiB decompressed', async () => {
    const zlib = await import('node:zlib');
    const ds = await client.datasets().getOrCreate(uniqueName('conc'));
    const dc = client.dataset(ds.id);

    await Promise.all(Array.from({ length: 20 }, (_, i) => dc.pushItems({ i })));
    await dc.pushItems([]);
    let info = await dc.get();
    assert.equal(info.itemCount, 20, 'itemCount after 20 concurrent single pushes and one empty array');
    const listed = await dc.listItems();
    assert.deepEqual(listed.items.map((x) => x.i).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));

    // ~6 MB decompressed (well under the 9 MiB limit), sent brotli-compressed by the client.
    const big = Array.from({ length: 3000 }, (_, i) => ({ i, blob: `${i}`.padEnd(2000, 'y') }));
    assert.ok(Buffer.byteLength(JSON.stringify(big)) > 6_000_000);
    await dc.pushItems(big);
    info = await dc.get();
    assert.equal(info.itemCount, 3020);
    const tail = await dc.listItems({ offset: 3019, limit: 1 });
    assert.deepEqual(tail.items, [big[2999]]);

    // A small gzip body that inflates beyond 9 437 184 bytes is refused with 413.
    const huge = JSON.stringify([{ blob: 'z'.repeat(9_500_000) }]);
    const res = await rawRequest(server, `/v2/datasets/${ds.id}/items`, {
        method: 'POST', body: zlib.gzipSync(huge), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    assert.equal(res.status, 413, res.text);
    assert.equal(res.json?.error?.type, 'request-too-large');
    assert.equal((await dc.get()).itemCount, 3020, 'rejected push stored nothing');
});

test('deleted name can be reused for a new dataset', async () => {
    const name = uniqueName('reuse');
    const first = await client.datasets().getOrCreate(name);
    await client.dataset(first.id).pushItems({ v: 1 });
    await client.dataset(first.id).delete();
    const second = await client.datasets().getOrCreate(name);
    assert.notEqual(second.id, first.id);
    assert.equal(second.itemCount, 0);
    assert.deepEqual((await client.dataset(second.id).listItems()).items, []);
});
