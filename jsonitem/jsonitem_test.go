package jsonitem

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestSplitItems(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []string
		wantErr error // nil: success; ErrNotObject or a *SyntaxError (checked by kind)
		syntax  bool
	}{
		{name: "object", body: `{"a":1}`, want: []string{`{"a":1}`}},
		{name: "array", body: `[{"a":1},{"b":2}]`, want: []string{`{"a":1}`, `{"b":2}`}},
		{name: "empty array", body: `[]`, want: nil},
		{name: "whitespace removed, order and spelling kept", body: " [ {\n \"z\" : 1.50 , \"a\" : \"x y\" } ] \n",
			want: []string{`{"z":1.50,"a":"x y"}`}},
		{name: "big numbers and escapes survive", body: `{"n":12345678901234567890123,"e":1E+400,"s":"\u00e9\n\/"}`,
			want: []string{`{"n":12345678901234567890123,"e":1E+400,"s":"\u00e9\n\/"}`}},
		{name: "duplicate keys accepted", body: `{"a":1,"a":2}`, want: []string{`{"a":1,"a":2}`}},
		{name: "string", body: `"x"`, wantErr: ErrNotObject},
		{name: "number", body: `1`, wantErr: ErrNotObject},
		{name: "null", body: `null`, wantErr: ErrNotObject},
		{name: "non-object item", body: `[{"a":1},2]`, wantErr: ErrNotObject},
		{name: "nested array item", body: `[[{"a":1}]]`, wantErr: ErrNotObject},
		{name: "truncated", body: `[{"a":1}`, syntax: true},
		{name: "trailing garbage", body: `{"a":1} x`, syntax: true},
		{name: "two values", body: `{"a":1}{"b":2}`, syntax: true},
		{name: "invalid utf-8", body: "{\"a\":\"\xff\"}", syntax: true},
		{name: "empty", body: ``, syntax: true},
		{name: "bad literal", body: `{"a":tru}`, syntax: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitItems([]byte(tt.body))
			var se *SyntaxError
			switch {
			case tt.syntax:
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want a syntax error", err)
				}
				return
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d items, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if string(got[i]) != tt.want[i] {
					t.Errorf("item %d = %s, want %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    string // JSON("ID")
		handled string
		wantErr bool
	}{
		{name: "minimal", raw: `{"url":"http://a","uniqueKey":"k"}`,
			want: `{"id":"ID","url":"http://a","uniqueKey":"k","method":"GET","retryCount":0}`},
		{name: "nulls dropped, id first, order kept", raw: `{"uniqueKey":"k","id":"X","url":"u","loadedUrl":null,"userData":{"a":null},"method":"POST","retryCount":2,"handledAt":null}`,
			want: `{"id":"ID","uniqueKey":"k","url":"u","userData":{"a":null},"method":"POST","retryCount":2}`},
		{name: "handledAt", raw: `{"uniqueKey":"k","url":"u","handledAt":"2024-01-01T00:00:00.000Z"}`,
			want: `{"id":"ID","uniqueKey":"k","url":"u","handledAt":"2024-01-01T00:00:00.000Z","method":"GET","retryCount":0}`, handled: "2024-01-01T00:00:00.000Z"},
		{name: "no url", raw: `{"uniqueKey":"k"}`, wantErr: true},
		{name: "no uniqueKey", raw: `{"url":"u"}`, wantErr: true},
		{name: "url not a string", raw: `{"url":1,"uniqueKey":"k"}`, wantErr: true},
		{name: "retryCount not integer", raw: `{"url":"u","uniqueKey":"k","retryCount":1.5}`, wantErr: true},
		{name: "not an object", raw: `[1]`, wantErr: true},
		{name: "bad json", raw: `{"url":`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRequest([]byte(tt.raw))
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(r.JSON("ID")); got != tt.want {
				t.Errorf("JSON = %s\nwant   %s", got, tt.want)
			}
			if r.HandledAt != tt.handled {
				t.Errorf("HandledAt = %q, want %q", r.HandledAt, tt.handled)
			}
		})
	}
}

// FuzzSplitItems checks that every accepted body yields compact, valid
// JSON objects equal to the input's elements, and that nothing invalid is
// accepted.
func FuzzSplitItems(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[{"a":1},{"b":[1,2]}]`, " [ { \"a\" : \"b c\" } ] ", `[1]`, `{"a":"\u00e9"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := SplitItems(body)
		if err != nil {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		var whole bytes.Buffer
		json.Compact(&whole, body)
		var joined []string
		for _, it := range items {
			if !json.Valid(it) || it[0] != '{' || bytes.ContainsAny(it, "\n\r\t") {
				t.Fatalf("item %q is not a compact object", it)
			}
			var c bytes.Buffer
			json.Compact(&c, it)
			if !bytes.Equal(c.Bytes(), it) {
				t.Fatalf("item %q is not compact", it)
			}
			joined = append(joined, string(it))
		}
		w := whole.String()
		if w[0] == '[' {
			if got := "[" + strings.Join(joined, ",") + "]"; got != w {
				t.Fatalf("items %s differ from body %s", got, w)
			}
		} else if len(joined) != 1 || joined[0] != w {
			t.Fatalf("items %v differ from body %s", joined, w)
		}
	})
}
