package api

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"

	"github.com/actord/actord"
)

// MaxBodyBytes is Apify's limit on a request body after decompression.
const MaxBodyBytes = 9_437_184

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"type":"internal-server-error","message":"encode response"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeData writes Apify's success envelope {"data": v}.
func writeData(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, struct {
		Data any `json:"data"`
	}{v})
}

// writeCreated writes a 201 with the Location header of the new resource.
func (s *Server) writeCreated(w http.ResponseWriter, path string, v any) {
	w.Header().Set("Location", s.publicURL+path)
	writeData(w, http.StatusCreated, v)
}

// readBody returns the request body, decompressed per Content-Encoding and
// at most limit bytes long.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	var body io.Reader = r.Body
	for _, enc := range splitList(r.Header.Get("Content-Encoding")) {
		switch strings.ToLower(enc) {
		case "identity":
		case "gzip", "x-gzip":
			zr, err := gzip.NewReader(body)
			if err != nil {
				return nil, actord.Errorf(actord.ErrInvalidRequest, "The request body is not valid gzip: %v", err)
			}
			body = zr
		case "deflate":
			zr, err := zlib.NewReader(body)
			if err != nil {
				return nil, actord.Errorf(actord.ErrInvalidRequest, "The request body is not valid deflate: %v", err)
			}
			body = zr
		case "br":
			body = brotli.NewReader(body)
		default:
			return nil, actord.Errorf(actord.ErrUnsupportedContentEncoding, "Content-Encoding %q is not supported.", enc)
		}
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, tooLarge(limit, maxErr.Limit+1)
		}
		return nil, actord.Errorf(actord.ErrInvalidRequest, "Cannot read the request body: %v", err)
	}
	if int64(len(b)) > limit {
		// Count the rest (bounded) so the message can say how large it was.
		n, _ := io.Copy(io.Discard, io.LimitReader(body, 16*limit))
		return nil, tooLarge(limit, int64(len(b))+n)
	}
	return b, nil
}

func tooLarge(limit, actual int64) error {
	return actord.Errorf(actord.ErrRequestTooLarge, "The POST payload is too large (limit: %d bytes, actual length: %d bytes).", limit, actual)
}

// readJSONBody reads a JSON request body; an empty body (also with a form
// content type, as clients send for bodiless calls) reads as nil.
func readJSONBody(r *http.Request) ([]byte, error) {
	b, err := readBody(r, MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return nil, actord.Errorf(actord.ErrInvalidContentTypeHeader, "The Content-Type header %q is not valid.", ct)
		}
		if mt != "application/json" && !strings.HasSuffix(mt, "+json") && mt != "text/plain" {
			return nil, actord.Errorf(actord.ErrInvalidRequest, "The request body must be JSON (Content-Type: application/json), got %q.", mt)
		}
	}
	return b, nil
}

// decodeJSONObject reads a JSON object body into v (a struct whose fields
// are pointers, so absent members stay nil). nil v checks the shape only.
func decodeJSONObject(r *http.Request, v any) error {
	b, err := readJSONBody(r)
	if err != nil {
		return err
	}
	if b == nil {
		return nil
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return actord.Errorf(actord.ErrInvalidRequest, "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return actord.Errorf(actord.ErrInvalidValue, "Field %q has an invalid type: expected %s.", te.Field, te.Type)
		}
		return actord.Errorf(actord.ErrInvalidRequest, "The request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return actord.Errorf(actord.ErrInvalidRequest, "The request body is not valid JSON: unexpected data after the JSON object.")
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// pageOf is Apify's offset pagination envelope.
type pageOf[T any] struct {
	Total  int64 `json:"total"`
	Offset int64 `json:"offset"`
	Limit  int64 `json:"limit"`
	Count  int   `json:"count"`
	Desc   bool  `json:"desc"`
	Items  []T   `json:"items"`
}

func newPage[T any](total int64, p *pageParams, items []T) pageOf[T] {
	if items == nil {
		items = []T{}
	}
	return pageOf[T]{Total: total, Offset: p.Offset, Limit: p.Limit, Count: len(items), Desc: p.Desc, Items: items}
}

func rawJSON(b []byte) json.RawMessage { return json.RawMessage(b) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
