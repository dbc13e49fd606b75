package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/actord/actord"
	"github.com/actord/actord/jsonitem"
	"github.com/go-json-experiment/json/jsontext"
)

// fuzzQueries are seed queries: the golden cases, the parameters of the
// export-semantics vectors, and malformed values.
var fuzzQueries = []string{
	"", "format=jsonl", "format=csv", "format=html", "format=xlsx", "format=xml", "format=rss", "format=XLSX",
	"clean=1", "clean=true&format=csv", "skipHidden=1", "skipEmpty=1", "skipFailedPages=1&format=xml",
	"fields=b,a", "fields=a,z&format=csv", "omit=b", "fields=a,b&omit=b&format=html",
	"fields=headline,url&outputFields=title,link&format=rss",
	"flatten=foo", "flatten=math&fields=math.factorial.first&format=csv",
	"unwind=arr", "unwind=a,b&format=csv", "unwind=v&limit=1&format=xlsx", "simplified=1&format=csv",
	"offset=1&limit=2&desc=1", "limit=0", "offset=10",
	"format=csv&bom=0", "format=json&bom=1", "format=csv&skipHeaderRow=1", "format=csv&delimiter=%3B",
	"format=csv&delimiter=%09&bom=false", "format=csv&delimiter=%C3%A9", "format=csv&delimiter=%00",
	"format=csv&delimiter=%FF", "format=csv&delimiter=%EF%BF%BD", "format=csv&delimiter=+",
	"format=xml&xmlRoot=people&xmlRow=person", "format=rss&feedTitle=T&feedDescription=D",
	"format=rss&xmlRoot=r&xmlRow=i", "format=html&bom=1", "format=xlsx&skipHeaderRow=1&bom=1",
	// Errors.
	"format=pdf", "offset=-1", "limit=x", "limit=9007199254740992", "delimiter=ab", "delimiter=%22",
	"xmlRoot=1a", "xmlRow=a:b", "outputFields=a", "fields=a&outputFields=a,b", "clean=yes",
	"simplified=1&outputFields=a,b,c", "fields=,%20a%20,,b", "offset=%2B5", "view=v",
}

// FuzzParseOptions: any query either fails with an *actord.Error or gives
// options that hold the parser's invariants.
func FuzzParseOptions(f *testing.F) {
	for _, q := range fuzzQueries {
		f.Add(q)
	}
	for _, tc := range goldenCases {
		f.Add(tc.query)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, _ := url.ParseQuery(query) // what could be parsed, as net/http keeps it
		o, err := ParseOptions(q)
		if err != nil {
			var ae *actord.Error
			if !errors.As(err, &ae) || ae.Type == "" || ae.Message == "" {
				t.Fatalf("ParseOptions(%q): error %#v is not an *actord.Error", query, err)
			}
			if o != nil {
				t.Fatalf("ParseOptions(%q): options and an error", query)
			}
			return
		}
		if _, ok := formats[o.Format]; !ok {
			t.Fatalf("%q: unknown format %q", query, o.Format)
		}
		if o.ContentType() == "" {
			t.Fatalf("%q: no Content-Type", query)
		}
		if o.Offset < 0 || o.Offset > maxIndex {
			t.Fatalf("%q: offset %d", query, o.Offset)
		}
		if o.Limit != NoLimit && (o.Limit <= 0 || o.Limit > maxIndex) {
			t.Fatalf("%q: limit %d", query, o.Limit)
		}
		if len(o.OutputFields) != 0 && len(o.OutputFields) != len(o.Fields) {
			t.Fatalf("%q: %d outputFields for %d fields", query, len(o.OutputFields), len(o.Fields))
		}
		for _, list := range [][]string{o.Fields, o.OutputFields, o.Omit, o.Unwind, o.Flatten} {
			for _, name := range list {
				if name == "" || name != strings.TrimSpace(name) || strings.Contains(name, ",") {
					t.Fatalf("%q: list entry %q", query, name)
				}
			}
		}
		if utf8.RuneCountInString(o.Delimiter) != 1 || o.Delimiter == `"` || o.Delimiter == "\r" || o.Delimiter == "\n" {
			t.Fatalf("%q: delimiter %q", query, o.Delimiter)
		}
		if !validXMLName(o.XMLRoot) || !validXMLName(o.XMLRow) {
			t.Fatalf("%q: xmlRoot %q, xmlRow %q", query, o.XMLRoot, o.XMLRow)
		}
		if !q.Has("bom") && o.BOM != (o.Format == CSV) {
			t.Fatalf("%q: default BOM %v for %s", query, o.BOM, o.Format)
		}
		if name := o.Filename(query, time.Unix(0, 0)); !strings.HasSuffix(name, "."+formats[o.Format].ext) || strings.ContainsAny(name, "\"\\/\r\n") {
			t.Fatalf("%q: filename %q", query, name)
		}
	})
}

// TestQueryUTF8: every text format is UTF-8 (export-semantics §4.1;
// Content-Type text/csv; charset=utf-8), so query values that are not UTF-8
// must not reach the body: a delimiter that is one byte of invalid UTF-8
// (%FF: utf8.RuneCountInString counts it as one rune) would be in every
// record, and a field name (fields, or outputFields) in the header. Found
// by FuzzExport; ParseOptions now rejects them as invalid-parameter.
func TestQueryUTF8(t *testing.T) {
	for _, query := range []string{
		"delimiter=%FF", "delimiter=%C3", "delimiter=%80",
		"fields=%88", "fields=a,b%C3", "fields=a&outputFields=%FF",
	} {
		q, err := url.ParseQuery("format=csv&" + query)
		if err != nil {
			t.Fatal(err)
		}
		o, err := ParseOptions(q)
		if err != nil {
			continue
		}
		var buf bytes.Buffer
		if err := Write(&buf, o, &sliceCursor{items: [][]byte{[]byte(`{"a":"x","b":"y"}`)}}, Dataset{}); err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(buf.Bytes()) {
			t.Errorf("%s: accepted, and the CSV is not UTF-8: %q", query, buf.Bytes())
		}
	}
}

// TestNoDuplicateNames: the transforms must not give a record two members
// of the same name when the item has none: JSON.stringify of a JavaScript
// object (Apify's records) never does, and strict JSON parsers reject it
// (RFC 8259: names SHOULD be unique; jsontext and encoding/json/v2 reject
// them by default). Found by the fuzz targets; fixed by dedupe.
func TestNoDuplicateNames(t *testing.T) {
	for _, tt := range []struct{ data, query string }{
		{`{"a":1,"b":2}`, "fields=a,a"},                  // gives {"a":1,"a":1}
		{`{"a":1,"b":2}`, "fields=a,b&outputFields=x,x"}, // gives {"x":1,"x":2}
		{`{"a.b":1,"a":{"b":2}}`, "flatten=a"},           // gives {"a.b":1,"a.b":2}
		{`{"a":{"b":2},"a.b":1}`, "flatten=a"},           // gives {"a.b":2,"a.b":1}
	} {
		for _, rec := range strings.Split(jsonl(t, tt.data, tt.query), "\n") {
			if err := strictJSON(rec); err != nil {
				t.Errorf("%s with %s: record %s: %v", tt.data, tt.query, rec, err)
			}
		}
	}
}

// strictJSON checks s with jsontext's defaults, which reject duplicate
// member names.
func strictJSON(s string) error {
	_, err := jsontext.NewDecoder(strings.NewReader(s)).ReadValue()
	return err
}

// Bounds of FuzzExport inputs: bigger inputs only slow the fuzzer down.
const (
	fuzzMaxItems   = 4 << 10
	fuzzMaxQuery   = 512
	fuzzMaxRecords = 2000
)

var errFuzzTooMany = errors.New("too many records")

// FuzzExport exports fuzzed items with a fuzzed query in its format and
// checks the output with a parser of that format: JSON parses as an array
// of the records, JSONL has one object per line, CSV has rows of the
// header's width holding the records' leaves, XML and RSS are well-formed
// with one element per record, HTML is one table of header-wide rows,
// XLSX unzips into a well-formed sheet of the records.
func FuzzExport(f *testing.F) {
	if fixture, err := os.ReadFile(filepath.Join("testdata", "golden", "fixture.json")); err == nil {
		for _, tc := range goldenCases {
			f.Add(string(fixture), tc.query)
		}
	}
	for _, s := range []struct{ items, query string }{
		// export-semantics §7 and §10.8 vectors.
		{`[{"n":1},{"n":2},{"n":3},{"n":4},{"n":5}]`, "offset=1&limit=2"},
		{`[{"a":1},{},{"a":2}]`, "skipEmpty=1&format=csv"},
		{`[{"#x":1},{"#y":2}]`, "clean=1&format=xlsx"},
		{`[{"id":1,"v":[{"x":1},{"x":2}]},{"id":2,"v":[{"x":3}]}]`, "unwind=v&format=csv"},
		{`{"a":1,"#dbg":{"x":1},"n":{"#keep":1}}`, "skipHidden=1&format=xml"},
		{`{"c":3,"a":1,"b":2}`, "fields=b,a&format=csv"},
		{`{"headline":"H","url":"U","x":1}`, "fields=headline,url&outputFields=title,link&format=rss"},
		{`{"math":{"factorial":{"first":1}},"s":3}`, "flatten=math&fields=math.factorial.first&format=html"},
		{`{"a":[{"x":1},{"x":2}],"b":{"y":9}}`, "unwind=a,b&format=xlsx"},
		{`{"url":"u","pageFunctionResult":[{"t":1},{"t":2}],"errorInfo":null,"other":5}`, "simplified=1&format=csv"},
		{`[{"url":"a","errorInfo":"boom"},{"url":"b"}]`, "skipFailedPages=1&format=xml"},
		{`[{"name":"Paul","address":[{"type":"home","street":"21st"},{"type":"office","street":null}]}]`, "format=xml&xmlRoot=people&xmlRow=person"},
		{`{"address":{"@":{"type":"office"},"#":"unknown"}}`, "format=xml"},
		{`[{"foo":"x","bar":"y"}]`, "format=html"},
		{`[{"t":"Cukrárna","s":4.6,"n":81,"z":null}]`, "format=csv&fields=t,s,n,z"},
		{`[{"t":"A","p":{"role":"Mobil","number":"7","country_code":"420"}},{"t":"B"}]`, "format=csv&fields=t,p"},
		{`[{"h":true,"d":null,"e":""}]`, "format=csv"},
		{`[{"k":[0,1,2,3,4,5,6,7,8,9,10]}]`, "format=csv"},
		{`[{"x":"a\nb\r\nc\rd"}]`, "format=csv"},
		{`[{"q":"say \"hi\""}]`, "format=csv&delimiter=%3B"},
		{`[{"b":true,"n":0,"s":"","z":null}]`, "format=xlsx"},
		{`[{"k":[],"o":{},"v":1}]`, "format=csv"},
		// Edge cases.
		{`[{"a":1},{"a":null},{}]`, "format=csv"},
		{`[{"a/b":1,"a":{"b":2}},{"a":"x"}]`, "format=csv"},
		{`[{"a":1,"a":{"b":2}}]`, "format=xlsx"},
		{`[{"\u0000":"\u0000","\ufffe":"\uffff","\ud83d\ude00":"x"}]`, "format=html"},
		{`[{"a":"x"}]`, "format=csv&delimiter=%00"},
		{`[{"a":"x","b":null}]`, "format=csv&delimiter=%FF"},
		{`[{"a":"x","b":null}]`, "format=csv&delimiter=%C3%A9"},
		{`[{"a":[1,[2,[3]]],"b":{"@":{"xmlns":"u"},"#":[1]}}]`, "format=rss&feedTitle=%00%3C"},
		{`[{"a":{"b":[{"c":1},{"c":2}]}}]`, "flatten=a&unwind=a.b&format=csv"},
	} {
		f.Add(s.items, s.query)
	}
	f.Fuzz(func(t *testing.T, itemsText, query string) {
		if len(itemsText) > fuzzMaxItems || len(query) > fuzzMaxQuery {
			return
		}
		its, err := jsonitem.SplitItems([]byte(itemsText))
		if err != nil {
			return
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		o, err := ParseOptions(q)
		if err != nil {
			return
		}
		// Unwinding several fields multiplies records: count them first.
		n, tr := 0, newTransformer(o)
		for _, it := range its {
			if err := tr.apply(it, func([]byte) error {
				if n++; n > fuzzMaxRecords {
					return errFuzzTooMany
				}
				return nil
			}); err != nil {
				return
			}
		}
		ds := Dataset{ID: "fuzz", Label: "fuzz <&>", Link: "https://example.com/?a&b"}
		out := fuzzWrite(t, o, its, ds)
		recs := fuzzRecords(t, its, q, ds)
		if len(recs) != n {
			t.Fatalf("%d records in JSONL, the transformer made %d", len(recs), n)
		}
		// Records have unique member names when the items have.
		if !slices.ContainsFunc(its, func(it []byte) bool { return strictJSON(string(it)) != nil }) {
			for _, rec := range recs {
				if err := strictJSON(rec); err != nil {
					t.Fatalf("record %s: %v", rec, err)
				}
			}
		}
		if Live(o.Format) {
			fuzzCheckLive(t, o, its, recs, out, func() []string { return fuzzColumns(t, its, q, ds) })
		}
		body, hasBOM := bytes.CutPrefix(out, utf8BOM)
		if o.Format == XLSX {
			body, hasBOM = out, false
		}
		if hasBOM != (o.BOM && o.Format != XLSX) {
			t.Fatalf("BOM %v with bom=%v for %s", hasBOM, o.BOM, o.Format)
		}
		if o.Format != XLSX && !utf8.Valid(body) {
			t.Fatalf("%s output is not UTF-8: %q", o.Format, body)
		}
		switch o.Format {
		case JSON:
			fuzzCheckJSON(t, body, recs)
		case JSONL:
			fuzzCheckJSONL(t, body)
		case XML, RSS:
			elems := 0
			for _, rec := range recs {
				elems += 1 + xmlCountElements(t, jsontext.NewDecoder(strings.NewReader(rec), jsontext.AllowDuplicateNames(true)))
			}
			want := 1 + elems
			if o.Format == RSS {
				want = 5 + elems // rss, channel, title, link, description
			}
			if got := xmlCheckWellFormed(t, body); got != want {
				t.Fatalf("%d elements, want %d:\n%s", got, want, body)
			}
		case CSV, HTML, XLSX:
			columns := fuzzColumns(t, its, q, ds)
			fuzzCheckColumns(t, o, recs, columns)
			var rows [][]Cell
			if len(columns) > 0 {
				rows = goldenRows(t, recs, columns)
			}
			switch o.Format {
			case CSV:
				fuzzCheckCSV(t, o, body, columns, rows)
			case HTML:
				htmlCheckTable(t, body, "Dataset "+ds.Label, columns, rows)
			case XLSX:
				fuzzCheckXLSX(t, body, columns, rows)
			}
		}
	})
}

func fuzzWrite(t *testing.T, o *Options, its [][]byte, ds Dataset) []byte {
	t.Helper()
	var buf bytes.Buffer
	c := &sliceCursor{items: its}
	if err := Write(&buf, o, c, ds); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// fuzzRecords returns the records of q as compact JSON (the JSONL export).
func fuzzRecords(t *testing.T, its [][]byte, q url.Values, ds Dataset) []string {
	t.Helper()
	q = cloneValues(q)
	q.Set("format", "jsonl")
	q.Del("bom")
	o, err := ParseOptions(q)
	if err != nil {
		t.Fatal(err)
	}
	out := fuzzWrite(t, o, its, ds)
	if len(out) == 0 {
		return nil
	}
	return strings.Split(string(out), "\n")
}

// fuzzColumns returns the table header of q: its plain CSV export's first
// record.
func fuzzColumns(t *testing.T, its [][]byte, q url.Values, ds Dataset) []string {
	t.Helper()
	q = cloneValues(q)
	q.Set("format", "csv")
	q.Set("bom", "0")
	q.Del("delimiter")
	q.Del("skipHeaderRow")
	o, err := ParseOptions(q)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := parseStrictCSV(fuzzWrite(t, o, its, ds), ",")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		return nil
	}
	columns := make([]string, len(recs[0]))
	for i, f := range recs[0] {
		if !f.quoted {
			t.Fatalf("header field %d is not quoted", i)
		}
		columns[i] = f.text
	}
	return columns
}

func cloneValues(q url.Values) url.Values {
	c := make(url.Values, len(q))
	for k, v := range q {
		c[k] = slices.Clone(v)
	}
	return c
}

func fuzzCheckJSON(t *testing.T, body []byte, recs []string) {
	t.Helper()
	var items []map[string]any
	if err := decodeNumbers(body, &items); err != nil {
		t.Fatalf("encoding/json: %v\n%s", err, body)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != len(recs) {
		t.Fatalf("%d items, want %d", len(raw), len(recs))
	}
	for i, r := range raw {
		v := jsontext.Value(r)
		if err := v.Compact(jsontext.AllowDuplicateNames(true)); err != nil {
			t.Fatal(err)
		}
		if string(v) != recs[i] {
			t.Fatalf("item %d compacts to %s, want %s", i, v, recs[i])
		}
	}
}

// decodeNumbers is json.Unmarshal keeping numbers as json.Number: the
// exports write numbers as pushed, and 1E700 is valid JSON that no float64
// holds.
func decodeNumbers(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the value")
	}
	return nil
}

func fuzzCheckJSONL(t *testing.T, body []byte) {
	t.Helper()
	if len(body) == 0 {
		return
	}
	for i, l := range strings.Split(string(body), "\n") {
		var m map[string]any
		if err := decodeNumbers([]byte(l), &m); err != nil || m == nil {
			t.Fatalf("line %d %q: not a JSON object: %v", i+1, l, err)
		}
	}
}

// fuzzCheckColumns checks a header: names unique, each a leaf path of a
// record or a listed field, and every leaf path a column unless the column
// limits cut it.
func fuzzCheckColumns(t *testing.T, o *Options, recs []string, columns []string) {
	t.Helper()
	set := map[string]bool{}
	for _, c := range columns {
		if set[c] {
			t.Fatalf("column %q twice in %q", c, columns)
		}
		set[c] = true
		if utf8.RuneCountInString(c) > MaxColumnNameLength {
			t.Fatalf("column name of %d characters", utf8.RuneCountInString(c))
		}
	}
	if len(columns) > MaxColumns {
		t.Fatalf("%d columns", len(columns))
	}
	paths := map[string]bool{}
	for _, rec := range recs {
		for p := range goldenLeaves(t, rec) {
			if utf8.RuneCountInString(p) <= MaxColumnNameLength {
				paths[p] = true
			}
		}
	}
	fields := columnFields(o)
	for c := range set {
		if !paths[c] && !slices.Contains(fields, c) {
			t.Fatalf("column %q is no leaf and no listed field", c)
		}
	}
	if len(paths) <= MaxColumns {
		for p := range paths {
			if !set[p] {
				t.Fatalf("leaf %q has no column in %q", p, columns)
			}
		}
	}
}

type csvField struct {
	text   string
	quoted bool
}

// parseStrictCSV parses the CSV grammar the writer promises: records end
// with CRLF, fields are separated by delim, and a field is either empty
// and unquoted or quoted with inner quotes doubled (anything, line breaks
// included, inside the quotes).
func parseStrictCSV(b []byte, delim string) ([][]csvField, error) {
	var recs [][]csvField
	for len(b) > 0 {
		var rec []csvField
		for {
			var f csvField
			if len(b) > 0 && b[0] == '"' {
				f.quoted = true
				var sb strings.Builder
				i := 1
				for {
					j := bytes.IndexByte(b[i:], '"')
					if j < 0 {
						return nil, errors.New("unterminated quoted field")
					}
					sb.Write(b[i : i+j])
					i += j + 1
					if i < len(b) && b[i] == '"' {
						sb.WriteByte('"')
						i++
						continue
					}
					break
				}
				f.text = sb.String()
				b = b[i:]
			}
			rec = append(rec, f)
			if bytes.HasPrefix(b, []byte(delim)) {
				b = b[len(delim):]
				continue
			}
			if bytes.HasPrefix(b, []byte("\r\n")) {
				b = b[2:]
				break
			}
			return nil, errors.New("field not followed by the delimiter or CRLF: " + strings.ToValidUTF8(string(b[:min(len(b), 20)]), "?"))
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// csvDelimiter returns the delimiter as encoding/csv's Comma, if it can be
// one.
func csvDelimiter(d string) (rune, bool) {
	r, size := utf8.DecodeRuneInString(d)
	if size != len(d) || r == 0 || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
		return 0, false
	}
	return r, true
}

func fuzzCheckCSV(t *testing.T, o *Options, body []byte, columns []string, rows [][]Cell) {
	t.Helper()
	recs, err := parseStrictCSV(body, o.Delimiter)
	if err != nil {
		t.Fatalf("CSV: %v\n%q", err, body)
	}
	if len(columns) == 0 {
		if len(recs) != 0 {
			t.Fatalf("%d records without columns: %q", len(recs), body)
		}
		return
	}
	if !o.SkipHeaderRow {
		if len(recs) == 0 {
			t.Fatal("no header")
		}
		for i, f := range recs[0] {
			if i >= len(columns) || !f.quoted || f.text != columns[i] {
				t.Fatalf("header %+v, want %q", recs[0], columns)
			}
		}
		recs = recs[1:]
	}
	if len(recs) != len(rows) {
		t.Fatalf("%d rows, want %d:\n%q", len(recs), len(rows), body)
	}
	for i, rec := range recs {
		if len(rec) != len(columns) {
			t.Fatalf("row %d has %d fields, the header %d:\n%q", i+1, len(rec), len(columns), body)
		}
		for j, f := range rec {
			c := rows[i][j]
			if f.quoted != (c.Kind != CellEmpty) || f.text != string(c.Text) {
				t.Fatalf("row %d column %q: %+v, want %+v", i+1, columns[j], f, c)
			}
		}
	}
	// A real parser reads the same, where encoding/csv accepts the
	// delimiter. It reads a quoted CRLF as LF and skips empty lines: the
	// rows of a one-column table whose value is null.
	comma, ok := csvDelimiter(o.Delimiter)
	if !ok {
		return
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.Comma = comma
	r.FieldsPerRecord = -1
	all, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv (delimiter %q): %v\n%q", o.Delimiter, err, body)
	}
	var want [][]string
	for _, rec := range recs0(o, columns, recs) {
		if len(rec) == 1 && !rec[0].quoted {
			continue // an empty line
		}
		var w []string
		for _, f := range rec {
			w = append(w, strings.ReplaceAll(f.text, "\r\n", "\n"))
		}
		want = append(want, w)
	}
	if len(all) != len(want) {
		t.Fatalf("encoding/csv read %d records, want %d:\n%q", len(all), len(want), body)
	}
	for i := range all {
		if len(all[i]) != len(columns) || !slices.Equal(all[i], want[i]) {
			t.Fatalf("encoding/csv record %d: %q, want %q", i, all[i], want[i])
		}
	}
}

// recs0 puts the header back in front of the rows, as it is in the body.
func recs0(o *Options, columns []string, rows [][]csvField) [][]csvField {
	if o.SkipHeaderRow {
		return rows
	}
	header := make([]csvField, len(columns))
	for i, c := range columns {
		header[i] = csvField{text: c, quoted: true}
	}
	return append([][]csvField{header}, rows...)
}

func fuzzCheckXLSX(t *testing.T, body []byte, columns []string, rows [][]Cell) {
	t.Helper()
	files, parts := unzipXLSX(t, body)
	if len(files) != len(xlsxPartNames) {
		t.Fatalf("%d zip entries", len(files))
	}
	got, err := readSheet(parts[xlsxSheetName])
	if err != nil {
		t.Fatalf("sheet XML not well-formed: %v", err)
	}
	if len(columns) == 0 {
		if len(got) != 0 {
			t.Fatalf("%d rows without columns", len(got))
		}
		return
	}
	if len(got) != 1+len(rows) {
		t.Fatalf("%d rows read back, want %d", len(got), 1+len(rows))
	}
	header := make([]Cell, len(columns))
	for i, c := range columns {
		header[i] = Cell{Kind: CellString, Text: []byte(c)}
	}
	checkReadBack(t, got, append([][]Cell{header}, rows...), 1)
}

// fuzzCheckLive: WriteLive gives the batch export's bytes for JSONL, and
// for CSV whenever its columns (fields, or the first record's) are the
// batch export's columns.
func fuzzCheckLive(t *testing.T, o *Options, its [][]byte, recs []string, batch []byte, batchColumns func() []string) {
	t.Helper()
	var live bytes.Buffer
	if err := WriteLive(&live, o, &sliceCursor{items: its}); err != nil {
		t.Fatalf("WriteLive: %v", err)
	}
	if o.Format == JSONL {
		if !bytes.Equal(live.Bytes(), batch) {
			t.Fatalf("live JSONL differs:\n%q\nbatch:\n%q", live.Bytes(), batch)
		}
		return
	}
	fields := columnFields(o)
	set := newColumnSet(fields)
	if len(fields) == 0 {
		for _, rec := range recs {
			if set.add([]byte(rec), nil); len(set.columns(nil, o.Unwind)) > 0 {
				break
			}
		}
	}
	if slices.Equal(set.columns(fields, o.Unwind), batchColumns()) && !bytes.Equal(live.Bytes(), batch) {
		t.Fatalf("live CSV with the batch's columns differs:\n%q\nbatch:\n%q", live.Bytes(), batch)
	}
}
