package export

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// Tabular formats are limited as Apify's are: at most MaxColumns columns,
// and a column whose name is longer than MaxColumnNameLength characters is
// left out. Data beyond these limits is not exported (no error).
const (
	MaxColumns          = 2000
	MaxColumnNameLength = 200
)

// walkLeaves calls fn with the path and raw value of every leaf of the
// compact JSON object rec. Nested keys are joined with "/" and array
// elements named by 0-based index (Apify's CSV column names:
// "location/lat", "categories/0"). top is the length of the path's
// top-level key. Empty objects and arrays are not leaves: they give no
// column. null is a leaf. The path buffer is reused between calls.
//
// It walks the bytes once, recursing as it scans (the tabular formats call
// it twice per item, so it is their hot loop).
func walkLeaves(rec []byte, path []byte, fn func(path []byte, top int, val []byte)) []byte {
	w := leafWalker{b: rec, path: path[:0], fn: fn}
	if len(rec) > 2 {
		w.object(0, 0, true)
	}
	return w.path
}

type leafWalker struct {
	b    []byte
	path []byte
	fn   func(path []byte, top int, val []byte)
}

// object walks the non-empty object at b[i] and returns the index past it.
func (w *leafWalker) object(i, top int, isTop bool) int {
	b := w.b
	n := len(w.path)
	for i++; ; {
		ke := stringEnd(b, i)
		if isTop {
			w.path = appendUnquoted(w.path[:0], b[i:ke])
			top = len(w.path)
		} else {
			w.path = appendUnquoted(append(w.path[:n], '/'), b[i:ke])
		}
		i = w.value(ke+1, top)
		w.path = w.path[:n]
		if b[i] != ',' {
			return i + 1
		}
		i++
	}
}

// value walks the value at b[i] and returns the index past it.
func (w *leafWalker) value(i, top int) int {
	b := w.b
	switch b[i] {
	case '{':
		if b[i+1] == '}' {
			return i + 2
		}
		return w.object(i, top, false)
	case '[':
		if b[i+1] == ']' {
			return i + 2
		}
		n := len(w.path)
		i++
		for idx := 0; ; idx++ {
			w.path = strconv.AppendInt(append(w.path[:n], '/'), int64(idx), 10)
			i = w.value(i, top)
			if b[i] != ',' {
				w.path = w.path[:n]
				return i + 1
			}
			i++
		}
	case '"':
		e := stringEnd(b, i)
		w.fn(w.path, top, b[i:e])
		return e
	default:
		e := i
		for e < len(b) && b[e] != ',' && b[e] != '}' && b[e] != ']' {
			e++
		}
		w.fn(w.path, top, b[i:e])
		return e
	}
}

// leafCache remembers the path of the n-th leaf of the previous record
// and what it mapped to. Items of one dataset mostly share their shape, so
// comparing a path with the previous record's n-th path (a memcmp) usually
// saves hashing it for a map lookup.
type leafCache struct {
	paths []string
	vals  []int
	n     int
}

func (c *leafCache) restart() { c.n = 0 }

// hit reports whether the current leaf's path equals the cached one; the
// next call to val (or set) refers to it.
func (c *leafCache) hit(p []byte) bool {
	if c.n < len(c.paths) && c.paths[c.n] == string(p) {
		c.n++
		return true
	}
	return false
}

// val returns the value cached for the leaf hit just matched.
func (c *leafCache) val() int { return c.vals[c.n-1] }

// set caches v for the current leaf's path p.
func (c *leafCache) set(p []byte, v int) {
	if c.n < len(c.paths) {
		c.paths[c.n], c.vals[c.n] = string(p), v
	} else {
		c.paths, c.vals = append(c.paths, string(p)), append(c.vals, v)
	}
	c.n++
}

// column is one column of a table: its name and the length of the
// top-level key at its start.
type column struct {
	name string
	top  int
}

// columnSet collects the columns of a table over a first pass of the
// records. Its memory is bounded whatever the data: once it holds many more
// names than can be exported it keeps only the first MaxColumns in order.
type columnSet struct {
	seen  map[string]int // name -> top-level key length
	order columnOrder
	known leafCache
	// addLeafFn is s.addLeaf.
	addLeafFn func(path []byte, top int, val []byte)
}

func newColumnSet(fields []string) *columnSet {
	s := &columnSet{seen: make(map[string]int)}
	s.addLeafFn = s.addLeaf
	if len(fields) > 0 {
		s.order.rank = make(map[string]int, len(fields))
		for i, f := range fields {
			if _, dup := s.order.rank[f]; !dup {
				s.order.rank[f] = i
			}
		}
	}
	return s
}

// add adds the leaf columns of the record rec.
func (s *columnSet) add(rec []byte, path []byte) []byte {
	s.known.restart()
	return walkLeaves(rec, path, s.addLeafFn)
}

// addLeaf adds the column of one leaf. newColumnSet binds it once as
// addLeafFn, so the walk of each item does not allocate a method value.
func (s *columnSet) addLeaf(p []byte, top int, _ []byte) {
	if s.known.hit(p) {
		return
	}
	s.known.set(p, 0)
	if _, ok := s.seen[string(p)]; ok {
		return
	}
	if utf8.RuneCount(p) > MaxColumnNameLength {
		return
	}
	s.seen[string(p)] = top
	if len(s.seen) > 8*MaxColumns {
		s.prune()
	}
}

func (s *columnSet) prune() {
	cols := s.sorted()
	clear(s.seen)
	for _, c := range cols[:min(len(cols), MaxColumns)] {
		s.seen[c.name] = c.top
	}
}

func (s *columnSet) sorted() []column {
	cols := make([]column, 0, len(s.seen))
	for name, top := range s.seen {
		cols = append(cols, column{name, top})
	}
	slices.SortFunc(cols, s.order.compare)
	return cols
}

// columns returns the final header. With a field list, a listed field that
// no record has (or has only as an empty object or array) still gets a
// column of its own, so a field list fixes the header whatever the data —
// except a field that is unwound, whose values become other columns.
func (s *columnSet) columns(fields, unwound []string) []string {
	if len(fields) > 0 {
		tops := make(map[string]bool, len(s.seen))
		for name, top := range s.seen {
			tops[name[:top]] = true
		}
		for _, f := range fields {
			if !tops[f] && !contains(unwound, f) && utf8.RuneCountInString(f) <= MaxColumnNameLength {
				s.seen[f] = len(f)
				tops[f] = true
			}
		}
	}
	cols := s.sorted()
	names := make([]string, 0, min(len(cols), MaxColumns))
	for _, c := range cols[:min(len(cols), MaxColumns)] {
		names = append(names, c.name)
	}
	return names
}

// columnOrder is THE column order of tabular exports, verified against
// real Apify CSV and XLSX headers of 772 and 356 columns:
//   - Without a field list, names are split on "/" and compared segment by
//     segment; two segments that are both decimal integers compare as
//     numbers (so "a/9" < "a/10"), others by code unit (case-sensitive);
//     a name that is a prefix of another comes first.
//   - With a field list (fields, outputFields or a view), the top-level key
//     orders columns by its position in the list, and the sub-paths of one
//     field are sorted by the rule above. Top-level keys not in the list
//     (brought in by unwind) follow, sorted by the rule above.
type columnOrder struct {
	rank map[string]int // top-level key -> position in the field list
}

func (o *columnOrder) compare(a, b column) int {
	if o.rank != nil {
		ra, oka := o.rank[a.name[:a.top]]
		rb, okb := o.rank[b.name[:b.top]]
		switch {
		case oka && okb && ra != rb:
			return ra - rb
		case oka && !okb:
			return -1
		case !oka && okb:
			return 1
		case oka && okb: // same field: order its sub-paths
			return comparePaths(a.name[a.top:], b.name[b.top:])
		}
	}
	return comparePaths(a.name, b.name)
}

// comparePaths compares "/"-separated paths segment by segment,
// numerically where both segments are decimal integers.
func comparePaths(a, b string) int {
	for {
		sa, ra, moreA := cutSegment(a)
		sb, rb, moreB := cutSegment(b)
		if c := compareSegments(sa, sb); c != 0 {
			return c
		}
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			return -1
		case !moreB:
			return 1
		}
		a, b = ra, rb
	}
}

func cutSegment(s string) (seg, rest string, more bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func compareSegments(a, b string) int {
	if isDecimal(a) && isDecimal(b) {
		// Compare by value without overflow: strip leading zeros, then
		// the longer number is larger, then the digits decide.
		ta, tb := trimZeros(a), trimZeros(b)
		if len(ta) != len(tb) {
			return len(ta) - len(tb)
		}
		if ta != tb {
			if ta < tb {
				return -1
			}
			return 1
		}
	}
	return compareUTF16(a, b)
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// compareUTF16 compares strings by UTF-16 code units, as JavaScript sorts
// strings. It equals byte order except between characters above U+FFFF and
// those in U+E000–U+FFFF.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return utf16Unit(ra) - utf16Unit(rb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

// utf16Unit returns the first UTF-16 code unit of r.
func utf16Unit(r rune) int {
	if r >= 0x10000 {
		return 0xD800 + int((r-0x10000)>>10)
	}
	return int(r)
}
