// The headline routes: run-sync-get-dataset-items (and run-sync) of actors
// and tasks, over raw HTTP as the seed pages document them (apify-client has
// no method for them). Every query parameter of both seed pages goes through
// the examples/hello actor and a task of it, GET and POST, and each answer
// must equal, byte for byte, GET /v2/datasets/{id}/items of the run's dataset
// with the same parameters. Then actord's own additions: X-Actord-Run-Id,
// Idempotency-Key after a 408, and stream=1.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';

import {
    E2E_DIR, startServer, makeClient, rawRequest, createActorFromDir, createActorFromFiles, buildActor, waitFor, sleep,
} from './helpers.mjs';

const EXAMPLES_DIR = path.resolve(E2E_DIR, '..', 'examples');
const CLIENT_TIMEOUT_SECS = 90;
const BUILD_TIMEOUT_SECS = 180;
const WITH_BUILD_MS = (BUILD_TIMEOUT_SECS + 120) * 1000;

// Run options (first part) and dataset options (second part) of the seed
// pages. Together the rows use every parameter of both pages; every row
// runs against the actor and the task, GET and POST.
const PARAM_ROWS = [
    ['timeout=120&memory=512&build=latest', 'format=json&clean=1&fields=greeting,n,letters&desc=1&offset=1&limit=2'],
    ['maxItems=100&maxTotalChargeUsd=5', 'format=jsonl&omit=meta&unwind=letters&skipEmpty=1'],
    ['restartOnError=false', 'format=csv&flatten=meta&delimiter=%3B&bom=0&skipHeaderRow=1&skipHidden=1'],
    ['', 'format=xlsx&attachment=1&fields=greeting,meta&flatten=meta'],
    ['', 'format=xml&xmlRoot=greetings&xmlRow=greeting&skipFailedPages=1'],
    ['', 'format=html&simplified=1'],
    ['', 'format=rss&limit=3'],
    ['', 'view=overview&format=csv'],
    ['webhooks=WEBHOOKS', 'format=json&skipHidden=1&skipEmpty=1&omit=letters'],
];

// Plain Node actors (no dependencies, so no npm install): `sleeper` pushes
// one item, sleeps input.sleepMs, pushes another and exits with
// input.exitCode.
const SLEEPER = `const base = process.env.APIFY_API_BASE_URL.replace(/\\/$/, '') + '/v2';
const h = { Authorization: 'Bearer ' + process.env.APIFY_TOKEN, 'Content-Type': 'application/json' };
const res = await fetch(base + '/key-value-stores/' + process.env.ACTOR_DEFAULT_KEY_VALUE_STORE_ID + '/records/INPUT', { headers: h });
const input = res.status === 200 ? await res.json() : {};
const push = (item) => fetch(base + '/datasets/' + process.env.ACTOR_DEFAULT_DATASET_ID + '/items', { method: 'POST', headers: h, body: JSON.stringify(item) });
await push({ step: 1 });
await new Promise((r) => setTimeout(r, input.sleepMs ?? 0));
await push({ step: 2 });
process.exit(input.exitCode ?? 0);
`;

/** Starts a local receiver that records the JSON bodies POSTed to it. */
async function startReceiver() {
    const calls = [];
    const srv = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => { body += c; });
        req.on('end', () => {
            calls.push(body);
            res.writeHead(200).end('ok');
        });
    });
    await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${srv.address().port}/hook`, calls, close: () => new Promise((r) => srv.close(r)) };
}

describe('run-sync-get-dataset-items and run-sync', () => {
    let server;
    let client;
    let hello;
    let sleeper;
    let task;
    let receiver;

    before(async () => {
        server = await startServer();
        client = makeClient(server, server.adminToken, { timeoutSecs: CLIENT_TIMEOUT_SECS });
        receiver = await startReceiver();
        hello = await createActorFromDir(client, path.join(EXAMPLES_DIR, 'hello'));
        sleeper = await createActorFromFiles(client, { 'main.mjs': SLEEPER }, { name: 'sleeper' });
        await Promise.all([
            buildActor(client, hello.id, '0.1', { timeoutSecs: BUILD_TIMEOUT_SECS }),
            buildActor(client, sleeper.id, '0.1', { timeoutSecs: BUILD_TIMEOUT_SECS }),
        ]);
        task = await client.tasks().create({ actId: hello.id, name: 'detailed', input: { name: 'Task', count: 4, details: true } });
    }, { timeout: WITH_BUILD_MS });
    after(async () => {
        await server?.stop();
        await receiver?.close();
    });

    test('every seed-page parameter, actor and task, GET and POST: the body is the dataset\'s export, byte for byte', { timeout: 240_000 }, async () => {
        const webhooks = Buffer.from(JSON.stringify([{ eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: receiver.url }])).toString('base64');
        const targets = [
            ['actor POST', 'POST', `/v2/acts/${hello.id}/run-sync-get-dataset-items`, { name: 'Ada', count: 5, details: true }],
            ['actor GET', 'GET', `/v2/actors/admin~hello/run-sync-get-dataset-items`, undefined],
            ['task POST', 'POST', `/v2/actor-tasks/${task.id}/run-sync-get-dataset-items`, { count: 3 }],
            ['task GET', 'GET', `/v2/actor-tasks/admin~detailed/run-sync-get-dataset-items`, undefined],
        ];
        let runs = 0;
        const hookedRuns = [];
        for (const [runPart, datasetPart] of PARAM_ROWS) {
            const query = [runPart.replace('WEBHOOKS', encodeURIComponent(webhooks)), datasetPart].filter(Boolean).join('&');
            for (const [label, method, route, input] of targets) {
                const res = await rawRequest(server, `${route}?${query}`, { method, body: input });
                assert.equal(res.status, 201, `${label} ${query}: ${res.text.slice(0, 300)}`);
                const runId = res.headers.get('x-actord-run-id');
                assert.ok(runId, `${label} ${query}: X-Actord-Run-Id`);
                const run = await client.run(runId).get();
                assert.equal(run.status, 'SUCCEEDED');
                if (label.startsWith('task')) assert.equal(run.actorTaskId, task.id, `${label}: actorTaskId`);
                const want = await rawRequest(server, `/v2/datasets/${run.defaultDatasetId}/items?${datasetPart}`);
                assert.equal(want.status, 200);
                assert.ok(res.buffer.equals(want.buffer), `${label} ${query}: body differs from the dataset's export\n`
                    + `got  ${JSON.stringify(res.text.slice(0, 400))}\nwant ${JSON.stringify(want.text.slice(0, 400))}`);
                for (const h of ['content-type', 'content-disposition', 'x-apify-pagination-offset', 'x-apify-pagination-limit',
                    'x-apify-pagination-count', 'x-apify-pagination-total', 'x-apify-pagination-desc']) {
                    assert.equal(res.headers.get(h), want.headers.get(h), `${label} ${query}: ${h}`);
                }
                if (runPart.startsWith('timeout')) {
                    assert.equal(run.options.timeoutSecs, 120);
                    assert.equal(run.options.memoryMbytes, 512);
                }
                if (runPart.startsWith('maxItems')) {
                    assert.equal(run.options.maxItems, 100);
                }
                if (runPart.startsWith('webhooks')) hookedRuns.push(runId);
                runs++;
            }
        }
        assert.equal(runs, PARAM_ROWS.length * 4);
        // The ad-hoc webhook of each run of the webhooks row fires exactly
        // once, with the default payload, and no other run's does.
        await waitFor(() => receiver.calls.length >= hookedRuns.length, { timeoutMs: 15_000, what: 'ad-hoc webhook deliveries' });
        await sleep(500);
        const delivered = receiver.calls.map((body) => JSON.parse(body));
        assert.equal(delivered.length, hookedRuns.length, 'one delivery per run');
        assert.deepEqual(delivered.map((d) => d.resource.id).sort(), [...hookedRuns].sort());
        for (const d of delivered) {
            assert.equal(d.eventType, 'ACTOR.RUN.SUCCEEDED');
            assert.equal(d.eventData.actorRunId, d.resource.id);
            assert.equal(d.resource.status, 'SUCCEEDED');
        }
    });

    test('run-sync answers with the OUTPUT record, for the actor and the task', { timeout: 60_000 }, async () => {
        let res = await rawRequest(server, `/v2/acts/${hello.id}/run-sync`, { method: 'POST', body: { name: 'Ada', count: 2 } });
        assert.equal(res.status, 201, res.text);
        assert.match(res.headers.get('content-type'), /^application\/json/);
        assert.deepEqual(res.json, { greeting: 'Hello, Ada!', name: 'Ada', count: 2 });
        res = await rawRequest(server, `/v2/actor-tasks/admin~detailed/run-sync`);
        assert.equal(res.status, 201, res.text);
        assert.deepEqual(res.json, { greeting: 'Hello, Task!', name: 'Task', count: 4 });
    });

    test('a failing run is 400 run-failed naming the run; an invalid input is 400 invalid-input and no run', { timeout: 60_000 }, async () => {
        const res = await rawRequest(server, `/v2/acts/${sleeper.id}/run-sync-get-dataset-items`, { method: 'POST', body: { exitCode: 3 } });
        const runId = res.headers.get('x-actord-run-id');
        assert.equal(res.status, 400, res.text);
        assert.equal(res.json.error.type, 'run-failed');
        assert.equal(res.json.error.message, `Actor run did not succeed (run ID: ${runId}, status: FAILED)`);
        assert.equal((await client.run(runId).get()).exitCode, 3);

        const before = (await client.actor(hello.id).runs().list()).total;
        const bad = await rawRequest(server, `/v2/acts/${hello.id}/run-sync-get-dataset-items`, { method: 'POST', body: { count: 'many' } });
        assert.equal(bad.status, 400, bad.text);
        assert.equal(bad.json.error.type, 'invalid-input');
        assert.equal(bad.headers.get('x-actord-run-id'), null);
        assert.equal((await client.actor(hello.id).runs().list()).total, before, 'no run was created');
    });

    test('stream=1: the first item arrives before the run ends, and the body is the dataset\'s jsonl', { timeout: 60_000 }, async () => {
        const res = await fetch(`${server.baseUrl}/v2/acts/${sleeper.id}/run-sync-get-dataset-items?stream=1&format=jsonl`, {
            method: 'POST',
            headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ sleepMs: 1500 }),
        });
        assert.equal(res.status, 201);
        const runId = res.headers.get('x-actord-run-id');
        const reader = res.body.getReader();
        const chunks = [];
        let firstAt;
        for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            if (!firstAt) firstAt = new Date();
            chunks.push(Buffer.from(value));
        }
        const run = await client.run(runId).get();
        assert.equal(run.status, 'SUCCEEDED');
        assert.ok(firstAt < new Date(run.finishedAt), `first bytes at ${firstAt.toISOString()}, run finished at ${run.finishedAt}`);
        const want = await rawRequest(server, `/v2/datasets/${run.defaultDatasetId}/items?format=jsonl`);
        assert.equal(Buffer.concat(chunks).toString(), want.text);
        assert.equal(want.text, '{"step":1}\n{"step":2}');
    });
});

describe('the sync wall (ACTORD_SYNC_TIMEOUT_SECS=2) and Idempotency-Key', () => {
    let server;
    let client;
    let sleeper;

    before(async () => {
        server = await startServer({ env: { ACTORD_SYNC_TIMEOUT_SECS: '2' } });
        client = makeClient(server, server.adminToken, { timeoutSecs: CLIENT_TIMEOUT_SECS });
        sleeper = await createActorFromFiles(client, { 'main.mjs': SLEEPER }, { name: 'sleeper' });
        await buildActor(client, sleeper.id, '0.1', { timeoutSecs: BUILD_TIMEOUT_SECS });
    }, { timeout: WITH_BUILD_MS });
    after(async () => {
        await server?.stop();
    });

    test('a 5 s run: 408 naming the run, which then succeeds; the same key answers 201 from it, and no second run exists', { timeout: 60_000 }, async () => {
        const headers = { 'idempotency-key': 'e2e-order-1' };
        const route = `/v2/acts/${sleeper.id}/run-sync-get-dataset-items?format=jsonl`;
        const t0 = Date.now();
        const res = await rawRequest(server, route, { method: 'POST', body: { sleepMs: 5000 }, headers });
        const took = Date.now() - t0;
        assert.equal(res.status, 408, res.text);
        assert.equal(res.json.error.type, 'run-timeout-exceeded');
        assert.equal(res.json.error.message, 'Actor run exceeded the timeout of 2 seconds for this API endpoint');
        const runId = res.headers.get('x-actord-run-id');
        assert.equal(res.json.error.data.runId, runId);
        assert.ok(took >= 2000 && took < 4000, `answered after ${took} ms`);

        const run = await client.run(runId).waitForFinish({ waitSecs: 30 });
        assert.equal(run.status, 'SUCCEEDED', 'the run went on after the 408');

        const again = await rawRequest(server, route, { method: 'POST', body: { sleepMs: 5000 }, headers });
        assert.equal(again.status, 201, again.text);
        assert.equal(again.headers.get('x-actord-run-id'), runId);
        assert.equal(again.text, '{"step":1}\n{"step":2}');
        assert.equal((await client.actor(sleeper.id).runs().list()).total, 1, 'no second run');
    });
});
