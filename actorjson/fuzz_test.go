package actorjson

import (
	"bytes"
	"testing"

	"github.com/actord/actord"
	"github.com/go-json-experiment/json/jsontext"
)

const fuzzSchema = `{"type":"object","properties":{
	"a":{"type":"integer","default":1},
	"none":{"type":"string","prefill":"p"},
	"b":{"type":"object","default":{ "x" : [1, 2.50] }},
	"c\u00e9":{"type":"string","default":"\u00e9\n"}
}}`

// fuzzDefaults are fuzzSchema's defaults as they must be appended.
var fuzzDefaults = []struct{ name, value string }{
	{"a", `1`}, {"b", `{"x":[1,2.50]}`}, {"cé", `"\u00e9\n"`},
}

// isObject reports whether b is one JSON object, surrounded by nothing but
// JSON whitespace.
func isObject(b []byte) bool {
	v := jsontext.Value(bytes.Trim(b, " \t\r\n"))
	return v.Kind() == '{' && v.IsValid(decoderOptions...)
}

func FuzzMergeDefaults(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, ` { } `, `{"a":2}`, `{"z":1.50,"b":null}`, "{\n\"a\" : 1 ,\"b\":{} ,\"c\u00e9\":\"\"\n}\n",
		`{"a":1,"a":2}`, `[]`, `null`, `1`, `"x"`, `{"a":`, `{"a":1}x`, `{"\u0061":3}`, "{\"a\":\"\xff\"}",
		`{"x":{"a":1}}`, `{"b":[{"a":1}],"n":-0.0e-0}`,
	} {
		f.Add([]byte(seed))
	}
	s, err := CompileInputSchema([]byte(fuzzSchema))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		in := bytes.Clone(input)
		out, err := s.MergeDefaults(input)
		if !bytes.Equal(in, input) {
			t.Fatalf("input modified: %q → %q", in, input)
		}
		valid := len(input) == 0 || isObject(input)
		if err != nil {
			if actord.ErrorType(err) != errInvalidInput {
				t.Fatalf("err = %v, want an invalid-input error", err)
			}
			if valid {
				t.Fatalf("input %q is an object but MergeDefaults failed: %v", input, err)
			}
			return
		}
		if !valid {
			t.Fatalf("input %q is not an object but MergeDefaults returned %q", input, out)
		}
		if !isObject(out) {
			t.Fatalf("MergeDefaults(%q) = %q, not a JSON object", input, out)
		}
		base := input
		if len(base) == 0 {
			base = []byte("{}")
		}
		inObj, err := parseObject(base)
		if err != nil {
			t.Fatal(err)
		}
		outObj, err := parseObject(out)
		if err != nil {
			t.Fatal(err)
		}
		// The input's members come first, unchanged; then the missing
		// defaults in schema order.
		var want []member
		want = append(want, inObj...)
		for _, d := range fuzzDefaults {
			if !inObj.has(d.name) {
				want = append(want, member{name: d.name, value: jsontext.Value(d.value)})
			}
		}
		if len(outObj) != len(want) {
			t.Fatalf("MergeDefaults(%q) = %q: %d members, want %d", input, out, len(outObj), len(want))
		}
		for i := range want {
			if outObj[i].name != want[i].name || !bytes.Equal(outObj[i].value, want[i].value) {
				t.Fatalf("MergeDefaults(%q) = %q: member %d is %s:%s, want %s:%s",
					input, out, i, outObj[i].name, outObj[i].value, want[i].name, want[i].value)
			}
		}
		if len(want) == len(inObj) && !bytes.Equal(out, base) {
			t.Fatalf("nothing to add but MergeDefaults(%q) = %q", input, out)
		}
		// The input's bytes are all there, around one inserted run.
		p := 0
		for p < len(base) && base[p] == out[p] {
			p++
		}
		if ins := len(out) - len(base); !bytes.Equal(out[p+ins:], base[p:]) {
			t.Fatalf("MergeDefaults(%q) = %q: input bytes not kept", input, out)
		}

		// Apply returns the same bytes or an invalid-input error.
		applied, err := s.Apply(input)
		if err != nil {
			if actord.ErrorType(err) != errInvalidInput {
				t.Fatalf("Apply: %v", err)
			}
		} else if !bytes.Equal(applied, out) {
			t.Fatalf("Apply = %q, MergeDefaults = %q", applied, out)
		}
	})
}
