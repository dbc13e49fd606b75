package actorjson

import (
	"errors"
	"strings"

	"github.com/actord/actord"
)

// MergeInput is a shallow merge of two JSON objects, what JavaScript's
// {...saved, ...override} gives: every top-level member of override
// replaces saved's member of that name in its place, members override
// adds come after saved's in override's order, nested objects are
// replaced, not merged. Names and values keep the bytes they were written
// with (a name given twice keeps its first place and its last value, as
// JSON.parse does). With an override that has no members, saved comes
// back as it is. An empty saved or override counts as {}. Either one not
// being a JSON object is an *actord.Error of type "invalid-input".
func MergeInput(saved, override []byte) ([]byte, error) {
	if len(saved) == 0 {
		saved = []byte("{}")
	}
	base, err := parseInputObject(saved)
	if err != nil {
		return nil, err
	}
	if len(override) == 0 {
		return saved, nil
	}
	over, err := parseInputObject(override)
	if err != nil {
		return nil, err
	}
	if len(over) == 0 {
		return saved, nil
	}
	var out []byte
	out = append(out, '{')
	seen := make(map[string]bool, len(base)+len(over))
	add := func(m member, from object) {
		if seen[m.name] {
			return
		}
		seen[m.name] = true
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, m.quoted...)
		out = append(out, ':')
		out = append(out, from.get(m.name)...)
	}
	for _, m := range base {
		if over.has(m.name) {
			add(m, over)
		} else {
			add(m, base)
		}
	}
	for _, m := range over {
		add(m, over)
	}
	return append(out, '}'), nil
}

// parseInputObject parses a run input, which must be a JSON object.
func parseInputObject(raw []byte) (object, error) {
	obj, err := parseObject(raw)
	if errors.Is(err, errNotObject) {
		return nil, &actord.Error{Type: errInvalidInput, Message: "Input is not valid: Field input must be object"}
	}
	if err != nil {
		return nil, &actord.Error{Type: errInvalidInput, Message: "Input is not valid: input is not valid JSON: " + strings.TrimPrefix(err.Error(), "invalid JSON: ")}
	}
	return obj, nil
}

// CheckInput reports whether raw is one JSON object, as a run input must
// be: nil, or an *actord.Error of type "invalid-input".
func CheckInput(raw []byte) error {
	_, err := parseInputObject(raw)
	return err
}
