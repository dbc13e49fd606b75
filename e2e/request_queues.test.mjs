// Request queues through the unmodified apify-client (api-contract §2.3, §4.1, §7.11; actor-runtime §5.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
    useServer, uniqueName, requestIdFromUniqueKey, RESOURCE_ID_RE,
    assertDate, assertApiError, findNullPaths, sleep,
} from './helpers.mjs';

let server;
let client;

useServer((s, c) => {
    server = s;
    client = c;
});

const REQUEST_ID_RE = /^[a-zA-Z0-9]{15}$/;

function req(n, extra = {}) {
    const url = `https://example.com/page/${n}`;
    return { url, uniqueKey: url, ...extra };
}

async function newQueue(prefix = 'rq') {
    const q = await client.requestQueues().getOrCreate(uniqueName(prefix));
    assert.match(q.id, RESOURCE_ID_RE);
    return q.id;
}

test('getOrCreate and initial counters', async () => {
    const name = uniqueName('rq');
    const q = await client.requestQueues().getOrCreate(name);
    assert.match(q.id, RESOURCE_ID_RE);
    assert.equal(q.name, name);
    const again = await client.requestQueues().getOrCreate(name);
    assert.equal(again.id, q.id);
    const info = await client.requestQueue(q.id).get();
    assert.equal(info.totalRequestCount, 0);
    assert.equal(info.handledRequestCount, 0);
    assert.equal(info.pendingRequestCount, 0);
    assert.equal(info.hadMultipleClients, false);
    assertDate(info.createdAt, 'createdAt');
    assertDate(info.modifiedAt, 'modifiedAt');
});

test('addRequest: 15-char id derived from uniqueKey, dedupe via wasAlreadyPresent', async () => {
    const id = await newQueue();
    const rq = client.requestQueue(id, { clientKey: 'adder' });
    const r = req(1);
    const first = await rq.addRequest(r);
    assert.match(first.requestId, REQUEST_ID_RE);
    assert.equal(first.requestId, requestIdFromUniqueKey(r.uniqueKey), 'id = base64(sha256(uniqueKey)) without +/=, 15 chars');
    assert.equal(first.wasAlreadyPresent, false);
    assert.equal(first.wasAlreadyHandled, false);

    const dup = await rq.addRequest({ ...r, url: 'https://example.com/other-url-same-key' });
    assert.equal(dup.requestId, first.requestId);
    assert.equal(dup.wasAlreadyPresent, true);
    assert.equal(dup.wasAlreadyHandled, false);

    const info = await rq.get();
    assert.equal(info.totalRequestCount, 1);
    assert.equal(info.pendingRequestCount, 1);

    // The duplicate did not overwrite the stored request.
    const stored = await rq.getRequest(first.requestId);
    assert.equal(stored.url, r.url);
});

test('batchAddRequests with >25 requests (client splits into batches)', async () => {
    const id = await newQueue();
    const rq = client.requestQueue(id, { clientKey: 'batcher' });
    const requests = Array.from({ length: 60 }, (_, i) => req(i, { userData: { i } }));
    const res = await rq.batchAddRequests(requests, { maxUnprocessedRequestsRetries: 0 });
    assert.equal(res.unprocessedRequests.length, 0, `unprocessed: ${JSON.stringify(res.unprocessedRequests)}`);
    assert.equal(res.processedRequests.length, 60);
    const byKey = new Map(res.processedRequests.map((p) => [p.uniqueKey, p]));
    for (const r of requests) {
        const p = byKey.get(r.uniqueKey);
        assert.ok(p, `processed entry for ${r.uniqueKey}`);
        assert.equal(p.requestId, requestIdFromUniqueKey(r.uniqueKey));
        assert.equal(p.wasAlreadyPresent, false);
        assert.equal(p.wasAlreadyHandled, false);
    }

    // Re-adding a mix of existing and new requests.
    const mixed = [...requests.slice(0, 5), req(100), req(101)];
    const res2 = await rq.batchAddRequests(mixed, { maxUnprocessedRequestsRetries: 0 });
    assert.equal(res2.processedRequests.length, 7);
    const present = Object.fromEntries(res2.processedRequests.map((p) => [p.uniqueKey, p.wasAlreadyPresent]));
    for (const r of requests.slice(0, 5)) assert.equal(present[r.uniqueKey], true, r.uniqueKey);
    assert.equal(present[req(100).uniqueKey], false);
    assert.equal(present[req(101).uniqueKey], false);

    const info = await rq.get();
    assert.equal(info.totalRequestCount, 62);
    assert.equal(info.pendingRequestCount, 62);
    assert.equal(info.handledRequestCount, 0);

    // The client sends its batches (0-24, 25-49, 50-59) in parallel, so only the
    // order inside each batch is defined; the later two requests come last.
    const head = await rq.listHead({ limit: 100 });
    const headKeys = head.items.map((i) => i.uniqueKey);
    assert.equal(headKeys.length, 62);
    assert.deepEqual(new Set(headKeys), new Set([...requests, req(100), req(101)].map((r) => r.uniqueKey)));
    for (const [from, to] of [[0, 25], [25, 50], [50, 60]]) {
        const positions = requests.slice(from, to).map((r) => headKeys.indexOf(r.uniqueKey));
        assert.deepEqual(positions, [...positions].sort((a, b) => a - b), `FIFO inside batch ${from}-${to - 1}`);
    }
    assert.deepEqual(headKeys.slice(-2), [req(100).uniqueKey, req(101).uniqueKey]);
});

test('listHead: FIFO order, forefront first, item shape, limit echo', async () => {
    const id = await newQueue();
    const rq = client.requestQueue(id, { clientKey: 'header' });
    for (let i = 0; i < 5; i++) await rq.addRequest(req(i));
    const front = await rq.addRequest(req('front'), { forefront: true });

    const head = await rq.listHead({ limit: 3 });
    assert.equal(head.limit, 3);
    assertDate(head.queueModifiedAt, 'queueModifiedAt');
    assert.equal(typeof head.hadMultipleClients, 'boolean');
    assert.deepEqual(head.items.map((i) => i.id), [front.requestId, requestIdFromUniqueKey(req(0).uniqueKey), requestIdFromUniqueKey(req(1).uniqueKey)]);
    const item = head.items[1];
    assert.equal(item.uniqueKey, req(0).uniqueKey);
    assert.equal(item.url, req(0).url);
    assert.equal(item.method, 'GET');
    assert.equal(item.retryCount, 0);

    const whole = await rq.listHead();
    assert.equal(whole.items.length, 6);

    // Forefront requests are LIFO: the newest forefront request is first.
    const front2 = await rq.addRequest(req('front-2'), { forefront: true });
    const head2 = await rq.listHead({ limit: 3 });
    assert.deepEqual(head2.items.map((i) => i.id), [front2.requestId, front.requestId, requestIdFromUniqueKey(req(0).uniqueKey)]);
    // Re-adding an existing request with forefront does not duplicate it.
    const again = await rq.addRequest(req(3), { forefront: true });
    assert.equal(again.wasAlreadyPresent, true);
    assert.equal((await rq.listHead()).items.length, 7);
});

test('listAndLockHead: two clientKeys never receive the same request; lock expiry', async () => {
    const id = await newQueue('lock');
    const rqA = client.requestQueue(id, { clientKey: 'client-a' });
    const rqB = client.requestQueue(id, { clientKey: 'client-b' });
    const requests = Array.from({ length: 40 }, (_, i) => req(i));
    await rqA.batchAddRequests(requests, { maxParallel: 1 }); // sequential batches: deterministic FIFO order

    const a1 = await rqA.listAndLockHead({ lockSecs: 60, limit: 5 });
    assert.equal(a1.items.length, 5);
    assert.equal(a1.lockSecs, 60);
    assert.equal(a1.clientKey, 'client-a');
    assert.equal(a1.queueHasLockedRequests, true);
    assertDate(a1.queueModifiedAt, 'queueModifiedAt');
    assert.deepEqual(a1.items.map((i) => i.uniqueKey), requests.slice(0, 5).map((r) => r.uniqueKey), 'FIFO order');
    const now = Date.now();
    for (const it of a1.items) {
        assertDate(it.lockExpiresAt, 'lockExpiresAt');
        const delta = it.lockExpiresAt.getTime() - now;
        assert.ok(delta > 50_000 && delta <= 65_000, `lockExpiresAt ~ now+60s, got +${delta} ms`);
        assert.equal(it.method, 'GET');
        assert.equal(typeof it.retryCount, 'number');
    }

    const b1 = await rqB.listAndLockHead({ lockSecs: 60, limit: 5 });
    assert.equal(b1.items.length, 5);
    assert.deepEqual(b1.items.map((i) => i.uniqueKey), requests.slice(5, 10).map((r) => r.uniqueKey));

    // Concurrent lockers from both clients: all handed-out ids are distinct.
    const calls = [];
    for (let i = 0; i < 6; i++) {
        const c = i % 2 === 0 ? rqA : rqB;
        calls.push(c.listAndLockHead({ lockSecs: 60, limit: 5 }));
    }
    const results = await Promise.all(calls);
    const handedOut = [a1, b1, ...results].flatMap((r) => r.items.map((i) => i.id));
    assert.equal(new Set(handedOut).size, handedOut.length, 'a request was handed out twice');
    assert.equal(handedOut.length, 40);

    // Everything is locked now.
    const empty = await rqA.listAndLockHead({ lockSecs: 60, limit: 5 });
    assert.equal(empty.items.length, 0);
    assert.equal(empty.queueHasLockedRequests, true);

    const info = await rqA.get();
    assert.equal(info.hadMultipleClients, true);
    assert.equal(info.pendingRequestCount, 40);

    // Short lock: once it expires another client can take the request.
    const qid2 = await newQueue('expiry');
    const exA = client.requestQueue(qid2, { clientKey: 'client-a' });
    const exB = client.requestQueue(qid2, { clientKey: 'client-b' });
    const only = await exA.addRequest(req('expiring'));
    const locked = await exA.listAndLockHead({ lockSecs: 1, limit: 1 });
    assert.deepEqual(locked.items.map((i) => i.id), [only.requestId]);
    const blocked = await exB.listAndLockHead({ lockSecs: 60, limit: 1 });
    assert.equal(blocked.items.length, 0);
    assert.equal(blocked.queueHasLockedRequests, true);
    await sleep(1300);
    const reacquired = await exB.listAndLockHead({ lockSecs: 60, limit: 1 });
    assert.deepEqual(reacquired.items.map((i) => i.id), [only.requestId], 'expired lock is free again');
});

test('prolongRequestLock / deleteRequestLock / updateRequest(handledAt)', async () => {
    const id = await newQueue('lifecycle');
    const rqA = client.requestQueue(id, { clientKey: 'client-a' });
    const rqB = client.requestQueue(id, { clientKey: 'client-b' });
    const requests = Array.from({ length: 6 }, (_, i) => req(i, { userData: { label: 'DETAIL', i } }));
    await rqA.batchAddRequests(requests);
    const ids = requests.map((r) => requestIdFromUniqueKey(r.uniqueKey));

    const a = await rqA.listAndLockHead({ lockSecs: 30, limit: 3 });
    assert.deepEqual(a.items.map((i) => i.id), ids.slice(0, 3));
    const b = await rqB.listAndLockHead({ lockSecs: 30, limit: 3 });
    assert.deepEqual(b.items.map((i) => i.id), ids.slice(3, 6));

    // Prolong by the owner returns a Date ~ now + lockSecs.
    const before = Date.now();
    const prolonged = await rqA.prolongRequestLock(ids[1], { lockSecs: 120 });
    assertDate(prolonged.lockExpiresAt, 'lockExpiresAt');
    const delta = prolonged.lockExpiresAt.getTime() - before;
    assert.ok(delta > 110_000 && delta <= 125_000, `prolonged lock ~ now+120s, got +${delta} ms`);

    // Prolong by another client is refused.
    await assertApiError(rqB.prolongRequestLock(ids[1], { lockSecs: 120 }), { statusRange: [400, 499] },
        'prolonging a lock held by another clientKey');

    // Delete lock: the request becomes available to the other client.
    await rqA.deleteRequestLock(ids[0]);
    const b2 = await rqB.listAndLockHead({ lockSecs: 30, limit: 5 });
    assert.deepEqual(b2.items.map((i) => i.id), [ids[0]]);
    // Deleting a lock you do not own is refused.
    await assertApiError(rqA.deleteRequestLock(ids[3]), { statusRange: [400, 499] },
        'deleting a lock held by another clientKey');

    // Mark ids[1] handled (full request object, as crawlee does).
    const full = await rqA.getRequest(ids[1]);
    const handledAt = new Date().toISOString();
    const upd = await rqA.updateRequest({ ...full, handledAt });
    assert.equal(upd.requestId, ids[1]);
    assert.equal(upd.wasAlreadyPresent, true);
    assert.equal(upd.wasAlreadyHandled, false);

    let info = await rqA.get();
    assert.equal(info.totalRequestCount, 6);
    assert.equal(info.handledRequestCount, 1);
    assert.equal(info.pendingRequestCount, 5);
    assert.equal(info.hadMultipleClients, true);

    const handled = await rqA.getRequest(ids[1]);
    assertDate(handled.handledAt, 'handledAt');
    assert.equal(handled.handledAt.toISOString(), handledAt);

    // The handled request never comes back through head or head/lock.
    await rqA.deleteRequestLock(ids[2]);
    const head = await rqA.listHead({ limit: 100 });
    assert.ok(!head.items.some((i) => i.id === ids[1]), 'handled request left the head');
    const relock = await rqA.listAndLockHead({ lockSecs: 30, limit: 25 });
    assert.ok(!relock.items.some((i) => i.id === ids[1]));
    assert.deepEqual(relock.items.map((i) => i.id), [ids[2]]);

    // Re-adding a handled request reports wasAlreadyHandled.
    const readd = await rqA.addRequest(requests[1]);
    assert.equal(readd.wasAlreadyPresent, true);
    assert.equal(readd.wasAlreadyHandled, true);

    // Mark the remaining ones handled via the other client too.
    for (const rid of [ids[0], ids[3]]) {
        const r = await rqB.getRequest(rid);
        await rqB.updateRequest({ ...r, handledAt: new Date().toISOString() });
    }
    info = await rqA.get();
    assert.equal(info.handledRequestCount, 3);
    assert.equal(info.pendingRequestCount, 3);

    // Reclaim (update without handledAt, forefront) puts a request back at the front.
    const r5 = await rqB.getRequest(ids[5]);
    await rqB.updateRequest({ ...r5, retryCount: 1, errorMessages: ['boom'] }, { forefront: true });
    await rqB.deleteRequestLock(ids[5], { forefront: true });
    const afterReclaim = await rqB.getRequest(ids[5]);
    assert.equal(afterReclaim.retryCount, 1);
    assert.deepEqual(afterReclaim.errorMessages, ['boom']);
    const headNow = await rqB.listHead({ limit: 10 });
    assert.equal(headNow.items[0]?.id, ids[5], 'reclaimed with forefront is first in head');
});

test('getRequest returns the stored request without null fields', async () => {
    const id = await newQueue();
    const rq = client.requestQueue(id, { clientKey: 'getter' });
    const request = {
        url: 'https://example.com/post',
        uniqueKey: 'post-1',
        method: 'POST',
        payload: '{"q":1}',
        headers: { 'x-test': 'yes' },
        userData: { label: 'START', nested: { deep: [1, 2] } },
        noRetry: false,
        retryCount: 0,
        errorMessages: [],
    };
    const { requestId } = await rq.addRequest(request);
    const got = await rq.getRequest(requestId);
    assert.deepEqual(findNullPaths(got), [], 'request object must not contain null fields (actor-runtime T9)');
    assert.equal(got.id, requestId);
    assert.equal(got.url, request.url);
    assert.equal(got.uniqueKey, request.uniqueKey);
    assert.equal(got.method, 'POST');
    assert.equal(got.payload, request.payload);
    assert.deepEqual(got.headers, request.headers);
    assert.deepEqual(got.userData, request.userData);
    assert.equal(got.retryCount, 0);
    assert.equal(got.noRetry, false);
    assert.ok(!('handledAt' in got), 'unhandled request has no handledAt');

    // A minimal request also comes back without nulls.
    const { requestId: minimalId } = await rq.addRequest({ url: 'https://example.com/min', uniqueKey: 'min' });
    const minimal = await rq.getRequest(minimalId);
    assert.deepEqual(findNullPaths(minimal), []);
    assert.equal(minimal.url, 'https://example.com/min');

    assert.equal(await rq.getRequest('AAAAAAAAAAAAAAA'), undefined);

    // deleteRequest removes it.
    await rq.deleteRequest(minimalId);
    assert.equal(await rq.getRequest(minimalId), undefined);
});

test('listRequests: limit + cursor pagination (and legacy exclusiveStartId)', async () => {
    const id = await newQueue('list');
    const rq = client.requestQueue(id, { clientKey: 'lister' });
    const requests = Array.from({ length: 7 }, (_, i) => req(i));
    await rq.batchAddRequests(requests);
    const expectedIds = new Set(requests.map((r) => requestIdFromUniqueKey(r.uniqueKey)));

    const collected = [];
    let page = await rq.listRequests({ limit: 3 });
    assert.equal(page.limit, 3);
    assert.equal(page.items.length, 3);
    assert.equal(typeof page.nextCursor, 'string', 'a full page has nextCursor');
    collected.push(...page.items);
    let guard = 0;
    while (page.nextCursor && guard++ < 10) {
        const cursor = page.nextCursor;
        page = await rq.listRequests({ limit: 3, cursor });
        assert.ok(page.items.length <= 3);
        collected.push(...page.items);
    }
    const ids = collected.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'no request listed twice');
    assert.deepEqual(new Set(ids), expectedIds);
    for (const r of collected) {
        assert.deepEqual(findNullPaths(r), [], `listed request ${r.id} has null fields`);
        assert.equal(r.url, `https://example.com/page/${r.uniqueKey.split('/').pop()}`);
    }

    // The client's own paginator follows nextCursor.
    const pages = [];
    for await (const p of rq.paginateRequests({ maxPageLimit: 2 })) pages.push(p);
    const paginated = pages.flatMap((p) => p.items.map((r) => r.id));
    assert.equal(paginated.length, 7);
    assert.deepEqual(new Set(paginated), expectedIds);
    assert.ok(pages.length >= 4, `expected >= 4 pages of 2, got ${pages.length}`);

    // Legacy exclusiveStartId: that id is not part of the result.
    const first = await rq.listRequests({ limit: 2 });
    const startId = first.items[1].id;
    const rest = await rq.listRequests({ exclusiveStartId: startId });
    assert.ok(!rest.items.some((r) => r.id === startId));
    assert.ok(!rest.items.some((r) => r.id === first.items[0].id));
    assert.equal(rest.items.length, 5);

    // filter=pending excludes handled requests.
    const h = await rq.getRequest(ids[0]);
    await rq.updateRequest({ ...h, handledAt: new Date().toISOString() });
    const pending = await rq.listRequests({ filter: ['pending'] });
    assert.equal(pending.items.length, 6);
    assert.ok(!pending.items.some((r) => r.id === ids[0]));
});

test('hadMultipleClients flips only when a second clientKey touches the queue', async () => {
    const id = await newQueue('multi');
    const rqA = client.requestQueue(id, { clientKey: 'only-a' });
    await rqA.addRequest(req(1));
    await rqA.addRequest(req(2));
    let head = await rqA.listHead();
    assert.equal(head.hadMultipleClients, false);
    const lockA = await rqA.listAndLockHead({ lockSecs: 30, limit: 1 });
    assert.equal(lockA.hadMultipleClients, false);
    assert.equal((await rqA.get()).hadMultipleClients, false);

    const rqB = client.requestQueue(id, { clientKey: 'then-b' });
    head = await rqB.listHead();
    assert.equal(head.hadMultipleClients, true);
    assert.equal((await rqA.get()).hadMultipleClients, true);
});

test('queue list / update / delete', async () => {
    const id = await newQueue('crud');
    const newName = uniqueName('rqrenamed');
    const updated = await client.requestQueue(id).update({ name: newName });
    assert.equal(updated.name, newName);
    assert.equal((await client.requestQueue(`~${newName}`).get())?.id, id);

    const list = await client.requestQueues().list();
    assert.ok(list.items.some((q) => q.id === id));
    assert.equal(list.total, list.items.length);

    await client.requestQueue(id).delete();
    assert.equal(await client.requestQueue(id).get(), undefined);
});

test('batchDeleteRequests, unlockRequests, id/uniqueKey mismatch, clientKey length', async () => {
    const id = await newQueue('misc');
    const rq = client.requestQueue(id, { clientKey: 'misc-a' });
    const requests = Array.from({ length: 5 }, (_, i) => req(i));
    await rq.batchAddRequests(requests, { maxParallel: 1 });
    const ids = requests.map((r) => requestIdFromUniqueKey(r.uniqueKey));

    // unlock releases this client's locks
    const locked = await rq.listAndLockHead({ lockSecs: 60, limit: 3 });
    assert.equal(locked.items.length, 3);
    const unlocked = await rq.unlockRequests();
    assert.equal(unlocked.unlockedCount, 3);
    const relocked = await client.requestQueue(id, { clientKey: 'misc-b' }).listAndLockHead({ lockSecs: 60, limit: 5 });
    assert.equal(relocked.items.length, 5, 'all requests lockable again after unlock');

    // batch delete by id and by uniqueKey
    const del = await rq.batchDeleteRequests([{ id: ids[0] }, { uniqueKey: requests[1].uniqueKey }]);
    assert.equal(del.unprocessedRequests.length, 0);
    assert.equal(del.processedRequests.length, 2);
    assert.equal(await rq.getRequest(ids[0]), undefined);
    assert.equal(await rq.getRequest(ids[1]), undefined);
    assert.ok(await rq.getRequest(ids[2]));

    // updateRequest with an id that does not match its uniqueKey
    const r2 = await rq.getRequest(ids[2]);
    await assertApiError(rq.updateRequest({ ...r2, uniqueKey: 'something-else' }),
        { statusCode: 400, type: 'request-id-invalid' }, 'id/uniqueKey mismatch');

    // clientKey longer than 32 characters
    const longKey = client.requestQueue(id, { clientKey: 'x'.repeat(33) });
    await assertApiError(longKey.listHead(), { statusCode: 400, type: 'invalid-client-key' }, 'clientKey > 32 chars');
});
