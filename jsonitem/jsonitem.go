// Package jsonitem reads and reshapes JSON documents without ever decoding
// them into Go maps, so member order, number spelling and string escapes
// survive byte for byte. It splits dataset push bodies into items and
// normalises request-queue request objects.
//
// It is built on the jsontext tokenizer (the code that becomes
// encoding/json/jsontext) because encoding/json cannot keep key order and is
// several times slower at this.
package jsonitem

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// ErrNotObject is wrapped by errors about a JSON value that should have been
// an object.
var ErrNotObject = errors.New("not a JSON object")

// decoderOptions accept duplicate member names (JavaScript's JSON.parse does)
// but reject invalid UTF-8.
var decoderOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true)}

// SplitItems reads a dataset push body — one JSON object or an array of
// objects — and returns each item as compact JSON (whitespace removed,
// nothing else changed). A compact item never contains a raw newline.
func SplitItems(body []byte) ([][]byte, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(body), decoderOptions...)
	var items [][]byte
	switch dec.PeekKind() {
	case '{':
		v, err := dec.ReadValue()
		if err != nil {
			return nil, syntaxError(err)
		}
		item, err := compact(v)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return nil, syntaxError(err)
		}
		for i := 0; dec.PeekKind() != ']'; i++ {
			if k := dec.PeekKind(); k != '{' {
				if k == 0 {
					_, err := dec.ReadToken()
					return nil, syntaxError(err)
				}
				return nil, fmt.Errorf("item at index %d is %s: %w", i, KindName(k), ErrNotObject)
			}
			v, err := dec.ReadValue()
			if err != nil {
				return nil, syntaxError(err)
			}
			item, err := compact(v)
			if err != nil {
				return nil, err
			}
			items = append(items, item)
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, syntaxError(err)
		}
	case 0:
		_, err := dec.ReadToken()
		return nil, syntaxError(err)
	default:
		return nil, fmt.Errorf("body is %s: %w", KindName(dec.PeekKind()), ErrNotObject)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, syntaxError(fmt.Errorf("unexpected data after the top-level value"))
	}
	return items, nil
}

// compact returns v without insignificant whitespace, copying it out of the
// decoder's buffer.
func compact(v jsontext.Value) ([]byte, error) {
	out := bytes.Clone(v)
	if isCompact(out) {
		return out, nil
	}
	if err := (*jsontext.Value)(&out).Compact(); err != nil {
		return nil, syntaxError(err)
	}
	return out, nil
}

// isCompact reports whether valid JSON v has no whitespace outside strings
// (the common case: JSON.stringify output), so it need not be rewritten.
func isCompact(v []byte) bool {
	inString := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case ' ', '\t', '\n', '\r':
			return false
		}
	}
	return true
}

// SyntaxError reports malformed JSON.
type SyntaxError struct{ Err error }

func (e *SyntaxError) Error() string { return "invalid JSON: " + e.Err.Error() }
func (e *SyntaxError) Unwrap() error { return e.Err }

func syntaxError(err error) error {
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &SyntaxError{Err: err}
}

// KindName names a JSON value kind for error messages ("an object").
func KindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '[':
		return "an array"
	case '{':
		return "an object"
	}
	return "not valid JSON"
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
