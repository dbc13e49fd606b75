// storage-local side of bench/push: pushes the same items (read from the
// JSONL file the Go program wrote) into a dataset of npm @apify/storage-local
// and reads them all back with listItems paging. Prints one JSON line of
// results on stdout; progress goes to stderr.
//
// Usage (normally invoked by bench/push/main.go):
//   node storage-local.mjs --items-file items.jsonl --storage-dir DIR
//        [--batch 1000] [--concurrency 4] [--page 10000] [--expect N]
//
// What storage-local does (v2.x, dist/resource_clients/dataset.js): datasets
// are NOT stored in SQLite (only request queues are). pushItems() parses the
// payload, then writes every item as its own pretty-printed JSON file
// (datasets/<name>/000000001.json, ...) with fs.writeFile, all items of one
// call in parallel, and resolves when every writeFile has completed (data
// handed to the kernel; no fsync -- storage-local never fsyncs, and has no
// close/flush API for datasets). listItems({offset, limit}) reads and parses
// the files one by one. Timing here therefore covers: all pushItems promises
// resolved (= every file written and closed), and all items read back and
// parsed.

import { readFileSync, mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';

delete process.env.APIFY_LOCAL_STORAGE_DIR; // it would override storageDir
const { ApifyStorageLocal } = await import('@apify/storage-local');
const pkgVersion = JSON.parse(readFileSync(new URL('./node_modules/@apify/storage-local/package.json', import.meta.url), 'utf8')).version;

const { values: args } = parseArgs({
    options: {
        'items-file': { type: 'string' },
        'storage-dir': { type: 'string' },
        batch: { type: 'string', default: '1000' },
        concurrency: { type: 'string', default: '4' },
        page: { type: 'string', default: '10000' },
        expect: { type: 'string' },
    },
});
const itemsFile = args['items-file'];
const storageDir = args['storage-dir'];
if (!itemsFile || !storageDir) {
    console.error('usage: node storage-local.mjs --items-file F --storage-dir D [--batch N] [--concurrency N] [--page N]');
    process.exit(2);
}
const batchSize = Number(args.batch);
const concurrency = Number(args.concurrency);
const pageSize = Number(args.page);

const log = (msg) => process.stderr.write(`${new Date().toISOString().slice(11, 23)}  storage-local: ${msg}\n`);
const now = () => performance.now() / 1000;
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

// ---- load the items (untimed) ----
let t = now();
const lines = readFileSync(itemsFile, 'utf8').split('\n');
if (lines[lines.length - 1] === '') lines.pop();
const n = lines.length;
if (args.expect && Number(args.expect) !== n) throw new Error(`items file has ${n} lines, expected ${args.expect}`);
// Payloads are JSON-array strings, like crawlee's Dataset.pushData() passes
// to client.pushItems() (and like the HTTP body the actord side sends).
let payloads = [];
for (let i = 0; i < n; i += batchSize) payloads.push(`[${lines.slice(i, i + batchSize).join(',')}]`);
// Keep only the lines the read phase spot-checks, so that the process's RSS
// during the read reflects storage-local rather than our input copy.
const SPOT = 997;
const spotLines = new Map();
// (Buffer round trip: a fresh string, not a V8 slice that would keep the whole
// input file's string alive.)
for (let i = 0; i < n; i += SPOT) spotLines.set(i, Buffer.from(lines[i]).toString());
lines.length = 0;
const loadSeconds = now() - t;
log(`loaded ${n} items into ${payloads.length} payloads in ${loadSeconds.toFixed(2)}s`);

// ---- RSS sampling ----
let rssMax = 0;
const sampleRss = () => { const r = process.memoryUsage.rss(); rssMax = Math.max(rssMax, r); return r; };
const gc = () => { if (global.gc) { global.gc(); global.gc(); } };
const sampler = setInterval(sampleRss, 100);

// The storage dir must exist, or the constructor logs to stdout.
mkdirSync(storageDir, { recursive: true });
const client = new ApifyStorageLocal({ storageDir });
const info = await client.datasets().getOrCreate('bench');
const dataset = client.dataset(info.id);

// ---- push ----
log(`push: ${n} items in ${payloads.length} pushItems calls of ${batchSize}, ${concurrency} concurrent ...`);
gc();
rssMax = 0;
const rssBeforePush = sampleRss();
let cpu0 = cpu();
t = now();
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < payloads.length) {
        const i = next++;
        await dataset.pushItems(payloads[i]);
    }
}));
const pushSeconds = now() - t;
const cpuPush = cpu() - cpu0;
const rssAfterPush = sampleRss();
const rssPushMax = rssMax;
log(`push: ${pushSeconds.toFixed(2)}s = ${Math.round(n / pushSeconds)} items/s`);
payloads = null; // the caller's copy of the data is not storage-local's memory
gc();

// ---- read ----
log(`read: listItems paging, limit=${pageSize} ...`);
rssMax = 0;
const rssBeforeRead = sampleRss();
cpu0 = cpu();
t = now();
let readCount = 0;
let spotChecked = 0;
for (let offset = 0; ; offset += pageSize) {
    const page = await dataset.listItems({ offset, limit: pageSize });
    if (page.total !== n) throw new Error(`listItems total ${page.total}, want ${n}`);
    for (let j = 0; j < page.items.length; j++) {
        // storage-local keeps push order, so position == generator index.
        const want = spotLines.get(offset + j);
        if (want === undefined) continue;
        const got = JSON.stringify(page.items[j]);
        if (got !== want) throw new Error(`item ${offset + j} differs:\n got  ${got}\n want ${want}`);
        spotChecked++;
    }
    readCount += page.items.length;
    if (page.items.length < pageSize || readCount >= n) break;
}
const readSeconds = now() - t;
const cpuRead = cpu() - cpu0;
const rssAfterRead = sampleRss();
const rssReadMax = rssMax;
clearInterval(sampler);
if (readCount !== n) throw new Error(`read ${readCount} items, want ${n}`);
if (spotChecked !== spotLines.size) throw new Error(`spot-checked ${spotChecked} items, want ${spotLines.size}`);
log(`read: ${readCount} items in ${readSeconds.toFixed(2)}s = ${Math.round(readCount / readSeconds)} items/s`);

console.log(JSON.stringify({
    version: pkgVersion,
    node: process.version,
    items: n,
    loadSeconds,
    pushSeconds,
    pushItemsPerSec: n / pushSeconds,
    readSeconds,
    readItemsPerSec: readCount / readSeconds,
    readCount,
    pageSize,
    rssBeforePushBytes: rssBeforePush,
    rssAfterPushBytes: rssAfterPush,
    rssPushMaxBytes: rssPushMax,
    rssBeforeReadBytes: rssBeforeRead,
    rssAfterReadBytes: rssAfterRead,
    rssReadMaxBytes: rssReadMax,
    peakRssBytes: process.resourceUsage().maxRSS * 1024, // whole process lifetime, includes loading the input
    cpuPushSeconds: cpuPush,
    cpuReadSeconds: cpuRead,
    spotChecked,
}));
