package export

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"
)

// The scanner below walks valid, compact JSON (no insignificant whitespace):
// the form every stored dataset item has (jsonitem compacts and validates
// pushes) and every record the transforms produce. It is hand-written
// because the column pass and the row pass of the tabular formats visit
// every leaf of every item; a general tokenizer (jsontext.Decoder) costs
// several times more per leaf and allocates per token.

// valueEnd returns the index just past the JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	default: // number, true, false, null
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
			j++
		}
		return j
	}
}

// stringEnd returns the index just past the string that starts at b[i].
// It jumps from quote to quote (bytes.IndexByte is vectorised); a quote is
// escaped when an odd number of backslashes precede it.
func stringEnd(b []byte, i int) int {
	// Most keys and many values are short: a plain loop over the first
	// bytes beats the call and setup of the vectorised search.
	for j := i + 1; j < len(b) && j <= i+16; j++ {
		switch b[j] {
		case '"':
			return j + 1
		case '\\':
			goto long
		}
	}
long:
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b)
		}
		j += k
		n := 0
		for j-1-n > i && b[j-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

// members iterates the members of a compact JSON object.
type members struct {
	b []byte
	i int
}

func newMembers(obj []byte) members { return members{b: obj, i: 1} }

// next returns the next member's raw key (with quotes) and raw value.
func (m *members) next() (key, val []byte, ok bool) {
	if m.i >= len(m.b) || m.b[m.i] == '}' {
		return nil, nil, false
	}
	ke := stringEnd(m.b, m.i)
	key = m.b[m.i:ke]
	ve := valueEnd(m.b, ke+1)
	val = m.b[ke+1 : ve]
	m.i = ve
	if m.i < len(m.b) && m.b[m.i] == ',' {
		m.i++
	}
	return key, val, true
}

// elements iterates the elements of a compact JSON array.
type elements struct {
	b []byte
	i int
}

func newElements(arr []byte) elements { return elements{b: arr, i: 1} }

func (e *elements) next() (val []byte, ok bool) {
	if e.i >= len(e.b) || e.b[e.i] == ']' {
		return nil, false
	}
	ve := valueEnd(e.b, e.i)
	val = e.b[e.i:ve]
	e.i = ve
	if e.i < len(e.b) && e.b[e.i] == ',' {
		e.i++
	}
	return val, true
}

// isEmptyContainer reports whether v is {} or [].
func isEmptyContainer(v []byte) bool {
	return len(v) == 2 && (v[0] == '{' || v[0] == '[')
}

// appendUnquoted appends the text of the JSON string raw (with quotes).
func appendUnquoted(dst, raw []byte) []byte {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return append(dst, inner...)
	}
	out, err := jsontext.AppendUnquote(dst, raw)
	if err != nil { // cannot happen for validated input; keep the bytes
		return append(dst, inner...)
	}
	return out
}

// unquote returns the text of the JSON string raw, sharing raw's memory when
// it has no escapes.
func unquote(raw []byte) []byte {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner
	}
	return appendUnquoted(nil, raw)
}

// keyIs reports whether the raw JSON string key spells name.
func keyIs(key []byte, name string) bool {
	inner := key[1 : len(key)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner) == name
	}
	return string(appendUnquoted(nil, key)) == name
}

// quote returns s as a JSON string the way JSON.stringify writes it.
func quote(s string) []byte {
	b, err := jsontext.AppendQuote(nil, s)
	if err != nil { // invalid UTF-8 is replaced, never an error in practice
		b, _ = jsontext.AppendQuote(nil, []byte(string([]rune(s))))
	}
	return b
}
