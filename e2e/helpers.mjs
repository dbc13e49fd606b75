// Shared helpers for the actord end-to-end suite.
//
// Every test file starts its own actord process on a random port with a fresh
// temporary data directory, talks to it through the unmodified apify-client
// (only baseUrl and token are set, plus a small retry budget so that server
// bugs surface quickly) and stops it in an `after` hook.
//
// Run (from the repository root):
//   go build -o bin/actord ./cmd/actord
//   cd e2e && npm ci && ACTORD_BIN=../bin/actord npm test
//
// Environment:
//   ACTORD_BIN        path to the actord binary (default ../bin/actord, relative to e2e/)
//   ACTORD_E2E_LOGS=1 mirror the server's stderr to the test output
//   ACTORD_E2E_KEEP=1 keep the temporary data directory after the run
//   ACTORD_E2E_BUILD_CACHE_DIR  npm cache the servers' actor builds share
//                     (ACTORD_BUILD_CACHE_DIR; default <tmpdir>/actord-e2e-build-cache)

import { spawn, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';

import { ApifyClient } from 'apify-client';

const execFileAsync = promisify(execFile);

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));

const STARTUP_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const LOG_TAIL_LINES = 200;

// The client uses proxy-agent, which honours HTTP(S)_PROXY. Never route calls
// to the local test server through a proxy.
{
    const noProxy = process.env.NO_PROXY ?? process.env.no_proxy ?? '';
    if (!noProxy.split(',').map((s) => s.trim()).includes('127.0.0.1')) {
        const value = noProxy ? `${noProxy},127.0.0.1,localhost` : '127.0.0.1,localhost';
        process.env.NO_PROXY = value;
        process.env.no_proxy = value;
    }
}

/** Absolute path of the actord binary (env ACTORD_BIN, default ../bin/actord). */
export function actordBin() {
    const configured = process.env.ACTORD_BIN || '../bin/actord';
    if (path.isAbsolute(configured)) return configured;
    const fromCwd = path.resolve(process.cwd(), configured);
    if (existsSync(fromCwd)) return fromCwd;
    return path.resolve(E2E_DIR, configured);
}

/** Random token-ish string. */
export function randomToken(bytes = 24) {
    return randomBytes(bytes).toString('hex');
}

/**
 * npm/node_modules cache shared by every server of every test run on this machine
 * (ACTORD_BUILD_CACHE_DIR), so apify/crawlee are downloaded once, not per test.
 */
export const BUILD_CACHE_DIR = process.env.ACTORD_E2E_BUILD_CACHE_DIR || path.join(tmpdir(), 'actord-e2e-build-cache');

/**
 * Starts `actord serve` on 127.0.0.1:0 with a fresh data dir.
 * Resolves once the server logged `{"msg":"listening","addr":...}` and /healthz answers 200.
 *
 * Options: `env` adds to (or overrides) the server's environment, e.g.
 * `{ ACTORD_RUN_MEMORY_MBYTES: '1024' }`; `dataDir` reuses an existing data dir
 * (see restartServer); `listen` picks the address (default 127.0.0.1:0).
 */
export async function startServer({ adminToken = randomToken(), env = {}, dataDir, listen = '127.0.0.1:0' } = {}) {
    const bin = actordBin();
    if (!existsSync(bin)) {
        throw new Error(`actord binary not found at ${bin} (set ACTORD_BIN or run: go build -o bin/actord ./cmd/actord)`);
    }
    const ownsDataDir = !dataDir;
    dataDir ??= await mkdtemp(path.join(tmpdir(), 'actord-e2e-'));
    await mkdir(BUILD_CACHE_DIR, { recursive: true });
    const logLines = [];
    const mirrorLogs = process.env.ACTORD_E2E_LOGS === '1';

    const child = spawn(bin, ['serve', '--listen', listen, '--data-dir', dataDir], {
        env: { ...process.env, ACTORD_BUILD_CACHE_DIR: BUILD_CACHE_DIR, ...env, ACTORD_ADMIN_TOKEN: adminToken },
        stdio: ['ignore', 'pipe', 'pipe'],
    });

    const killOnExit = () => {
        try { child.kill('SIGKILL'); } catch { /* already gone */ }
    };
    process.on('exit', killOnExit);

    let exited = false;
    const exitPromise = new Promise((resolve) => {
        child.on('exit', (code, signal) => {
            exited = true;
            process.off('exit', killOnExit);
            resolve({ code, signal });
        });
    });

    const addrPromise = new Promise((resolve, reject) => {
        let buffered = '';
        let settled = false;
        const finish = (err, value) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            if (err) reject(err); else resolve(value);
        };
        const timer = setTimeout(() => {
            finish(new Error(`actord did not log "listening" within ${STARTUP_TIMEOUT_MS} ms.\n${logLines.join('\n')}`));
        }, STARTUP_TIMEOUT_MS);
        const onLine = (line) => {
            logLines.push(line);
            if (logLines.length > LOG_TAIL_LINES) logLines.shift();
            if (mirrorLogs) process.stderr.write(`[actord] ${line}\n`);
            let rec;
            try { rec = JSON.parse(line); } catch { return; }
            if (rec && rec.msg === 'listening' && typeof rec.addr === 'string') finish(null, rec.addr);
        };
        const onData = (chunk) => {
            buffered += chunk.toString('utf8');
            let nl;
            while ((nl = buffered.indexOf('\n')) >= 0) {
                onLine(buffered.slice(0, nl));
                buffered = buffered.slice(nl + 1);
            }
        };
        child.stderr.on('data', onData);
        child.stdout.on('data', (chunk) => {
            if (mirrorLogs) process.stderr.write(`[actord stdout] ${chunk}`);
        });
        child.on('error', (err) => finish(err));
        exitPromise.then(({ code, signal }) => {
            finish(new Error(`actord exited during startup (code ${code}, signal ${signal}).\n${logLines.join('\n')}`));
        });
    });

    let addr;
    try {
        addr = await addrPromise;
    } catch (err) {
        if (!exited && child.pid !== undefined) {
            child.kill('SIGKILL');
            await exitPromise;
        }
        if (ownsDataDir && process.env.ACTORD_E2E_KEEP !== '1') await rm(dataDir, { recursive: true, force: true });
        throw err;
    }

    const baseUrl = `http://${addr}`;
    const server = {
        addr,
        baseUrl,
        dataDir,
        adminToken,
        adminUsername: 'admin',
        env,
        process: child,
        /** Whether stop() removes the data dir (a restarted server takes it over). */
        ownsDataDir: true,
        logTail: () => logLines.join('\n'),
        /** SIGKILLs the server (no graceful shutdown) and waits for it to exit; the data dir stays. */
        async kill9() {
            if (!exited) {
                child.kill('SIGKILL');
                await exitPromise;
            }
        },
        async stop() {
            if (!exited) {
                child.kill('SIGTERM');
                let timer;
                const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS); });
                const outcome = await Promise.race([exitPromise, timeout]);
                clearTimeout(timer);
                if (outcome === 'timeout') {
                    child.kill('SIGKILL');
                    await exitPromise;
                }
            }
            if (server.ownsDataDir && process.env.ACTORD_E2E_KEEP !== '1') {
                await rm(dataDir, { recursive: true, force: true });
            }
        },
    };

    try {
        const res = await fetch(`${baseUrl}/healthz`);
        await res.arrayBuffer();
        assert.equal(res.status, 200, 'GET /healthz must return 200');
    } catch (err) {
        await server.stop();
        throw err;
    }
    return server;
}

/**
 * Starts a new server on the data dir (and, by default, the address) of `server`,
 * which must have exited (e.g. after `server.kill9()`). The new server takes the
 * data dir over: the old one's stop() no longer removes it.
 */
export async function restartServer(server, { env = server.env, sameAddress = true } = {}) {
    await server.kill9();
    server.ownsDataDir = false;
    return startServer({
        adminToken: server.adminToken,
        env,
        dataDir: server.dataDir,
        listen: sameAddress ? server.addr : '127.0.0.1:0',
    });
}

/**
 * Runs `actord user create <username> --data-dir <dir>` and returns the parsed
 * `{id, username, token}` line it prints on stdout.
 */
export async function createUser(server, username) {
    const { stdout } = await execFileAsync(actordBin(), ['user', 'create', username, '--data-dir', server.dataDir], {
        env: { ...process.env, ACTORD_ADMIN_TOKEN: server.adminToken },
        timeout: 10_000,
    });
    const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    assert.equal(lines.length, 1, `user create must print exactly one line, got: ${stdout}`);
    const user = JSON.parse(lines[0]);
    assert.equal(user.username, username);
    assert.equal(typeof user.id, 'string');
    assert.equal(typeof user.token, 'string');
    assert.ok(user.token.length > 0);
    return user;
}

/**
 * An unmodified ApifyClient pointed at the test server. `timeoutSecs` must exceed
 * any server-side long poll the caller uses (`waitForFinish` waits up to 60 s).
 */
export function makeClient(server, token = server.adminToken, { timeoutSecs = 20 } = {}) {
    const options = {
        baseUrl: server.baseUrl,
        maxRetries: 0,
        minDelayBetweenRetriesMillis: 10,
        timeoutSecs,
    };
    if (token !== undefined && token !== null) options.token = token;
    return new ApifyClient(options);
}

/**
 * Raw HTTP call against the server (for status codes, headers and byte-exact bodies
 * the client hides). `token: null` sends no Authorization header.
 */
export async function rawRequest(server, urlPath, { method = 'GET', token = server.adminToken, body, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    let payload = body;
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
        payload = JSON.stringify(body);
        if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
    }
    const res = await fetch(`${server.baseUrl}${urlPath}`, { method, headers: h, body: payload });
    const buf = Buffer.from(await res.arrayBuffer());
    const text = buf.toString('utf8');
    let json;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: res.status, headers: res.headers, buffer: buf, text, json };
}

/**
 * Removes insignificant JSON whitespace (outside string literals) without
 * parsing, so key order and number spelling are preserved exactly.
 */
export function compactJsonText(text) {
    let out = '';
    let inString = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
            out += c;
            if (c === '\\') {
                out += text[++i];
            } else if (c === '"') {
                inString = false;
            }
        } else if (c === '"') {
            inString = true;
            out += c;
        } else if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') {
            out += c;
        }
    }
    return out;
}

/** Request-queue request id per api-contract §4.1: base64(sha256(uniqueKey)) minus +/=, first 15 chars. */
export function requestIdFromUniqueKey(uniqueKey) {
    return createHash('sha256').update(uniqueKey).digest('base64').replace(/[+/=]/g, '').slice(0, 15);
}

/** Resource ids per api-contract §4.1: 17 chars of [a-zA-Z0-9]. */
export const RESOURCE_ID_RE = /^[a-zA-Z0-9]{17}$/;

/** Unique, valid storage name for this test run. */
export function uniqueName(prefix) {
    return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Asserts that `promise` rejects with an ApifyApiError of the given status (and type, if given). */
export async function assertApiError(promise, { statusCode, type, statusRange }, message) {
    await assert.rejects(promise, (err) => {
        const where = message ? `${message}: ` : '';
        if (statusRange) {
            assert.ok(err.statusCode >= statusRange[0] && err.statusCode <= statusRange[1],
                `${where}expected HTTP status in ${statusRange.join('..')}, got ${err.statusCode} (${err.type}: ${err.message})`);
        }
        if (statusCode !== undefined) {
            assert.equal(err.statusCode, statusCode, `${where}HTTP status (${err.type}: ${err.message})`);
        }
        if (type !== undefined) {
            assert.equal(err.type, type, `${where}error.type (${err.message})`);
        }
        return true;
    });
}

/** Recursively collects paths whose value is null. */
export function findNullPaths(value, prefix = '$') {
    if (value === null) return [prefix];
    if (Array.isArray(value)) return value.flatMap((v, i) => findNullPaths(v, `${prefix}[${i}]`));
    if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
        return Object.entries(value).flatMap(([k, v]) => findNullPaths(v, `${prefix}.${k}`));
    }
    return [];
}

/** Asserts `value` is a valid Date (the client converts every `*At` field). */
export function assertDate(value, label) {
    assert.ok(value instanceof Date, `${label} should be a Date (ISO string from the server), got ${JSON.stringify(value)}`);
    assert.ok(!Number.isNaN(value.getTime()), `${label} should be a valid date`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a server (and a client for it) before the calling file's tests and
 * stops it after them; `ready(server, client)` receives both.
 */
export function useServer(ready) {
    let server;
    before(async () => {
        server = await startServer();
        ready(server, makeClient(server));
    });
    after(async () => {
        await server?.stop();
    });
}

// ---------------------------------------------------------------------------
// Actors, builds and runs.

/** Terminal statuses of builds and runs. */
export const TERMINAL_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED-OUT', 'ABORTED'];

const SKIPPED_SOURCE_DIRS = new Set(['node_modules', 'storage', '.git']);

/**
 * Reads every file under `dir` (recursively, skipping node_modules, storage and
 * .git) as Apify source files: `{name: 'relative/posix/path', format, content}`,
 * format TEXT for UTF-8 text and BASE64 for anything else. Sorted by name.
 */
export async function readSourceFiles(dir) {
    const files = [];
    const walk = async (rel) => {
        const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
        for (const entry of entries) {
            const relPath = rel ? `${rel}/${entry.name}` : entry.name;
            if (entry.isDirectory()) {
                if (!SKIPPED_SOURCE_DIRS.has(entry.name)) await walk(relPath);
            } else if (entry.isFile()) {
                files.push(sourceFile(relPath, await readFile(path.join(dir, relPath))));
            }
        }
    };
    await walk('');
    return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One source file; `content` is a string (TEXT) or a Buffer (TEXT if it is UTF-8 text, else BASE64). */
export function sourceFile(name, content) {
    if (typeof content === 'string') return { name, format: 'TEXT', content };
    let text;
    try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
        text = undefined;
    }
    if (text !== undefined && !text.includes('\0')) return { name, format: 'TEXT', content: text };
    return { name, format: 'BASE64', content: content.toString('base64') };
}

/**
 * Creates an actor with one SOURCE_FILES version. `sourceFiles` is an array of
 * source files or an object `{path: content}`. Defaults: version 0.1, build tag
 * latest, defaultRunOptions {build: 'latest', memoryMbytes: 256, timeoutSecs: 300}
 * (`defaultRunOptions` in options is merged over them; other options go to the
 * actor object as they are).
 */
export async function createActorFromFiles(client, sourceFiles, {
    name, versionNumber = '0.1', buildTag = 'latest', defaultRunOptions = {}, ...actorFields
} = {}) {
    const files = Array.isArray(sourceFiles)
        ? sourceFiles
        : Object.entries(sourceFiles).map(([n, c]) => sourceFile(n, c));
    return client.actors().create({
        name,
        versions: [{ versionNumber, sourceType: 'SOURCE_FILES', buildTag, sourceFiles: files }],
        defaultRunOptions: { build: 'latest', memoryMbytes: 256, timeoutSecs: 300, ...defaultRunOptions },
        ...actorFields,
    });
}

/**
 * Creates an actor from a directory such as examples/hello: every file becomes a
 * source file; name, version and build tag come from .actor/actor.json unless
 * `overrides` says otherwise.
 */
export async function createActorFromDir(client, dir, overrides = {}) {
    const files = await readSourceFiles(dir);
    const specFile = files.find((f) => f.name === '.actor/actor.json');
    const spec = specFile ? JSON.parse(specFile.content) : {};
    return createActorFromFiles(client, files, {
        name: spec.name ?? path.basename(dir),
        versionNumber: spec.version ?? '0.1',
        buildTag: spec.buildTag ?? 'latest',
        ...overrides,
    });
}

/** The last `n` lines of a text. */
export function tailLines(text, n = 40) {
    const lines = String(text ?? '').split('\n');
    return lines.slice(-n).join('\n');
}

/**
 * Builds version `versionNumber` of an actor and waits (up to `timeoutSecs`) until
 * the build is SUCCEEDED; any other outcome fails with the build's log tail.
 * The client's timeoutSecs must exceed 60 (the server long-polls).
 */
export async function buildActor(client, actorId, versionNumber = '0.1', { timeoutSecs = 180 } = {}) {
    const deadline = Date.now() + timeoutSecs * 1000;
    let build = await client.actor(actorId).build(versionNumber, { waitForFinish: 60 });
    assert.match(build.id, RESOURCE_ID_RE, 'build id');
    while (!TERMINAL_STATUSES.includes(build.status) && Date.now() < deadline) {
        const waitSecs = Math.max(1, Math.min(60, Math.round((deadline - Date.now()) / 1000)));
        build = await client.build(build.id).waitForFinish({ waitSecs });
    }
    if (build.status !== 'SUCCEEDED') {
        let log;
        try {
            log = await client.log(build.id).get();
        } catch (err) {
            log = `(GET /v2/logs/${build.id} failed: ${err.message})`;
        }
        assert.fail(`build ${build.id} of actor ${actorId} is ${build.status} after ${timeoutSecs} s `
            + `(statusMessage: ${JSON.stringify(build.statusMessage)}).\n--- build log (tail) ---\n${tailLines(log)}`);
    }
    return build;
}

/** A run's status, exit code, status message and log tail, for assertion messages. */
export async function describeRun(client, run) {
    let log;
    try {
        log = await client.log(run.id).get();
    } catch (err) {
        log = `(GET /v2/logs/${run.id} failed: ${err.message})`;
    }
    return `run ${run.id}: status ${run.status}, exitCode ${run.exitCode}, statusMessage ${JSON.stringify(run.statusMessage)}`
        + `\n--- run log (tail) ---\n${tailLines(log)}`;
}

/** Asserts a run's status, with the run's details and log in the message when it differs. */
export async function assertRunStatus(client, run, expected) {
    if (run?.status !== expected) {
        assert.fail(`expected status ${expected}; ${run ? await describeRun(client, run) : 'no run'}`);
    }
}

/**
 * Calls `fn` every `intervalMs` until it returns a truthy value (returned) or
 * `timeoutMs` passed (fails with `what` and the last value).
 */
export async function waitFor(fn, { timeoutMs = 10_000, intervalMs = 100, what = 'condition' } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        last = await fn();
        if (last) return last;
        if (Date.now() >= deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(intervalMs);
    }
}

/**
 * Pids of the host processes (not zombies) whose environment holds
 * ACTOR_RUN_ID=<runId>: the processes of that run, whatever pid namespace or
 * sandbox the server put them in. Linux only (reads /proc/<pid>/environ); the
 * processes of an actor running as another user are visible only to root, so
 * an empty list means something only if the run's processes were seen before.
 */
export function runProcesses(runId) {
    const needle = `\0ACTOR_RUN_ID=${runId}\0`;
    let entries;
    try {
        entries = readdirSync('/proc');
    } catch {
        return [];
    }
    const pids = [];
    for (const name of entries) {
        if (!/^\d+$/.test(name)) continue;
        let environ;
        try {
            environ = readFileSync(`/proc/${name}/environ`, 'latin1');
        } catch {
            continue;
        }
        if (`\0${environ}`.includes(needle) && processAlive(Number(name))) pids.push(Number(name));
    }
    return pids;
}

/** Whether a process exists and is not a zombie (Linux /proc; elsewhere kill(pid, 0)). */
export function processAlive(pid) {
    if (existsSync('/proc/self/stat')) {
        let stat;
        try {
            stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        } catch {
            return false;
        }
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        return state !== 'Z' && state !== 'X';
    }
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return err.code === 'EPERM';
    }
}
