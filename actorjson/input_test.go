package actorjson

import (
	"errors"
	"strings"
	"testing"

	"github.com/actord/actord"
)

// apifySchema is an input schema the way Apify actors write them, with the
// editor keywords that are not JSON Schema.
const apifySchema = `{
	"title": "Scraper input",
	"type": "object",
	"schemaVersion": 1,
	"properties": {
		"startUrls": {
			"title": "Start URLs",
			"type": "array",
			"description": "Where to start",
			"editor": "requestListSources",
			"prefill": [{"url": "https://apify.com"}],
			"items": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}
		},
		"maxPages": {
			"title": "Max pages", "type": "integer", "editor": "number", "unit": "pages",
			"default": 10, "minimum": 1, "maximum": 1000, "sectionCaption": "Limits", "sectionDescription": "How far"
		},
		"proxy": {
			"title": "Proxy", "type": "object", "editor": "proxy",
			"default": { "useApifyProxy" : true },
			"prefill": {"useApifyProxy": false}
		},
		"mode": {"title": "Mode", "type": "string", "editor": "select", "enum": ["fast", "slow"], "enumTitles": ["Fast", "Slow"], "default": "fast"},
		"ratio": {"title": "Ratio", "type": "number", "default": 1.50e0, "nullable": true},
		"note": {"title": "Note", "type": "string", "editor": "textarea", "prefill": "hello", "minLength": 2, "maxLength": 5},
		"email": {"title": "E-mail", "type": "string", "editor": "textfield", "pattern": "^[^@]+@[^@]+$", "isSecret": true},
		"dataset": {"title": "Dataset", "type": "string", "resourceType": "dataset", "nullable": true},
		"level": {"title": "Level", "type": "string", "enum": ["a", "b"], "nullable": true},
		"tags": {"title": "Tags", "type": "array", "editor": "stringList", "minItems": 1, "maxItems": 2, "items": {"type": "string"}},
		"debug": {"title": "Debug", "type": "boolean", "editor": "checkbox", "default": false, "groupCaption": "Options", "errorMessage": {"type": "must be a boolean"}}
	},
	"required": ["startUrls"]
}`

func mustCompileInput(t *testing.T, raw string) *InputSchema {
	t.Helper()
	s, err := CompileInputSchema([]byte(raw))
	if err != nil {
		t.Fatalf("CompileInputSchema: %v", err)
	}
	return s
}

const appended = `"maxPages":10,"proxy":{"useApifyProxy":true},"mode":"fast","ratio":1.50e0,"debug":false`

func TestApplyDefaults(t *testing.T) {
	s := mustCompileInput(t, apifySchema)
	tests := []struct {
		name, input, want string
	}{
		{name: "defaults appended in schema order, prefill never",
			input: `{"startUrls":[{"url":"https://a"}]}`,
			want:  `{"startUrls":[{"url":"https://a"}],` + appended + `}`},
		{name: "own members kept in order with their spelling",
			input: `{"z":1.500,"mode":"slow","startUrls":[],"big":12345678901234567890123,"s":"\u00e9\/"}`,
			want:  `{"z":1.500,"mode":"slow","startUrls":[],"big":12345678901234567890123,"s":"\u00e9\/","maxPages":10,"proxy":{"useApifyProxy":true},"ratio":1.50e0,"debug":false}`},
		{name: "whitespace kept, defaults after the last member",
			input: "{ \"startUrls\" : [ ] ,\n \"debug\" : true \n}\n",
			want:  "{ \"startUrls\" : [ ] ,\n \"debug\" : true,\"maxPages\":10,\"proxy\":{\"useApifyProxy\":true},\"mode\":\"fast\",\"ratio\":1.50e0 \n}\n"},
		{name: "nested object not merged with its default",
			input: `{"startUrls":[],"proxy":{"groups":["X"]}}`,
			want:  `{"startUrls":[],"proxy":{"groups":["X"]},"maxPages":10,"mode":"fast","ratio":1.50e0,"debug":false}`},
		{name: "present null is not replaced",
			input: `{"startUrls":[],"ratio":null}`,
			want:  `{"startUrls":[],"ratio":null,"maxPages":10,"proxy":{"useApifyProxy":true},"mode":"fast","debug":false}`},
		{name: "nothing to add keeps the input byte for byte",
			input: ` {"startUrls":[], "maxPages":5,"proxy":{},"mode":"slow","ratio":2,"debug":true} `,
			want:  ` {"startUrls":[], "maxPages":5,"proxy":{},"mode":"slow","ratio":2,"debug":true} `},
		{name: "duplicate names accepted",
			input: `{"startUrls":1,"startUrls":[],"maxPages":5,"maxPages":6,"proxy":{},"mode":"slow","ratio":2,"debug":true}`,
			want:  `{"startUrls":1,"startUrls":[],"maxPages":5,"maxPages":6,"proxy":{},"mode":"slow","ratio":2,"debug":true}`},
		{name: "integer spelled 2.0 is an integer",
			input: `{"startUrls":[],"maxPages":2.0,"proxy":{},"mode":"fast","ratio":1,"debug":false}`,
			want:  `{"startUrls":[],"maxPages":2.0,"proxy":{},"mode":"fast","ratio":1,"debug":false}`},
		{name: "nullable allows null",
			input: `{"startUrls":[],"dataset":null,"level":null,"ratio":null,"maxPages":1,"proxy":{},"mode":"fast","debug":false}`,
			want:  `{"startUrls":[],"dataset":null,"level":null,"ratio":null,"maxPages":1,"proxy":{},"mode":"fast","debug":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Apply([]byte(tt.input))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Apply =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestApplyEmptyInput(t *testing.T) {
	tests := []struct {
		name, schema, input, want string
	}{
		{"empty body gets defaults", `{"type":"object","properties":{"a":{"type":"integer","default":1},"b":{"type":"string","prefill":"x"}}}`, ``, `{"a":1}`},
		{"empty object gets defaults", `{"type":"object","properties":{"a":{"type":"integer","default":1},"c":{"type":"array","default":[ 1, 2 ]}}}`, `{}`, `{"a":1,"c":[1,2]}`},
		{"empty object with whitespace", `{"properties":{"a":{"default":"x"}}}`, `{ }`, `{"a":"x" }`},
		{"empty body without defaults", `{"type":"object","properties":{"a":{"type":"integer"}}}`, ``, `{}`},
		{"no properties", `{"type":"object"}`, `{"x":1}`, `{"x":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustCompileInput(t, tt.schema)
			got, err := s.Apply([]byte(tt.input))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Apply = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestApplyValidation(t *testing.T) {
	s := mustCompileInput(t, apifySchema)
	const base = `"maxPages":1,"proxy":{},"mode":"fast","debug":false`
	tests := []struct {
		name, input, want string
	}{
		{"required", `{}`, `Field input.startUrls is required`},
		{"type integer from string", `{"startUrls":[],"maxPages":"10"}`, `Field input.maxPages must be integer`},
		{"type integer from fraction", `{"startUrls":[],"maxPages":2.5}`, `Field input.maxPages must be integer`},
		{"minimum", `{"startUrls":[],"maxPages":0}`, `Field input.maxPages must be >= 1`},
		{"maximum", `{"startUrls":[],"maxPages":5000}`, `Field input.maxPages must be <= 1000`},
		{"enum", `{"startUrls":[],"mode":"medium"}`, `Field input.mode must be equal to one of the allowed values`},
		{"enum nullable still checks values", `{"startUrls":[],"level":"c"}`, `Field input.level must be equal to one of the allowed values`},
		{"pattern", `{"startUrls":[],"email":"nobody"}`, `Field input.email must match pattern "^[^@]+@[^@]+$"`},
		{"minLength", `{"startUrls":[],"note":"a"}`, `Field input.note must NOT have fewer than 2 characters`},
		{"maxLength counts characters", `{"startUrls":[],"note":"ééééééé"}`, `Field input.note must NOT have more than 5 characters`},
		{"minItems", `{"startUrls":[],"tags":[]}`, `Field input.tags must NOT have fewer than 1 items`},
		{"maxItems", `{"startUrls":[],"tags":["a","b","c"]}`, `Field input.tags must NOT have more than 2 items`},
		{"array item type", `{"startUrls":[],"tags":["a",1]}`, `Field input.tags[1] must be string`},
		{"not nullable", `{"startUrls":[],"note":null}`, `Field input.note must be string`},
		{"boolean", `{"startUrls":[],"debug":"yes"}`, `Field input.debug must be boolean`},
		{"object", `{"startUrls":[],"proxy":[]}`, `Field input.proxy must be object`},
		{"nested required", `{"startUrls":[{"url":"a"},{"method":"GET"}]}`, `Field input.startUrls[1].url is required`},
		{"nested type", `{"startUrls":[{"url":1}]}`, `Field input.startUrls[0].url must be string`},
		{"several problems in schema order", `{"debug":1,"maxPages":0,"mode":"x"}`,
			`Field input.maxPages must be >= 1; Field input.mode must be equal to one of the allowed values; Field input.debug must be boolean; Field input.startUrls is required`},
		{"duplicate name: the last one is validated", `{"startUrls":[],` + base + `,"mode":1}`, `Field input.mode must be string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Apply([]byte(tt.input))
			var ae *actord.Error
			if !errors.As(err, &ae) {
				t.Fatalf("Apply = %s, %v; want an *actord.Error", got, err)
			}
			if ae.Type != "invalid-input" {
				t.Errorf("Type = %q, want invalid-input", ae.Type)
			}
			if want := "Input is not valid: " + tt.want; ae.Message != want {
				t.Errorf("Message =\n%s\nwant\n%s", ae.Message, want)
			}
			if got != nil {
				t.Errorf("Apply returned %s with an error", got)
			}
		})
	}
}

func TestApplyAdditionalProperties(t *testing.T) {
	s := mustCompileInput(t, `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`)
	_, err := s.Apply([]byte(`{"z":1,"a":"x","b":2}`))
	if got, want := errorMessage(err), "Input is not valid: Property input.z is not allowed; Property input.b is not allowed"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

func TestApplyNotAnObject(t *testing.T) {
	s := mustCompileInput(t, apifySchema)
	tests := []struct{ name, input, want string }{
		{"array", `[]`, "Input is not valid: Field input must be object"},
		{"number", `1`, "Input is not valid: Field input must be object"},
		{"string", `"x"`, "Input is not valid: Field input must be object"},
		{"null", `null`, "Input is not valid: Field input must be object"},
		{"truncated", `{"a":`, "Input is not valid: input is not valid JSON"},
		{"trailing data", `{"a":1} {}`, "Input is not valid: input is not valid JSON"},
		{"invalid utf-8", "{\"a\":\"\xff\"}", "Input is not valid: input is not valid JSON"},
		{"whitespace only", ` `, "Input is not valid: input is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, schema := range []*InputSchema{s, nil} {
				_, err := schema.Apply([]byte(tt.input))
				if actord.ErrorType(err) != "invalid-input" {
					t.Fatalf("err = %v, want invalid-input", err)
				}
				if msg := errorMessage(err); !strings.HasPrefix(msg, tt.want) {
					t.Errorf("message = %q, want prefix %q", msg, tt.want)
				}
			}
		})
	}
}

func TestApplyNilSchema(t *testing.T) {
	var s *InputSchema
	got, err := s.Apply([]byte(` {"a":1} `))
	if err != nil || string(got) != ` {"a":1} ` {
		t.Errorf("Apply = %q, %v", got, err)
	}
	got, err = s.Apply(nil)
	if err != nil || string(got) != `{}` {
		t.Errorf("Apply(nil) = %q, %v", got, err)
	}
}

func TestCompileInputSchema(t *testing.T) {
	tests := []struct {
		name, schema string
		wantErr      string // "" for success
	}{
		{"apify keywords ignored", apifySchema, ""},
		{"javascript-only pattern compiles", `{"type":"object","properties":{"a":{"type":"string","pattern":"^(?=x)x$"}}}`, ""},
		{"empty required", `{"type":"object","properties":{},"required":[]}`, ""},
		{"draft-07 default", `{"type":"object","properties":{"a":{"type":"integer","exclusiveMinimum":0}}}`, ""},
		{"not an object", `[]`, "input schema: value is an array: not a JSON object"},
		{"invalid JSON", `{"type":`, "input schema: invalid JSON"},
		{"unknown type", `{"type":"object","properties":{"a":{"type":"strnig"}}}`, "input schema: "},
		{"minimum not a number", `{"type":"object","properties":{"a":{"type":"integer","minimum":"1"}}}`, "input schema: "},
		{"remote reference not loaded", `{"type":"object","properties":{"a":{"$ref":"https://example.com/s.json"}}}`, "input schema: "},
		{"file reference not loaded", `{"type":"object","properties":{"a":{"$ref":"/etc/passwd"}}}`, "input schema: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileInputSchema([]byte(tt.schema))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("err = nil, want %q", tt.wantErr)
			case tt.wantErr != "" && !strings.HasPrefix(err.Error(), tt.wantErr):
				t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), schemaURL) {
				t.Errorf("err %q names the internal URL", err)
			}
		})
	}
}

func TestJavaScriptPatternNotEnforced(t *testing.T) {
	s := mustCompileInput(t, `{"type":"object","properties":{"a":{"type":"string","pattern":"^(?=x)x$"}}}`)
	if _, err := s.Apply([]byte(`{"a":"anything"}`)); err != nil {
		t.Errorf("Apply: %v", err)
	}
}

func TestMergeDefaultsKeepsInput(t *testing.T) {
	s := mustCompileInput(t, `{"properties":{"a":{"default":1}}}`)
	in := []byte(`{"a":0}`)
	got, err := s.MergeDefaults(in)
	if err != nil || &got[0] != &in[0] {
		t.Errorf("MergeDefaults = %q, %v; want the input itself", got, err)
	}
}

func errorMessage(err error) string {
	var ae *actord.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
