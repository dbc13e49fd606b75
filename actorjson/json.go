package actorjson

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/actord/actord/jsonitem"
)

// decoderOptions accept duplicate member names, as JavaScript's JSON.parse
// does (the last one wins), but reject invalid UTF-8.
var decoderOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true)}

// member is one member of a JSON object: its unquoted name, its name exactly
// as written (quoted) and its value exactly as written.
type member struct {
	name   string
	quoted []byte
	value  jsontext.Value
	end    int64 // offset right after the value in the object's text
}

// object is a JSON object's members in document order.
type object []member

// get returns the value of the last member called name (JSON.parse keeps
// the last of duplicates), or nil.
func (o object) get(name string) jsontext.Value {
	for i := len(o) - 1; i >= 0; i-- {
		if o[i].name == name {
			return o[i].value
		}
	}
	return nil
}

// has reports whether o has a member called name.
func (o object) has(name string) bool { return o.get(name) != nil }

// errNotObject is wrapped by errors about a JSON value that should have
// been an object.
var errNotObject = errors.New("not a JSON object")

// parseObject reads raw, which must be exactly one JSON object (surrounding
// whitespace allowed), into its members. The member values alias raw.
func parseObject(raw []byte) (object, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(raw), decoderOptions...)
	if k := dec.PeekKind(); k != '{' {
		if _, err := dec.ReadValue(); err != nil {
			return nil, syntaxError(err)
		}
		if err := expectEOF(dec); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("value is %s: %w", jsonitem.KindName(k), errNotObject)
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, syntaxError(err)
	}
	var obj object
	for {
		switch dec.PeekKind() {
		case '}':
			if _, err := dec.ReadToken(); err != nil {
				return nil, syntaxError(err)
			}
			if err := expectEOF(dec); err != nil {
				return nil, err
			}
			return obj, nil
		case 0:
			_, err := dec.ReadToken()
			return nil, syntaxError(err)
		}
		start := dec.InputOffset()
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, syntaxError(err)
		}
		name := tok.String() // before the next call voids tok
		end := dec.InputOffset()
		quoted := raw[start:end]
		// InputOffset before the name is right after the previous token,
		// so whitespace and a comma may precede the quote.
		i := bytes.IndexByte(quoted, '"')
		quoted = quoted[i:]
		val, err := dec.ReadValue()
		if err != nil {
			return nil, syntaxError(err)
		}
		vend := dec.InputOffset()
		obj = append(obj, member{
			name:   name,
			quoted: quoted,
			value:  jsontext.Value(raw[vend-int64(len(val)) : vend]),
			end:    vend,
		})
	}
}

// expectEOF checks that nothing but whitespace follows the top-level value.
func expectEOF(dec *jsontext.Decoder) error {
	if _, err := dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected data after the top-level value")
		}
		return syntaxError(err)
	}
	return nil
}

// stringValue returns the string that v, a JSON string, holds.
func stringValue(v jsontext.Value) (string, bool) {
	if v.Kind() != '"' {
		return "", false
	}
	s, err := jsontext.AppendUnquote(nil, v)
	if err != nil {
		return "", false
	}
	return string(s), true
}

// compactValue returns v without insignificant whitespace, as a new slice.
func compactValue(v jsontext.Value) ([]byte, error) {
	out := v.Clone()
	if err := out.Compact(decoderOptions...); err != nil {
		return nil, syntaxError(err)
	}
	return out, nil
}

// valueOrder walks the JSON document raw and returns, for the JSON Pointer
// (RFC 6901) of every value in it, a number that grows with the value's
// position in the text. Errors are sorted by it so that they follow the
// document instead of Go's map order. raw must be valid JSON.
func valueOrder(raw []byte) map[string]int64 {
	order := make(map[string]int64)
	dec := jsontext.NewDecoder(bytes.NewReader(raw), decoderOptions...)
	var walk func(ptr string) error
	walk = func(ptr string) error {
		order[ptr] = dec.InputOffset()
		switch dec.PeekKind() {
		case '{':
			if _, err := dec.ReadToken(); err != nil {
				return err
			}
			for dec.PeekKind() != '}' {
				tok, err := dec.ReadToken()
				if err != nil {
					return err
				}
				if err := walk(ptr + "/" + escapePointerToken(tok.String())); err != nil {
					return err
				}
			}
			_, err := dec.ReadToken()
			return err
		case '[':
			if _, err := dec.ReadToken(); err != nil {
				return err
			}
			for i := 0; dec.PeekKind() != ']'; i++ {
				if err := walk(fmt.Sprintf("%s/%d", ptr, i)); err != nil {
					return err
				}
			}
			_, err := dec.ReadToken()
			return err
		case 0:
			_, err := dec.ReadToken()
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return err
		default:
			return dec.SkipValue()
		}
	}
	_ = walk("") // on invalid input the order is partial, which only affects sorting
	return order
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// escapePointerToken escapes one JSON Pointer reference token.
func escapePointerToken(tok string) string { return pointerEscaper.Replace(tok) }

// pointer joins reference tokens into a JSON Pointer.
func pointer(tokens []string) string {
	var sb strings.Builder
	for _, tok := range tokens {
		sb.WriteByte('/')
		sb.WriteString(escapePointerToken(tok))
	}
	return sb.String()
}

// syntaxError reports malformed JSON.
func syntaxError(err error) error {
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("invalid JSON: %w", err)
}
