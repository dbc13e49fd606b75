package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DefaultPayloadTemplate is the payload of a webhook without a template of
// its own (Apify's default).
const DefaultPayloadTemplate = `{"userId": {{userId}}, "createdAt": {{createdAt}}, "eventType": {{eventType}}, "eventData": {{eventData}}, "resource": {{resource}}}`

// isTemplateVariable tells the root variables a payload or headers
// template may use.
func isTemplateVariable(name string) bool {
	switch name {
	case "userId", "createdAt", "eventType", "eventData", "resource":
		return true
	}
	return false
}

// errTemplateVariable is a template's use of an unknown root variable.
type errTemplateVariable struct{ name string }

func (e *errTemplateVariable) Error() string { return "Invalid payload template variable: " + e.name }

// errTemplateJSON is a template that is not JSON once its variables are
// replaced.
var errTemplateJSON = errors.New("the template is not valid JSON")

// renderTemplate fills a payload or headers template as Apify's
// WebhookPayloadTemplate does: the template is JSON in which {{variable}}
// (a root variable with an optional .dot.path) stands for a JSON value.
// Outside strings a variable becomes its value's JSON; a missing path and
// the falsy values 0, false and "" become null (Apify's quirk, kept on
// purpose). With interpolateStrings, a string that is exactly "{{var}}"
// becomes the typed value, and other strings get each {{var}} replaced by
// the value's text (strings as they are, null and missing as "", anything
// else as compact JSON — where Apify writes "[object Object]"). vars holds
// the raw JSON of each root variable; the result is compact JSON.
func renderTemplate(tmpl string, vars map[string]json.RawMessage, interpolateStrings bool) ([]byte, error) {
	var out bytes.Buffer
	for i := 0; i < len(tmpl); {
		switch {
		case tmpl[i] == '"':
			end := stringEnd(tmpl, i)
			lit := tmpl[i:end]
			if interpolateStrings && strings.Contains(lit, "{{") {
				s, err := interpolateString(lit, vars)
				if err != nil {
					return nil, err
				}
				out.WriteString(s)
			} else {
				out.WriteString(lit)
			}
			i = end
		case strings.HasPrefix(tmpl[i:], "{{"):
			j := strings.Index(tmpl[i+2:], "}}")
			if j < 0 {
				return nil, errTemplateJSON
			}
			v, err := lookupVariable(tmpl[i+2:i+2+j], vars)
			if err != nil {
				return nil, err
			}
			if isFalsy(v) {
				v = json.RawMessage("null")
			}
			out.Write(v)
			i += j + 4
		default:
			out.WriteByte(tmpl[i])
			i++
		}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, out.Bytes()); err != nil {
		return nil, fmt.Errorf("%w: %v", errTemplateJSON, err)
	}
	return compact.Bytes(), nil
}

// stringEnd returns the index just after the JSON string literal that
// starts at i (the end of s when it is not terminated).
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}

// interpolateString fills the variables inside one JSON string literal
// (quotes included).
func interpolateString(lit string, vars map[string]json.RawMessage) (string, error) {
	if len(lit) < 2 || lit[len(lit)-1] != '"' {
		return lit, nil // unterminated: the JSON check reports it
	}
	content := lit[1 : len(lit)-1]
	if name, ok := strings.CutPrefix(content, "{{"); ok && strings.HasSuffix(name, "}}") && !strings.Contains(name[:len(name)-2], "}}") {
		v, err := lookupVariable(name[:len(name)-2], vars)
		if err != nil {
			return "", err
		}
		if v == nil {
			v = json.RawMessage("null")
		}
		return string(v), nil
	}
	var b strings.Builder
	b.WriteByte('"')
	for {
		i := strings.Index(content, "{{")
		j := -1
		if i >= 0 {
			j = strings.Index(content[i+2:], "}}")
		}
		if i < 0 || j < 0 {
			b.WriteString(content)
			break
		}
		v, err := lookupVariable(content[i+2:i+2+j], vars)
		if err != nil {
			return "", err
		}
		b.WriteString(content[:i])
		quoted, _ := json.Marshal(valueText(v))
		b.Write(quoted[1 : len(quoted)-1])
		content = content[i+2+j+2:]
	}
	b.WriteByte('"')
	return b.String(), nil
}

// valueText is a value as text inside a string.
func valueText(v json.RawMessage) string {
	var s string
	if v == nil || string(v) == "null" {
		return ""
	}
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// lookupVariable returns the raw JSON at a variable's path, nil when the
// path leads nowhere; an unknown root variable is an error.
func lookupVariable(name string, vars map[string]json.RawMessage) (json.RawMessage, error) {
	parts := strings.Split(name, ".")
	if !isTemplateVariable(parts[0]) {
		return nil, &errTemplateVariable{name: name}
	}
	v := vars[parts[0]]
	for _, p := range parts[1:] {
		if v == nil {
			return nil, nil
		}
		v = member(v, p)
	}
	return v, nil
}

// member is the raw JSON of an object's member or an array's element.
func member(v json.RawMessage, key string) json.RawMessage {
	switch bytes.TrimSpace(v)[0] {
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(v, &m) != nil {
			return nil
		}
		return m[key]
	case '[':
		n, err := strconv.Atoi(key)
		var a []json.RawMessage
		if err != nil || json.Unmarshal(v, &a) != nil || n < 0 || n >= len(a) {
			return nil
		}
		return a[n]
	}
	return nil
}

// isFalsy reports whether JavaScript would take the value as false.
func isFalsy(v json.RawMessage) bool {
	s := string(bytes.TrimSpace(v))
	switch s {
	case "", "null", "false", `""`:
		return true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == 0 {
		return true
	}
	return false
}

// renderHeaders fills a headers template, which must be a JSON object;
// string members are header values, null members are left out and other
// values are sent as their JSON text.
func renderHeaders(tmpl string, vars map[string]json.RawMessage, interpolateStrings bool) ([][2]string, error) {
	b, err := renderTemplate(tmpl, vars, interpolateStrings)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("%w: the headers template must be a JSON object", errTemplateJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.Token() // {
	var out [][2]string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errTemplateJSON, err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: %v", errTemplateJSON, err)
		}
		if string(v) == "null" {
			continue
		}
		out = append(out, [2]string{k.(string), valueText(v)})
	}
	return out, nil
}
