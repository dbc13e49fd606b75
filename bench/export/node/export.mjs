// Node side of bench/export: makes the same export file actord makes, with
// the tool a Node user would otherwise reach for, from items held in memory.
//
// Usage (normally run by bench/export/main.go, once per tool, each in a
// fresh process):
//   node --expose-gc node/export.mjs --tool json|jsonl|csv|xlsx --items-file items.jsonl
//        [--expect N] [--repeat N] [--out FILE]
//
// --repeat times the export N times in this process (same input) and
// reports the median run.
//
// --out also writes the bytes to FILE (synchronously, so slower): for
// looking at what a tool makes, not for timing.
//
// The input (the JSONL file the Go program wrote) is read and parsed into an
// array of objects first; that is NOT timed. Then, timed, the tool writes
// the whole file into a sink that counts the bytes and throws them away (no
// file-system or network I/O). Both favour Node: actord reads the items from
// SQLite and sends the bytes over a loopback socket to a client on the same
// two cores, all inside its timing.
//
//   json  : '[' + items.map(i => JSON.stringify(i, null, 2)).join(',\n') + ']',
//           written item by item (what format=json returns)
//   jsonl : items.map(i => JSON.stringify(i)).join('\n'), item by item
//   csv   : @json2csv/node Transform (streaming, object mode) with the
//           flatten transform (objects and arrays, separator '/', no unwind)
//   xlsx  : exceljs stream.xlsx.WorkbookWriter (useSharedStrings: false,
//           useStyles: false), one sheet, the same flattened columns
//
// csv and xlsx need the header (the union of all flattened column names)
// before the first row, so they first walk all items once to collect it;
// that walk is timed too (actord has to do the same) and also reported on
// its own as headerSeconds.
//
// Protocol with main.go: one line {"phase":"loaded",...} on stdout when the
// input is in memory (after a forced GC) and timing is about to start, then
// one line of results. Progress goes to stderr.

import { readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { Writable, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
    options: {
        tool: { type: 'string' },
        'items-file': { type: 'string' },
        expect: { type: 'string' },
        out: { type: 'string' },
        repeat: { type: 'string', default: '1' },
    },
});
const tool = args.tool;
const itemsFile = args['items-file'];
if (!['json', 'jsonl', 'csv', 'xlsx'].includes(tool) || !itemsFile) {
    console.error('usage: node export.mjs --tool json|jsonl|csv|xlsx --items-file F [--expect N]');
    process.exit(2);
}

// (Read from the file: @json2csv/*'s "exports" map hides package.json.)
const version = (pkg) => JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')).version;
const log = (msg) => process.stderr.write(`${new Date().toISOString().slice(11, 23)}  node ${tool}: ${msg}\n`);
const now = () => performance.now() / 1000;
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const gc = () => { if (global.gc) { global.gc(); global.gc(); } };

// ---- load (untimed) ----
let t = now();
let text = readFileSync(itemsFile, 'utf8');
const items = [];
for (let i = 0; i < text.length;) {
    let j = text.indexOf('\n', i);
    if (j < 0) j = text.length;
    if (j > i) items.push(JSON.parse(text.slice(i, j)));
    i = j + 1;
}
text = null;
const n = items.length;
if (args.expect && Number(args.expect) !== n) throw new Error(`items file has ${n} items, expected ${args.expect}`);
const loadSeconds = now() - t;
gc();

// A sink that counts bytes and discards them. Strings are encoded to UTF-8
// on the way in (decodeStrings), as writing them to a file would.
class Counter extends Writable {
    constructor(out) {
        super({ highWaterMark: 64 << 10 });
        this.bytes = 0;
        this.fd = out ? openSync(out, 'w') : -1;
    }
    _write(chunk, _enc, cb) {
        this.bytes += chunk.length;
        if (this.fd >= 0) writeSync(this.fd, chunk);
        cb();
    }
    _writev(chunks, cb) {
        for (const c of chunks) {
            this.bytes += c.chunk.length;
            if (this.fd >= 0) writeSync(this.fd, c.chunk);
        }
        cb();
    }
    _final(cb) {
        if (this.fd >= 0) closeSync(this.fd);
        cb();
    }
}

// For write() returning false: wait until the sink wants more.
const drained = (sink) => new Promise((r) => sink.once('drain', r));

async function finish(sink) {
    await new Promise((resolve, reject) => { sink.once('error', reject); sink.end(resolve); });
}

// Flattened column names in first-seen order, like json2csv's flatten
// transform names them (separator '/').
function columnsOf(items) {
    const seen = new Set();
    const walk = (v, path) => {
        if (v !== null && typeof v === 'object') {
            for (const k of Object.keys(v)) walk(v[k], path === '' ? k : `${path}/${k}`);
        } else {
            seen.add(path);
        }
    };
    for (const it of items) walk(it, '');
    return [...seen];
}

function flat(v, out = {}, path = '') {
    for (const k of Object.keys(v)) {
        const p = path === '' ? k : `${path}/${k}`;
        const x = v[k];
        if (x !== null && typeof x === 'object') flat(x, out, p);
        else out[p] = x;
    }
    return out;
}

// The libraries are loaded before timing starts.
const { Transform: CSVTransform } = tool === 'csv' ? await import('@json2csv/node') : {};
const { flatten: csvFlatten } = tool === 'csv' ? await import('@json2csv/transforms') : {};
const ExcelJS = tool === 'xlsx' ? (await import('exceljs')).default : null;

const tools = {
    async json(sink) {
        sink.write('[');
        for (let i = 0; i < n; i++) {
            if (!sink.write((i ? ',\n' : '') + JSON.stringify(items[i], null, 2))) await drained(sink);
        }
        sink.write(']');
        await finish(sink);
        return { lib: 'JSON.stringify(item, null, 2)' };
    },
    async jsonl(sink) {
        for (let i = 0; i < n; i++) {
            if (!sink.write((i ? '\n' : '') + JSON.stringify(items[i]))) await drained(sink);
        }
        await finish(sink);
        return { lib: 'JSON.stringify(item)' };
    },
    async csv(sink) {
        const t0 = now();
        const fields = columnsOf(items);
        const headerSeconds = now() - t0;
        const parser = new CSVTransform(
            { fields, transforms: [csvFlatten({ objects: true, arrays: true, separator: '/' })] },
            {},
            { objectMode: true },
        );
        await pipeline(Readable.from(items), parser, sink);
        return { lib: `@json2csv/node ${version('@json2csv/node')} + @json2csv/transforms flatten`, headerSeconds, columns: fields.length };
    },
    async xlsx(sink) {
        const t0 = now();
        const fields = columnsOf(items);
        const headerSeconds = now() - t0;
        const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useSharedStrings: false, useStyles: false });
        const ws = wb.addWorksheet('Sheet1');
        ws.columns = fields.map((f) => ({ header: f, key: f }));
        for (let i = 0; i < n; i++) {
            ws.addRow(flat(items[i])).commit();
            // Let the zip stream drain now and then, as a careful user would;
            // otherwise the whole sheet's XML piles up in memory first.
            if (i % 1000 === 999) await new Promise(setImmediate);
        }
        ws.commit();
        await wb.commit();
        return { lib: `exceljs ${version('exceljs')} stream.xlsx.WorkbookWriter`, headerSeconds, columns: fields.length };
    },
};

const rssBefore = process.memoryUsage.rss();
process.stdout.write(JSON.stringify({ phase: 'loaded', items: n, loadSeconds, rssBytes: rssBefore }) + '\n');
log(`loaded ${n} items in ${loadSeconds.toFixed(2)}s; RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB`);

const repeat = Math.max(1, Number(args.repeat));
const runs = [];
for (let r = 0; r < repeat; r++) {
    gc();
    const sink = new Counter(r === 0 ? args.out : undefined);
    const c0 = cpu();
    const t0 = now();
    const info = await tools[tool](sink);
    const seconds = now() - t0;
    const run = { seconds, cpuSeconds: cpu() - c0, bytes: sink.bytes, ...info };
    runs.push(run);
    log(`run ${r + 1}/${repeat}: ${n} items, ${(sink.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)}s = ${(n / seconds).toFixed(0)} items/s`);
}
const med = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
process.stdout.write(JSON.stringify({
    phase: 'done',
    tool,
    node: process.version,
    items: n,
    itemsPerSec: n / med.seconds,
    loadSeconds,
    rssBeforeBytes: rssBefore,
    rssAfterBytes: process.memoryUsage.rss(),
    ...med,
    runs: runs.map(({ seconds, cpuSeconds }) => ({ seconds, cpuSeconds })),
}) + '\n');
