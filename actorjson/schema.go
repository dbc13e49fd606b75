package actorjson

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// schemaURL is where a compiled schema lives. Nothing is ever loaded from
// it: schemas are added as in-memory resources and remote references fail.
const schemaURL = "mem:///schema.json"

// compiledSchema is a JSON Schema ready to validate decoded JSON, plus the
// position of each of its subschemas in its text (to order errors like the
// schema does rather than like Go's maps).
type compiledSchema struct {
	schema *jsonschema.Schema
	order  map[string]int64
	// nulls lists the subschemas (JSON Pointers) whose type or enum got
	// null added for `nullable`, to leave it out of error messages.
	nulls nullsAdded
}

// compileSchema compiles raw, a JSON Schema object (draft-07 unless its
// $schema says otherwise). Unknown keywords are ignored, except
// `nullable: true` (Apify's and AJV's), which lets a subschema accept null.
// References to other documents are not followed.
func compileSchema(raw []byte) (*compiledSchema, error) {
	if _, err := parseObject(raw); err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, syntaxError(err)
	}
	obj := doc.(map[string]any) // parseObject checked it is an object
	nulls := nullsAdded{types: map[string]bool{}, enums: map[string]bool{}}
	nulls.allow(obj, "")
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.UseLoader(nil)
	c.UseRegexpEngine(compileRegexp)
	if err := c.AddResource(schemaURL, obj); err != nil {
		return nil, schemaError(err)
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		return nil, schemaError(err)
	}
	return &compiledSchema{schema: s, order: valueOrder(raw), nulls: nulls}, nil
}

// nullsAdded records where allow added null to a `type` or an `enum`.
type nullsAdded struct{ types, enums map[string]bool }

// allow rewrites the decoded schema at JSON Pointer ptr, and its
// subschemas, so that `nullable: true` also accepts null.
func (n nullsAdded) allow(schema any, ptr string) {
	m, ok := schema.(map[string]any)
	if !ok {
		return
	}
	if m["nullable"] == true {
		switch t := m["type"].(type) {
		case string:
			if t != "null" {
				m["type"] = []any{t, "null"}
				n.types[ptr] = true
			}
		case []any:
			if !slices.ContainsFunc(t, func(v any) bool { return v == "null" }) {
				m["type"] = append(t, "null")
				n.types[ptr] = true
			}
		}
		if e, ok := m["enum"].([]any); ok && !slices.ContainsFunc(e, func(v any) bool { return v == nil }) {
			m["enum"] = append(e, nil)
			n.enums[ptr] = true
		}
	}
	for _, kw := range []string{"properties", "patternProperties", "definitions", "$defs", "dependencies", "dependentSchemas"} {
		if sub, ok := m[kw].(map[string]any); ok {
			for name, s := range sub {
				n.allow(s, ptr+"/"+escapePointerToken(kw)+"/"+escapePointerToken(name))
			}
		}
	}
	for _, kw := range []string{"items", "additionalItems", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties"} {
		n.allow(m[kw], ptr+"/"+kw)
	}
	for _, kw := range []string{"items", "allOf", "anyOf", "oneOf", "prefixItems"} {
		if list, ok := m[kw].([]any); ok {
			for i, s := range list {
				n.allow(s, ptr+"/"+kw+"/"+strconv.Itoa(i))
			}
		}
	}
}

// schemaError rewrites the compiler's error so that it names locations
// inside the schema rather than the internal URL it was compiled from.
func schemaError(err error) error {
	msg := strings.ReplaceAll(err.Error(), schemaURL, "")
	return errors.New(msg)
}

// compileRegexp compiles a `pattern`. Schemas are written for JavaScript
// (ECMAScript) regular expressions; a pattern Go's RE2 cannot express
// (lookarounds, backreferences) is not enforced rather than making the
// whole schema unusable.
func compileRegexp(pattern string) (jsonschema.Regexp, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return anyString(pattern), nil
	}
	return re, nil
}

// anyString is a pattern that matches every string.
type anyString string

func (p anyString) String() string          { return string(p) }
func (anyString) MatchString(s string) bool { return true }

// ValidationError is one validation error in the shape of AJV, the
// JavaScript validator Apify uses (and whose errors its API returns).
type ValidationError struct {
	InstancePath string         `json:"instancePath"`
	SchemaPath   string         `json:"schemaPath"`
	Keyword      string         `json:"keyword"`
	Params       map[string]any `json:"params"`
	Message      string         `json:"message"`

	instanceTokens []string
	// ordering keys
	schemaPos, instancePos, subPos int64
}

// validate validates doc (decoded with jsonschema.UnmarshalJSON) and returns
// its errors in AJV's shape, ordered by schema position and then by their
// position in instance, doc's text. It returns nil when doc is valid.
func (c *compiledSchema) validate(doc any, instance []byte) []ValidationError {
	err := c.schema.Validate(doc)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return []ValidationError{{Keyword: "error", Params: map[string]any{}, Message: err.Error()}}
	}
	conv := converter{schemaOrder: c.order, instanceOrder: valueOrder(instance), doc: doc, nulls: c.nulls}
	conv.visit(verr)
	slices.SortStableFunc(conv.out, func(a, b ValidationError) int {
		return cmp.Or(
			cmp.Compare(a.schemaPos, b.schemaPos),
			cmp.Compare(a.instancePos, b.instancePos),
			cmp.Compare(a.subPos, b.subPos),
			strings.Compare(a.SchemaPath, b.SchemaPath),
			strings.Compare(a.InstancePath, b.InstancePath),
		)
	})
	return conv.out
}

// converter flattens the validator's error tree into AJV-style errors.
type converter struct {
	schemaOrder, instanceOrder map[string]int64
	doc                        any // the decoded instance
	nulls                      nullsAdded
	out                        []ValidationError
}

func (c *converter) visit(e *jsonschema.ValidationError) {
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		// Containers: AJV reports only what failed inside them.
		for _, cause := range e.Causes {
			c.visit(cause)
		}
	case *kind.AnyOf:
		from := len(c.out)
		for _, cause := range e.Causes {
			c.visit(cause)
		}
		c.add(e, "anyOf", nil, map[string]any{}, "must match a schema in anyOf")
		c.after(from)
	case *kind.OneOf:
		from := len(c.out)
		for _, cause := range e.Causes {
			c.visit(cause)
		}
		var passing any
		if len(k.Subschemas) > 0 {
			passing = k.Subschemas
		}
		c.add(e, "oneOf", nil, map[string]any{"passingSchemas": passing}, "must match exactly one schema in oneOf")
		c.after(from)
	case *kind.Not:
		c.add(e, "not", []string{"not"}, map[string]any{}, "must NOT be valid")
	case *kind.FalseSchema:
		c.add(e, "false schema", nil, map[string]any{}, "boolean schema is false")
	case *kind.Type:
		want := k.Want
		if c.nulls.types[schemaPointer(e)] {
			want = slices.DeleteFunc(slices.Clone(want), func(t string) bool { return t == "null" })
		}
		var typ any = strings.Join(want, ",")
		if len(want) > 1 {
			typ = want
		}
		c.add(e, "type", nil, map[string]any{"type": typ}, "must be "+strings.Join(want, ","))
	case *kind.Enum:
		want := k.Want
		if c.nulls.enums[schemaPointer(e)] {
			want = slices.DeleteFunc(slices.Clone(want), func(v any) bool { return v == nil })
		}
		c.add(e, "enum", nil, map[string]any{"allowedValues": want}, "must be equal to one of the allowed values")
	case *kind.Const:
		c.add(e, "const", nil, map[string]any{"allowedValue": k.Want}, "must be equal to constant")
	case *kind.Format:
		c.add(e, "format", nil, map[string]any{"format": k.Want}, `must match format "`+k.Want+`"`)
	case *kind.Pattern:
		c.add(e, "pattern", nil, map[string]any{"pattern": k.Want}, `must match pattern "`+k.Want+`"`)
	case *kind.MinLength:
		c.limit(e, "minLength", k.Want, "must NOT have fewer than %d characters")
	case *kind.MaxLength:
		c.limit(e, "maxLength", k.Want, "must NOT have more than %d characters")
	case *kind.MinItems:
		c.limit(e, "minItems", k.Want, "must NOT have fewer than %d items")
	case *kind.MaxItems:
		c.limit(e, "maxItems", k.Want, "must NOT have more than %d items")
	case *kind.MinProperties:
		c.limit(e, "minProperties", k.Want, "must NOT have fewer than %d properties")
	case *kind.MaxProperties:
		c.limit(e, "maxProperties", k.Want, "must NOT have more than %d properties")
	case *kind.Minimum:
		c.compare(e, "minimum", ">=", k.Want)
	case *kind.Maximum:
		c.compare(e, "maximum", "<=", k.Want)
	case *kind.ExclusiveMinimum:
		c.compare(e, "exclusiveMinimum", ">", k.Want)
	case *kind.ExclusiveMaximum:
		c.compare(e, "exclusiveMaximum", "<", k.Want)
	case *kind.MultipleOf:
		n := ratNumber(k.Want)
		c.add(e, "multipleOf", nil, map[string]any{"multipleOf": n}, "must be multiple of "+string(n))
	case *kind.Required:
		for i, name := range k.Missing {
			c.addSub(e, "required", nil, map[string]any{"missingProperty": name},
				"must have required property '"+name+"'", int64(i))
		}
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			pos, ok := c.instanceOrder[pointer(append(slices.Clone(e.InstanceLocation), name))]
			if !ok {
				pos = -1
			}
			c.addSub(e, "additionalProperties", nil, map[string]any{"additionalProperty": name},
				"must NOT have additional properties", pos)
		}
	case *kind.Dependency:
		c.dependency(e, "dependencies", k.Prop, k.Missing)
	case *kind.DependentRequired:
		c.dependency(e, "dependentRequired", k.Prop, k.Missing)
	case *kind.PropertyNames:
		// The validator reports it at the propertyNames subschema itself.
		c.add(e, "propertyNames", []string{}, map[string]any{"propertyName": k.Property}, "property name must be valid")
	case *kind.UniqueItems:
		i, j := min(k.Duplicates[0], k.Duplicates[1]), max(k.Duplicates[0], k.Duplicates[1])
		c.add(e, "uniqueItems", nil, map[string]any{"i": i, "j": j},
			fmt.Sprintf("must NOT have duplicate items (items ## %d and %d are identical)", j, i))
	case *kind.AdditionalItems:
		// AJV names the number of items the tuple allows.
		n := 0
		if arr, ok := lookup(c.doc, e.InstanceLocation).([]any); ok {
			n = len(arr) - k.Count
		}
		c.limit(e, "additionalItems", n, "must NOT have more than %d items")
	case *kind.Contains:
		c.add(e, "contains", nil, map[string]any{"minContains": 1}, "must contain at least 1 valid item(s)")
	case *kind.MinContains:
		c.add(e, "contains", []string{"minContains"}, map[string]any{"minContains": k.Want},
			fmt.Sprintf("must contain at least %d valid item(s)", k.Want))
	case *kind.MaxContains:
		c.add(e, "contains", []string{"maxContains"}, map[string]any{"maxContains": k.Want},
			fmt.Sprintf("must contain at most %d valid item(s)", k.Want))
	default:
		if len(e.Causes) > 0 {
			for _, cause := range e.Causes {
				c.visit(cause)
			}
			return
		}
		kw := strings.Join(e.ErrorKind.KeywordPath(), "/")
		msg := (&jsonschema.ValidationError{ErrorKind: e.ErrorKind}).Error()
		msg = strings.TrimPrefix(msg, "at '': ")
		c.add(e, kw, nil, map[string]any{}, msg)
	}
}

// after sorts the error added last after the errors added since index
// from (its causes), as AJV reports a combinator after what failed in it.
func (c *converter) after(from int) {
	last := &c.out[len(c.out)-1]
	for _, e := range c.out[from : len(c.out)-1] {
		if e.schemaPos > last.schemaPos || e.schemaPos == last.schemaPos && e.instancePos > last.instancePos {
			last.schemaPos, last.instancePos, last.subPos = e.schemaPos, e.instancePos, e.subPos+1
		}
	}
}

func (c *converter) limit(e *jsonschema.ValidationError, keyword string, limit int, format string) {
	c.add(e, keyword, nil, map[string]any{"limit": limit}, fmt.Sprintf(format, limit))
}

func (c *converter) compare(e *jsonschema.ValidationError, keyword, op string, limit *big.Rat) {
	n := ratNumber(limit)
	c.add(e, keyword, nil, map[string]any{"comparison": op, "limit": n}, "must be "+op+" "+string(n))
}

func (c *converter) dependency(e *jsonschema.ValidationError, keyword, prop string, missing []string) {
	for i, name := range missing {
		c.addSub(e, keyword, []string{keyword}, map[string]any{
			"property":        prop,
			"missingProperty": name,
			"depsCount":       len(missing),
			"deps":            strings.Join(missing, ", "),
		}, fmt.Sprintf("must have property %s when property %s is present", name, prop), int64(i))
	}
}

func (c *converter) add(e *jsonschema.ValidationError, keyword string, kwPath []string, params map[string]any, msg string) {
	c.addSub(e, keyword, kwPath, params, msg, 0)
}

// addSub appends one error. kwPath is the keyword's path inside the failing
// subschema (default: the validator's own); sub orders errors that share
// both locations.
func (c *converter) addSub(e *jsonschema.ValidationError, keyword string, kwPath []string, params map[string]any, msg string, sub int64) {
	if kwPath == nil {
		kwPath = e.ErrorKind.KeywordPath()
	}
	frag := schemaFragment(e)
	ptr := schemaPointer(e)
	schemaPath := "#" + frag
	for _, tok := range kwPath {
		schemaPath += "/" + url.PathEscape(escapePointerToken(tok))
	}
	// Position of the keyword in the schema text, else of its subschema.
	schemaPos, ok := c.schemaOrder[ptr+pointer(kwPath)]
	if !ok {
		if schemaPos, ok = c.schemaOrder[ptr]; !ok {
			schemaPos = 1 << 62
		}
	}
	instancePath := pointer(e.InstanceLocation)
	instancePos, ok := c.instanceOrder[instancePath]
	if !ok {
		instancePos = -1
	}
	c.out = append(c.out, ValidationError{
		InstancePath:   instancePath,
		instanceTokens: slices.Clone(e.InstanceLocation),
		SchemaPath:     schemaPath,
		Keyword:        keyword,
		Params:         params,
		Message:        msg,
		schemaPos:      schemaPos,
		instancePos:    instancePos,
		subPos:         sub,
	})
}

// schemaFragment returns the URL fragment (a percent-encoded JSON
// Pointer) of the subschema where e happened.
func schemaFragment(e *jsonschema.ValidationError) string {
	if i := strings.IndexByte(e.SchemaURL, '#'); i >= 0 {
		return e.SchemaURL[i+1:]
	}
	return ""
}

// schemaPointer returns the JSON Pointer of the subschema where e happened.
func schemaPointer(e *jsonschema.ValidationError) string {
	frag := schemaFragment(e)
	ptr, err := url.PathUnescape(frag)
	if err != nil {
		return frag
	}
	return ptr
}

// ratNumber spells r as a JSON number the way JavaScript prints it.
func ratNumber(r *big.Rat) json.Number {
	if r.IsInt() {
		return json.Number(r.Num().String())
	}
	f, _ := r.Float64()
	b, err := json.Marshal(f)
	if err != nil {
		return json.Number(r.FloatString(10))
	}
	return json.Number(b)
}

// lookup returns the value at the reference tokens path inside doc, or nil.
func lookup(doc any, path []string) any {
	for _, tok := range path {
		switch v := doc.(type) {
		case map[string]any:
			doc = v[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			doc = v[i]
		default:
			return nil
		}
	}
	return doc
}
