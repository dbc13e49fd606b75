package export

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/net/html"
)

func htmlStr(s string) Cell { return Cell{Kind: CellString, Text: []byte(s)} }

// htmlPage is the page htmlWriter writes around the given table rows.
func htmlPage(title string, rows ...string) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>" + title + "</title>\n</head>\n<body>\n<table>\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	b.WriteString("</table>\n</body>\n</html>\n")
	return b.String()
}

func TestHTMLWriter(t *testing.T) {
	tests := []struct {
		name    string
		title   string
		columns []string // nil: Header is not called
		rows    [][]Cell
		want    string
	}{
		{"F15", "Dataset d", []string{"foo", "bar"}, [][]Cell{{htmlStr("x"), htmlStr("y")}},
			htmlPage("Dataset d", "<tr><th>foo</th><th>bar</th></tr>", "<tr><td>x</td><td>y</td></tr>")},
		{"OpenAPI example", "Dataset d", []string{"foo", "bar"},
			[][]Cell{{htmlStr("foo"), htmlStr("bar")}, {htmlStr("foo2"), htmlStr("bar2")}},
			htmlPage("Dataset d", "<tr><th>foo</th><th>bar</th></tr>", "<tr><td>foo</td><td>bar</td></tr>", "<tr><td>foo2</td><td>bar2</td></tr>")},
		{"cell kinds", "t", []string{"a", "b", "c", "d", "e"},
			[][]Cell{{{Kind: CellEmpty}, {Kind: CellNumber, Text: []byte("1e-7")}, {Kind: CellBool, Text: []byte("false")}, htmlStr(""),
				{Kind: CellNumber, Text: []byte("123456789012345678901234567890")}}},
			htmlPage("t", "<tr><th>a</th><th>b</th><th>c</th><th>d</th><th>e</th></tr>",
				"<tr><td></td><td>1e-7</td><td>false</td><td></td><td>123456789012345678901234567890</td></tr>")},
		{"escaping", `<"T&'s">`, []string{"a<b", `"q"`}, [][]Cell{{htmlStr("<script>alert('x&y')</script>"), htmlStr("l1\r\nl2\x00\xff🎉")}},
			htmlPage("&lt;&#34;T&amp;&#39;s&#34;&gt;", "<tr><th>a&lt;b</th><th>&#34;q&#34;</th></tr>",
				"<tr><td>&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;</td><td>l1&#13;\nl2\uFFFD\uFFFD🎉</td></tr>")},
		{"no header call", "empty", nil, nil, htmlPage("empty")},
		{"header only", "h", []string{"a/b", "c/0"}, nil, htmlPage("h", "<tr><th>a/b</th><th>c/0</th></tr>")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := newHTMLWriter(&buf, tt.title)
			if tt.columns != nil {
				if err := w.Header(tt.columns); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range tt.rows {
				if err := w.Row(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			htmlCheckTable(t, buf.Bytes(), tt.title, tt.columns, tt.rows)
		})
	}
}

func TestHTMLWriterErrors(t *testing.T) {
	w := newHTMLWriter(xmlFailingWriter{}, "t")
	if err := w.Header([]string{"a"}); err != nil {
		t.Fatalf("Header: %v (nothing should be written yet)", err)
	}
	big := htmlStr(strings.Repeat("x", 100<<10))
	if err := w.Row([]Cell{big}); err == nil || !strings.HasPrefix(err.Error(), "export html: ") {
		t.Errorf("Row: got %v", err)
	}
	if err := w.Close(); err == nil || !strings.HasPrefix(err.Error(), "export html: ") {
		t.Errorf("Close: got %v", err)
	}
}

// TestHTMLGolden writes the table of testdata/html/nasty.json ({"title",
// "columns", "rows"}; a null cell is empty, a number or boolean keeps its
// JSON text) and compares it with testdata/html/nasty.html; -update
// rewrites that file.
func TestHTMLGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "html", "nasty.json"))
	if err != nil {
		t.Fatal(err)
	}
	title, columns, rows := htmlFixture(t, src)
	out := writeHTMLTable(t, title, columns, rows)
	htmlCheckTable(t, out, title, columns, rows)
	goldenCompare(t, filepath.Join("testdata", "html", "nasty.html"), out)
}

func htmlFixture(t *testing.T, src []byte) (title string, columns []string, rows [][]Cell) {
	t.Helper()
	dec := jsontext.NewDecoder(bytes.NewReader(src))
	read := func() jsontext.Token {
		tok, err := dec.ReadToken()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	read() // {
	for dec.PeekKind() != '}' {
		switch name := read().String(); name {
		case "title":
			title = read().String()
		case "columns":
			read() // [
			for dec.PeekKind() != ']' {
				columns = append(columns, read().String())
			}
			read()
		case "rows":
			read() // [
			for dec.PeekKind() != ']' {
				read() // [
				var row []Cell
				for dec.PeekKind() != ']' {
					v, err := dec.ReadValue()
					if err != nil {
						t.Fatal(err)
					}
					switch v.Kind() {
					case 'n':
						row = append(row, Cell{Kind: CellEmpty})
					case '"':
						s, err := jsontext.AppendUnquote(nil, v)
						if err != nil {
							t.Fatal(err)
						}
						row = append(row, Cell{Kind: CellString, Text: s})
					case '0':
						row = append(row, Cell{Kind: CellNumber, Text: bytes.Clone(v)})
					default:
						row = append(row, Cell{Kind: CellBool, Text: bytes.Clone(v)})
					}
				}
				read()
				rows = append(rows, row)
			}
			read()
		default:
			t.Fatalf("unknown fixture key %q", name)
		}
	}
	return title, columns, rows
}

// htmlReadBack is the text a browser reads back for text written by
// htmlEscape: NUL and each byte of invalid UTF-8 become U+FFFD.
func htmlReadBack(s []byte) string {
	var b strings.Builder
	for _, r := range string(s) {
		if r == 0 {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

// htmlCheckTable parses page as a browser would and checks its title and
// that its only table holds a header row of columns and then rows (nil
// columns: no rows at all).
func htmlCheckTable(t testing.TB, page []byte, title string, columns []string, rows [][]Cell) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var titles, tables []*html.Node
	var trs [][]*html.Node
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "title":
			titles = append(titles, n)
		case "table":
			tables = append(tables, n)
		case "tr":
			var cells []*html.Node
			for c := range n.ChildNodes() {
				if c.Type == html.ElementNode {
					cells = append(cells, c)
				}
			}
			trs = append(trs, cells)
		}
	}
	if len(titles) != 1 || htmlText(titles[0]) != htmlReadBack([]byte(title)) {
		t.Fatalf("title: got %d elements, want one with text %q", len(titles), htmlReadBack([]byte(title)))
	}
	if len(tables) != 1 {
		t.Fatalf("%d tables, want 1", len(tables))
	}
	want := len(rows)
	if columns != nil {
		want++
	}
	if len(trs) != want {
		t.Fatalf("%d rows, want %d", len(trs), want)
	}
	for i, tr := range trs {
		if len(tr) != len(columns) {
			t.Fatalf("row %d has %d cells, want %d", i, len(tr), len(columns))
		}
		for j, cell := range tr {
			tag, text := "td", ""
			if i == 0 {
				tag, text = "th", htmlReadBack([]byte(columns[j]))
			} else if c := rows[i-1][j]; c.Kind != CellEmpty {
				text = htmlReadBack(c.Text)
			}
			if cell.Data != tag || htmlText(cell) != text {
				t.Fatalf("row %d cell %d: <%s>%q, want <%s>%q", i, j, cell.Data, htmlText(cell), tag, text)
			}
		}
	}
}

func htmlText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func FuzzHTML(f *testing.F) {
	f.Add("Dataset x", "foo|bar", "x|y|foo2|bar2")
	f.Add("<t>", "a|b|c", "|<b>&amp;|\r\n\x00|\xff'\"")
	f.Add("", "", "")
	f.Add("t", "only", "1|2|3")
	f.Fuzz(func(t *testing.T, title, header, data string) {
		columns := strings.Split(header, "|")
		var rows [][]Cell
		if data != "" {
			values := strings.Split(data, "|")
			for len(values)%len(columns) != 0 {
				values = append(values, "")
			}
			for len(values) > 0 {
				row := make([]Cell, len(columns))
				for i, v := range values[:len(columns)] {
					if v != "" {
						row[i] = htmlStr(v)
					}
				}
				rows = append(rows, row)
				values = values[len(columns):]
			}
		}
		htmlCheckTable(t, writeHTMLTable(t, title, columns, rows), title, columns, rows)
	})
}

// writeHTMLTable writes a page with the given header and rows.
func writeHTMLTable(t *testing.T, title string, columns []string, rows [][]Cell) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := newHTMLWriter(&buf, title)
	if err := w.Header(columns); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
