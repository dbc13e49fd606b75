package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/actord/actord"
)

// query reads Apify query parameters, remembering the first error so a
// handler can read all it needs and check once.
type query struct {
	v   url.Values
	err error
}

func newQuery(r *http.Request) *query { return &query{v: r.URL.Query()} }

func (q *query) fail(name, msg string) {
	if q.err == nil {
		q.err = actord.Errorf(actord.ErrInvalidParameter, "Parameter %q %s.", name, msg)
	}
}

// has reports whether the parameter was given.
func (q *query) has(name string) bool { return q.v.Has(name) }

func (q *query) str(name string) string { return q.v.Get(name) }

// bool parses Apify booleans: 1, 0, true, false (absent or empty: def).
func (q *query) bool(name string, def bool) bool {
	s := q.v.Get(name)
	if s == "" {
		return def
	}
	if v, ok := actord.ParseBool(s); ok {
		return v
	}
	q.fail(name, "must be a boolean (1, 0, true or false)")
	return def
}

// int parses a non-negative integer in [0, max] (absent: def).
func (q *query) int(name string, def, max int64) int64 {
	s := q.v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		q.fail(name, "must be a non-negative integer")
		return def
	}
	if n > max {
		q.fail(name, "must be at most "+strconv.FormatInt(max, 10))
		return def
	}
	return n
}

// pageParams are offset/limit/desc of a collection list.
type pageParams struct {
	Offset int64
	Limit  int64
	Desc   bool
}

// page reads offset/limit/desc; limit defaults to and is clamped at max.
func (q *query) page(max int64) *pageParams {
	p := &pageParams{
		Offset: q.int("offset", 0, 1<<53),
		Limit:  q.int("limit", max, 1<<53),
		Desc:   q.bool("desc", false),
	}
	if p.Limit == 0 || p.Limit > max {
		p.Limit = max
	}
	return p
}
