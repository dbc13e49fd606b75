// Package actorjson reads an actor's definition from its source tree
// (.actor/actor.json and the input schema, dataset schema and README it
// points to), applies input-schema defaults and validation to run input, and
// validates dataset items against a dataset schema, with Apify's error
// messages and shapes.
//
// Run input and dataset items are never decoded into Go maps to be written
// back: they keep their member order, number spelling and string escapes
// byte for byte. Decoding happens only to validate.
package actorjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/actord/actord"
	"github.com/actord/actord/jsonitem"
	"github.com/go-json-experiment/json/jsontext"
)

// Manifest is a resolved .actor/actor.json.
type Manifest struct {
	Name, Version, BuildTag, Title, Description string
	// EnvironmentVariables are in file order; "@secret" references are
	// kept as they are (IsSecret false: there is no secret store to
	// resolve them from here).
	EnvironmentVariables []actord.EnvVar
	// Dockerfile is the `dockerfile` path, made relative to the source
	// root (slash-separated); "" when actor.json gives none.
	Dockerfile string
	// Raw is the actor.json object as read.
	Raw json.RawMessage
	// InputSchema is the input schema object: from `input` (or
	// `inputSchema`), a path relative to .actor/ or an embedded object;
	// else .actor/INPUT_SCHEMA.json; else INPUT_SCHEMA.json. nil when none.
	InputSchema json.RawMessage
	// DatasetSchema is storages.dataset (a path or an object), else
	// storages.datasets.default. nil when none.
	DatasetSchema json.RawMessage
	// Readme is the content of `readme`, else .actor/README.md, else
	// README.md; "" when none.
	Readme string
	// Memory limits in megabytes, 0 when absent. DefaultMemoryMbytes is set
	// only when it is an integer; expressions are ignored.
	MinMemoryMbytes, MaxMemoryMbytes, DefaultMemoryMbytes int
}

const (
	actorDir      = ".actor"
	actorJSONPath = ".actor/actor.json"
)

// Fallback locations, in order.
var (
	inputSchemaPaths = []string{".actor/INPUT_SCHEMA.json", "INPUT_SCHEMA.json"}
	readmePaths      = []string{".actor/README.md", "README.md"}
)

// Load reads dir/.actor/actor.json and the files it points to. Without an
// actor.json it looks for an input schema (.actor/INPUT_SCHEMA.json or
// INPUT_SCHEMA.json): when there is one it returns a Manifest with only
// InputSchema and Readme set, otherwise nil, nil. A malformed file, or a
// path that is missing or leaves dir, is an error naming the file.
// Symbolic links are followed only while they stay inside dir.
func Load(dir string) (*Manifest, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open actor source: %w", err)
	}
	defer root.Close()

	raw, err := readJSON(root, actorJSONPath)
	if errors.Is(err, fs.ErrNotExist) {
		return loadWithoutActorJSON(root)
	}
	if err != nil {
		return nil, err
	}
	obj, err := parseObject(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", actorJSONPath, err)
	}
	m := &Manifest{Raw: json.RawMessage(raw)}
	if err := m.readFields(obj); err != nil {
		return nil, fmt.Errorf("%s: %w", actorJSONPath, err)
	}

	// Input schema.
	input := obj.get("input")
	if input == nil || input.Kind() == 'n' {
		input = obj.get("inputSchema")
	}
	if m.InputSchema, err = resolveObject(root, input, "input"); err != nil {
		return nil, err
	}
	if m.InputSchema == nil {
		if m.InputSchema, err = firstObject(root, inputSchemaPaths); err != nil {
			return nil, err
		}
	}

	// Dataset schema.
	if storages := obj.get("storages"); storages != nil && storages.Kind() != 'n' {
		st, err := parseObject(storages)
		if err != nil {
			return nil, fmt.Errorf("%s: storages: %w", actorJSONPath, err)
		}
		if m.DatasetSchema, err = resolveObject(root, st.get("dataset"), "storages.dataset"); err != nil {
			return nil, err
		}
		if datasets := st.get("datasets"); m.DatasetSchema == nil && datasets != nil && datasets.Kind() != 'n' {
			ds, err := parseObject(datasets)
			if err != nil {
				return nil, fmt.Errorf("%s: storages.datasets: %w", actorJSONPath, err)
			}
			if m.DatasetSchema, err = resolveObject(root, ds.get("default"), "storages.datasets.default"); err != nil {
				return nil, err
			}
		}
	}

	// README.
	if readme := obj.get("readme"); readme != nil && readme.Kind() != 'n' {
		p, err := actorPath(readme, "readme")
		if err != nil {
			return nil, err
		}
		b, err := readFile(root, p)
		if err != nil {
			return nil, fmt.Errorf("%s: readme: %w", actorJSONPath, err)
		}
		m.Readme = string(b)
	} else if m.Readme, err = firstText(root, readmePaths); err != nil {
		return nil, err
	}
	return m, nil
}

// loadWithoutActorJSON handles a source tree that has no actor.json.
func loadWithoutActorJSON(root *os.Root) (*Manifest, error) {
	schema, err := firstObject(root, inputSchemaPaths)
	if err != nil || schema == nil {
		return nil, err
	}
	readme, err := firstText(root, readmePaths)
	if err != nil {
		return nil, err
	}
	return &Manifest{InputSchema: schema, Readme: readme}, nil
}

// readFields reads actor.json's scalar members.
func (m *Manifest) readFields(obj object) error {
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"name", &m.Name}, {"version", &m.Version}, {"buildTag", &m.BuildTag},
		{"title", &m.Title}, {"description", &m.Description},
	} {
		v := obj.get(f.name)
		if v == nil || v.Kind() == 'n' {
			continue
		}
		s, ok := stringValue(v)
		if !ok {
			return fmt.Errorf("%q is %s, want a string", f.name, jsonitem.KindName(v.Kind()))
		}
		*f.dst = s
	}

	if env := obj.get("environmentVariables"); env != nil && env.Kind() != 'n' {
		vars, err := parseObject(env)
		if err != nil {
			return fmt.Errorf("environmentVariables: %w", err)
		}
		index := make(map[string]int)
		for _, v := range vars {
			var value string
			switch v.value.Kind() {
			case '"':
				value, _ = stringValue(v.value)
			case '0', 't', 'f':
				value = string(v.value) // written unquoted: use the literal
			default:
				return fmt.Errorf("environmentVariables: %q is %s, want a string", v.name, jsonitem.KindName(v.value.Kind()))
			}
			if i, ok := index[v.name]; ok { // duplicate: first position, last value
				m.EnvironmentVariables[i].Value = value
				continue
			}
			index[v.name] = len(m.EnvironmentVariables)
			m.EnvironmentVariables = append(m.EnvironmentVariables, actord.EnvVar{Name: v.name, Value: value})
		}
	}

	if df := obj.get("dockerfile"); df != nil && df.Kind() != 'n' {
		p, err := actorPath(df, "dockerfile")
		if err != nil {
			return err
		}
		m.Dockerfile = p
	}

	for _, f := range []struct {
		name string
		dst  *int
	}{
		{"minMemoryMbytes", &m.MinMemoryMbytes}, {"maxMemoryMbytes", &m.MaxMemoryMbytes},
		{"defaultMemoryMbytes", &m.DefaultMemoryMbytes},
	} {
		v := obj.get(f.name)
		if v == nil || v.Kind() == 'n' {
			continue
		}
		if v.Kind() == '"' && f.name == "defaultMemoryMbytes" {
			continue // an expression, evaluated per run (not supported)
		}
		n, ok := intValue(v)
		if !ok {
			return fmt.Errorf("%q is %s, want an integer", f.name, v)
		}
		*f.dst = n
	}
	return nil
}

// intValue returns the integer v (a JSON number such as 1024 or 1024.0)
// holds.
func intValue(v jsontext.Value) (int, bool) {
	if v.Kind() != '0' {
		return 0, false
	}
	if n, err := strconv.Atoi(string(v)); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// actorPath returns the source-root-relative, slash-separated form of v, a
// JSON string holding a path relative to .actor/. what names the member in
// errors.
func actorPath(v jsontext.Value, what string) (string, error) {
	s, ok := stringValue(v)
	if !ok || s == "" {
		return "", fmt.Errorf("%s: %s is %s, want a path", actorJSONPath, what, jsonitem.KindName(v.Kind()))
	}
	s = filepath.ToSlash(s)
	if path.IsAbs(s) {
		return "", fmt.Errorf("%s: %s: path %q is absolute, want one relative to %s/", actorJSONPath, what, s, actorDir)
	}
	p := path.Join(actorDir, s)
	if !filepath.IsLocal(filepath.FromSlash(p)) {
		return "", fmt.Errorf("%s: %s: path %q leaves the source directory", actorJSONPath, what, s)
	}
	return p, nil
}

// resolveObject resolves a member that is either a path (relative to
// .actor/) of a JSON object file or an embedded object. It returns nil for
// an absent or null member. what names the member in errors.
func resolveObject(root *os.Root, v jsontext.Value, what string) (json.RawMessage, error) {
	switch v.Kind() {
	case 0, 'n':
		return nil, nil
	case '{':
		return json.RawMessage(bytes.Clone(v)), nil
	case '"':
		p, err := actorPath(v, what)
		if err != nil {
			return nil, err
		}
		b, err := readJSON(root, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", actorJSONPath, what, err)
		}
		if _, err := parseObject(b); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return json.RawMessage(b), nil
	}
	return nil, fmt.Errorf("%s: %s is %s, want a path or an object", actorJSONPath, what, jsonitem.KindName(v.Kind()))
}

// firstObject reads the first of paths that exists, which must hold a JSON
// object. It returns nil when none exists.
func firstObject(root *os.Root, paths []string) (json.RawMessage, error) {
	for _, p := range paths {
		b, err := readJSON(root, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, err := parseObject(b); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return json.RawMessage(b), nil
	}
	return nil, nil
}

// firstText returns the content of the first of paths that exists, or "".
func firstText(root *os.Root, paths []string) (string, error) {
	for _, p := range paths {
		b, err := readFile(root, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	return "", nil
}

// utf8BOM is what some editors put at the start of a UTF-8 file.
var utf8BOM = []byte("\xef\xbb\xbf")

// readFile reads the slash-separated path p inside root, without a UTF-8
// byte order mark.
func readFile(root *os.Root, p string) ([]byte, error) {
	b, err := root.ReadFile(filepath.FromSlash(p))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, unwrapPath(err))
	}
	return bytes.TrimPrefix(b, utf8BOM), nil
}

// readJSON is readFile without the whitespace around the JSON value.
func readJSON(root *os.Root, p string) ([]byte, error) {
	b, err := readFile(root, p)
	return bytes.TrimSpace(b), err
}

// unwrapPath drops the *fs.PathError wrapper (whose path repeats ours) but
// keeps its meaning for errors.Is.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
