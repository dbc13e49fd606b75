package export

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/klauspost/compress/flate"
	"io"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// realXLSX is a real Apify Console export (FINDINGS.md §5, file #8). It
// lives outside the repository, beside it in the shared work directory.
const realXLSX = "../../shared/real-exports/123Marcelin0__Flowcore-Social/dataset_instagram-scraper_2025-07-24_15-01-56-173.xlsx"

// xlsxPartNames are the entries of Apify's zips, in order.
var xlsxPartNames = []string{
	"[Content_Types].xml",
	"_rels/.rels",
	"xl/workbook.xml",
	"xl/styles.xml",
	"xl/_rels/workbook.xml.rels",
	"xl/worksheets/sheet1.xml",
}

// writeXLSX writes a workbook and returns its bytes.
func writeXLSX(t testing.TB, columns []string, rows [][]Cell) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := newXLSXWriter(&buf)
	if err := w.Header(columns); err != nil {
		t.Fatalf("Header: %v", err)
	}
	for i, r := range rows {
		if err := w.Row(r); err != nil {
			t.Fatalf("Row %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// unzipXLSX returns the entries of an .xlsx in zip order and their content.
func unzipXLSX(t testing.TB, data []byte) ([]*zip.File, map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("open zip: %v", err)
	}
	parts := make(map[string][]byte, len(zr.File))
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("open %s: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		parts[f.Name] = b
	}
	return zr.File, parts
}

func str(s string) Cell   { return Cell{Kind: CellString, Text: []byte(s)} }
func num(s string) Cell   { return Cell{Kind: CellNumber, Text: []byte(s)} }
func boolean(b bool) Cell { return Cell{Kind: CellBool, Text: strconv.AppendBool(nil, b)} }

var null = Cell{Kind: CellEmpty}

var (
	goldenRowRE  = regexp.MustCompile(`(?s)\n        <row r="(\d+)" spans="1:(\d+)" x14ac:dyDescent="0.2">\n            (.*?)\n        </row>`)
	goldenCellRE = regexp.MustCompile(`(?s)<c r="([A-Z]+)(\d+)" t="(inlineStr|n)">(?:<is><t>(.*?)</t></is>|<v>(.*?)</v>)</c>`)
	goldenUnesc  = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// parseGoldenSheet turns xlsx-stream sheet XML back into rows of cells: a
// cell's column comes from its reference, its kind from t= (booleans read
// back as strings, which render the same), and a column without <c> is
// CellEmpty.
func parseGoldenSheet(t *testing.T, sheet []byte) [][]Cell {
	t.Helper()
	var rows [][]Cell
	for i, m := range goldenRowRE.FindAllSubmatch(sheet, -1) {
		if n, _ := strconv.Atoi(string(m[1])); n != i+1 {
			t.Fatalf("row %d is numbered %s", i+1, m[1])
		}
		ncols, _ := strconv.Atoi(string(m[2]))
		row := make([]Cell, ncols)
		body := m[3]
		// Every cell leaves its text between separators, nulls included.
		if got := bytes.Count(body, []byte("\n\t\t\t")) + 1; got != ncols {
			t.Fatalf("row %d: %d separated cells, spans says %d", i+1, got, ncols)
		}
		for _, c := range goldenCellRE.FindAllSubmatch(body, -1) {
			col := 0
			for _, l := range c[1] {
				col = col*26 + int(l-'A') + 1
			}
			col--
			if string(c[2]) != strconv.Itoa(i+1) || col >= ncols {
				t.Fatalf("row %d: bad cell reference %s%s", i+1, c[1], c[2])
			}
			if string(c[3]) == "n" {
				row[col] = Cell{Kind: CellNumber, Text: c[5]}
			} else {
				row[col] = Cell{Kind: CellString, Text: []byte(goldenUnesc.Replace(string(c[4])))}
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// TestXLSXGoldenRealExport re-creates a real Apify export from its own cells
// and requires every unzipped part to be byte-identical.
func TestXLSXGoldenRealExport(t *testing.T) {
	realData, err := os.ReadFile(realXLSX)
	if errors.Is(err, os.ErrNotExist) && os.Getenv("CI") == "" {
		t.Skipf("real export not present: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	realFiles, realParts := unzipXLSX(t, realData)
	sheet := realParts[xlsxSheetName]
	rows := parseGoldenSheet(t, sheet)
	if len(rows) != 151 {
		t.Fatalf("parsed %d rows, want 151", len(rows))
	}
	header := make([]string, len(rows[0]))
	for i, c := range rows[0] {
		if c.Kind != CellString {
			t.Fatalf("header cell %d is %v", i, c.Kind)
		}
		header[i] = string(c.Text)
	}

	ours := writeXLSX(t, header, rows[1:])
	t.Logf("our file %d bytes, Apify's %d", len(ours), len(realData))
	ourFiles, ourParts := unzipXLSX(t, ours)
	if len(ourFiles) != len(realFiles) {
		t.Fatalf("%d entries, real export has %d", len(ourFiles), len(realFiles))
	}
	for i, rf := range realFiles {
		name := rf.Name
		if ourFiles[i].Name != name {
			t.Errorf("entry %d is %q, real export has %q", i, ourFiles[i].Name, name)
			continue
		}
		got, want := ourParts[name], realParts[name]
		if !bytes.Equal(got, want) {
			n := 0
			for n < len(got) && n < len(want) && got[n] == want[n] {
				n++
			}
			lo := max(n-80, 0)
			t.Errorf("%s differs at byte %d (len %d, want %d):\n got %q\nwant %q",
				name, n, len(got), len(want), got[lo:min(n+80, len(got))], want[lo:min(n+80, len(want))])
		}
	}
}

// TestXLSXVectorR9 is vector R9 of export-semantics.md §10.8, checked on
// the whole sheet XML.
func TestXLSXVectorR9(t *testing.T) {
	_, parts := unzipXLSX(t, writeXLSX(t,
		[]string{"b", "n", "s", "z"},
		[][]Cell{{boolean(true), num("0"), str(""), null}}))
	want := xlsxSheetHeader +
		"\n        <row r=\"1\" spans=\"1:4\" x14ac:dyDescent=\"0.2\">\n            " +
		"<c r=\"A1\" t=\"inlineStr\"><is><t>b</t></is></c>\n\t\t\t" +
		"<c r=\"B1\" t=\"inlineStr\"><is><t>n</t></is></c>\n\t\t\t" +
		"<c r=\"C1\" t=\"inlineStr\"><is><t>s</t></is></c>\n\t\t\t" +
		"<c r=\"D1\" t=\"inlineStr\"><is><t>z</t></is></c>\n        </row>" +
		"\n        <row r=\"2\" spans=\"1:4\" x14ac:dyDescent=\"0.2\">\n            " +
		"<c r=\"A2\" t=\"inlineStr\"><is><t>true</t></is></c>\n\t\t\t" +
		"<c r=\"B2\" t=\"n\"><v>0</v></c>\n\t\t\t" +
		"<c r=\"C2\" t=\"inlineStr\"><is><t></t></is></c>\n\t\t\t" +
		"\n        </row>" +
		xlsxSheetFooter
	if got := string(parts[xlsxSheetName]); got != want {
		t.Errorf("sheet XML:\n got %q\nwant %q", got, want)
	}
}

func TestXLSXSheetLayout(t *testing.T) {
	row := func(n, body string, cols int) string {
		return fmt.Sprintf("\n        <row r=\"%s\" spans=\"1:%d\" x14ac:dyDescent=\"0.2\">\n            %s\n        </row>", n, cols, body)
	}
	tests := []struct {
		name    string
		columns []string
		rows    [][]Cell
		want    string // between the sheet header and footer
	}{
		{"no columns", nil, [][]Cell{{}}, row("1", "", 0) + row("2", "", 0)},
		{"only header", []string{"a"}, nil, row("1", `<c r="A1" t="inlineStr"><is><t>a</t></is></c>`, 1)},
		{"all null", []string{"a", "b"}, [][]Cell{{null, null}},
			row("1", `<c r="A1" t="inlineStr"><is><t>a</t></is></c>`+"\n\t\t\t"+`<c r="B1" t="inlineStr"><is><t>b</t></is></c>`, 2) +
				row("2", "\n\t\t\t", 2)},
		{"escaping", []string{`<&>"'`}, [][]Cell{{str(`a<b>&amp;"c'`)}},
			row("1", `<c r="A1" t="inlineStr"><is><t>&lt;&amp;&gt;"'</t></is></c>`, 1) +
				row("2", `<c r="A2" t="inlineStr"><is><t>a&lt;b&gt;&amp;amp;"c'</t></is></c>`, 1)},
		{"numbers as pushed", []string{"n"}, [][]Cell{{num("12345678901234567890")}, {num("1e-7")}, {num("-0.5E+3")}},
			row("1", `<c r="A1" t="inlineStr"><is><t>n</t></is></c>`, 1) +
				row("2", `<c r="A2" t="n"><v>12345678901234567890</v></c>`, 1) +
				row("3", `<c r="A3" t="n"><v>1e-7</v></c>`, 1) +
				row("4", `<c r="A4" t="n"><v>-0.5E+3</v></c>`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, parts := unzipXLSX(t, writeXLSX(t, tt.columns, tt.rows))
			want := xlsxSheetHeader + tt.want + xlsxSheetFooter
			if got := string(parts[xlsxSheetName]); got != want {
				t.Errorf("sheet XML:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestXLSXCellText(t *testing.T) {
	long := strings.Repeat("x", xlsxMaxCellLen)
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello, world", "hello, world"},
		{"empty", "", ""},
		{"escapes only & < >", `a&b<c>d"e'f`, `a&amp;b&lt;c&gt;d"e'f`},
		{"entity text is escaped again", "&amp;", "&amp;amp;"},
		{"whitespace kept", "a\tb\nc\r\nd", "a\tb\nc\r\nd"},
		{"C0 controls dropped", "a\x00b\x01\x08\x0b\x0c\x1fc", "abc"},
		{"DEL and C1 kept", "a\x7fb\u0085c", "a\x7fb\u0085c"},
		{"BMP kept", "Cukrárna ‼️ 日本 \uE000 \uFFFD", "Cukrárna ‼️ 日本 \uE000 \uFFFD"},
		{"U+FFFE U+FFFF dropped", "a\uFFFEb\uFFFFc", "abc"},
		{"astral kept (divergence from Apify)", "🚀 a 𝄞", "🚀 a 𝄞"},
		{"invalid UTF-8 to U+FFFD per byte", "a\xffb\xc3(c\xed\xa0\x80", "a\uFFFDb\uFFFD(c\uFFFD\uFFFD\uFFFD"},
		{"at the limit", long, long},
		{"over the limit", long + "yz", long},
		{"limit counts characters, not escapes", strings.Repeat("&", xlsxMaxCellLen+5), strings.Repeat("&amp;", xlsxMaxCellLen)},
		{"dropped characters do not count", "\x00" + long + "\x01", long},
		{"astral counts two units", strings.Repeat("😀", xlsxMaxCellLen/2+10), strings.Repeat("😀", xlsxMaxCellLen/2)},
		{"surrogate pair never split", long[1:] + "😀", long[1:]},
		{"multi-byte BMP counts one unit", strings.Repeat("é", xlsxMaxCellLen+1), strings.Repeat("é", xlsxMaxCellLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendXLSXCellText([]byte("prefix"), []byte(tt.in)))
			if got != "prefix"+tt.want {
				if len(got) > 200 {
					t.Errorf("len %d, want %d", len(got)-6, len(tt.want))
				} else {
					t.Errorf("got %q, want %q", got[6:], tt.want)
				}
			}
		})
	}
}

func TestXLSXColumnName(t *testing.T) {
	tests := []struct {
		i    int
		want string
	}{
		{0, "A"}, {1, "B"}, {25, "Z"}, {26, "AA"}, {27, "AB"}, {51, "AZ"}, {52, "BA"},
		{216, "HI"}, {351, "MN"}, {355, "MR"}, {701, "ZZ"}, {702, "AAA"}, {16383, "XFD"},
	}
	for _, tt := range tests {
		if got := string(xlsxColumnName([]byte("x"), tt.i)); got != "x"+tt.want {
			t.Errorf("column %d: got %q, want %q", tt.i, got[1:], tt.want)
		}
	}
}

// TestXLSXReadBack opens our output with excelize, a maintained reader
// independent of this package.
func TestXLSXReadBack(t *testing.T) {
	long := strings.Repeat("long ", 8000) // 40,000 characters
	columns := []string{"text", "emoji", "quotes", "multiline", "markup", "number", "bool", "empty", "long", "dirty", "ünïcödé 🚀"}
	type want struct {
		value string
		typ   excelize.CellType
	}
	s := func(v string) want { return want{v, excelize.CellTypeInlineString} }
	n := func(v string) want { return want{v, excelize.CellTypeNumber} }
	none := want{"", excelize.CellTypeUnset}
	tests := []struct {
		cells []Cell
		want  []want
	}{
		{
			[]Cell{str("Cukrárna Praha"), str("👍🏽 ok 🇨🇿"), str(`say "hi" it's`), str("a\nb\r\nc"), str("<b>&amp;</b> & <"),
				num("12345678901234567890"), boolean(true), str(""), str(long), str("a\x00b\x1f\uFFFEc\xff"), num("0")},
			[]want{s("Cukrárna Praha"), s("👍🏽 ok 🇨🇿"), s(`say "hi" it's`), s("a\nb\nc"), s("<b>&amp;</b> & <"),
				n("12345678901234567890"), s("true"), s(""), s(long[:xlsxMaxCellLen]), s("abc\uFFFD"), n("0")},
		},
		{
			[]Cell{null, null, null, null, null, num("1e-7"), boolean(false), null, null, null, num("-21.688")},
			[]want{none, none, none, none, none, n("1e-7"), s("false"), none, none, none, n("-21.688")},
		},
	}
	rows := make([][]Cell, len(tests))
	for i, tt := range tests {
		rows[i] = tt.cells
	}
	f, err := excelize.OpenReader(bytes.NewReader(writeXLSX(t, columns, rows)), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("excelize: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "Data" {
		t.Fatalf("sheets %q, want [Data]", got)
	}
	check := func(ref string, w want) {
		t.Helper()
		got, err := f.GetCellValue("Data", ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		typ, err := f.GetCellType("Data", ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if got != w.value || typ != w.typ {
			if len(got) > 100 || len(w.value) > 100 {
				t.Errorf("%s: len %d type %v, want len %d type %v", ref, len(got), typ, len(w.value), w.typ)
			} else {
				t.Errorf("%s: %q type %v, want %q type %v", ref, got, typ, w.value, w.typ)
			}
		}
	}
	for i, c := range columns {
		check(string(xlsxColumnName(nil, i))+"1", s(c))
	}
	for r, tt := range tests {
		for i, w := range tt.want {
			check(string(xlsxColumnName(nil, i))+strconv.Itoa(r+2), w)
		}
	}
	all, err := f.GetRows("Data", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1+len(tests) {
		t.Errorf("GetRows: %d rows, want %d", len(all), 1+len(tests))
	}
}

func TestXLSXZipStructure(t *testing.T) {
	data := writeXLSX(t, []string{"a"}, [][]Cell{{num("1")}})
	files, _ := unzipXLSX(t, data)
	if len(files) != len(xlsxPartNames) {
		t.Fatalf("%d entries, want %d", len(files), len(xlsxPartNames))
	}
	for i, f := range files {
		if f.Name != xlsxPartNames[i] {
			t.Errorf("entry %d: %q, want %q", i, f.Name, xlsxPartNames[i])
		}
		if f.Method != zip.Deflate {
			t.Errorf("%s: method %d, want deflate", f.Name, f.Method)
		}
		if f.Flags&0x8 == 0 {
			t.Errorf("%s: no data descriptor flag", f.Name)
		}
		if f.Mode() != 0o644 || f.ExternalAttrs&0x20 == 0 {
			t.Errorf("%s: mode %v attrs %#x, want 0644 + archive bit", f.Name, f.Mode(), f.ExternalAttrs)
		}
		if len(f.Extra) != 0 {
			t.Errorf("%s: extra field %x, want none", f.Name, f.Extra)
		}
		if got := f.Modified.Format("2006-01-02 15:04:05"); got != "1980-01-01 00:00:00" {
			t.Errorf("%s: time %s, want the fixed 1980-01-01 00:00:00", f.Name, got)
		}
	}
	// Identical input, identical bytes: nothing depends on the clock.
	if again := writeXLSX(t, []string{"a"}, [][]Cell{{num("1")}}); !bytes.Equal(data, again) {
		t.Error("two writes of the same data differ")
	}
}

// errWriter fails after n bytes.
type errWriter struct{ n int }

var errBoom = errors.New("boom")

func (w *errWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errBoom
	}
	w.n -= len(p)
	return len(p), nil
}

func TestXLSXErrors(t *testing.T) {
	t.Run("row before header", func(t *testing.T) {
		w := newXLSXWriter(io.Discard)
		if err := w.Row(nil); err == nil {
			t.Fatal("Row before Header succeeded")
		}
	})
	t.Run("wrong cell count", func(t *testing.T) {
		w := newXLSXWriter(io.Discard)
		if err := w.Header([]string{"a", "b"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Row([]Cell{null}); err == nil {
			t.Fatal("short row accepted")
		}
		if err := w.Close(); err == nil {
			t.Fatal("Close after a failed Row succeeded")
		}
	})
	t.Run("close without header", func(t *testing.T) {
		var buf bytes.Buffer
		w := newXLSXWriter(&buf)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		files, parts := unzipXLSX(t, buf.Bytes())
		if len(files) != 6 || string(parts[xlsxSheetName]) != xlsxSheetHeader+xlsxSheetFooter {
			t.Errorf("empty workbook: %d entries, sheet %q", len(files), parts[xlsxSheetName])
		}
	})
	t.Run("underlying writer fails", func(t *testing.T) {
		w := newXLSXWriter(&errWriter{n: 10_000})
		err := w.Header([]string{"a"})
		for i := 0; err == nil && i < 100_000; i++ {
			err = w.Row([]Cell{str(fmt.Sprintf("row %d %x", i, i*7919))})
		}
		if err == nil {
			err = w.Close()
		}
		if !errors.Is(err, errBoom) {
			t.Fatalf("got %v, want the writer's error", err)
		}
		if err2 := w.Row([]Cell{null}); !errors.Is(err2, errBoom) {
			t.Errorf("after failure Row returned %v", err2)
		}
	})
}

// fuzzRows decodes fuzz input into rows: each cell takes a kind byte and a
// length byte, then that many bytes of text.
func fuzzRows(ncols int, data []byte) [][]Cell {
	var rows [][]Cell
	row := make([]Cell, 0, ncols)
	for len(data) >= 2 && len(rows) < 64 {
		kind := CellKind(data[0] % 4)
		n := min(int(data[1])%48, len(data)-2)
		text := data[2 : 2+n]
		data = data[2+n:]
		if kind == CellEmpty {
			text = nil
		}
		row = append(row, Cell{Kind: kind, Text: text})
		if len(row) == ncols {
			rows = append(rows, row)
			row = make([]Cell, 0, ncols)
		}
	}
	if len(row) > 0 {
		for len(row) < ncols {
			row = append(row, null)
		}
		rows = append(rows, row)
	}
	return rows
}

// wantReadBack is what an XML parser must read back for text: an
// implementation of the rules independent of appendXLSXCellText (without
// the length limit, which fuzz inputs never reach), plus the XML parser's
// own line-end normalisation.
func wantReadBack(text []byte) string {
	var sb strings.Builder
	for _, r := range string(text) { // an invalid byte decodes as U+FFFD
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF ||
			r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
			sb.WriteRune(r)
		}
	}
	s := strings.ReplaceAll(sb.String(), "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

type readCell struct {
	col   int
	kind  string
	text  string
	isSet bool
}

// readSheet tokenizes the sheet with encoding/xml (strict) and returns, per
// row, the cells found.
func readSheet(sheet []byte) ([][]readCell, error) {
	d := xml.NewDecoder(bytes.NewReader(sheet))
	var rows [][]readCell
	var cur *readCell
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch tok.Name.Local {
			case "row":
				want := fmt.Sprint(len(rows) + 1)
				for _, a := range tok.Attr {
					if a.Name.Local == "r" && a.Value != want {
						return nil, fmt.Errorf("row r=%q, want %q", a.Value, want)
					}
				}
				rows = append(rows, nil)
			case "c":
				var c readCell
				for _, a := range tok.Attr {
					switch a.Name.Local {
					case "r":
						letters := strings.TrimRight(a.Value, "0123456789")
						if a.Value[len(letters):] != fmt.Sprint(len(rows)) {
							return nil, fmt.Errorf("cell %s in row %d", a.Value, len(rows))
						}
						for _, l := range letters {
							c.col = c.col*26 + int(l-'A') + 1
						}
						c.col--
					case "t":
						c.kind = a.Value
					}
				}
				rows[len(rows)-1] = append(rows[len(rows)-1], c)
				cur = &rows[len(rows)-1][len(rows[len(rows)-1])-1]
			}
		case xml.CharData:
			if cur != nil {
				cur.text += string(tok)
			}
		case xml.EndElement:
			if tok.Name.Local == "c" {
				cur = nil
			}
		}
	}
}

func FuzzXLSX(f *testing.F) {
	f.Add(uint8(3), []byte("\x01\x05hello\x02\x010\x03\x04true\x00\x00"))
	f.Add(uint8(1), []byte("\x01\x0a<&>\"'\x00\x1f\xff"))
	f.Add(uint8(4), []byte("\x01\x08🚀é\r\n\x01\x04\xef\xbf\xbe!\x02\x041e-7"))
	f.Add(uint8(30), []byte{})
	f.Fuzz(func(t *testing.T, ncols uint8, data []byte) {
		n := int(ncols%40) + 1
		columns := make([]string, n)
		for i := range columns {
			columns[i] = "c" + strconv.Itoa(i)
		}
		rows := fuzzRows(n, data)
		files, parts := unzipXLSX(t, writeXLSX(t, columns, rows))
		if len(files) != len(xlsxPartNames) {
			t.Fatalf("%d zip entries", len(files))
		}
		got, err := readSheet(parts[xlsxSheetName])
		if err != nil {
			t.Fatalf("sheet XML not well-formed: %v", err)
		}
		if len(got) != 1+len(rows) {
			t.Fatalf("%d rows read back, want %d", len(got), 1+len(rows))
		}
		if len(got[0]) != n {
			t.Fatalf("header has %d cells, want %d", len(got[0]), n)
		}
		checkReadBack(t, got[1:], rows, 2)
	})
}

// benchRows are 10-column rows of a typical scraped item, about 200 bytes
// as JSON, e.g. {"id":1000,"title":"Product 0 – Home & Garden Lamp",
// "price":19.99,...}. They vary, so deflate does not see one repeated row.
func benchRows(n int) [][]Cell {
	cats := []string{"Home & Garden", "Electronics", "Toys <kids>", "Books", "Sport"}
	words := []string{"Lamp", "Chair", "Cable", "Ball", "Novel", "Speaker", "Mug", "Desk"}
	rows := make([][]Cell, n)
	for i := range rows {
		x := uint32(i)*2654435761 + 12345
		rows[i] = []Cell{
			num(strconv.Itoa(100000 + i)),
			str(fmt.Sprintf("Product %d – %s %s", x%9973, cats[x%5], words[x%8])),
			num(fmt.Sprintf("%d.%02d", x%500, x%100)),
			str(fmt.Sprintf("https://shop.example.com/p/%x", x)),
			boolean(x%3 != 0),
			num(fmt.Sprintf("%d.%d", x%5, x%10)),
			num(strconv.Itoa(int(x % 10000))),
			str(cats[(x>>3)%5]),
			str(fmt.Sprintf("SKU-%08d", x%100000000)),
			null,
		}
	}
	return rows
}

// BenchmarkXLSX streams b.N rows into one workbook. Run it with
// -benchtime=200000x to measure a 200,000-row export; the levels other
// than the one used are there to re-check the choice of
// xlsxDeflateLevel.
func BenchmarkXLSX(b *testing.B) {
	rows := benchRows(4096)
	columns := []string{"id", "title", "price", "url", "inStock", "rating", "reviews", "category", "sku", "description"}
	for _, level := range []int{flate.BestSpeed, 2, 5, flate.DefaultCompression} {
		b.Run(fmt.Sprintf("level=%d", level), func(b *testing.B) {
			var out countingWriter
			w := newXLSXWriterLevel(&out, level)
			if err := w.Header(columns); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := w.Row(rows[i%len(rows)]); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(out.n)/float64(b.N), "B/row")
		})
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// TestXLSXMemory writes 200,000 rows and requires the heap to stay flat:
// the peak HeapInuse above the starting point must stay under 16 MB.
func TestXLSXMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200,000 rows")
	}
	const total, limit = 200_000, 16 << 20
	rows := benchRows(1024)
	columns := []string{"id", "title", "price", "url", "inStock", "rating", "reviews", "category", "sku", "description"}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	sample := func() {
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > base && ms.HeapInuse-base > peak {
			peak = ms.HeapInuse - base
		}
	}
	var out countingWriter
	w := newXLSXWriter(&out)
	if err := w.Header(columns); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < total; i++ {
		if err := w.Row(rows[i%len(rows)]); err != nil {
			t.Fatal(err)
		}
		if i%10_000 == 0 {
			sample()
		}
	}
	sample()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows, %d bytes of xlsx, peak heap growth %.1f MB", total, out.n, float64(peak)/(1<<20))
	if peak > limit {
		t.Errorf("heap grew by %d bytes, limit %d", peak, limit)
	}
}

// checkReadBack compares the cells read back from a sheet with the rows
// written, numbered from firstRow: empty cells are absent, strings and
// booleans are inline strings, numbers are numbers.
func checkReadBack(t *testing.T, got [][]readCell, rows [][]Cell, firstRow int) {
	t.Helper()
	for r, row := range rows {
		back := got[r]
		k := 0
		for col, c := range row {
			if c.Kind == CellEmpty {
				continue
			}
			if k >= len(back) {
				t.Fatalf("row %d: %d cells read back, fewer than written", r+firstRow, len(back))
			}
			b := back[k]
			k++
			wantKind := "inlineStr"
			if c.Kind == CellNumber {
				wantKind = "n"
			}
			if b.col != col || b.kind != wantKind || b.text != wantReadBack(c.Text) {
				t.Fatalf("row %d col %d: read back col %d %s %q, want %s %q",
					r+firstRow, col, b.col, b.kind, b.text, wantKind, wantReadBack(c.Text))
			}
		}
		if k != len(back) {
			t.Fatalf("row %d: %d cells read back, want %d", r+firstRow, len(back), k)
		}
	}
}
