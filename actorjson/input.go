package actorjson

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/actord/actord"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// errInvalidInput is Apify's error type for a run input its schema rejects.
const errInvalidInput = "invalid-input"

// InputSchema is a compiled actor input schema.
type InputSchema struct {
	schema *compiledSchema
	// defaults are the top-level properties that have a `default`, in
	// schema order: the name as written and the value, compacted.
	defaults []member
}

// CompileInputSchema compiles an actor input schema (INPUT_SCHEMA.json).
// Apify's own keywords (editor, sectionCaption, prefill, isSecret,
// resourceType, …) are ignored; `nullable: true` lets a property be null.
func CompileInputSchema(raw []byte) (*InputSchema, error) {
	obj, err := parseObject(raw)
	if err != nil {
		return nil, fmt.Errorf("input schema: %w", err)
	}
	s := &InputSchema{}
	if props := obj.get("properties"); props.Kind() == '{' {
		members, err := parseObject(props)
		if err != nil {
			return nil, fmt.Errorf("input schema: properties: %w", err)
		}
		// A duplicated name keeps its first position and its last value,
		// as JSON.parse does.
		var order []member
		defs := make(map[string][]byte)
		for _, m := range members {
			def, err := propertyDefault(m.value)
			if err != nil {
				return nil, fmt.Errorf("input schema: property %q: %w", m.name, err)
			}
			if _, ok := defs[m.name]; !ok {
				order = append(order, m)
			}
			defs[m.name] = def
		}
		for _, m := range order {
			if def := defs[m.name]; def != nil {
				s.defaults = append(s.defaults, member{name: m.name, quoted: bytes.Clone(m.quoted), value: def})
			}
		}
	}
	s.schema, err = compileSchema(raw)
	if err != nil {
		return nil, fmt.Errorf("input schema: %w", err)
	}
	return s, nil
}

// propertyDefault returns the compacted `default` of a property schema, or
// nil when it has none.
func propertyDefault(prop jsontext.Value) ([]byte, error) {
	if prop.Kind() != '{' {
		return nil, nil
	}
	obj, err := parseObject(prop)
	if err != nil {
		return nil, err
	}
	def := obj.get("default")
	if def == nil {
		return nil, nil
	}
	return compactValue(def)
}

// MergeDefaults returns input with the schema's top-level property defaults
// added for the properties input lacks. input must be one JSON object; an
// empty input (len 0) counts as {}. The input's own bytes are kept as they
// are — member order, whitespace, number spelling, escapes — and the
// defaulted members are appended after its last member, in schema order.
// When nothing is added the result is input itself. A nil schema adds
// nothing. Input that is not a JSON object is an *actord.Error of type
// "invalid-input".
func (s *InputSchema) MergeDefaults(input []byte) ([]byte, error) {
	var defaults []member
	if s != nil {
		defaults = s.defaults
	}
	return mergeDefaults(input, defaults)
}

func mergeDefaults(input []byte, defaults []member) ([]byte, error) {
	if len(input) == 0 {
		input = []byte("{}")
	}
	obj, err := parseInputObject(input)
	if err != nil {
		return nil, err
	}
	var add []member
	for _, d := range defaults {
		if !obj.has(d.name) {
			add = append(add, d)
		}
	}
	if len(add) == 0 {
		return input, nil
	}
	// Insert right after the last member, or after '{' when there is none.
	var at int
	if len(obj) > 0 {
		at = int(obj[len(obj)-1].end)
	} else {
		at = bytes.IndexByte(input, '{') + 1
	}
	n := len(input)
	for _, d := range add {
		n += len(d.quoted) + len(d.value) + 2
	}
	out := make([]byte, 0, n)
	out = append(out, input[:at]...)
	for i, d := range add {
		if i > 0 || len(obj) > 0 {
			out = append(out, ',')
		}
		out = append(out, d.quoted...)
		out = append(out, ':')
		out = append(out, d.value...)
	}
	out = append(out, input[at:]...)
	return out, nil
}

// Apply fills the schema's top-level property defaults into input (see
// MergeDefaults) and validates the result against the schema. It returns
// the merged input, or an *actord.Error of type "invalid-input" whose
// message names every problem the way Apify does, e.g.
// "Input is not valid: Field input.startUrls is required; Field input.maxPages must be integer".
// A nil schema only checks that input is a JSON object.
func (s *InputSchema) Apply(input []byte) ([]byte, error) {
	merged, err := s.MergeDefaults(input)
	if err != nil || s == nil {
		return merged, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(merged))
	if err != nil {
		return nil, &actord.Error{Type: errInvalidInput, Message: "Input is not valid: input is not valid JSON: " + err.Error()}
	}
	verrs := s.schema.validate(doc, merged)
	if len(verrs) == 0 {
		return merged, nil
	}
	var msgs []string
	for _, e := range verrs {
		msg := inputMessage(e, doc)
		if !slices.Contains(msgs, msg) {
			msgs = append(msgs, msg)
		}
	}
	return nil, &actord.Error{Type: errInvalidInput, Message: "Input is not valid: " + strings.Join(msgs, "; ")}
}

// inputMessage phrases one validation error like Apify's input validation:
// "Field input.<path> <problem>".
func inputMessage(e ValidationError, doc any) string {
	switch e.Keyword {
	case "required":
		name, _ := e.Params["missingProperty"].(string)
		return "Field " + fieldPath(append(slices.Clone(e.instanceTokens), name), doc) + " is required"
	case "additionalProperties":
		name, _ := e.Params["additionalProperty"].(string)
		return "Property " + fieldPath(append(slices.Clone(e.instanceTokens), name), doc) + " is not allowed"
	}
	return "Field " + fieldPath(e.instanceTokens, doc) + " " + e.Message
}

// fieldPath spells an instance location as Apify does: "input.a.b", with
// array indexes in brackets ("input.startUrls[0].url").
func fieldPath(tokens []string, doc any) string {
	var sb strings.Builder
	sb.WriteString("input")
	for i, tok := range tokens {
		if _, ok := lookup(doc, tokens[:i]).([]any); ok {
			sb.WriteString("[" + tok + "]")
		} else {
			sb.WriteString("." + tok)
		}
	}
	return sb.String()
}
