package platform

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRenderTemplate(t *testing.T) {
	vars := map[string]json.RawMessage{
		"userId":    json.RawMessage(`"U1"`),
		"createdAt": json.RawMessage(`"2026-01-02T03:04:05.000Z"`),
		"eventType": json.RawMessage(`"ACTOR.RUN.SUCCEEDED"`),
		"eventData": json.RawMessage(`{"actorId":"A","actorRunId":"R"}`),
		"resource":  json.RawMessage(`{"id":"R","status":"SUCCEEDED","exitCode":0,"zeta":1,"alpha":{"n":[5,6]},"empty":"","off":false}`),
	}
	tests := []struct {
		name        string
		tmpl        string
		interpolate bool
		want        string
		wantErr     error
	}{
		{name: "default template", tmpl: DefaultPayloadTemplate,
			want: `{"userId":"U1","createdAt":"2026-01-02T03:04:05.000Z","eventType":"ACTOR.RUN.SUCCEEDED","eventData":{"actorId":"A","actorRunId":"R"},` +
				`"resource":{"id":"R","status":"SUCCEEDED","exitCode":0,"zeta":1,"alpha":{"n":[5,6]},"empty":"","off":false}}`},
		{name: "dot path", tmpl: `{"s": {{resource.status}}, "n": {{resource.alpha.n}}, "i": {{resource.alpha.n.1}}}`,
			want: `{"s":"SUCCEEDED","n":[5,6],"i":6}`},
		{name: "missing path is null", tmpl: `{"x": {{resource.nope.deeper}}, "y": {{eventData.actorTaskId}}}`, want: `{"x":null,"y":null}`},
		{name: "falsy values are null", tmpl: `[{{resource.exitCode}}, {{resource.empty}}, {{resource.off}}, {{resource.zeta}}]`,
			want: `[null,null,null,1]`},
		{name: "variables in strings stay text", tmpl: `{"msg": "run {{resource.id}} ended", "x": "{{userId}}"}`,
			want: `{"msg":"run {{resource.id}} ended","x":"{{userId}}"}`},
		{name: "escaped quotes do not end a string", tmpl: `{"a": "say \"{{userId}}\"", "b": {{userId}}}`,
			want: `{"a":"say \"{{userId}}\"","b":"U1"}`},
		{name: "shouldInterpolateStrings: text", tmpl: `{"msg": "run {{resource.id}} is {{resource.status}}; {{resource.nope}}|{{resource.alpha}}"}`, interpolate: true,
			want: `{"msg":"run R is SUCCEEDED; |{\"n\":[5,6]}"}`},
		{name: "shouldInterpolateStrings: whole string is typed", tmpl: `{"d": "{{eventData}}", "code": "{{resource.exitCode}}", "m": "{{resource.nope}}"}`, interpolate: true,
			want: `{"d":{"actorId":"A","actorRunId":"R"},"code":0,"m":null}`},
		{name: "unknown variable", tmpl: `{"x": {{run}}}`, wantErr: &errTemplateVariable{}},
		{name: "unknown variable inside an interpolated string", tmpl: `{"x": "a {{globals.dateISO}}"}`, interpolate: true, wantErr: &errTemplateVariable{}},
		{name: "unknown variable inside a plain string is text", tmpl: `{"x": "a {{globals.dateISO}}"}`, want: `{"x":"a {{globals.dateISO}}"}`},
		{name: "invalid JSON", tmpl: `{"x": {{userId}}`, wantErr: errTemplateJSON},
		{name: "unclosed variable", tmpl: `{"x": {{userId}`, wantErr: errTemplateJSON},
		{name: "not JSON at all", tmpl: `hello`, wantErr: errTemplateJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderTemplate(tt.tmpl, vars, tt.interpolate)
			if tt.wantErr != nil {
				var ve *errTemplateVariable
				if _, isVar := tt.wantErr.(*errTemplateVariable); isVar && !errors.As(err, &ve) {
					t.Fatalf("got %s, %v; want an unknown-variable error", got, err)
				}
				if tt.wantErr == errTemplateJSON && !errors.Is(err, errTemplateJSON) {
					t.Fatalf("got %s, %v; want invalid JSON", got, err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %s, %v\nwant %s", got, err, tt.want)
			}
		})
	}
}

func TestRenderHeaders(t *testing.T) {
	vars := map[string]json.RawMessage{"userId": json.RawMessage(`"U1"`), "resource": json.RawMessage(`{"id":"R","n":3}`)}
	got, err := renderHeaders(`{"Authorization": "Bearer x", "X-Run": "{{resource.id}}", "X-N": {{resource.n}}, "X-None": {{resource.nope}}}`, vars, true)
	want := [][2]string{{"Authorization", "Bearer x"}, {"X-Run", "R"}, {"X-N", "3"}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	if _, err := renderHeaders(`["a"]`, vars, false); !errors.Is(err, errTemplateJSON) {
		t.Fatalf("array headers template: %v, want invalid", err)
	}
}

func TestRetryDelay(t *testing.T) {
	base := time.Minute
	var got []time.Duration
	for failures := 1; failures <= 11; failures++ {
		got = append(got, retryDelay(base, failures))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}
	for i := range want {
		want[i] *= time.Minute
	}
	if !slices.Equal(got, want) {
		t.Fatalf("delays %v, want %v", got, want)
	}
	var total time.Duration
	for _, d := range got {
		total += d
	}
	// Apify: the 11th retry comes about 32 hours after the first attempt.
	if total < 30*time.Hour || total > 36*time.Hour {
		t.Fatalf("the 11th retry comes after %s", total)
	}
	if d := retryDelay(time.Hour, 200); d <= 0 || d > maxRetryDelay {
		t.Fatalf("huge failure count: %s", d)
	}
}
