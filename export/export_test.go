package export

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/actord/actord/jsonitem"
)

// sliceCursor is a Cursor over items held in memory.
type sliceCursor struct {
	items [][]byte
	i     int
	reads int // how many times the window was started
}

func (c *sliceCursor) Next() ([]byte, error) {
	if c.i == 0 {
		c.reads++
	}
	if c.i >= len(c.items) {
		return nil, io.EOF
	}
	c.i++
	return c.items[c.i-1], nil
}

func (c *sliceCursor) Rewind() error { c.i = 0; return nil }

// items parses a JSON array (or object) the way a push does.
func parseItems(t testing.TB, js string) *sliceCursor {
	t.Helper()
	if js == "" || js == "[]" {
		return &sliceCursor{}
	}
	its, err := jsonitem.SplitItems([]byte(js))
	if err != nil {
		t.Fatalf("items %s: %v", js, err)
	}
	return &sliceCursor{items: its}
}

func options(t testing.TB, query string) *Options {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseOptions(q)
	if err != nil {
		t.Fatalf("ParseOptions(%q): %v", query, err)
	}
	return o
}

func export(t testing.TB, data, query string) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, options(t, query), parseItems(t, data), Dataset{ID: "DSID", Label: "my-data"}); err != nil {
		t.Fatalf("Write(%s, %q): %v", data, query, err)
	}
	return b.String()
}

// jsonl renders the records of a query compactly, one per line, so
// transform vectors compare exact key order and values.
func jsonl(t testing.TB, data, query string) string {
	if query != "" {
		query += "&"
	}
	return export(t, data, query+"format=jsonl")
}

// Test vectors of export-semantics.md §7.2 (transforms). Expected records
// are written as JSONL: key order is asserted everywhere.
func TestTransformVectors(t *testing.T) {
	tests := []struct {
		id, data, query, want string
	}{
		{"T1", `{"a":1,"#dbg":{"x":1},"n":{"#keep":1}}`, "skipHidden=1", `{"a":1,"n":{"#keep":1}}`},
		{"T2", `[{"a":1,"#d":2},{},{"#only":1}]`, "clean=1", `{"a":1}`},
		{"T3", `[{"#only":1},{}]`, "skipEmpty=1", `{"#only":1}`},
		{"T4", `{"c":3,"a":1,"b":2}`, "fields=b,a", `{"b":2,"a":1}`},
		{"T4 repeated parameter", `{"c":3,"a":1,"b":2}`, "fields=b&fields=c,a", `{"b":2,"c":3,"a":1}`},
		{"T5", `{"a":1}`, "fields=a,z", `{"a":1}`},
		{"T6", `{"a":1,"b":2}`, "omit=b", `{"a":1}`},
		{"T7", `{"a":1,"b":2}`, "fields=a,b&omit=b", `{"a":1}`},
		{"T8", `{"headline":"H","url":"U","x":1}`, "fields=headline,url&outputFields=title,link", `{"title":"H","link":"U"}`},
		{"T9", `{"foo":{"bar":"hello"}}`, "flatten=foo", `{"foo.bar":"hello"}`},
		{"T10", `{"math":{"factorial":{"first":1}},"s":3}`, "flatten=math&fields=math.factorial.first", `{"math.factorial.first":1}`},
		{"T11", `{"a":{"b":1}}`, "fields=a.b", `{}`},
		{"T12", `{"a":1,"arr":[{"b":1},{"b":2}]}`, "unwind=arr", "{\"a\":1,\"b\":1}\n{\"a\":1,\"b\":2}"},
		{"T13", `{"a":1,"o":{"b":2}}`, "unwind=o", `{"a":1,"b":2}`},
		{"T14a", `{"a":1,"s":"x"}`, "unwind=s", `{"a":1,"s":"x"}`},
		{"T14b", `{"a":1}`, "unwind=zz", `{"a":1}`},
		{"T15", `{"a":1,"arr":[]}`, "unwind=arr", ``},
		{"T16", `[{"id":1,"v":[{"x":1},{"x":2}]},{"id":2,"v":[{"x":3}]}]`, "desc=1&unwind=v", "" /* window is the store's; see below */},
		{"T17", `{"a":[{"x":1},{"x":2}],"b":{"y":9}}`, "unwind=a,b", "{\"x\":1,\"y\":9}\n{\"x\":2,\"y\":9}"},
		{"T18", `{"url":"u","pageFunctionResult":[{"t":1},{"t":2}],"errorInfo":null,"other":5}`, "simplified=1",
			"{\"url\":\"u\",\"errorInfo\":null,\"t\":1}\n{\"url\":\"u\",\"errorInfo\":null,\"t\":2}"},
		{"T19", `[{"url":"a","errorInfo":"boom"},{"url":"b"}]`, "skipFailedPages=1", `{"url":"b"}`},
		{"T20", `[{"#a":1},{"#b":2}]`, "clean=1", ""},
		// Choices the reference leaves open (docs/export-formats.md).
		{"unwind scalars replace in place", `{"a":1,"tags":["x","y"],"b":2}`, "unwind=tags",
			"{\"a\":1,\"tags\":\"x\",\"b\":2}\n{\"a\":1,\"tags\":\"y\",\"b\":2}"},
		{"unwind collision: element wins at parent's position", `{"id":1,"v":{"id":2,"w":3},"z":0}`, "unwind=v", `{"id":2,"z":0,"w":3}`},
		{"unwind multiplies", `{"a":[{"x":1},{"x":2}],"b":[{"y":1},{"y":2}]}`, "unwind=a,b",
			"{\"x\":1,\"y\":1}\n{\"x\":1,\"y\":2}\n{\"x\":2,\"y\":1}\n{\"x\":2,\"y\":2}"},
		{"flatten arrays and depth, in place", `{"k":0,"a":{"b":[1,{"c":null}],"e":{}},"z":1}`, "flatten=a",
			`{"k":0,"a.b.0":1,"a.b.1.c":null,"a.e":{},"z":1}`},
		{"flatten leaves scalars alone", `{"a":"x","b":[]}`, "flatten=a,b", `{"a":"x","b":[]}`},
		{"skipFailedPages truthiness", `[{"errorInfo":null},{"errorInfo":""},{"errorInfo":0},{"errorInfo":false},{"errorInfo":{}},{"errorInfo":1}]`,
			"skipFailedPages=1", "{\"errorInfo\":null}\n{\"errorInfo\":\"\"}\n{\"errorInfo\":0}\n{\"errorInfo\":false}"},
		{"hidden escaped key", `{"\u0023x":1,"y":2}`, "skipHidden=1", `{"y":2}`},
		{"omit alone keeps order", `{"c":1,"b":2,"a":3}`, "omit=b", `{"c":1,"a":3}`},
		{"fields then unwind (simplified order)", `{"p":[{"t":1}],"x":1,"u":"u"}`, "fields=u,p&unwind=p", `{"u":"u","t":1}`},
		{"numbers kept as pushed", `{"id":12345678901234567890123,"f":1.50,"e":1E+400}`, "fields=e,id,f", `{"e":1E+400,"id":12345678901234567890123,"f":1.50}`},
		{"strings kept as pushed", `{"s":"\u00e9\n\"/"}`, "omit=x", `{"s":"\u00e9\n\"/"}`},
		{"fields named twice", `{"a":1,"b":2}`, "fields=a,b,a", `{"a":1,"b":2}`},
		{"outputFields naming twice: first position, last value", `{"a":1,"b":2}`, "fields=a,b&outputFields=x,x", `{"x":2}`},
		{"flatten onto a literal dotted key", `{"a.b":1,"a":{"b":2}}`, "flatten=a", `{"a.b":2}`},
		{"clean then skipEmpty after hidden", `[{"#a":1},{"b":1,"#c":2}]`, "skipHidden=1&skipEmpty=1", `{"b":1}`},
	}
	for _, tt := range tests {
		if tt.id == "T16" {
			continue // desc is applied by the store's window: see TestDescUnwindOrder
		}
		t.Run(tt.id, func(t *testing.T) {
			if got := jsonl(t, tt.data, tt.query); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// T16: desc reverses raw items (the store's window), never the records
// unwind makes of one item.
func TestDescUnwindOrder(t *testing.T) {
	c := parseItems(t, `[{"id":2,"v":[{"x":3}]},{"id":1,"v":[{"x":1},{"x":2}]}]`) // as the store yields them with desc=1
	var b bytes.Buffer
	if err := Write(&b, options(t, "desc=1&unwind=v&format=jsonl"), c, Dataset{}); err != nil {
		t.Fatal(err)
	}
	want := "{\"id\":2,\"x\":3}\n{\"id\":1,\"x\":1}\n{\"id\":1,\"x\":2}"
	if b.String() != want {
		t.Errorf("got %s want %s", b.String(), want)
	}
}

const bom = "\xEF\xBB\xBF"

// Byte-level vectors taken from real Apify exports (export-semantics.md
// §10.8) and the format vectors of §7.3 for json, jsonl and csv.
func TestFormatVectors(t *testing.T) {
	eleven := `{"k":[0,1,2,3,4,5,6,7,8,9,10]}`
	tests := []struct {
		id, data, query, want string
	}{
		{"R1", `[{"a":1},{"a":2}]`, "format=json", "[{\n  \"a\": 1\n},\n{\n  \"a\": 2\n}]"},
		{"R2", `[{"a":1,"b":"x"},{"a":2,"b":"y"}]`, "format=jsonl", "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}"},
		{"R3", `[{"t":"Cukrárna","s":4.6,"n":81,"z":null}]`, "format=csv&fields=t,s,n,z",
			bom + "\"t\",\"s\",\"n\",\"z\"\r\n\"Cukrárna\",\"4.6\",\"81\",\r\n"},
		{"R4", `[{"t":"A","p":{"role":"Mobil","number":"7","country_code":"420"}},{"t":"B"}]`, "format=csv&fields=t,p",
			bom + "\"t\",\"p/country_code\",\"p/number\",\"p/role\"\r\n\"A\",\"420\",\"7\",\"Mobil\"\r\n\"B\",,,\r\n"},
		{"R5", `[{"h":true,"d":null,"e":""}]`, "format=csv", bom + "\"d\",\"e\",\"h\"\r\n,\"\",\"true\"\r\n"},
		{"R6", eleven, "format=csv", bom + `"k/0","k/1","k/2","k/3","k/4","k/5","k/6","k/7","k/8","k/9","k/10"` + "\r\n" +
			`"0","1","2","3","4","5","6","7","8","9","10"` + "\r\n"},
		{"R7", `[{"x":"a\nb"}]`, "format=csv", bom + "\"x\"\r\n\"a\nb\"\r\n"},
		{"R8", `[{"q":"say \"hi\""}]`, "format=csv", bom + "\"q\"\r\n\"say \"\"hi\"\"\"\r\n"},
		{"R10", `[{"k":[],"o":{},"v":1}]`, "format=csv", bom + "\"v\"\r\n\"1\"\r\n"},
		{"F1", `[{"solution":9}]`, "format=csv", bom + "\"solution\"\r\n\"9\"\r\n"},
		{"F2", `{"location":{"lat":1.5,"lng":2},"categories":["A","B"]}`, "format=csv",
			bom + "\"categories/0\",\"categories/1\",\"location/lat\",\"location/lng\"\r\n\"A\",\"B\",\"1.5\",\"2\"\r\n"},
		{"F3", `{"open":true,"closed":false}`, "format=csv", bom + "\"closed\",\"open\"\r\n\"false\",\"true\"\r\n"},
		{"F4", `{"a":1}`, "format=csv&bom=0", "\"a\"\r\n\"1\"\r\n"},
		{"F5", `{"a":1}`, "format=json&bom=1", bom + "[{\n  \"a\": 1\n}]"},
		{"F6", `[{"a":1},{"a":2}]`, "format=csv&skipHeaderRow=1", bom + "\"1\"\r\n\"2\"\r\n"},
		{"F7", `[{"a":1,"b":2}]`, "format=csv&delimiter=%3B", bom + "\"a\";\"b\"\r\n\"1\";\"2\"\r\n"},
		{"F7 tab", `[{"a":1,"b":2}]`, "format=csv&delimiter=%09&bom=false", "\"a\"\t\"b\"\r\n\"1\"\t\"2\"\r\n"},
		{"F11", `[{"foo":"bar"},{"foo2":"bar2"}]`, "format=jsonl", "{\"foo\":\"bar\"}\n{\"foo2\":\"bar2\"}"}, // §10.3 wins: no final newline
		{"T20 json", `[{"#a":1},{"#b":2}]`, "clean=1", "[]"},
		{"fields emptying items keeps them", `[{"a":1},{"b":2}]`, "fields=zz&clean=1", "[{},\n{}]"},
		{"empty json", `[]`, "", "[]"},
		{"empty jsonl", `[]`, "format=jsonl", ""},
		{"empty csv", `[]`, "format=csv", bom},
		{"empty csv with fields", `[]`, "format=csv&fields=b,a", bom + "\"b\",\"a\"\r\n"},
		{"csv missing and null", `[{"a":1},{"b":null},{}]`, "format=csv", bom + "\"a\",\"b\"\r\n\"1\",\r\n,\r\n,\r\n"},
		{"csv numbers as pushed", `{"id":12345678901234567890,"x":1e-7,"y":-0.0}`, "format=csv",
			bom + "\"id\",\"x\",\"y\"\r\n\"12345678901234567890\",\"1e-7\",\"-0.0\"\r\n"},
		{"csv unicode and quotes in header", `{"ná\"me":"😀"}`, "format=csv&bom=0", "\"ná\"\"me\"\r\n\"😀\"\r\n"},
		{"csv fields order with unwind keys after", `{"u":1,"p":[{"z":1,"a":2}]}`, "format=csv&bom=0&fields=p,u&unwind=p", "\"u\",\"a\",\"z\"\r\n\"1\",\"2\",\"1\"\r\n"},
		{"csv outputFields rename", `{"h":"H","l":{"b":1,"a":2}}`, "format=csv&bom=0&fields=h,l&outputFields=title,link",
			"\"title\",\"link/a\",\"link/b\"\r\n\"H\",\"2\",\"1\"\r\n"},
		{"csv scalar and object under one key", `[{"p":"x"},{"p":{"a":1}}]`, "format=csv&bom=0", "\"p\",\"p/a\"\r\n\"x\",\r\n,\"1\"\r\n"},
		{"csv flatten gives dotted columns", `{"a":{"b":1}}`, "format=csv&bom=0&flatten=a", "\"a.b\"\r\n\"1\"\r\n"},
		{"csv numeric-aware nested order", `{"o":[{"b":1,"a":1}],"n":{"10":1,"9":2,"x":3}}`, "format=csv&bom=0",
			"\"n/9\",\"n/10\",\"n/x\",\"o/0/a\",\"o/0/b\"\r\n\"2\",\"1\",\"3\",\"1\",\"1\"\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := export(t, tt.data, tt.query); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// F18: at most 2,000 columns, the first ones in column order; a name over
// 200 characters gives no column.
func TestColumnLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"` + strings.Repeat("x", 201) + `":1`)
	for i := 0; i < 2500; i++ {
		b.WriteString(`,"c` + pad(i) + `":` + itoa(i))
	}
	b.WriteString("}")
	got := export(t, b.String(), "format=csv&bom=0")
	lines := strings.Split(got, "\r\n")
	header := strings.Split(lines[0], ",")
	if len(header) != MaxColumns {
		t.Fatalf("header has %d columns, want %d", len(header), MaxColumns)
	}
	if header[0] != `"c0000"` || header[MaxColumns-1] != `"c1999"` {
		t.Errorf("header runs %s … %s", header[0], header[MaxColumns-1])
	}
	if row := strings.Split(lines[1], ","); len(row) != MaxColumns || row[1999] != `"1999"` {
		t.Errorf("row has %d cells, last %s", len(row), row[len(row)-1])
	}
}

func pad(i int) string  { return fmt.Sprintf("%04d", i) }
func itoa(i int) string { return strconv.Itoa(i) }
