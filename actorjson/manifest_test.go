package actorjson

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/actord/actord"
)

// writeTree creates files (slash-separated path → content) under a new
// temporary directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	schemaA = `{"title":"A","type":"object","properties":{"a":{"type":"string","default":"x"}}}`
	schemaB = `{"title":"B","type":"object","properties":{}}`
	dsA     = `{"actorSpecification":1,"fields":{"type":"object"},"views":{}}`
)

func TestLoad(t *testing.T) {
	fullActor := `{
		"actorSpecification": 1,
		"name": "my-actor",
		"version": "0.1",
		"buildTag": "beta",
		"title": "My \u0041ctor",
		"description": "Does things",
		"environmentVariables": {"Z_FIRST": "1", "API_KEY": "@apiKey", "A_LAST": "x y", "PORT": 3000, "DEBUG": true},
		"dockerfile": "./Dockerfile",
		"input": "./input_schema.json",
		"readme": "../docs/README.md",
		"storages": {"dataset": "./dataset_schema.json"},
		"minMemoryMbytes": 256,
		"maxMemoryMbytes": 4096,
		"defaultMemoryMbytes": 1024
	}`
	tests := []struct {
		name  string
		files map[string]string
		want  *Manifest // Raw is checked against .actor/actor.json separately
	}{
		{
			name: "every field, paths relative to .actor",
			files: map[string]string{
				".actor/actor.json":          "\ufeff" + fullActor + "\n",
				".actor/input_schema.json":   "\n" + schemaA + "\n",
				".actor/dataset_schema.json": dsA,
				"docs/README.md":             "# Docs\n",
				"README.md":                  "# Root\n",
				"INPUT_SCHEMA.json":          schemaB,
			},
			want: &Manifest{
				Name: "my-actor", Version: "0.1", BuildTag: "beta", Title: "My Actor", Description: "Does things",
				EnvironmentVariables: []actord.EnvVar{
					{Name: "Z_FIRST", Value: "1"}, {Name: "API_KEY", Value: "@apiKey"}, {Name: "A_LAST", Value: "x y"},
					{Name: "PORT", Value: "3000"}, {Name: "DEBUG", Value: "true"},
				},
				Dockerfile:  ".actor/Dockerfile",
				InputSchema: []byte(schemaA), DatasetSchema: []byte(dsA), Readme: "# Docs\n",
				MinMemoryMbytes: 256, MaxMemoryMbytes: 4096, DefaultMemoryMbytes: 1024,
			},
		},
		{
			name: "embedded input and dataset objects",
			files: map[string]string{
				".actor/actor.json": `{"actorSpecification":1,"name":"a","version":"1.0","input":` + schemaA +
					`,"storages":{"dataset":` + dsA + `},"dockerfile":"../Dockerfile","defaultMemoryMbytes":"get(input, 'n', 1) * 1024"}`,
				".actor/README.md": "actor readme",
				"README.md":        "root readme",
			},
			want: &Manifest{Name: "a", Version: "1.0", InputSchema: []byte(schemaA), DatasetSchema: []byte(dsA),
				Dockerfile: "Dockerfile", Readme: "actor readme"},
		},
		{
			name: "inputSchema alias and storages.datasets.default",
			files: map[string]string{
				".actor/actor.json":      `{"name":"a","inputSchema":"schemas/in.json","storages":{"datasets":{"default":"ds.json","other":{}}}}`,
				".actor/schemas/in.json": schemaB,
				".actor/ds.json":         dsA,
				"README.md":              "root readme",
			},
			want: &Manifest{Name: "a", InputSchema: []byte(schemaB), DatasetSchema: []byte(dsA), Readme: "root readme"},
		},
		{
			name: ".actor/INPUT_SCHEMA.json fallback",
			files: map[string]string{
				".actor/actor.json":        `{"name":"a"}`,
				".actor/INPUT_SCHEMA.json": schemaA,
				"INPUT_SCHEMA.json":        schemaB,
			},
			want: &Manifest{Name: "a", InputSchema: []byte(schemaA)},
		},
		{
			name: "root INPUT_SCHEMA.json fallback",
			files: map[string]string{
				".actor/actor.json": `{"name":"a","input":null}`,
				"INPUT_SCHEMA.json": schemaB,
			},
			want: &Manifest{Name: "a", InputSchema: []byte(schemaB)},
		},
		{
			name:  "nothing optional",
			files: map[string]string{".actor/actor.json": `{}`},
			want:  &Manifest{},
		},
		{
			name:  "no actor.json, root INPUT_SCHEMA.json",
			files: map[string]string{"INPUT_SCHEMA.json": schemaA, "README.md": "hi", "package.json": `{}`},
			want:  &Manifest{InputSchema: []byte(schemaA), Readme: "hi"},
		},
		{
			name:  "no actor.json, .actor/INPUT_SCHEMA.json",
			files: map[string]string{".actor/INPUT_SCHEMA.json": schemaA},
			want:  &Manifest{InputSchema: []byte(schemaA)},
		},
		{
			name:  "no actor.json, no input schema",
			files: map[string]string{"README.md": "hi", "main.js": ""},
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			got, err := Load(dir)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if tt.want == nil {
				if got != nil {
					t.Fatalf("Load = %+v, want nil", got)
				}
				return
			}
			if got == nil {
				t.Fatal("Load = nil")
			}
			if raw, ok := tt.files[".actor/actor.json"]; ok {
				if want := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff")); string(got.Raw) != want {
					t.Errorf("Raw = %s, want %s", got.Raw, want)
				}
			} else if got.Raw != nil {
				t.Errorf("Raw = %s, want nil", got.Raw)
			}
			got.Raw = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // substring of the error
	}{
		{"malformed actor.json", map[string]string{".actor/actor.json": `{"name":"a",}`}, ".actor/actor.json: invalid JSON"},
		{"actor.json not an object", map[string]string{".actor/actor.json": `[]`}, ".actor/actor.json: value is an array"},
		{"empty actor.json", map[string]string{".actor/actor.json": ``}, ".actor/actor.json: invalid JSON"},
		{"name not a string", map[string]string{".actor/actor.json": `{"name":1}`}, `.actor/actor.json: "name" is a number, want a string`},
		{"env var object", map[string]string{".actor/actor.json": `{"environmentVariables":{"A":{}}}`}, `.actor/actor.json: environmentVariables: "A" is an object`},
		{"memory not an integer", map[string]string{".actor/actor.json": `{"maxMemoryMbytes":1.5}`}, `.actor/actor.json: "maxMemoryMbytes" is 1.5, want an integer`},
		{"missing input file", map[string]string{".actor/actor.json": `{"input":"./nope.json"}`}, ".actor/actor.json: input: read .actor/nope.json: "},
		{"malformed input file", map[string]string{".actor/actor.json": `{"input":"in.json"}`, ".actor/in.json": `{"a":}`}, ".actor/in.json: invalid JSON"},
		{"input file not an object", map[string]string{".actor/actor.json": `{"input":"in.json"}`, ".actor/in.json": `[]`}, ".actor/in.json: value is an array"},
		{"input a number", map[string]string{".actor/actor.json": `{"input":1}`}, ".actor/actor.json: input is a number, want a path or an object"},
		{"input path leaves the tree", map[string]string{".actor/actor.json": `{"input":"../../etc/passwd"}`}, `.actor/actor.json: input: path "../../etc/passwd" leaves the source directory`},
		{"absolute input path", map[string]string{".actor/actor.json": `{"input":"/etc/passwd"}`}, `.actor/actor.json: input: path "/etc/passwd" is absolute`},
		{"malformed fallback schema", map[string]string{".actor/actor.json": `{}`, "INPUT_SCHEMA.json": `{`}, "INPUT_SCHEMA.json: invalid JSON"},
		{"malformed root schema without actor.json", map[string]string{"INPUT_SCHEMA.json": `nope`}, "INPUT_SCHEMA.json: invalid JSON"},
		{"missing dataset file", map[string]string{".actor/actor.json": `{"storages":{"dataset":"ds.json"}}`}, ".actor/actor.json: storages.dataset: read .actor/ds.json"},
		{"storages not an object", map[string]string{".actor/actor.json": `{"storages":"x"}`}, ".actor/actor.json: storages: value is a string"},
		{"missing readme", map[string]string{".actor/actor.json": `{"readme":"R.md"}`}, ".actor/actor.json: readme: read .actor/R.md"},
		{"dockerfile leaves the tree", map[string]string{".actor/actor.json": `{"dockerfile":"../../Dockerfile"}`}, "leaves the source directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			m, err := Load(dir)
			if err == nil {
				t.Fatalf("Load = %+v, want an error", m)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadSymlinkOutsideTree(t *testing.T) {
	outside := writeTree(t, map[string]string{"secret.json": `{"secret":true}`})
	dir := writeTree(t, map[string]string{".actor/actor.json": `{"input":"in.json"}`})
	if err := os.Symlink(filepath.Join(outside, "secret.json"), filepath.Join(dir, ".actor", "in.json")); err != nil {
		t.Skipf("symlink: %v", err)
	}
	if m, err := Load(dir); err == nil {
		t.Fatalf("Load = %+v, want an error", m)
	}
}

func TestLoadMissingDir(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("Load of a missing directory succeeded")
	}
}
