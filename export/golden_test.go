package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/actord/actord/jsonitem"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/xuri/excelize/v2"
)

// -update-golden rewrites testdata/golden/* (-update is xml_test.go's flag
// for testdata/xml and testdata/html).
var updateGoldenFiles = flag.Bool("update-golden", false, "rewrite the golden files in testdata/golden")

// goldenDataset is the dataset every golden export is made of.
var goldenDataset = Dataset{ID: "DSID", Label: "my-data", Link: "https://example.com/v2/datasets/DSID/items?format=rss&x=<1>"}

// goldenCases export testdata/golden/fixture.json; the output of case name
// is testdata/golden/<name>.<ext> (for xlsx the unzipped sheet,
// <name>.xlsx.sheet1.xml). desc is the store's job (it picks the window),
// so it has no case here.
var goldenCases = []struct{ name, query string }{
	// One per format, no transform.
	{"all", "format=json"},
	{"all", "format=jsonl"},
	{"all", "format=csv"},
	{"all", "format=html"},
	{"all", "format=xml"},
	{"all", "format=rss"},
	{"all", "format=xlsx"},
	// Transforms.
	{"clean", "format=jsonl&clean=1"},
	{"clean", "format=csv&clean=1"},
	{"clean", "format=xml&clean=1"},
	{"fields-omit", "format=json&fields=title,id,address,note,missing,errorInfo&omit=errorInfo"},
	{"fields-omit", "format=csv&fields=title,id,address,note,missing,errorInfo&omit=errorInfo"},
	{"outputfields", "format=jsonl&fields=title,id,tags&outputFields=name,n,labels"},
	{"outputfields", "format=html&fields=title,id,tags&outputFields=name,n,labels"},
	{"unwind", "format=jsonl&unwind=reviews"},
	{"unwind", "format=csv&unwind=reviews&clean=1"},
	{"unwind", "format=xlsx&unwind=reviews&clean=1"},
	{"flatten", "format=json&flatten=address,reviews,%40"},
	{"flatten", "format=csv&flatten=address&fields=id,address.geo.lat,address.floors.0.rooms.0.name,address"},
	{"skipfailed", "format=jsonl&skipFailedPages=1&skipEmpty=1"},
	{"bom", "format=json&bom=1&fields=id"},
	{"csv-semicolon-nobom", "format=csv&delimiter=%3B&bom=0&fields=id,title,tags"},
	{"csv-tab-noheader", "format=csv&delimiter=%09&bom=false&skipHeaderRow=1&fields=id,title,html,escapes"},
	{"xml-root-row", "format=xml&xmlRoot=dataset&xmlRow=record&fields=id,title,price,%40"},
	{"rss-feed", "format=rss&feedTitle=My+feed+%3C%26%3E&feedDescription=Caf%C3%A9+%22items%22&fields=title,url,id"},
}

func TestGoldenExport(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join("testdata", "golden", "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tc := range goldenCases {
		o := options(t, tc.query)
		file := tc.name + "." + formats[o.Format].ext
		if o.Format == XLSX {
			file += ".sheet1.xml"
		}
		if seen[file] {
			t.Fatalf("two cases write %s", file)
		}
		seen[file] = true
		t.Run(file, func(t *testing.T) {
			out := goldenWrite(t, o, fixture)
			got := out
			if o.Format == XLSX {
				got = goldenXLSXSheet(t, out)
			}
			goldenCompare(t, filepath.Join("testdata", "golden", file), got)

			recs := goldenRecords(t, fixture, tc.query)
			switch o.Format {
			case JSON:
				goldenCheckJSON(t, o, out, recs)
			case JSONL:
				goldenCheckJSONL(t, out, recs)
			case CSV:
				goldenCheckCSV(t, o, out, recs, goldenColumns(t, fixture, tc.query))
			case HTML:
				goldenCheckHTML(t, o, out, recs, goldenColumns(t, fixture, tc.query))
			case XLSX:
				goldenCheckXLSX(t, o, out, recs, goldenColumns(t, fixture, tc.query))
			case XML, RSS:
				goldenCheckXML(t, o, out, recs)
			}
			if check := goldenSpotChecks[file]; check != nil {
				check(t, out)
			}
		})
	}
	// Every file in testdata/golden belongs to a case (or is the fixture).
	entries, err := os.ReadDir(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if name := e.Name(); name != "fixture.json" && !seen[name] {
			t.Errorf("testdata/golden/%s belongs to no case", name)
		}
	}
}

// goldenWrite exports the fixture items with o.
func goldenWrite(t *testing.T, o *Options, fixture []byte) []byte {
	t.Helper()
	its, err := jsonitem.SplitItems(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, o, &sliceCursor{items: its}, goldenDataset); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// goldenRecords returns the records the query makes of the fixture, as
// compact JSON: the same query exported as JSONL.
func goldenRecords(t testing.TB, fixture []byte, query string) []string {
	t.Helper()
	q := goldenQuery(t, query, "format", "jsonl")
	q.Del("bom")
	out := goldenExportQuery(t, fixture, q)
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// goldenColumns returns the header of the table the query makes: the same
// query exported as plain CSV (comma, no BOM, with header) and read by
// encoding/csv.
func goldenColumns(t testing.TB, fixture []byte, query string) []string {
	t.Helper()
	q := goldenQuery(t, query, "format", "csv")
	q.Set("bom", "0")
	q.Del("delimiter")
	q.Del("skipHeaderRow")
	out := goldenExportQuery(t, fixture, q)
	if out == "" {
		return nil
	}
	r := csv.NewReader(strings.NewReader(out))
	header, err := r.Read()
	if err != nil {
		t.Fatalf("header of %q: %v", out, err)
	}
	return header
}

func goldenQuery(t testing.TB, query, key, value string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q.Set(key, value)
	return q
}

func goldenExportQuery(t testing.TB, items []byte, q url.Values) string {
	t.Helper()
	o, err := ParseOptions(q)
	if err != nil {
		t.Fatalf("ParseOptions(%s): %v", q.Encode(), err)
	}
	its, err := jsonitem.SplitItems(items)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, o, &sliceCursor{items: its}, goldenDataset); err != nil {
		t.Fatalf("Write(%s): %v", q.Encode(), err)
	}
	return buf.String()
}

// goldenCompare compares got with the golden file at path, or rewrites the
// file with -update-golden.
func goldenCompare(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateGoldenFiles || *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./export -run TestGoldenExport -update-golden to create it)", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("output differs from %s at byte %d (run go test -update-golden and review the diff)\ngot:  %q\nwant: %q",
			path, i, goldenAround(got, i), goldenAround(want, i))
	}
}

func goldenAround(b []byte, i int) []byte {
	return b[max(0, i-40):min(len(b), i+40)]
}

// goldenXLSXSheet unzips an export, checks that the fixed parts are the
// templates, in Apify's order, and returns the sheet.
func goldenXLSXSheet(t *testing.T, data []byte) []byte {
	t.Helper()
	files, parts := unzipXLSX(t, data)
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, xlsxPartNames) {
		t.Fatalf("zip entries %q, want %q", names, xlsxPartNames)
	}
	for name, want := range map[string]string{
		"[Content_Types].xml":        xlsxContentTypes,
		"_rels/.rels":                xlsxRootRels,
		"xl/workbook.xml":            xlsxWorkbook,
		"xl/styles.xml":              xlsxStyles,
		"xl/_rels/workbook.xml.rels": xlsxWorkbookRels,
	} {
		if string(parts[name]) != want {
			t.Errorf("%s differs from the template", name)
		}
	}
	return parts[xlsxSheetName]
}

// goldenLeaves maps the leaf paths of a compact JSON record (joined by "/",
// array elements by index) to their cells. It walks the record with
// jsontext, independently of the package's scanner.
func goldenLeaves(t testing.TB, rec string) map[string]Cell {
	t.Helper()
	leaves := map[string]Cell{}
	dec := jsontext.NewDecoder(strings.NewReader(rec), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	var walk func(path string, root bool)
	walk = func(path string, root bool) {
		join := func(k string) string {
			if root { // not path == "": a top-level key may be ""
				return k
			}
			return path + "/" + k
		}
		switch dec.PeekKind() {
		case '{':
			dec.ReadToken()
			for dec.PeekKind() != '}' {
				k, err := dec.ReadToken()
				if err != nil {
					t.Fatalf("record %s: %v", rec, err)
				}
				walk(join(k.String()), false)
			}
			dec.ReadToken()
		case '[':
			dec.ReadToken()
			for i := 0; dec.PeekKind() != ']'; i++ {
				walk(join(strconv.Itoa(i)), false)
			}
			dec.ReadToken()
		default:
			v, err := dec.ReadValue()
			if err != nil {
				t.Fatalf("record %s: %v", rec, err)
			}
			var c Cell
			switch v.Kind() {
			case '"':
				s, _ := jsontext.AppendUnquote(nil, v)
				c = Cell{Kind: CellString, Text: s}
			case '0':
				c = Cell{Kind: CellNumber, Text: bytes.Clone(v)}
			case 't', 'f':
				c = Cell{Kind: CellBool, Text: bytes.Clone(v)}
			}
			leaves[path] = c // a later duplicate key wins, as in the writers
		}
	}
	walk("", true)
	return leaves
}

// goldenRows turns records into table rows of the given columns.
func goldenRows(t testing.TB, recs []string, columns []string) [][]Cell {
	t.Helper()
	rows := make([][]Cell, len(recs))
	for i, rec := range recs {
		leaves := goldenLeaves(t, rec)
		row := make([]Cell, len(columns))
		for j, c := range columns {
			row[j] = leaves[c]
		}
		rows[i] = row
	}
	return rows
}

// goldenCheckColumns checks a table header against the records: without a
// field list the columns are exactly the leaf paths of the records; with
// one, every leaf path of a listed (or unwound) field is a column, and
// every column is a leaf path or a listed field. Columns are unique.
func goldenCheckColumns(t testing.TB, o *Options, recs []string, columns []string) {
	t.Helper()
	set := map[string]bool{}
	for _, c := range columns {
		if set[c] {
			t.Errorf("column %q twice", c)
		}
		set[c] = true
	}
	paths := map[string]bool{}
	for _, rec := range recs {
		for p := range goldenLeaves(t, rec) {
			paths[p] = true
		}
	}
	for p := range paths {
		if !set[p] {
			t.Errorf("leaf %q has no column", p)
		}
	}
	fields := columnFields(o)
	for c := range set {
		if !paths[c] && !slices.Contains(fields, c) {
			t.Errorf("column %q is no leaf and no listed field", c)
		}
	}
}

func goldenCheckJSON(t *testing.T, o *Options, out []byte, recs []string) {
	t.Helper()
	body, hasBOM := bytes.CutPrefix(out, utf8BOM)
	if hasBOM != o.BOM {
		t.Errorf("BOM %v, want %v", hasBOM, o.BOM)
	}
	var items []map[string]any
	if err := json.Unmarshal(body, &items); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	if len(items) != len(recs) {
		t.Fatalf("%d items, want %d", len(items), len(recs))
	}
	// The pretty-printing changes whitespace only: compacted, each item is
	// the record byte for byte.
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for i, r := range raw {
		v := jsontext.Value(r)
		if err := v.Compact(); err != nil {
			t.Fatal(err)
		}
		if string(v) != recs[i] {
			t.Errorf("item %d compacts to %s, want %s", i, v, recs[i])
		}
	}
}

func goldenCheckJSONL(t *testing.T, out []byte, recs []string) {
	t.Helper()
	if len(out) > 0 && out[len(out)-1] == '\n' {
		t.Error("JSONL ends with a line end")
	}
	lines := strings.Split(string(out), "\n")
	if len(out) == 0 {
		lines = nil
	}
	if len(lines) != len(recs) {
		t.Fatalf("%d lines, want %d", len(lines), len(recs))
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m == nil {
			t.Errorf("line %d %q: not a JSON object: %v", i+1, l, err)
		}
	}
}

func goldenCheckCSV(t *testing.T, o *Options, out []byte, recs []string, columns []string) {
	t.Helper()
	body, hasBOM := bytes.CutPrefix(out, utf8BOM)
	if hasBOM != o.BOM {
		t.Errorf("BOM %v, want %v", hasBOM, o.BOM)
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.Comma, _ = utf8.DecodeRuneInString(o.Delimiter)
	r.FieldsPerRecord = -1
	all, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv: %v", err)
	}
	if !o.SkipHeaderRow {
		if len(all) == 0 || !slices.Equal(all[0], columns) {
			t.Fatalf("header %q, want %q", all[:min(1, len(all))], columns)
		}
		all = all[1:]
	}
	goldenCheckColumns(t, o, recs, columns)
	if len(all) != len(recs) {
		t.Fatalf("%d rows, want %d", len(all), len(recs))
	}
	for i, row := range goldenRows(t, recs, columns) {
		if len(all[i]) != len(columns) {
			t.Fatalf("row %d has %d fields, the header %d", i+1, len(all[i]), len(columns))
		}
		for j, c := range row {
			// encoding/csv reads a quoted \r\n as \n.
			want := strings.ReplaceAll(string(c.Text), "\r\n", "\n")
			if all[i][j] != want {
				t.Errorf("row %d column %q: %q, want %q", i+1, columns[j], all[i][j], want)
			}
		}
	}
}

func goldenCheckHTML(t *testing.T, o *Options, out []byte, recs []string, columns []string) {
	t.Helper()
	goldenCheckColumns(t, o, recs, columns)
	htmlCheckTable(t, out, "Dataset "+goldenDataset.Label, columns, goldenRows(t, recs, columns))
}

func goldenCheckXLSX(t *testing.T, o *Options, out []byte, recs []string, columns []string) {
	t.Helper()
	goldenCheckColumns(t, o, recs, columns)
	f, err := excelize.OpenReader(bytes.NewReader(out), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("excelize: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "Data" {
		t.Fatalf("sheets %q, want [Data]", got)
	}
	all, err := f.GetRows("Data", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1+len(recs) {
		t.Fatalf("%d rows, want %d", len(all), 1+len(recs))
	}
	check := func(ref string, wantText string, wantType excelize.CellType) {
		t.Helper()
		got, err := f.GetCellValue("Data", ref)
		if err != nil {
			t.Fatal(err)
		}
		typ, err := f.GetCellType("Data", ref)
		if err != nil {
			t.Fatal(err)
		}
		if got != wantText || typ != wantType {
			t.Errorf("%s: %q type %v, want %q type %v", ref, got, typ, wantText, wantType)
		}
	}
	for j, c := range columns {
		check(string(xlsxColumnName(nil, j))+"1", wantReadBack([]byte(c)), excelize.CellTypeInlineString)
	}
	for i, row := range goldenRows(t, recs, columns) {
		for j, c := range row {
			ref := string(xlsxColumnName(nil, j)) + strconv.Itoa(i+2)
			switch c.Kind {
			case CellEmpty:
				check(ref, "", excelize.CellTypeUnset)
			case CellNumber:
				check(ref, string(c.Text), excelize.CellTypeNumber)
			default:
				check(ref, wantReadBack(c.Text), excelize.CellTypeInlineString)
			}
		}
	}
}

func goldenCheckXML(t *testing.T, o *Options, out []byte, recs []string) {
	t.Helper()
	elems := 0
	for _, rec := range recs {
		dec := jsontext.NewDecoder(strings.NewReader(rec), jsontext.AllowDuplicateNames(true))
		elems += 1 + xmlCountElements(t, dec)
	}
	want := 1 + elems // the root
	if o.Format == RSS {
		want = 5 + elems // rss, channel, title, link, description
	}
	if got := xmlCheckWellFormed(t, out); got != want {
		t.Errorf("%d elements, want %d", got, want)
	}
	row := "/" + o.XMLRoot + "/" + o.XMLRow
	if o.Format == RSS {
		row = "/rss/channel/item"
	}
	if got := xmllintXPath(t, out, "count("+row+")"); got != strconv.Itoa(len(recs)) {
		t.Errorf("xmllint: %s rows, want %d", got, len(recs))
	}
	xmllint(t, out) // last: it skips the test when xmllint is missing
}

// xmllintXPath evaluates expr on data with xmllint --xpath. Without
// xmllint the test is skipped, unless CI is set.
func xmllintXPath(t *testing.T, data []byte, expr string) string {
	t.Helper()
	out, err := runXmllint(t, data, false, "--noout", "--xpath", expr)
	if err != nil {
		t.Fatalf("xmllint --xpath %s: %v", expr, err)
	}
	// libxml2 2.9 ends the result with a line end; 2.10+ does not.
	return strings.TrimSuffix(string(out), "\n")
}

// goldenSpotChecks check a few values of a golden output with a real
// parser, by hand, beyond the generic checks above.
var goldenSpotChecks = map[string]func(t *testing.T, out []byte){
	"all.csv": func(t *testing.T, out []byte) {
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out, utf8BOM)))
		all, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, c := range all[0] {
			col[c] = i
		}
		row := map[string][]string{}
		for _, rec := range all[1:] {
			row[rec[col["id"]]] = rec
		}
		for _, c := range []struct{ id, column, want string }{
			{"1", "title", `Café "Le Zinc", Paris`},
			{"1", "tags/1", "naïve"},
			{"1", "tags/2", "日本"},
			{"1", "address/geo/lat", "48.8421"},
			{"1", "address/floors/0/rooms/1/name", "terrasse"},
			{"1", "address/floors/0/rooms/1/seats", ""},
			{"1", "reviews/0/author/#token", "t-1"},
			{"1", "reviews/0/text", "Line one\nLine two\tTabbed\nLF only"},
			{"1", "reviews/1/author/name", "مرحبا بالعالم"},
			{"1", "open", "true"},
			{"1", "closed", "false"},
			{"2", "big", "12345678901234567890123"},
			{"2", "tiny", "1e-300"},
			{"2", "negZero", "-0.0"},
			{"2", "denormal", "5e-324"},
			{"2", "exp", "1.5E+10"},
			{"2", "tags", "not-an-array"},
			{"2", "escapes", "é\x00x\x1f \"q\" \\ / 😀 \u2028|"},
			{"2", "emoji", "🎉 👩‍👩‍👧 🇨🇿"},
			{"2", "#escapedHidden", "dropped by skipHidden"},
			{"3", "a b", "space in key"},
			{"3", "0", "digit key"},
			{"3", "@/data-x", `a"b<c>&d`},
			{"3", "price/#", "12.50"},
			{"3", "nested/deep/2/0/z", "in array in array"},
			{"5", "errorInfo/code", "504"},
			{"8", "address", "just a string"},
		} {
			rec, ok := row[c.id]
			if !ok {
				t.Fatalf("no row with id %s", c.id)
			}
			i, ok := col[c.column]
			if !ok {
				t.Errorf("no column %q", c.column)
				continue
			}
			if rec[i] != c.want {
				t.Errorf("id %s column %q: %q, want %q", c.id, c.column, rec[i], c.want)
			}
		}
		// Empty objects and arrays give no column, a null leaf does.
		for _, absent := range []string{"meta", "list", "address/floors/1/rooms"} {
			if _, ok := col[absent]; ok {
				t.Errorf("column %q should not exist", absent)
			}
		}
		if _, ok := col["note"]; !ok {
			t.Error("a null leaf gives a column: note is missing")
		}
	},
	"all.xml": func(t *testing.T, out []byte) {
		for expr, want := range map[string]string{
			"count(/items/item)":                            "8",
			"string(/items/item[1]/title)":                  `Café "Le Zinc", Paris`,
			"count(/items/item[1]/tags)":                    "3",
			"string(/items/item[1]/reviews[1]/text)":        "Line one\r\nLine two\tTabbed\nLF only",
			"string(/items/item[1]/reviews[2]/author/name)": "مرحبا بالعالم",
			"string(/items/item[1]/_debug/trace[3])":        "3",
			"count(/items/item[1]/note)":                    "1",
			"count(/items/item[1]/note/node())":             "0",
			"count(/items/item[1]/list)":                    "0",
			"string(/items/item[2]/big)":                    "12345678901234567890123",
			"string(/items/item[2]/escapes)":                "éx \"q\" \\ / 😀 \u2028|",
			"string(/items/item[3]/a_b)":                    "space in key",
			"string(/items/item[3]/_0)":                     "digit key",
			"string(/items/item[3]/x.y)":                    "dotted key",
			"string(/items/item[3]/ns_x)":                   "colon key",
			"string(/items/item[3]/@lang)":                  "en",
			"string(/items/item[3]/@data-x)":                `a"b<c>&d`,
			"string(/items/item[3]/price)":                  "12.50",
			"string(/items/item[3]/price/@currency)":        "EUR",
			"string(/items/item[3]/nested/_keep)":           "nested hidden stays",
			"count(/items/item[3]/nested/deep)":             "3",
			"count(/items/item[6]/*)":                       "0",
		} {
			if got := xmllintXPath(t, out, expr); got != want {
				t.Errorf("%s = %q, want %q", expr, got, want)
			}
		}
	},
	"rss-feed.rss": func(t *testing.T, out []byte) {
		for expr, want := range map[string]string{
			"string(/rss/@version)":             "2.0",
			"string(/rss/channel/title)":        "My feed <&>",
			"string(/rss/channel/description)":  `Café "items"`,
			"string(/rss/channel/link)":         goldenDataset.Link,
			"string(/rss/channel/item[5]/url)":  "https://example.com/fail?a=1&b=<2>",
			"count(/rss/channel/item[6]/*)":     "0",
			"string(/rss/channel/item[1]/id)":   "1",
			"count(/rss/channel/item/title)":    "2",
			"count(/rss/channel/item[1]/title)": "1",
		} {
			if got := xmllintXPath(t, out, expr); got != want {
				t.Errorf("%s = %q, want %q", expr, got, want)
			}
		}
	},
}
