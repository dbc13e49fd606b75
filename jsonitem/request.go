package jsonitem

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// Request is a request-queue request object read member by member.
type Request struct {
	ID         string // "" when the object has no id
	UniqueKey  string
	URL        string
	Method     string // "GET" when absent
	RetryCount int64
	HandledAt  string // "" when absent or null
	members    []member
}

type member struct {
	name  []byte // raw, quoted
	key   string // unquoted
	value []byte // raw, compact
}

// ParseRequest reads a request object. uniqueKey and url must be strings;
// id, method and handledAt strings or null; retryCount an integer or null.
func ParseRequest(raw []byte) (*Request, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(raw), decoderOptions...)
	if k := dec.PeekKind(); k != '{' {
		if k == 0 {
			_, err := dec.ReadToken()
			return nil, syntaxError(err)
		}
		return nil, fmt.Errorf("request is %s: %w", KindName(k), ErrNotObject)
	}
	v, err := dec.ReadValue()
	if err != nil {
		return nil, syntaxError(err)
	}
	v = bytes.Clone(v) // the decoder reuses its buffer
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, syntaxError(fmt.Errorf("unexpected data after the request object"))
	}
	return parseRequestValue(v)
}

// parseRequestValue is ParseRequest for an already validated JSON object.
func parseRequestValue(v []byte) (*Request, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(v), decoderOptions...)
	if _, err := dec.ReadToken(); err != nil { // '{'
		return nil, syntaxError(err)
	}
	r := &Request{Method: "GET"}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue()
		if err != nil {
			return nil, syntaxError(err)
		}
		name = bytes.Clone(name) // the next read reuses the decoder's buffer
		key, err := jsontext.AppendUnquote(nil, name)
		if err != nil {
			return nil, syntaxError(err)
		}
		value, err := dec.ReadValue()
		if err != nil {
			return nil, syntaxError(err)
		}
		m := member{name: name, key: string(key)}
		if m.value, err = compact(value); err != nil {
			return nil, err
		}
		if err := r.take(m.key, value); err != nil {
			return nil, err
		}
		if value.Kind() == 'n' || m.key == "id" {
			continue // nulls are dropped (Crawlee rejects them); id goes first
		}
		r.members = append(r.members, m)
	}
	if r.UniqueKey == "" {
		return nil, fmt.Errorf("request.uniqueKey is required: %w", errField)
	}
	if r.URL == "" {
		return nil, fmt.Errorf("request.url is required: %w", errField)
	}
	return r, nil
}

var errField = fmt.Errorf("invalid request field")

// take records the members the server needs.
func (r *Request) take(key string, v jsontext.Value) error {
	str := func() (string, error) {
		if v.Kind() == 'n' {
			return "", nil
		}
		if v.Kind() != '"' {
			return "", fmt.Errorf("request.%s must be a string: %w", key, errField)
		}
		s, err := jsontext.AppendUnquote(nil, v)
		return string(s), err
	}
	var err error
	switch key {
	case "id":
		r.ID, err = str()
	case "uniqueKey":
		r.UniqueKey, err = str()
	case "url":
		r.URL, err = str()
	case "method":
		var m string
		if m, err = str(); m != "" {
			r.Method = m
		}
	case "handledAt":
		r.HandledAt, err = str()
	case "retryCount":
		if v.Kind() == 'n' {
			return nil
		}
		if v.Kind() != '0' {
			return fmt.Errorf("request.retryCount must be a number: %w", errField)
		}
		r.RetryCount, err = strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return fmt.Errorf("request.retryCount must be an integer: %w", errField)
		}
	}
	return err
}

// JSON renders the request as stored and returned: "id" first, then the
// members in their original order without nulls, then method and
// retryCount when the object had none.
func (r *Request) JSON(id string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"id":`)
	q, _ := jsontext.AppendQuote(nil, id)
	b.Write(q)
	has := map[string]bool{}
	for _, m := range r.members {
		b.WriteByte(',')
		b.Write(m.name)
		b.WriteByte(':')
		b.Write(m.value)
		has[m.key] = true
	}
	if !has["method"] {
		b.WriteString(`,"method":"GET"`)
	}
	if !has["retryCount"] {
		b.WriteString(`,"retryCount":0`)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// IsFieldError reports whether err is about a request member of the wrong type.
func IsFieldError(err error) bool { return err != nil && errorsIs(err, errField) }
