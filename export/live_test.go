package export

import (
	"bytes"
	"testing"
)

// live renders like export, through WriteLive.
func live(t *testing.T, data, query string) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteLive(&b, options(t, query), parseItems(t, data)); err != nil {
		t.Fatalf("WriteLive(%s, %q): %v", data, query, err)
	}
	return b.String()
}

// WriteLive gives the batch export's bytes whenever the first record has
// every column (or fields names them), and otherwise keeps the first
// record's columns.
func TestWriteLive(t *testing.T) {
	same := []struct{ data, query string }{
		{`[{"a":1,"b":"x"},{"a":2,"b":"y\"z"}]`, "format=jsonl"},
		{`[{"a":1,"b":{"c":[1,2]}},{"a":null}]`, "format=jsonl&fields=b,a&omit=a"},
		{`[{"a":1,"u":[1,2]},{"a":2,"u":[3]}]`, "format=jsonl&unwind=u"},
		{`[{"a":1,"e":""},{}]`, "format=jsonl&clean=1"},
		{`[]`, "format=jsonl"},
		{`[{"a":1,"b":"x"},{"a":2,"b":"y\"z"}]`, "format=csv"},
		{`[{"a":1,"b":"x"},{"a":2,"b":"y"}]`, "format=csv&bom=0&delimiter=%3B"},
		{`[{"a":1,"b":{"c":2}},{"a":3,"b":{"c":4}}]`, "format=csv&skipHeaderRow=1"},
		{`[{"a":1},{"b":2,"a":3}]`, "format=csv&fields=b,a"},
		{`[{},{"a":1},{"a":2}]`, "format=csv"},
		{`[]`, "format=csv"},
	}
	for _, tt := range same {
		if got, want := live(t, tt.data, tt.query), export(t, tt.data, tt.query); got != want {
			t.Errorf("%s %s: live %q, batch %q", tt.data, tt.query, got, want)
		}
	}
	// A column the first record does not have is not written.
	got := live(t, `[{"a":1},{"a":2,"b":3}]`, "format=csv&bom=0")
	if want := "\"a\"\r\n\"1\"\r\n\"2\"\r\n"; got != want {
		t.Errorf("csv with a later column: %q, want %q", got, want)
	}
	if err := WriteLive(&bytes.Buffer{}, options(t, "format=json"), parseItems(t, "[]")); err == nil {
		t.Error("json written live")
	}
}
