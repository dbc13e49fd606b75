package export

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/xml and testdata/html")

// xmlDoc is the XML declaration followed by lines joined by "\n" (no line
// end after the last one, like xml2js).
func xmlDoc(lines ...string) string {
	return xmlDeclaration + "\n" + strings.Join(lines, "\n")
}

// Expected bytes marked "xml2js" were printed by xml2js 0.6.2 Builder
// ({rootName: "items", attrkey: "@", charkey: "#"}).buildObject({item: D})
// for the same items D.
func TestWriteXML(t *testing.T) {
	tests := []struct {
		name      string
		root, row string
		items     []string
		want      string
	}{
		{"empty dataset (xml2js)", "items", "item", nil, xmlDoc("<items/>")},
		{"empty item (xml2js)", "items", "item", []string{`{}`}, xmlDoc("<items>", "  <item/>", "</items>")},
		{"OpenAPI one-line example (xml2js)", "items", "item", []string{`{"foo":"bar"}`, `{"foo2":"bar2"}`},
			xmlDoc("<items>", "  <item>", "    <foo>bar</foo>", "  </item>", "  <item>", "    <foo2>bar2</foo2>", "  </item>", "</items>")},
		{"F8 OpenAPI array example (xml2js)", "items", "item",
			[]string{`{"name":"Paul Newman","address":[{"type":"home","street":"21st","city":"Chicago"},{"type":"office","street":null,"city":null}]}`},
			xmlDoc("<items>", "  <item>",
				"    <name>Paul Newman</name>",
				"    <address>", "      <type>home</type>", "      <street>21st</street>", "      <city>Chicago</city>", "    </address>",
				"    <address>", "      <type>office</type>", "      <street/>", "      <city/>", "    </address>",
				"  </item>", "</items>")},
		{"F8 OpenAPI attribute example (xml2js)", "items", "item",
			[]string{`{"address":[{"@":{"type":"home"},"street":"21st","city":"Chicago"},{"@":{"type":"office"},"#":"unknown"}]}`},
			xmlDoc("<items>", "  <item>",
				`    <address type="home">`, "      <street>21st</street>", "      <city>Chicago</city>", "    </address>",
				`    <address type="office">unknown</address>`,
				"  </item>", "</items>")},
		{"F9 xmlRoot and xmlRow", "people", "person",
			[]string{`{"name":"Paul","address":[{"type":"home","street":"21st"},{"type":"office","street":null}]}`},
			xmlDoc("<people>", "  <person>",
				"    <name>Paul</name>",
				"    <address>", "      <type>home</type>", "      <street>21st</street>", "    </address>",
				"    <address>", "      <type>office</type>", "      <street/>", "    </address>",
				"  </person>", "</people>")},
		{"F9 xmlRoot with no items", "people", "person", nil, xmlDoc("<people/>")},
		{"F10 attribute and text (xml2js)", "items", "item", []string{`{"address":{"@":{"type":"office"},"#":"unknown"}}`},
			xmlDoc("<items>", "  <item>", `    <address type="office">unknown</address>`, "  </item>", "</items>")},
		{"scalars (numbers as their JSON text)", "items", "item",
			[]string{`{"a":0,"b":-0.0,"c":1e21,"d":1e-7,"e":false,"f":true,"g":123456789012345678901234567890,"h":1.50}`},
			xmlDoc("<items>", "  <item>", "    <a>0</a>", "    <b>-0.0</b>", "    <c>1e21</c>", "    <d>1e-7</d>",
				"    <e>false</e>", "    <f>true</f>", "    <g>123456789012345678901234567890</g>", "    <h>1.50</h>", "  </item>", "</items>")},
		{"empty values (xml2js)", "items", "item", []string{`{"n":null,"s":"","o":{},"a":[],"deep":{"b":{"c":{}}}}`},
			xmlDoc("<items>", "  <item>", "    <n/>", "    <s/>", "    <o/>", "    <deep>", "      <b>", "        <c/>", "      </b>", "    </deep>", "  </item>", "</items>")},
		{"array entries (xml2js)", "items", "item", []string{`{"a":[1,true,null,"",{}]}`},
			xmlDoc("<items>", "  <item>", "    <a>1</a>", "    <a>true</a>", "    <a/>", "    <a/>", "    <a/>", "  </item>", "</items>")},
		{"arrays in arrays are flattened", "items", "item", []string{`{"a":[[1,[2]],[],[[{"b":1}],{"c":2}]],"z":[[],[[]]]}`},
			xmlDoc("<items>", "  <item>", "    <a>1</a>", "    <a>2</a>",
				"    <a>", "      <b>1</b>", "    </a>", "    <a>", "      <c>2</c>", "    </a>", "  </item>", "</items>")},
		{"text escaping (xml2js)", "items", "item", []string{`{"a":"x&<>\"'\r\n\t]]>"}`},
			xmlDoc("<items>", "  <item>", "    <a>x&amp;&lt;&gt;\"'&#xD;", "\t]]&gt;</a>", "  </item>", "</items>")},
		{"attribute escaping (xml2js)", "items", "item", []string{`{"a":{"@":{"s":"a\"<>&\t\n\r'","b":true,"n":1.0,"z":null}}}`},
			xmlDoc("<items>", "  <item>", `    <a s="a&quot;&lt;>&amp;&#x9;&#xA;&#xD;'" b="true" n="1.0"/>`, "  </item>", "</items>")},
		{"text before children, at its key's position (xml2js)", "items", "item", []string{`{"a":{"#":"t","b":1},"c":{"b":1,"#":"t"}}`},
			xmlDoc("<items>", "  <item>", "    <a>", "      t", "      <b>1</b>", "    </a>", "    <c>", "      <b>1</b>", "      t", "    </c>", "  </item>", "</items>")},
		{"empty text with children (xml2js)", "items", "item", []string{`{"a":{"#":"","b":1}}`},
			xmlDoc("<items>", "  <item>", "    <a>", "      ", "      <b>1</b>", "    </a>", "  </item>", "</items>")},
		{"attributes only, empty text (xml2js)", "items", "item", []string{`{"a":{"@":{"t":"1"}},"b":{"@":{"t":"1"},"#":""},"c":{"#":"x","@":{"t":"1"}}}`},
			xmlDoc("<items>", "  <item>", `    <a t="1"/>`, `    <b t="1"/>`, `    <c t="1">x</c>`, "  </item>", "</items>")},
		{"attributes and text of the row element (xml2js)", "items", "item", []string{`{"@":{"id":"1"},"#":"txt"}`, `{"#":5}`},
			xmlDoc("<items>", `  <item id="1">txt</item>`, "  <item>5</item>", "</items>")},
		{"@ that is not an object is ignored (xml2js)", "items", "item", []string{`{"a":{"@":"str"},"b":{"@":[1,2],"c":1},"@":null}`},
			xmlDoc("<items>", "  <item>", "    <a/>", "    <b>", "      <c>1</c>", "    </b>", "  </item>", "</items>")},
		{"# null is ignored", "items", "item", []string{`{"a":{"#":null},"b":{"#":null,"c":1}}`},
			xmlDoc("<items>", "  <item>", "    <a/>", "    <b>", "      <c>1</c>", "    </b>", "  </item>", "</items>")},
		{"objects as text or attribute value are compact JSON", "items", "item", []string{`{"a":{"@":{"x":{"y":[1, "\""]}},"#":[true,{"k":null}]}}`},
			xmlDoc("<items>", "  <item>", `    <a x="{&quot;y&quot;:[1,&quot;\&quot;&quot;]}">[true,{"k":null}]</a>`, "  </item>", "</items>")},
		{"duplicate attributes keep the first position and the last value", "items", "item",
			[]string{`{"a":{"@":{"p":"1","q":"2","p":"3","a b":"4","a_b":"5","q":null},"@":{"r":"6","p":"7"}}}`},
			xmlDoc("<items>", "  <item>", `    <a p="7" q="2" a_b="5" r="6"/>`, "  </item>", "</items>")},
		{"invalid names", "items", "item", []string{`{"a b":1,"0":2,"#debug":3,"":4,"ns:x":5,"x.y":6,"-a":7,"é":8,"@@":9,"##":10,"#text":11,"?pi":12}`},
			xmlDoc("<items>", "  <item>", "    <a_b>1</a_b>", "    <_0>2</_0>", "    <_debug>3</_debug>", "    <_>4</_>", "    <ns_x>5</ns_x>",
				"    <x.y>6</x.y>", "    <_-a>7</_-a>", "    <é>8</é>", "    <__>9</__>", "    <__>10</__>", "    <_text>11</_text>", "    <_pi>12</_pi>", "  </item>", "</items>")},
		{"invalid attribute names", "items", "item", []string{`{"a":{"@":{"xmlns":"urn:x","xmlns:p":"urn:y","1":"z","":"e"}}}`},
			xmlDoc("<items>", "  <item>", `    <a _xmlns="urn:x" xmlns_p="urn:y" _1="z" _="e"/>`, "  </item>", "</items>")},
		{"invalid root and row names", "my root", "1row", []string{`{}`},
			xmlDoc("<my_root>", "  <_1row/>", "</my_root>")},
		{"characters XML does not allow are dropped", "items", "item",
			[]string{"{\"a\":\"x\\u0000y\\u0007z\\u001b\\ufffe\\uffff\",\"b\":\"\\u0001\",\"c\":\"\\ud800\",\"d\":{\"@\":{\"k\":\"\\u0002v\"},\"#\":\"\\u0003\"},\"e\\u0004\":1}"},
			xmlDoc("<items>", "  <item>", "    <a>xyz</a>", "    <b/>", "    <c>\uFFFD</c>", `    <d k="v"/>`, "    <e_>1</e_>", "  </item>", "</items>")},
		{"unicode (xml2js)", "items", "item", []string{`{"t":"héllo 日本語 🎉","日本":"x"}`},
			xmlDoc("<items>", "  <item>", "    <t>héllo 日本語 🎉</t>", "    <日本>x</日本>", "  </item>", "</items>")},
		{"duplicate names are all written", "items", "item", []string{`{"a":1,"a":2,"#":"x","#":"y"}`},
			xmlDoc("<items>", "  <item>", "    <a>1</a>", "    <a>2</a>", "    x", "    y", "  </item>", "</items>")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeXML(&buf, items(tt.items...), tt.root, tt.row); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s\n(%q)", got, tt.want, got)
			}
			xmlCheckWellFormed(t, buf.Bytes())
			xmllint(t, buf.Bytes())
		})
	}
}

func TestWriteRSS(t *testing.T) {
	const decl = xmlDeclaration + "\n"
	tests := []struct {
		name  string
		ch    rssChannel
		items []string
		want  string
	}{
		{"F12 one item", rssChannel{Title: "Dataset my-data", Description: `Items in dataset with id "X".`},
			[]string{`{"foo":"bar"}`},
			decl + "<rss version=\"2.0\">\n  <channel>\n    <title>Dataset my-data</title>\n" +
				"    <description>Items in dataset with id \"X\".</description>\n" +
				"    <item>\n      <foo>bar</foo>\n    </item>\n  </channel>\n</rss>"},
		{"F13 default description, OpenAPI example items", rssChannel{Title: "Dataset X", Description: `Items in dataset with id "X".`},
			[]string{`{"foo":"bar"}`, `{"foo2":"bar2"}`},
			decl + "<rss version=\"2.0\">\n  <channel>\n    <title>Dataset X</title>\n" +
				"    <description>Items in dataset with id \"X\".</description>\n" +
				"    <item>\n      <foo>bar</foo>\n    </item>\n    <item>\n      <foo2>bar2</foo2>\n    </item>\n  </channel>\n</rss>"},
		{"F14 feedTitle and feedDescription, with link", rssChannel{Title: "T & <co>", Description: "D\r\n", Link: "https://example.com/?a=1&b=2"},
			[]string{`{"title":"Hello","link":"https://x.y/1","@":{"id":"7"},"tags":["a","b"]}`},
			decl + "<rss version=\"2.0\">\n  <channel>\n    <title>T &amp; &lt;co&gt;</title>\n" +
				"    <link>https://example.com/?a=1&amp;b=2</link>\n    <description>D&#xD;\n</description>\n" +
				"    <item id=\"7\">\n      <title>Hello</title>\n      <link>https://x.y/1</link>\n      <tags>a</tags>\n      <tags>b</tags>\n    </item>\n" +
				"  </channel>\n</rss>"},
		{"no items, empty title", rssChannel{Description: "d"}, nil,
			decl + "<rss version=\"2.0\">\n  <channel>\n    <title/>\n    <description>d</description>\n  </channel>\n</rss>"},
		{"empty item", rssChannel{Title: "t", Description: "d"}, []string{`{}`},
			decl + "<rss version=\"2.0\">\n  <channel>\n    <title>t</title>\n    <description>d</description>\n    <item/>\n  </channel>\n</rss>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeRSS(&buf, items(tt.items...), tt.ch); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s\n(%q)", got, tt.want, got)
			}
			xmlCheckWellFormed(t, buf.Bytes())
			xmllint(t, buf.Bytes())
		})
	}
}

func TestXMLName(t *testing.T) {
	tests := []struct{ key, want string }{
		{"name", "name"},
		{"x.y", "x.y"},
		{"a-b_c.d9", "a-b_c.d9"},
		{"", "_"},
		{"a b", "a_b"},
		{"0", "_0"},
		{"123abc", "_123abc"},
		{"-x", "_-x"},
		{".x", "_.x"},
		{"#debug", "_debug"},
		{"ns:x", "ns_x"},
		{":", "_"},
		{"@", "_"},
		{"a/b", "a_b"},
		{"é", "é"},
		{"日本語", "日本語"},
		{"🎉", "_"}, // a NameStartChar of the 5th edition only
		{"a\u0370b", "a_b"},
		{"\u0301x", "_\u0301x"}, // a combining mark may not start a name
		{"x\u00b7y", "x\u00b7y"},
		{"a\u00d7b", "a_b"}, // U+00D7 is not a NameChar
		{"xml", "xml"},
		{"xmlns", "xmlns"}, // only attributes named xmlns are renamed
		{"a\u2028b", "a_b"},
		{"\xff", "_"},
		{"a\x00b", "a_b"},
	}
	for _, tt := range tests {
		if got := xmlName(tt.key); got != tt.want {
			t.Errorf("xmlName(%q) = %q, want %q", tt.key, got, tt.want)
		}
		if got := xmlName(tt.want); got != tt.want {
			t.Errorf("xmlName(%q) = %q, want it unchanged", tt.want, got)
		}
	}
	if got := string(appendXMLName(nil, []byte("xmlns"), true)); got != "_xmlns" {
		t.Errorf("attribute name xmlns = %q, want _xmlns", got)
	}
}

// TestXMLNameTables checks xmlNameStartRune and xmlNameRune against
// encoding/xml (XML 1.0 4th edition, BMP only) and the NameStartChar and
// NameChar productions of the 5th edition: a character is accepted when
// both accept it.
func TestXMLNameTables(t *testing.T) {
	goAccepts := func(doc string) bool {
		_, err := xml.NewDecoder(strings.NewReader(doc)).Token()
		return err == nil
	}
	for r := rune(0); r <= 0x10FFFF; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		var wantStart, wantName bool
		switch {
		case r == ':':
			// never kept
		case r < 0x80:
			wantStart = xml5NameStart(r)
			wantName = xml5NameChar(r)
		case r <= 0xFFFF:
			wantStart = xml5NameStart(r) && goAccepts("<"+string(r)+"/>")
			wantName = xml5NameChar(r) && goAccepts("<a"+string(r)+"/>")
		}
		if got := xmlNameStartRune(r); got != wantStart {
			t.Errorf("xmlNameStartRune(%U) = %v, want %v", r, got, wantStart)
		}
		if got := xmlNameRune(r); got != wantName {
			t.Errorf("xmlNameRune(%U) = %v, want %v", r, got, wantName)
		}
	}
}

// xml5NameStart is NameStartChar of XML 1.0 5th edition.
func xml5NameStart(r rune) bool {
	return r == ':' || 'A' <= r && r <= 'Z' || r == '_' || 'a' <= r && r <= 'z' ||
		0xC0 <= r && r <= 0xD6 || 0xD8 <= r && r <= 0xF6 || 0xF8 <= r && r <= 0x2FF ||
		0x370 <= r && r <= 0x37D || 0x37F <= r && r <= 0x1FFF || 0x200C <= r && r <= 0x200D ||
		0x2070 <= r && r <= 0x218F || 0x2C00 <= r && r <= 0x2FEF || 0x3001 <= r && r <= 0xD7FF ||
		0xF900 <= r && r <= 0xFDCF || 0xFDF0 <= r && r <= 0xFFFD || 0x10000 <= r && r <= 0xEFFFF
}

// xml5NameChar is NameChar of XML 1.0 5th edition.
func xml5NameChar(r rune) bool {
	return xml5NameStart(r) || r == '-' || r == '.' || '0' <= r && r <= '9' || r == 0xB7 ||
		0x300 <= r && r <= 0x36F || 0x203F <= r && r <= 0x2040
}

func TestWriteXMLErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		next Next
		want string
	}{
		{"not an object", items(`[1]`), "export xml: item 0: not a JSON object"},
		{"empty item", items(``), "export xml: item 0: not a JSON object"},
		{"invalid JSON", items(`{}`, `{"a":}`), "export xml: item 1: jsontext: "},
		{"data after the object", items(`{}{}`), "export xml: item 0: data after the JSON object"},
		{"next fails", func() ([]byte, error) { return nil, boom }, "export xml: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := writeXML(io.Discard, tt.next, "items", "item")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error starting with %q", err, tt.want)
			}
		})
	}
	if err := writeRSS(io.Discard, func() ([]byte, error) { return nil, boom }, rssChannel{}); !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "export rss: ") {
		t.Errorf("rss: got %v", err)
	}
	if err := writeXML(xmlFailingWriter{}, items(`{}`), "items", "item"); err == nil || !strings.HasPrefix(err.Error(), "export xml: ") {
		t.Errorf("write error: got %v", err)
	}
}

// TestWriteXMLManyAttributes covers the attribute index used for elements
// with many attributes, spread over several "@" members.
func TestWriteXMLManyAttributes(t *testing.T) {
	var in, want strings.Builder
	in.WriteString(`{"a":{`)
	want.WriteString("    <a")
	for m := 0; m < 3; m++ {
		if m > 0 {
			in.WriteByte(',')
		}
		in.WriteString(`"@":{`)
		for i := 0; i < 20; i++ {
			if i > 0 {
				in.WriteByte(',')
			}
			n := m*10 + i // members 1 and 2 repeat half of the names before them
			in.WriteString(`"p` + strconv.Itoa(n) + `":"` + strconv.Itoa(m) + `"`)
		}
		in.WriteByte('}')
	}
	in.WriteString(`}}`)
	for n := 0; n < 40; n++ {
		m := min(n/10, 2) // the last member that sets pN
		want.WriteString(` p` + strconv.Itoa(n) + `="` + strconv.Itoa(m) + `"`)
	}
	want.WriteString("/>")
	var buf bytes.Buffer
	if err := writeXML(&buf, items(in.String()), "items", "item"); err != nil {
		t.Fatal(err)
	}
	if w := xmlDoc("<items>", "  <item>", want.String(), "  </item>", "</items>"); buf.String() != w {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), w)
	}
	xmlCheckWellFormed(t, buf.Bytes())
}

// TestWriteXMLDeep checks deeply nested items (jsontext allows 10000 levels).
func TestWriteXMLDeep(t *testing.T) {
	const depth = 2000
	rec := strings.Repeat(`{"a":[`, depth) + strings.Repeat(`]}`, depth)
	var buf bytes.Buffer
	if err := writeXML(&buf, items(rec), "items", "item"); err != nil {
		t.Fatal(err)
	}
	if got := xmlCheckWellFormed(t, buf.Bytes()); got != depth+1 {
		t.Errorf("%d elements, want %d", got, depth+1)
	}
}

type xmlFailingWriter struct{}

func (xmlFailingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestWriteXMLStreams checks that output reaches the writer while items are
// still being produced, i.e. nothing is held back until the end.
func TestWriteXMLStreams(t *testing.T) {
	var out xmlCountingWriter
	const n = 20000
	i := 0
	sawOutput := false
	next := func() ([]byte, error) {
		if i == n {
			return nil, io.EOF
		}
		i++
		if i == n/2 && out.n > 0 {
			sawOutput = true
		}
		return []byte(`{"text":"some text of a moderate length","n":12345}`), nil
	}
	if err := writeXML(&out, next, "items", "item"); err != nil {
		t.Fatal(err)
	}
	if !sawOutput {
		t.Error("no output was written before the last item was read")
	}
}

type xmlCountingWriter struct{ n int }

func (w *xmlCountingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// TestXMLGolden writes testdata/xml/nasty.jsonl (one item per line) as XML
// and RSS and compares the output with the golden files; -update rewrites
// them.
func TestXMLGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "xml", "nasty.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(src)), "\n") {
		v := jsontext.Value(l)
		if err := v.Compact(); err != nil {
			t.Fatalf("fixture line %q: %v", l, err)
		}
		lines = append(lines, string(v))
	}
	for _, tt := range []struct {
		file  string
		write func(io.Writer, Next) error
	}{
		{"nasty.xml", func(w io.Writer, next Next) error { return writeXML(w, next, "items", "item") }},
		{"nasty.rss", func(w io.Writer, next Next) error {
			return writeRSS(w, next, rssChannel{Title: "Dataset nasty <&>", Description: `Items in dataset with id "nasty".`, Link: "https://example.com/?a&b"})
		}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(&buf, items(lines...)); err != nil {
				t.Fatal(err)
			}
			xmlCheckWellFormed(t, buf.Bytes())
			xmllint(t, buf.Bytes())
			goldenCompare(t, filepath.Join("testdata", "xml", tt.file), buf.Bytes())
		})
	}
}

// xmllint checks data with xmllint --noout, which must accept it without a
// message. Without xmllint the test is skipped, unless CI is set.
func xmllint(t *testing.T, data []byte) {
	t.Helper()
	out, err := runXmllint(t, data, true, "--noout")
	if err != nil || len(out) > 0 {
		t.Errorf("xmllint: %v\n%s", err, out)
	}
}

// xmlCheckWellFormed tokenizes data with encoding/xml, checks a few rules
// encoding/xml does not (no namespace prefixes, unique attributes, names
// that xmlName leaves alone) and returns the number of elements.
func xmlCheckWellFormed(t testing.TB, data []byte) int {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	elems, depth, roots := 0, 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, data)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			elems++
			if depth == 0 {
				roots++
			}
			depth++
			if tok.Name.Space != "" || xmlName(tok.Name.Local) != tok.Name.Local {
				t.Fatalf("bad element name %q", tok.Name)
			}
			seen := map[string]bool{}
			for _, a := range tok.Attr {
				if a.Name.Space != "" || a.Name.Local == "xmlns" || xmlName(a.Name.Local) != a.Name.Local || seen[a.Name.Local] {
					t.Fatalf("bad or duplicate attribute %q", a.Name)
				}
				seen[a.Name.Local] = true
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				t.Fatalf("text outside the root element: %q", tok)
			}
		}
	}
	if roots != 1 {
		t.Fatalf("%d root elements", roots)
	}
	return elems
}

// xmlCountElements counts the elements the XML rules make of a compact JSON
// object's members, independently of the writer: "@" and "#" give none, an
// array one per non-array entry (nested arrays flattened), anything else
// one, plus those of an object value's members.
func xmlCountElements(t testing.TB, dec *jsontext.Decoder) int {
	t.Helper()
	if _, err := dec.ReadToken(); err != nil { // {
		t.Fatal(err)
	}
	n := 0
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			t.Fatal(err)
		}
		if k := name.String(); k == "@" || k == "#" {
			if err := dec.SkipValue(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		n += xmlCountValue(t, dec)
	}
	if _, err := dec.ReadToken(); err != nil { // }
		t.Fatal(err)
	}
	return n
}

func xmlCountValue(t testing.TB, dec *jsontext.Decoder) int {
	switch dec.PeekKind() {
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			t.Fatal(err)
		}
		n := 0
		for dec.PeekKind() != ']' {
			n += xmlCountValue(t, dec)
		}
		if _, err := dec.ReadToken(); err != nil {
			t.Fatal(err)
		}
		return n
	case '{':
		return 1 + xmlCountElements(t, dec)
	}
	if err := dec.SkipValue(); err != nil {
		t.Fatal(err)
	}
	return 1
}

func FuzzXML(f *testing.F) {
	f.Add(`{"name":"Paul Newman","address":[{"type":"home","street":"21st","city":"Chicago"},{"type":"office","street":null,"city":null}]}`)
	f.Add(`{"address":[{"@":{"type":"home"},"street":"21st"},{"@":{"type":"office"},"#":"unknown"}]}`)
	f.Add(`{"a b":1,"0":2,"#debug":{"x":[]},"":"","ns:x":"\u0000\r\n","@":"x","#":{"k":1},"n":123456789012345678901234567890}`)
	f.Add(`{"a":[[1,[2]],[],{"@":{"xmlns":"u","xmlns:a":"v","1":null,"a b":"w","a_b":"z"}}]}`)
	f.Add(`{"#":"","a":{"#":"t","b":{}}}`)
	if src, err := os.ReadFile(filepath.Join("testdata", "xml", "nasty.jsonl")); err == nil {
		for _, l := range strings.Split(string(src), "\n") {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := jsontext.Value(s)
		if v.Compact() != nil || v.Kind() != '{' { // Compact allows duplicate names and invalid UTF-8
			return
		}
		rec := string(v)
		var buf bytes.Buffer
		if err := writeXML(&buf, items(rec, rec), "items", "item"); err != nil {
			t.Fatalf("writeXML(%s): %v", rec, err)
		}
		got := xmlCheckWellFormed(t, buf.Bytes())
		want := 1 + 2*(1+xmlCountElements(t, jsontext.NewDecoder(strings.NewReader(rec), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))))
		if got != want {
			t.Fatalf("%d elements, want %d, for %s:\n%s", got, want, rec, buf.Bytes())
		}
		buf.Reset()
		if err := writeRSS(&buf, items(rec), rssChannel{Title: s, Description: s, Link: s}); err != nil {
			t.Fatalf("writeRSS(%s): %v", rec, err)
		}
		xmlCheckWellFormed(t, buf.Bytes())
	})
}

// runXmllint runs xmllint with args on data (written to a temp file) and
// returns its output (stderr too when combined). Without xmllint the test
// is skipped, unless CI is set.
func runXmllint(t *testing.T, data []byte, combined bool, args ...string) ([]byte, error) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint not found")
		}
		t.Skip("xmllint not found")
	}
	path := filepath.Join(t.TempDir(), "out.xml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(args, path)...)
	if combined {
		return cmd.CombinedOutput()
	}
	return cmd.Output()
}
