package export

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

func items(raw ...string) Next {
	return func() ([]byte, error) {
		if len(raw) == 0 {
			return nil, io.EOF
		}
		it := raw[0]
		raw = raw[1:]
		return []byte(it), nil
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name  string
		items []string
		want  string
	}{
		{"empty", nil, "[]"},
		{"one", []string{`{"a":1}`}, "[{\n  \"a\": 1\n}]"},
		{"two", []string{`{"a":1}`, `{"b":2}`}, "[{\n  \"a\": 1\n},\n{\n  \"b\": 2\n}]"},
		{"nested and empty", []string{`{"a":[],"b":{},"c":[1,{"d":null}]}`},
			"[{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": null\n    }\n  ]\n}]"},
		{"strings keep bytes", []string{`{"s":"a,b:{c}[d]\"e\\","n":12345678901234567890123,"é":"\u00e9"}`},
			"[{\n  \"s\": \"a,b:{c}[d]\\\"e\\\\\",\n  \"n\": 12345678901234567890123,\n  \"é\": \"\\u00e9\"\n}]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJSON(&buf, items(tt.items...)); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestWriteJSONL(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, items(`{"a":1}`, `{"b":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if want := "{\"a\":1}\n{\"b\":\"x\"}"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

// FuzzIndent checks the re-indenter against encoding/json's Indent, which
// lays JSON out the way JSON.stringify(v, null, 2) does.
func FuzzIndent(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":[],"b":{}}`, `{"a":[1,[2,{"b":"c\"]"}]]}`, `{"":""}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var compact bytes.Buffer
		if json.Compact(&compact, []byte(s)) != nil || !bytes.HasPrefix(compact.Bytes(), []byte("{")) {
			return
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := WriteJSONL(&got, items(compact.String())); err != nil {
			t.Fatal(err)
		}
		got.Reset()
		if err := WriteJSON(&got, items(compact.String())); err != nil {
			t.Fatal(err)
		}
		if g, w := got.String(), "["+want.String()+"]"; g != w {
			t.Fatalf("indent %q:\ngot  %q\nwant %q", compact.String(), g, w)
		}
	})
}
