// Dataset export through the unmodified apify-client: downloadItems(format, options)
// for all seven formats and listItems with the item options, compared with the
// vectors the Go tests of export/ expect (export/export_test.go TestFormatVectors,
// TestTransformVectors, TestDescUnwindOrder; export/xml_test.go, html_test.go,
// xlsx_test.go) and the pagination vectors P1–P8 of export-semantics.md §7.1.
//
// Expected bytes for xml, rss, html and xlsx were printed by export.Write for the
// same items (they coincide with the hand-written Go vectors F8, F9, F10, F12,
// F14, F15 and R9). `@@NAME@@`, `@@ID@@` and `@@LINK@@` stand for the dataset's
// name, ID and RSS link (its itemsPublicUrl + "?format=rss").
//
// Option names and encodings are the client's: booleans are sent as 1/0 and
// arrays joined with commas (http_client.js paramsSerializer). Options the client
// does not accept (outputFields, simplified, skipFailedPages, feedTitle,
// feedDescription, limit=0) go through a raw fetch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import {
    useServer, rawRequest, uniqueName, assertApiError,
} from './helpers.mjs';

const execFileAsync = promisify(execFile);

let server;
let client;

useServer((s, c) => {
    server = s;
    client = c;
});

const BOM = '\uFEFF'; // EF BB BF once UTF-8 encoded

/**
 * Creates a named dataset and pushes `data` (JSON text, as in the Go vectors)
 * through the client. Text that JSON.stringify reproduces exactly is pushed as
 * objects, the rest (number spellings, escapes) as the verbatim JSON string,
 * which the client sends unchanged. Empty/undefined data pushes nothing.
 */
async function datasetWith(prefix, data) {
    const ds = await client.datasets().getOrCreate(uniqueName(prefix));
    const dc = client.dataset(ds.id);
    if (data !== undefined && data !== '' && data !== '[]') {
        const parsed = JSON.parse(data);
        await dc.pushItems(JSON.stringify(parsed) === data ? parsed : data);
    }
    return { ds, dc };
}

function itemsPath(id, query) {
    return `/v2/datasets/${id}/items${query ? `?${query}` : ''}`;
}

/** Asserts that a Buffer equals the UTF-8 bytes of `want`, with a readable diff. */
function assertBytes(got, want, label) {
    assert.ok(Buffer.isBuffer(got), `${label}: downloadItems must return a Buffer, got ${typeof got}`);
    const wantBuf = Buffer.from(want, 'utf8');
    if (!got.equals(wantBuf)) {
        assert.equal(JSON.stringify(got.toString('utf8')), JSON.stringify(want), `${label}: bytes differ`);
        assert.fail(`${label}: bytes differ (${got.toString('hex')} vs ${wantBuf.toString('hex')})`);
    }
}

// ---------------------------------------------------------------------------
// json, jsonl, csv: TestFormatVectors, byte for byte, through downloadItems.
// `opts` are downloadItems options; `raw` is a query string for the vectors
// whose options the client does not have.

const ELEVEN = '{"k":[0,1,2,3,4,5,6,7,8,9,10]}';

const FORMAT_VECTORS = [
    { id: 'R1', data: '[{"a":1},{"a":2}]', format: 'json', opts: {}, want: '[{\n  "a": 1\n},\n{\n  "a": 2\n}]' },
    { id: 'R2', data: '[{"a":1,"b":"x"},{"a":2,"b":"y"}]', format: 'jsonl', opts: {}, want: '{"a":1,"b":"x"}\n{"a":2,"b":"y"}' },
    { id: 'R3', data: '[{"t":"Cukrárna","s":4.6,"n":81,"z":null}]', format: 'csv', opts: { fields: ['t', 's', 'n', 'z'] },
        want: `${BOM}"t","s","n","z"\r\n"Cukrárna","4.6","81",\r\n` },
    { id: 'R4', data: '[{"t":"A","p":{"role":"Mobil","number":"7","country_code":"420"}},{"t":"B"}]', format: 'csv', opts: { fields: ['t', 'p'] },
        want: `${BOM}"t","p/country_code","p/number","p/role"\r\n"A","420","7","Mobil"\r\n"B",,,\r\n` },
    { id: 'R5', data: '[{"h":true,"d":null,"e":""}]', format: 'csv', opts: {}, want: `${BOM}"d","e","h"\r\n,"","true"\r\n` },
    { id: 'R6', data: ELEVEN, format: 'csv', opts: {},
        want: `${BOM}"k/0","k/1","k/2","k/3","k/4","k/5","k/6","k/7","k/8","k/9","k/10"\r\n"0","1","2","3","4","5","6","7","8","9","10"\r\n` },
    { id: 'R7', data: '[{"x":"a\\nb"}]', format: 'csv', opts: {}, want: `${BOM}"x"\r\n"a\nb"\r\n` },
    { id: 'R8', data: '[{"q":"say \\"hi\\""}]', format: 'csv', opts: {}, want: `${BOM}"q"\r\n"say ""hi"""\r\n` },
    { id: 'R10', data: '[{"k":[],"o":{},"v":1}]', format: 'csv', opts: {}, want: `${BOM}"v"\r\n"1"\r\n` },
    { id: 'F1', data: '[{"solution":9}]', format: 'csv', opts: {}, want: `${BOM}"solution"\r\n"9"\r\n` },
    { id: 'F2', data: '{"location":{"lat":1.5,"lng":2},"categories":["A","B"]}', format: 'csv', opts: {},
        want: `${BOM}"categories/0","categories/1","location/lat","location/lng"\r\n"A","B","1.5","2"\r\n` },
    { id: 'F3', data: '{"open":true,"closed":false}', format: 'csv', opts: {}, want: `${BOM}"closed","open"\r\n"false","true"\r\n` },
    { id: 'F4 bom=0', data: '{"a":1}', format: 'csv', opts: { bom: false }, want: '"a"\r\n"1"\r\n' },
    { id: 'F5 json bom=1', data: '{"a":1}', format: 'json', opts: { bom: true }, want: `${BOM}[{\n  "a": 1\n}]` },
    { id: 'F6 skipHeaderRow', data: '[{"a":1},{"a":2}]', format: 'csv', opts: { skipHeaderRow: true }, want: `${BOM}"1"\r\n"2"\r\n` },
    { id: 'F7 delimiter ;', data: '[{"a":1,"b":2}]', format: 'csv', opts: { delimiter: ';' }, want: `${BOM}"a";"b"\r\n"1";"2"\r\n` },
    { id: 'F7 tab', data: '[{"a":1,"b":2}]', format: 'csv', opts: { delimiter: '\t', bom: false }, want: '"a"\t"b"\r\n"1"\t"2"\r\n' },
    { id: 'F11', data: '[{"foo":"bar"},{"foo2":"bar2"}]', format: 'jsonl', opts: {}, want: '{"foo":"bar"}\n{"foo2":"bar2"}' },
    { id: 'T20 json', data: '[{"#a":1},{"#b":2}]', format: 'json', opts: { clean: true }, want: '[]' },
    { id: 'fields emptying items keeps them', data: '[{"a":1},{"b":2}]', format: 'json', opts: { fields: ['zz'], clean: true }, want: '[{},\n{}]' },
    { id: 'empty json', data: '[]', format: 'json', opts: {}, want: '[]' },
    { id: 'empty jsonl', data: '[]', format: 'jsonl', opts: {}, want: '' },
    { id: 'empty csv', data: '[]', format: 'csv', opts: {}, want: BOM },
    { id: 'empty csv with fields', data: '[]', format: 'csv', opts: { fields: ['b', 'a'] }, want: `${BOM}"b","a"\r\n` },
    { id: 'csv missing and null', data: '[{"a":1},{"b":null},{}]', format: 'csv', opts: {}, want: `${BOM}"a","b"\r\n"1",\r\n,\r\n,\r\n` },
    { id: 'csv numbers as pushed', data: '{"id":12345678901234567890,"x":1e-7,"y":-0.0}', format: 'csv', opts: {},
        want: `${BOM}"id","x","y"\r\n"12345678901234567890","1e-7","-0.0"\r\n` },
    { id: 'csv unicode and quotes in header', data: '{"ná\\"me":"😀"}', format: 'csv', opts: { bom: false }, want: '"ná""me"\r\n"😀"\r\n' },
    { id: 'csv fields order with unwind keys after', data: '{"u":1,"p":[{"z":1,"a":2}]}', format: 'csv',
        opts: { bom: false, fields: ['p', 'u'], unwind: 'p' }, want: '"u","a","z"\r\n"1","2","1"\r\n' },
    { id: 'csv outputFields rename (raw)', data: '{"h":"H","l":{"b":1,"a":2}}', format: 'csv',
        raw: 'format=csv&bom=0&fields=h,l&outputFields=title,link', want: '"title","link/a","link/b"\r\n"H","2","1"\r\n' },
    { id: 'csv scalar and object under one key', data: '[{"p":"x"},{"p":{"a":1}}]', format: 'csv', opts: { bom: false },
        want: '"p","p/a"\r\n"x",\r\n,"1"\r\n' },
    { id: 'csv flatten gives dotted columns', data: '{"a":{"b":1}}', format: 'csv', opts: { bom: false, flatten: ['a'] }, want: '"a.b"\r\n"1"\r\n' },
    { id: 'csv numeric-aware nested order', data: '{"o":[{"b":1,"a":1}],"n":{"10":1,"9":2,"x":3}}', format: 'csv', opts: { bom: false },
        want: '"n/9","n/10","n/x","o/0/a","o/0/b"\r\n"2","1","3","1","1"\r\n' },
];

/**
 * Downloads a vector's export: a raw request for options the client lacks
 * (v.raw is the query), else the client's downloadItems(format, opts).
 */
async function download(ds, dc, v) {
    if (!v.raw) {
        return dc.downloadItems(v.format, v.opts);
    }
    const res = await rawRequest(server, itemsPath(ds.id, v.raw));
    assert.equal(res.status, 200, res.text);
    return res.buffer;
}

for (const v of FORMAT_VECTORS) {
    test(`downloadItems ${v.format} ${v.id} matches the Go vector byte for byte`, async () => {
        const { ds, dc } = await datasetWith('fmt', v.data);
        const got = await download(ds, dc, v);
        assertBytes(got, v.want, v.id);
    });
}

// ---------------------------------------------------------------------------
// xml, rss, html: bytes printed by export.Write for the same items.

const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
const HTML_HEAD = '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>Dataset @@NAME@@</title>\n</head>\n<body>\n<table>\n';
const HTML_FOOT = '</table>\n</body>\n</html>\n';

const MARKUP_VECTORS = [
    { id: 'X1 F8 nested arrays', format: 'xml', opts: {},
        data: '{"name":"Paul Newman","address":[{"type":"home","street":"21st","city":"Chicago"},{"type":"office","street":null,"city":null}]}',
        want: `${XML_DECL}\n<items>\n  <item>\n    <name>Paul Newman</name>\n    <address>\n      <type>home</type>\n      <street>21st</street>\n      <city>Chicago</city>\n    </address>\n    <address>\n      <type>office</type>\n      <street/>\n      <city/>\n    </address>\n  </item>\n</items>` },
    { id: 'X2 F9 xmlRoot and xmlRow', format: 'xml', opts: { xmlRoot: 'people', xmlRow: 'person' },
        data: '{"name":"Paul","address":[{"type":"home","street":"21st"},{"type":"office","street":null}]}',
        want: `${XML_DECL}\n<people>\n  <person>\n    <name>Paul</name>\n    <address>\n      <type>home</type>\n      <street>21st</street>\n    </address>\n    <address>\n      <type>office</type>\n      <street/>\n    </address>\n  </person>\n</people>` },
    { id: 'X3 F10 attribute and text', format: 'xml', opts: {},
        data: '{"address":{"@":{"type":"office"},"#":"unknown"}}',
        want: `${XML_DECL}\n<items>\n  <item>\n    <address type="office">unknown</address>\n  </item>\n</items>` },
    { id: 'X4 clean and bom', format: 'xml', opts: { clean: true, bom: true },
        data: '[{"foo":"bar","#h":1},{"foo2":"bar2"},{}]',
        want: `${BOM}${XML_DECL}\n<items>\n  <item>\n    <foo>bar</foo>\n  </item>\n  <item>\n    <foo2>bar2</foo2>\n  </item>\n</items>` },
    { id: 'X5 empty dataset', format: 'xml', opts: {}, data: '', want: `${XML_DECL}\n<items/>` },
    { id: 'S1 F12/F13 default channel', format: 'rss', opts: {},
        data: '{"foo":"bar"}',
        want: `${XML_DECL}\n<rss version="2.0">\n  <channel>\n    <title>Dataset @@NAME@@</title>\n    <link>@@LINK@@</link>\n    <description>Items in dataset with id "@@ID@@".</description>\n    <item>\n      <foo>bar</foo>\n    </item>\n  </channel>\n</rss>` },
    { id: 'S2 F14 feedTitle and feedDescription (raw)', format: 'rss',
        raw: 'format=rss&feedTitle=T+%26+%3Cco%3E&feedDescription=D',
        data: '[{"title":"Hello","link":"https://x.y/1","@":{"id":"7"},"tags":["a","b"]}]',
        want: `${XML_DECL}\n<rss version="2.0">\n  <channel>\n    <title>T &amp; &lt;co&gt;</title>\n    <link>@@LINK@@</link>\n    <description>D</description>\n    <item id="7">\n      <title>Hello</title>\n      <link>https://x.y/1</link>\n      <tags>a</tags>\n      <tags>b</tags>\n    </item>\n  </channel>\n</rss>` },
    { id: 'H1 F15', format: 'html', opts: {},
        data: '[{"foo":"x","bar":"y"}]',
        want: `${HTML_HEAD}<tr><th>bar</th><th>foo</th></tr>\n<tr><td>y</td><td>x</td></tr>\n${HTML_FOOT}` },
    { id: 'H2 escaping, nested columns, empty cells', format: 'html', opts: {},
        data: '[{"a<b":"<script>alert(\'x&y\')</script>","p":{"x":1,"y":[true,null]},"n":null},{"a<b":"2"}]',
        want: `${HTML_HEAD}<tr><th>a&lt;b</th><th>n</th><th>p/x</th><th>p/y/0</th><th>p/y/1</th></tr>\n`
            + '<tr><td>&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;</td><td></td><td>1</td><td>true</td><td></td></tr>\n'
            + `<tr><td>2</td><td></td><td></td><td></td><td></td></tr>\n${HTML_FOOT}` },
    { id: 'H3 fields', format: 'html', opts: { fields: ['foo'] },
        data: '[{"foo":"x","bar":"y"}]',
        want: `${HTML_HEAD}<tr><th>foo</th></tr>\n<tr><td>x</td></tr>\n${HTML_FOOT}` },
    { id: 'H4 empty dataset', format: 'html', opts: {}, data: '', want: `${HTML_HEAD}${HTML_FOOT}` },
];

for (const v of MARKUP_VECTORS) {
    test(`downloadItems ${v.format} ${v.id} matches export.Write byte for byte`, async () => {
        const { ds, dc } = await datasetWith(v.format, v.data);
        const { itemsPublicUrl } = await dc.get();
        assert.equal(typeof itemsPublicUrl, 'string');
        const want = v.want
            .replaceAll('@@NAME@@', ds.name)
            .replaceAll('@@ID@@', ds.id)
            .replaceAll('@@LINK@@', `${itemsPublicUrl}?format=rss`);
        const got = await download(ds, dc, v);
        assertBytes(got, want, v.id);
    });
}

// ---------------------------------------------------------------------------
// xlsx: a zip; its sheet XML compared exactly with export.Write's (R9 and R4).

const XLSX_PARTS = [
    '[Content_Types].xml',
    '_rels/.rels',
    'xl/workbook.xml',
    'xl/styles.xml',
    'xl/_rels/workbook.xml.rels',
    'xl/worksheets/sheet1.xml',
];
const SHEET_HEAD = `${XML_DECL}\n<worksheet\n    xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"\n`
    + '    xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"\n'
    + '    xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"\n    mc:Ignorable="x14ac"\n'
    + '    xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"\n>\n'
    + '    <sheetViews>\n        <sheetView workbookViewId="0"/>\n    </sheetViews>\n'
    + '    <sheetFormatPr baseColWidth="30" defaultRowHeight="15" x14ac:dyDescent="0.25"/>\n    <sheetData>';
const SHEET_FOOT = '\n    </sheetData>\n    <pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>\n</worksheet>';
const WORKBOOK = `${XML_DECL}\n<workbook\n    xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"\n`
    + '    xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"\n>\n'
    + '    <fileVersion appName="xl" lastEdited="1" lowestEdited="1" rupBuild="9000"/>\n'
    + '    <workbookPr defaultThemeVersion="124226"/>\n    <bookViews>\n'
    + '        <workbookView xWindow="480" yWindow="60" windowWidth="18195" windowHeight="8505"/>\n    </bookViews>\n'
    + '    <sheets>\n        <sheet name="Data" sheetId="1" r:id="rId1"/>\n    </sheets>\n    <calcPr calcId="145621"/>\n</workbook>';
const xrow = (n, cols, cells) => `\n        <row r="${n}" spans="1:${cols}" x14ac:dyDescent="0.2">\n            ${cells.join('\n\t\t\t')}\n        </row>`;
const xstr = (ref, s) => `<c r="${ref}" t="inlineStr"><is><t>${s}</t></is></c>`;

const XLSX_VECTORS = [
    { id: 'R9', data: '[{"b":true,"n":0,"s":"","z":null}]', opts: {},
        sheet: SHEET_HEAD
            + xrow(1, 4, [xstr('A1', 'b'), xstr('B1', 'n'), xstr('C1', 's'), xstr('D1', 'z')])
            + xrow(2, 4, [xstr('A2', 'true'), '<c r="B2" t="n"><v>0</v></c>', xstr('C2', ''), ''])
            + SHEET_FOOT },
    { id: 'R4 fields, nested columns, escaping', data: '[{"t":"A","p":{"role":"Mobil","number":"7","country_code":"420"}},{"t":"B <&> \\"q\\""}]',
        opts: { fields: ['t', 'p'] },
        sheet: SHEET_HEAD
            + xrow(1, 4, [xstr('A1', 't'), xstr('B1', 'p/country_code'), xstr('C1', 'p/number'), xstr('D1', 'p/role')])
            + xrow(2, 4, [xstr('A2', 'A'), xstr('B2', '420'), xstr('C2', '7'), xstr('D2', 'Mobil')])
            + xrow(3, 4, [xstr('A3', 'B &lt;&amp;&gt; "q"'), '', '', ''])
            + SHEET_FOOT },
];

let unzipAvailable;
async function haveUnzip() {
    if (unzipAvailable === undefined) {
        try {
            await execFileAsync('unzip', ['-v'], { timeout: 5_000 });
            unzipAvailable = true;
        } catch {
            unzipAvailable = false;
        }
    }
    return unzipAvailable;
}

for (const v of XLSX_VECTORS) {
    test(`downloadItems xlsx ${v.id}: a zip whose sheet XML matches export.Write`, async (t) => {
        const { dc } = await datasetWith('xlsx', v.data);
        const got = await dc.downloadItems('xlsx', v.opts);
        assert.ok(Buffer.isBuffer(got), 'downloadItems must return a Buffer');
        assert.ok(got.length > 22, `xlsx too short: ${got.length} bytes`);
        assert.equal(got.subarray(0, 4).toString('hex'), '504b0304', 'xlsx must start with a zip local file header (PK\\3\\4)');
        // End of central directory record at the very end (no comment).
        assert.equal(got.subarray(got.length - 22, got.length - 18).toString('hex'), '504b0506', 'zip must end with its EOCD record');

        if (!(await haveUnzip())) {
            t.skip('unzip not installed: sheet XML not compared');
            return;
        }
        const dir = await mkdtemp(path.join(tmpdir(), 'actord-e2e-xlsx-'));
        try {
            const file = path.join(dir, 'export.xlsx');
            await writeFile(file, got);
            const { stdout: list } = await execFileAsync('unzip', ['-Z1', file]);
            assert.deepEqual(list.split('\n').filter(Boolean), XLSX_PARTS, 'zip entries and their order');
            const part = async (name) => (await execFileAsync('unzip', ['-p', file, name], { encoding: 'buffer', maxBuffer: 1 << 24 })).stdout;
            assertBytes(await part('xl/worksheets/sheet1.xml'), v.sheet, `${v.id} sheet1.xml`);
            assertBytes(await part('xl/workbook.xml'), WORKBOOK, `${v.id} workbook.xml`);
        } finally {
            await rm(dir, { recursive: true, force: true });
        }
    });
}

// ---------------------------------------------------------------------------
// Transforms: TestTransformVectors through listItems (records compared
// structurally and in key order) and through downloadItems('jsonl') (bytes).
// `list` are listItems options (null: the client has no such option, or
// JSON.parse would change the values); `dl` are downloadItems options (same as
// list unless given); `raw` is a query string for options no client method has.

const TRANSFORM_VECTORS = [
    { id: 'T1', data: '{"a":1,"#dbg":{"x":1},"n":{"#keep":1}}', list: { skipHidden: true }, want: ['{"a":1,"n":{"#keep":1}}'] },
    { id: 'T2', data: '[{"a":1,"#d":2},{},{"#only":1}]', list: { clean: true }, want: ['{"a":1}'] },
    { id: 'T3', data: '[{"#only":1},{}]', list: { skipEmpty: true }, want: ['{"#only":1}'] },
    { id: 'T4', data: '{"c":3,"a":1,"b":2}', list: { fields: ['b', 'a'] }, want: ['{"b":2,"a":1}'] },
    { id: 'T5', data: '{"a":1}', list: { fields: ['a', 'z'] }, want: ['{"a":1}'] },
    { id: 'T6', data: '{"a":1,"b":2}', list: { omit: ['b'] }, want: ['{"a":1}'] },
    { id: 'T7', data: '{"a":1,"b":2}', list: { fields: ['a', 'b'], omit: ['b'] }, want: ['{"a":1}'] },
    { id: 'T8', data: '{"headline":"H","url":"U","x":1}', raw: 'fields=headline,url&outputFields=title,link', want: ['{"title":"H","link":"U"}'] },
    { id: 'T9', data: '{"foo":{"bar":"hello"}}', list: { flatten: ['foo'] }, want: ['{"foo.bar":"hello"}'] },
    { id: 'T10', data: '{"math":{"factorial":{"first":1}},"s":3}', list: { flatten: ['math'], fields: ['math.factorial.first'] },
        want: ['{"math.factorial.first":1}'] },
    { id: 'T11', data: '{"a":{"b":1}}', list: { fields: ['a.b'] }, want: ['{}'] },
    { id: 'T12', data: '{"a":1,"arr":[{"b":1},{"b":2}]}', list: { unwind: 'arr' }, want: ['{"a":1,"b":1}', '{"a":1,"b":2}'] },
    { id: 'T13', data: '{"a":1,"o":{"b":2}}', list: { unwind: ['o'] }, want: ['{"a":1,"b":2}'] },
    { id: 'T14a', data: '{"a":1,"s":"x"}', list: { unwind: 's' }, want: ['{"a":1,"s":"x"}'] },
    { id: 'T14b', data: '{"a":1}', list: { unwind: 'zz' }, want: ['{"a":1}'] },
    { id: 'T15', data: '{"a":1,"arr":[]}', list: { unwind: 'arr' }, want: [] },
    { id: 'T16 (desc reverses items, not unwound records)', data: '[{"id":1,"v":[{"x":1},{"x":2}]},{"id":2,"v":[{"x":3}]}]',
        list: { desc: true, unwind: 'v' }, want: ['{"id":2,"x":3}', '{"id":1,"x":1}', '{"id":1,"x":2}'] },
    { id: 'T17', data: '{"a":[{"x":1},{"x":2}],"b":{"y":9}}', list: { unwind: ['a', 'b'] }, want: ['{"x":1,"y":9}', '{"x":2,"y":9}'] },
    { id: 'T18', data: '{"url":"u","pageFunctionResult":[{"t":1},{"t":2}],"errorInfo":null,"other":5}', raw: 'simplified=1',
        want: ['{"url":"u","errorInfo":null,"t":1}', '{"url":"u","errorInfo":null,"t":2}'] },
    { id: 'T19', data: '[{"url":"a","errorInfo":"boom"},{"url":"b"}]', raw: 'skipFailedPages=1', want: ['{"url":"b"}'] },
    { id: 'T20', data: '[{"#a":1},{"#b":2}]', list: { clean: true }, want: [] },
    { id: 'unwind scalars replace in place', data: '{"a":1,"tags":["x","y"],"b":2}', list: { unwind: 'tags' },
        want: ['{"a":1,"tags":"x","b":2}', '{"a":1,"tags":"y","b":2}'] },
    { id: 'unwind collision: element wins at parent\'s position', data: '{"id":1,"v":{"id":2,"w":3},"z":0}', list: { unwind: 'v' },
        want: ['{"id":2,"z":0,"w":3}'] },
    { id: 'unwind multiplies', data: '{"a":[{"x":1},{"x":2}],"b":[{"y":1},{"y":2}]}', list: { unwind: ['a', 'b'] },
        want: ['{"x":1,"y":1}', '{"x":1,"y":2}', '{"x":2,"y":1}', '{"x":2,"y":2}'] },
    { id: 'flatten arrays and depth, in place', data: '{"k":0,"a":{"b":[1,{"c":null}],"e":{}},"z":1}', list: { flatten: ['a'] },
        want: ['{"k":0,"a.b.0":1,"a.b.1.c":null,"a.e":{},"z":1}'] },
    { id: 'flatten leaves scalars alone', data: '{"a":"x","b":[]}', list: { flatten: ['a', 'b'] }, want: ['{"a":"x","b":[]}'] },
    { id: 'skipFailedPages truthiness', data: '[{"errorInfo":null},{"errorInfo":""},{"errorInfo":0},{"errorInfo":false},{"errorInfo":{}},{"errorInfo":1}]',
        raw: 'skipFailedPages=1', want: ['{"errorInfo":null}', '{"errorInfo":""}', '{"errorInfo":0}', '{"errorInfo":false}'] },
    { id: 'hidden escaped key', data: String.raw`{"\u0023x":1,"y":2}`, list: { skipHidden: true }, want: ['{"y":2}'] },
    { id: 'omit alone keeps order', data: '{"c":1,"b":2,"a":3}', list: { omit: ['b'] }, want: ['{"c":1,"a":3}'] },
    { id: 'fields then unwind (simplified order)', data: '{"p":[{"t":1}],"x":1,"u":"u"}', list: { fields: ['u', 'p'], unwind: 'p' },
        want: ['{"u":"u","t":1}'] },
    { id: 'numbers kept as pushed', data: '{"id":12345678901234567890123,"f":1.50,"e":1E+400}', list: null, dl: { fields: ['e', 'id', 'f'] },
        want: ['{"e":1E+400,"id":12345678901234567890123,"f":1.50}'] },
    { id: 'strings kept as pushed', data: String.raw`{"s":"\u00e9\n\"/"}`, list: { omit: ['x'] }, want: [String.raw`{"s":"\u00e9\n\"/"}`] },
    { id: 'clean then skipEmpty after hidden', data: '[{"#a":1},{"b":1,"#c":2}]', list: { skipHidden: true, skipEmpty: true }, want: ['{"b":1}'] },
];

/** Asserts deep equality and the same key order at every level. */
function assertRecords(got, want, label) {
    assert.deepStrictEqual(got, want, label);
    assert.equal(JSON.stringify(got), JSON.stringify(want), `${label}: key order`);
    want.forEach((w, i) => assert.deepEqual(Object.keys(got[i]), Object.keys(w), `${label}: keys of record ${i}`));
}

for (const v of TRANSFORM_VECTORS) {
    const how = v.raw ? `raw ${v.raw}` : v.list ? `listItems(${JSON.stringify(v.list)})` : `jsonl ${JSON.stringify(v.dl)}`;
    test(`transform ${v.id}: ${how}`, async () => {
        const { ds, dc } = await datasetWith('tr', v.data);
        const wantJsonl = v.want.join('\n');

        if (v.list) {
            const page = await dc.listItems(v.list);
            assertRecords(page.items, v.want.map((l) => JSON.parse(l)), `${v.id} listItems`);
            assert.equal(page.count, v.want.length, 'client count is the number of records');
            assert.equal(page.desc, v.list.desc === true, 'desc');
            assert.equal(page.offset, 0);
        }

        let got;
        if (v.raw) {
            const res = await rawRequest(server, itemsPath(ds.id, `format=jsonl&${v.raw}`));
            assert.equal(res.status, 200, res.text);
            got = res.buffer;
            // ...and the same records as JSON.
            const asJson = await rawRequest(server, itemsPath(ds.id, v.raw));
            assert.equal(asJson.status, 200, asJson.text);
            assertRecords(asJson.json, v.want.map((l) => JSON.parse(l)), `${v.id} json`);
        } else {
            got = await dc.downloadItems('jsonl', v.dl ?? v.list);
        }
        assertBytes(got, wantJsonl, `${v.id} jsonl`);
    });
}

// ---------------------------------------------------------------------------
// Pagination: export-semantics.md §7.1 P1–P8. The client reads total, offset,
// limit and desc from the X-Apify-Pagination-* headers but computes count as
// the number of returned records (apify-client 2.25.0 dataset.js), so the
// Count header is checked with a raw request.

const FIVE = '[{"n":1},{"n":2},{"n":3},{"n":4},{"n":5}]';
const NO_LIMIT = 999999999999;

const PAGINATION_VECTORS = [
    { id: 'P1', data: FIVE, list: { offset: 1, limit: 2 }, query: 'offset=1&limit=2',
        items: [{ n: 2 }, { n: 3 }], offset: 1, limit: 2, countHeader: 2, total: 5, desc: false },
    { id: 'P2', data: FIVE, list: { desc: true, offset: 1, limit: 2 }, query: 'desc=1&offset=1&limit=2',
        items: [{ n: 4 }, { n: 3 }], offset: 1, limit: 2, countHeader: 2, total: 5, desc: true },
    { id: 'P3', data: FIVE, list: {}, query: '',
        items: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }], offset: 0, limit: NO_LIMIT, countHeader: 5, total: 5, desc: false },
    // The client drops limit: 0 ("API treats 0 as undefined"), so P4 is raw only.
    { id: 'P4', data: FIVE, list: null, query: 'limit=0',
        items: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }], offset: 0, limit: NO_LIMIT, countHeader: 5, total: 5, desc: false },
    { id: 'P5', data: FIVE, list: { offset: 10 }, query: 'offset=10',
        items: [], offset: 10, limit: NO_LIMIT, countHeader: 0, total: 5, desc: false },
    { id: 'P6', data: '[{"a":1},{},{"a":2}]', list: { skipEmpty: true, limit: 2 }, query: 'skipEmpty=1&limit=2',
        items: [{ a: 1 }], offset: 0, limit: 2, countHeader: 2, total: 3, desc: false },
    { id: 'P7', data: '[{"#x":1},{"#y":2}]', list: { clean: true, limit: 2 }, query: 'clean=1&limit=2',
        items: [], offset: 0, limit: 2, countHeader: 2, total: 2, desc: false },
    { id: 'P8', data: '[{"id":1,"v":[{"x":1},{"x":2}]},{"id":2,"v":[{"x":3}]}]', list: { unwind: 'v', limit: 1 }, query: 'unwind=v&limit=1',
        items: [{ id: 1, x: 1 }, { id: 1, x: 2 }], offset: 0, limit: 1, countHeader: 1, total: 2, desc: false },
];

for (const v of PAGINATION_VECTORS) {
    test(`pagination ${v.id}: ${v.query || '(no parameters)'}`, async () => {
        const { ds, dc } = await datasetWith('page', v.data);

        if (v.list) {
            const page = await dc.listItems(v.list);
            assertRecords(page.items, v.items, `${v.id} items`);
            assert.equal(page.total, v.total, 'total (X-Apify-Pagination-Total)');
            assert.equal(page.offset, v.offset, 'offset (X-Apify-Pagination-Offset)');
            assert.equal(page.limit, v.limit, 'limit (X-Apify-Pagination-Limit)');
            assert.equal(page.desc, v.desc, 'desc (X-Apify-Pagination-Desc)');
            assert.equal(page.count, v.items.length, 'client count (records returned)');
        }

        for (const method of ['GET', 'HEAD']) {
            const res = await rawRequest(server, itemsPath(ds.id, v.query), { method });
            assert.equal(res.status, 200, `${method}: ${res.text}`);
            assert.equal(res.headers.get('x-apify-pagination-offset'), String(v.offset), `${method} Offset header`);
            assert.equal(res.headers.get('x-apify-pagination-limit'), String(v.limit), `${method} Limit header`);
            assert.equal(res.headers.get('x-apify-pagination-count'), String(v.countHeader), `${method} Count header (raw items scanned)`);
            assert.equal(res.headers.get('x-apify-pagination-total'), String(v.total), `${method} Total header`);
            assert.equal(res.headers.get('x-apify-pagination-desc'), String(v.desc), `${method} Desc header`);
            assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', `${method} Content-Type`);
            if (method === 'GET') {
                assertRecords(res.json, v.items, `${v.id} raw body`);
            } else {
                assert.equal(res.buffer.length, 0, 'HEAD has no body');
            }
        }
    });
}

// ---------------------------------------------------------------------------
// attachment, Content-Type, Content-Disposition.

const CONTENT_TYPES = {
    json: 'application/json; charset=utf-8',
    jsonl: 'application/jsonl; charset=utf-8',
    csv: 'text/csv; charset=utf-8',
    html: 'text/html; charset=utf-8',
    xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    xml: 'application/xml; charset=utf-8',
    rss: 'application/rss+xml; charset=utf-8',
};

/** `yyyy-MM-dd` and `HH-mm-ss` and `SSS` of a Date, in UTC. */
function filenameTime(date) {
    const iso = date.toISOString(); // 2026-01-02T15:04:05.123Z
    return { day: iso.slice(0, 10), time: iso.slice(11, 19).replaceAll(':', '-'), millis: iso.slice(20, 23) };
}

let attachmentDataset;
async function getAttachmentDataset() {
    attachmentDataset ??= datasetWith('attach', '[{"a":1,"b":"x"},{"a":2,"b":"y"}]');
    return attachmentDataset;
}

for (const [format, contentType] of Object.entries(CONTENT_TYPES)) {
    test(`${format}: Content-Type, and attachment: true adds Content-Disposition without changing the body`, async () => {
        const { ds, dc } = await getAttachmentDataset();

        const plain = await rawRequest(server, itemsPath(ds.id, `format=${format}`));
        assert.equal(plain.status, 200, plain.text);
        assert.equal(plain.headers.get('content-type'), contentType, 'Content-Type');
        assert.equal(plain.headers.get('content-disposition'), null, 'no Content-Disposition without attachment');

        const att = await rawRequest(server, itemsPath(ds.id, `format=${format}&attachment=1`));
        assert.equal(att.status, 200, att.text);
        assert.equal(att.headers.get('content-type'), contentType, 'Content-Type with attachment');
        const cd = att.headers.get('content-disposition');
        const { day, time } = filenameTime(ds.createdAt);
        const prefix = `attachment; filename="dataset_${ds.name}_${day}_${time}`;
        assert.ok(cd?.startsWith(prefix), `Content-Disposition ${JSON.stringify(cd)} should start with ${JSON.stringify(prefix)}`);
        assert.ok(cd.endsWith(`.${format}"`), `Content-Disposition ${JSON.stringify(cd)} should end with .${format}"`);

        // The client returns only the body: the same with and without attachment.
        const viaClient = await dc.downloadItems(format, { attachment: true });
        const viaClientPlain = await dc.downloadItems(format);
        assert.ok(Buffer.isBuffer(viaClient));
        if (format === 'xlsx') {
            // Zip entry times may differ between two exports: compare the magic only.
            assert.equal(viaClient.subarray(0, 4).toString('hex'), '504b0304');
            assert.equal(viaClientPlain.subarray(0, 4).toString('hex'), '504b0304');
        } else {
            assert.ok(viaClient.equals(viaClientPlain), 'attachment must not change the body');
            assert.ok(viaClient.equals(plain.buffer), 'client and raw bodies agree');
        }
    });
}

// The documented file name (export-semantics.md §4.1 and the doc comment of
// export.Options.Filename): dataset_<name-or-id>_<UTC yyyy-MM-dd_HH-mm-ss-SSS>.<ext>,
// e.g. dataset_instagram-scraper_2025-07-24_15-01-56-173.xlsx: the
// milliseconds follow a dash, like the other time fields.
test('attachment file name is dataset_<name>_<yyyy-MM-dd_HH-mm-ss-SSS>.<ext>', async () => {
    const { ds } = await getAttachmentDataset();
    const { day, time, millis } = filenameTime(ds.createdAt);
    for (const format of Object.keys(CONTENT_TYPES)) {
        const res = await rawRequest(server, itemsPath(ds.id, `format=${format}&attachment=1`));
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers.get('content-disposition'),
            `attachment; filename="dataset_${ds.name}_${day}_${time}-${millis}.${format}"`, format);
    }
});

test('an unnamed dataset is named by its ID in the attachment file name', async () => {
    const ds = await client.datasets().getOrCreate();
    assert.equal(ds.name ?? null, null, 'getOrCreate() without a name creates an unnamed dataset');
    await client.dataset(ds.id).pushItems({ a: 1 });
    const res = await rawRequest(server, itemsPath(ds.id, 'format=csv&attachment=true'));
    assert.equal(res.status, 200, res.text);
    const { day, time } = filenameTime(ds.createdAt);
    const cd = res.headers.get('content-disposition');
    assert.ok(cd?.startsWith(`attachment; filename="dataset_${ds.id}_${day}_${time}`), `got ${JSON.stringify(cd)}`);
    assert.ok(cd.endsWith('.csv"'), `got ${JSON.stringify(cd)}`);
    assertBytes(res.buffer, `${BOM}"a"\r\n"1"\r\n`, 'body');
});

// ---------------------------------------------------------------------------
// Bad parameters: 400 with an Apify error body, before any output.

test('format=pdf is 400 invalid-parameter (raw HTTP)', async () => {
    const { ds } = await datasetWith('bad', '{"a":1}');
    const res = await rawRequest(server, itemsPath(ds.id, 'format=pdf'));
    assert.equal(res.status, 400, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.json?.error?.type, 'invalid-parameter', res.text);
    assert.equal(typeof res.json.error.message, 'string');
    assert.ok(res.json.error.message.length > 0);
    assert.equal(res.headers.get('content-disposition'), null);

    const withAttachment = await rawRequest(server, itemsPath(ds.id, 'format=pdf&attachment=1'));
    assert.equal(withAttachment.status, 400);
    assert.equal(withAttachment.headers.get('content-disposition'), null, 'no attachment header on an error');
});

test('bad option values through the client are ApifyApiErrors (400)', async () => {
    const { ds, dc } = await datasetWith('bad', '{"a":1,"b":2}');
    await assertApiError(dc.downloadItems('csv', { delimiter: ';;' }), { statusCode: 400, type: 'invalid-parameter' }, 'delimiter of two characters');
    await assertApiError(dc.downloadItems('xml', { xmlRoot: 'my root' }), { statusCode: 400, type: 'invalid-parameter' }, 'xmlRoot that is no XML name');
    await assertApiError(dc.downloadItems('xml', { xmlRow: '1row' }), { statusCode: 400, type: 'invalid-parameter' }, 'xmlRow that is no XML name');

    const mismatched = await rawRequest(server, itemsPath(ds.id, 'fields=a,b&outputFields=x'));
    assert.equal(mismatched.status, 400, mismatched.text);
    assert.equal(mismatched.json?.error?.type, 'parameters-mismatched', mismatched.text);
    const required = await rawRequest(server, itemsPath(ds.id, 'outputFields=x'));
    assert.equal(required.status, 400, required.text);
    assert.equal(required.json?.error?.type, 'parameter-required', required.text);
    const badBool = await rawRequest(server, itemsPath(ds.id, 'format=csv&bom=yes'));
    assert.equal(badBool.status, 400, badBool.text);
    assert.equal(badBool.json?.error?.type, 'invalid-parameter', badBool.text);
});
