// Webhooks through the unmodified apify-client: create, read, update,
// test, dispatches and delete; an actor run whose ACTOR.RUN.SUCCEEDED
// reaches a receiver on 127.0.0.1; and a delivery that is still being
// retried when the server is killed, made by the restarted server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';

import {
    RESOURCE_ID_RE, startServer, restartServer, makeClient, createActorFromFiles, buildActor, waitFor, uniqueName,
} from './helpers.mjs';

// A receiver on 127.0.0.1 that records every request; `status()` decides
// each answer.
async function startReceiver(status = () => 200) {
    const requests = [];
    const server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => { body += c; });
        req.on('end', () => {
            const code = status();
            requests.push({ headers: req.headers, body: JSON.parse(body), status: code, at: Date.now() });
            res.writeHead(code).end(code === 200 ? 'ok' : 'not now');
        });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/hook`;
    return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

// A shell actor: no dependencies to install, so it builds in a moment.
const SHELL_ACTOR = { Dockerfile: 'FROM scratch\nCMD ["/bin/sh", "-c", "echo webhook e2e"]\n' };

describe('webhooks', () => {
    let server;
    let client;
    let receiver;

    before(async () => {
        server = await startServer();
        client = makeClient(server, server.adminToken, { timeoutSecs: 90 });
        receiver = await startReceiver();
    });
    after(async () => {
        await receiver?.close();
        await server?.stop();
    });

    test('an actor webhook receives ACTOR.RUN.SUCCEEDED; CRUD, test and dispatches', async () => {
        const actor = await createActorFromFiles(client, SHELL_ACTOR, { name: uniqueName('hooked') });
        await buildActor(client, actor.id);

        const created = await client.webhooks().create({
            eventTypes: ['ACTOR.RUN.SUCCEEDED'],
            condition: { actorId: actor.id },
            requestUrl: receiver.url,
            idempotencyKey: uniqueName('key'),
        });
        assert.match(created.id, RESOURCE_ID_RE);
        assert.equal(created.isAdHoc, false);
        assert.deepEqual(created.condition, { actorId: actor.id });

        const updated = await client.webhook(created.id).update({ description: 'e2e', eventTypes: ['ACTOR.RUN.SUCCEEDED', 'TEST'] });
        assert.equal(updated.description, 'e2e');
        const got = await client.webhook(created.id).get();
        assert.deepEqual(got.eventTypes, ['ACTOR.RUN.SUCCEEDED', 'TEST']);
        assert.ok(got.createdAt instanceof Date);

        const run = await client.actor(actor.id).call();
        assert.equal(run.status, 'SUCCEEDED');
        const delivered = await waitFor(() => receiver.requests.find((r) => r.body.eventType === 'ACTOR.RUN.SUCCEEDED'),
            { timeoutMs: 10_000, what: 'ACTOR.RUN.SUCCEEDED at the receiver' });
        assert.equal(delivered.body.eventData.actorRunId, run.id);
        assert.equal(delivered.body.eventData.actorId, actor.id);
        assert.equal(delivered.body.resource.id, run.id);
        assert.equal(delivered.body.resource.status, 'SUCCEEDED');
        assert.equal(delivered.headers['x-apify-webhook'], created.id);
        assert.equal(delivered.headers.authorization, undefined);

        const dispatches = await waitFor(async () => {
            const page = await client.webhook(created.id).dispatches().list();
            return page.items.length === 1 && page.items[0].status === 'SUCCEEDED' ? page : null;
        }, { timeoutMs: 10_000, what: 'a SUCCEEDED dispatch' });
        assert.equal(dispatches.items[0].eventType, 'ACTOR.RUN.SUCCEEDED');
        assert.equal(dispatches.items[0].calls[0].responseStatus, 200);

        const testDispatch = await client.webhook(created.id).test();
        assert.equal(testDispatch.eventType, 'TEST');
        await waitFor(() => receiver.requests.some((r) => r.body.eventType === 'TEST'), { what: 'the TEST event' });
        const all = await client.webhookDispatches().list({ desc: true });
        assert.equal(all.total, 2);
        assert.equal(all.items[0].id, testDispatch.id);

        await client.webhook(created.id).delete();
        assert.equal(await client.webhook(created.id).get(), undefined);
    });

    test('a delivery retried when the server is killed is made by the restarted server', async () => {
        let healthy = false;
        const flaky = await startReceiver(() => (healthy ? 200 : 500));
        let restarted = await startServer({ env: { ACTORD_WEBHOOK_RETRY_BASE_SECS: '1' } });
        try {
            const c = makeClient(restarted);
            const actor = await createActorFromFiles(c, SHELL_ACTOR, { name: uniqueName('restart') });
            const hook = await c.webhooks().create({ eventTypes: ['TEST'], condition: { actorId: actor.id }, requestUrl: flaky.url });
            const dispatch = await c.webhook(hook.id).test();
            await waitFor(() => flaky.requests.length >= 1, { what: 'the first (failing) attempt' });

            restarted = await restartServer(restarted);
            const upAt = Date.now();
            healthy = true;
            const c2 = makeClient(restarted);
            const done = await waitFor(async () => {
                const d = await c2.webhookDispatch(dispatch.id).get();
                return d.status !== 'ACTIVE' ? d : null;
            }, { timeoutMs: 15_000, what: 'the dispatch to end after the restart' });
            assert.equal(done.status, 'SUCCEEDED');
            assert.ok(done.calls.length >= 2, `calls: ${JSON.stringify(done.calls)}`);
            assert.equal(done.calls.at(-1).responseStatus, 200);
            const ok = flaky.requests.filter((r) => r.status === 200);
            assert.equal(ok.length, 1);
            assert.ok(ok[0].at >= upAt, 'the successful attempt came from the restarted server');
        } finally {
            await restarted.stop();
            await flaky.close();
        }
    });
});
