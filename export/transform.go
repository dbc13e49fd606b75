package export

import (
	"bytes"
	"strconv"
)

// member is one member of a JSON object: raw key (quoted) and raw value.
type member struct{ key, val []byte }

// transformer turns one raw stored item into zero or more output records,
// applying the item parameters in this order (export-semantics §3.2):
// skipFailedPages, skipHidden, skipEmpty, flatten, fields (+ outputFields)
// and omit, unwind. Records are compact JSON; keys keep the item's order
// unless fields reorders them.
type transformer struct {
	passthrough bool
	skipFailed  bool
	skipHidden  bool
	skipEmpty   bool
	flatten     []string
	fields      []string
	outKeys     [][]byte // quoted output key per field, nil: keep the item's key
	omit        []string
	unwind      []string

	rec    []member
	picked []member
	levels [][]member // scratch per unwind level
	out    []byte
}

func newTransformer(o *Options) *transformer {
	t := &transformer{
		skipFailed: o.SkipFailedPages,
		skipHidden: o.SkipHidden,
		skipEmpty:  o.SkipEmpty,
		flatten:    o.Flatten,
		fields:     o.Fields,
		omit:       o.Omit,
		unwind:     o.Unwind,
	}
	if len(o.OutputFields) > 0 {
		t.outKeys = make([][]byte, len(o.Fields))
		for i, f := range o.OutputFields {
			t.outKeys[i] = quote(f)
		}
	}
	t.levels = make([][]member, len(t.unwind))
	t.passthrough = !t.skipFailed && !t.skipHidden && !t.skipEmpty && len(t.flatten) == 0 &&
		len(t.fields) == 0 && len(t.omit) == 0 && len(t.unwind) == 0
	return t
}

// apply calls emit with each record item yields. The record passed to emit
// is valid only until emit returns.
func (t *transformer) apply(item []byte, emit func([]byte) error) error {
	if t.passthrough {
		return emit(item)
	}
	rec := t.rec[:0]
	for m := newMembers(item); ; {
		k, v, ok := m.next()
		if !ok {
			break
		}
		rec = append(rec, member{k, v})
	}
	t.rec = rec
	if t.skipFailed && failedPage(rec) {
		return nil
	}
	if t.skipHidden {
		rec = dropHidden(rec)
	}
	if t.skipEmpty && len(rec) == 0 {
		return nil
	}
	if len(t.flatten) > 0 {
		rec = dedupe(t.flattenMembers(rec))
	}
	if len(t.fields) > 0 || len(t.omit) > 0 {
		rec = t.pick(rec)
		if len(t.fields) > 1 {
			rec = dedupe(rec)
		}
	}
	return t.unwindAt(0, rec, emit)
}

// failedPage decides skipFailedPages: an item failed when its errorInfo is
// truthy in JavaScript's sense (not null, false, 0 or ""), so the
// `errorInfo: null` that successful legacy-crawler pages carry is kept.
func failedPage(rec []member) bool {
	for _, m := range rec {
		if keyIs(m.key, "errorInfo") {
			return truthy(m.val)
		}
	}
	return false
}

func truthy(v []byte) bool {
	switch v[0] {
	case 'n', 'f':
		return false
	case 't', '{', '[':
		return true
	case '"':
		return len(v) > 2
	}
	f, err := strconv.ParseFloat(string(v), 64)
	return err != nil || f != 0
}

// dropHidden removes the top-level members whose name starts with '#'.
// Nested '#' keys are data and stay.
func dropHidden(rec []member) []member {
	out := rec[:0]
	for _, m := range rec {
		if !hiddenKey(m.key) {
			out = append(out, m)
		}
	}
	return out
}

func hiddenKey(key []byte) bool {
	if len(key) > 2 && key[1] == '#' {
		return true
	}
	if len(key) > 2 && key[1] == '\\' {
		u := unquote(key)
		return len(u) > 0 && u[0] == '#'
	}
	return false
}

// flattenMembers replaces each member named in flatten whose value is a
// non-empty object or array by its leaves, named by joining the path with
// "." (array elements by 0-based index), in place of the member. Empty
// objects and arrays stay as leaf values and other values are left alone.
// This is what npm's `flat` does, which Apify's flatten parameter documents
// by example ({"foo":{"bar":"hello"}} -> {"foo.bar":"hello"}).
func (t *transformer) flattenMembers(rec []member) []member {
	var out []member
	for i, m := range rec {
		if !isNonEmptyContainer(m.val) || !t.listed(t.flatten, m.key) {
			if out != nil {
				out = append(out, m)
			}
			continue
		}
		if out == nil {
			out = append(make([]member, 0, len(rec)+8), rec[:i]...)
		}
		out = flattenLeaves(out, unquote(m.key), m.val)
	}
	if out == nil {
		return rec
	}
	return out
}

func isNonEmptyContainer(v []byte) bool {
	return (v[0] == '{' || v[0] == '[') && len(v) > 2
}

func flattenLeaves(out []member, prefix, v []byte) []member {
	if !isNonEmptyContainer(v) {
		return append(out, member{quote(string(prefix)), v})
	}
	name := append(append([]byte(nil), prefix...), '.')
	n := len(name)
	if v[0] == '{' {
		for m := newMembers(v); ; {
			k, val, ok := m.next()
			if !ok {
				break
			}
			out = flattenLeaves(out, appendUnquoted(name[:n], k), val)
		}
		return out
	}
	i := 0
	for e := newElements(v); ; i++ {
		val, ok := e.next()
		if !ok {
			break
		}
		out = flattenLeaves(out, strconv.AppendInt(name[:n], int64(i), 10), val)
	}
	return out
}

func (t *transformer) listed(names []string, key []byte) bool {
	for _, n := range names {
		if keyIs(key, n) {
			return true
		}
	}
	return false
}

// pick applies fields (in the fields' order, renamed by outputFields) and
// omit, which wins over fields. A listed field the item lacks stays absent;
// it is not written as null.
func (t *transformer) pick(rec []member) []member {
	out := t.picked[:0]
	if len(t.fields) == 0 {
		for _, m := range rec {
			if !t.listed(t.omit, m.key) {
				out = append(out, m)
			}
		}
	} else {
		for i, f := range t.fields {
			if contains(t.omit, f) {
				continue
			}
			for _, m := range rec {
				if keyIs(m.key, f) {
					if t.outKeys != nil {
						m.key = t.outKeys[i]
					}
					out = append(out, m)
					break
				}
			}
		}
	}
	t.picked = out
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unwindAt applies the unwind fields from level on and emits the records.
func (t *transformer) unwindAt(level int, rec []member, emit func([]byte) error) error {
	if level == len(t.unwind) {
		return emit(t.encode(rec))
	}
	idx := -1
	for i, m := range rec {
		if keyIs(m.key, t.unwind[level]) {
			idx = i
		}
	}
	if idx < 0 || (rec[idx].val[0] != '{' && rec[idx].val[0] != '[') {
		return t.unwindAt(level+1, rec, emit)
	}
	v := rec[idx].val
	if v[0] == '{' {
		return t.unwindAt(level+1, t.unwindOne(level, rec, idx, v), emit)
	}
	for e := newElements(v); ; {
		el, ok := e.next()
		if !ok {
			return nil
		}
		if err := t.unwindAt(level+1, t.unwindOne(level, rec, idx, el), emit); err != nil {
			return err
		}
	}
}

// unwindOne builds the record for one unwound value el of rec[idx]. An
// object is merged into the parent without the field the way JavaScript's
// {...parent, ...el} does: a key the parent has keeps its position and takes
// el's value, new keys follow. Any other value (string, number, array,
// null) replaces the field's value in place, so scalars are not lost.
func (t *transformer) unwindOne(level int, rec []member, idx int, el []byte) []member {
	out := t.levels[level][:0]
	if el[0] != '{' {
		out = append(out, rec...)
		out[idx].val = el
		t.levels[level] = out
		return out
	}
	out = append(out, rec[:idx]...)
	out = append(out, rec[idx+1:]...)
	n := len(out)
	for m := newMembers(el); ; {
		k, v, ok := m.next()
		if !ok {
			break
		}
		replaced := false
		for i := 0; i < n; i++ {
			if keysEqual(out[i].key, k) {
				out[i].val = v
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, member{k, v})
			n++
		}
	}
	t.levels[level] = out
	return out
}

// dedupe merges members of the same name the way assigning them to a
// JavaScript object does: the first keeps its position and takes the last
// value. Transforms can name a key twice (fields=a,a; outputFields=x,x;
// flatten=a next to a literal "a.b" key); a record never has a name twice,
// as Apify's records (JavaScript objects) never do.
func dedupe(rec []member) []member {
	if len(rec) > 32 {
		return dedupeLarge(rec)
	}
	for i := 1; i < len(rec); i++ {
		for j := 0; j < i; j++ {
			if keysEqual(rec[j].key, rec[i].key) {
				rec[j].val = rec[i].val
				rec = append(rec[:i], rec[i+1:]...)
				i--
				break
			}
		}
	}
	return rec
}

// dedupeLarge is dedupe with a map, for records with many members.
func dedupeLarge(rec []member) []member {
	first := make(map[string]int, len(rec))
	out := rec[:0]
	for _, m := range rec {
		name := string(unquote(m.key))
		if i, ok := first[name]; ok {
			out[i].val = m.val
			continue
		}
		first[name] = len(out)
		out = append(out, m)
	}
	return out
}

func keysEqual(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if bytes.IndexByte(a, '\\') < 0 && bytes.IndexByte(b, '\\') < 0 {
		return false
	}
	return bytes.Equal(unquote(a), unquote(b))
}

// encode writes rec as a compact JSON object into t.out.
func (t *transformer) encode(rec []member) []byte {
	b := append(t.out[:0], '{')
	for i, m := range rec {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, m.key...)
		b = append(b, ':')
		b = append(b, m.val...)
	}
	b = append(b, '}')
	t.out = b
	return b
}
