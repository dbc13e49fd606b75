// Actor tasks through the unmodified apify-client: a task of examples/hello
// with saved input and options, its input merged with a call's input, its
// runs and last run, and lookup by "username~name".
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import {
    E2E_DIR, RESOURCE_ID_RE, startServer, makeClient, assertApiError, assertDate,
    createActorFromDir, buildActor, assertRunStatus,
} from './helpers.mjs';

const EXAMPLES_DIR = path.resolve(E2E_DIR, '..', 'examples');
const CLIENT_TIMEOUT_SECS = 90;
const BUILD_TIMEOUT_SECS = 180;
// The first build may install apify on a cold cache.
const WITH_BUILD_MS = (BUILD_TIMEOUT_SECS + 120) * 1000;

describe('actor tasks', () => {
    let server;
    let client;
    let actor;

    before(async () => {
        server = await startServer();
        client = makeClient(server, server.adminToken, { timeoutSecs: CLIENT_TIMEOUT_SECS });
        actor = await createActorFromDir(client, path.join(EXAMPLES_DIR, 'hello'));
        await buildActor(client, actor.id, '0.1', { timeoutSecs: BUILD_TIMEOUT_SECS });
    }, { timeout: WITH_BUILD_MS });
    after(async () => {
        await server?.stop();
    });

    test('create, update, input, call with an input override, runs, last run, delete', async () => {
        const task = await client.tasks().create({
            actId: actor.id,
            name: 'greet-ada',
            input: { name: 'Ada', count: 2 },
            options: { memoryMbytes: 256, timeoutSecs: 120 },
        });
        assert.match(task.id, RESOURCE_ID_RE);
        assert.equal(task.actId, actor.id);
        assert.equal(task.name, 'greet-ada');
        assert.equal(task.username, 'admin');
        assertDate(task.createdAt, 'createdAt');
        assert.deepEqual(task.input, { name: 'Ada', count: 2 });
        assert.deepEqual(task.options, { memoryMbytes: 256, timeoutSecs: 120 });
        assert.deepEqual(task.stats, { totalRuns: 0 });

        await assertApiError(client.tasks().create({ actId: actor.id, name: 'greet-ada' }), { statusCode: 409 }, 'same name');

        const byName = await client.task('admin~greet-ada').get();
        assert.equal(byName?.id, task.id, 'username~name lookup');
        assert.equal(await client.task('admin~no-such-task').get(), undefined, 'a missing task is undefined');

        const updated = await client.task(task.id).update({ title: 'Greet Ada' });
        assert.equal(updated.title, 'Greet Ada');
        assert.deepEqual(updated.input, { name: 'Ada', count: 2 }, 'update keeps the input');

        assert.deepEqual(await client.task(task.id).getInput(), { name: 'Ada', count: 2 });
        assert.deepEqual(await client.task(task.id).updateInput({ count: 4 }), { name: 'Ada', count: 4 });
        assert.deepEqual(await client.task(task.id).getInput(), { name: 'Ada', count: 4 });

        // The call's input replaces "name"; "count" comes from the task.
        const run = await client.task(task.id).call({ name: 'Bob' }, { waitSecs: 120 });
        await assertRunStatus(client, run, 'SUCCEEDED');
        assert.equal(run.actorTaskId, task.id);
        assert.equal(run.actId, actor.id);
        assert.equal(run.options?.memoryMbytes, 256, 'memory from the task options');
        assert.equal(run.options?.timeoutSecs, 120, 'timeout from the task options');
        const input = await client.keyValueStore(run.defaultKeyValueStoreId).getRecord('INPUT');
        assert.deepEqual(input?.value, { name: 'Bob', count: 4 }, 'INPUT is the merged input');
        const greetings = [1, 2, 3, 4].map((n) => ({ greeting: 'Hello, Bob!', n }));
        assert.deepEqual((await client.dataset(run.defaultDatasetId).listItems()).items, greetings);

        const runs = await client.task(task.id).runs().list();
        assert.equal(runs.total, 1);
        assert.equal(runs.items[0].id, run.id);
        const last = client.task(task.id).lastRun({ status: 'SUCCEEDED' });
        assert.equal((await last.get())?.id, run.id);
        assert.deepEqual((await last.dataset().listItems()).items, greetings);
        assert.equal((await client.task(task.id).get()).stats.totalRuns, 1);

        const list = await client.tasks().list();
        assert.deepEqual(list.items.map((t) => t.id), [task.id]);

        await client.task(task.id).delete();
        assert.equal(await client.task(task.id).get(), undefined, 'deleted');
        assert.equal((await client.run(run.id).get())?.actorTaskId, task.id, 'the run stays');
    });
});
