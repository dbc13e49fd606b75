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
func walkLeaves(rec []byte, path []byte, fn func(path []byte, top int, val []byte)) []byte {
	for m := newMembers(rec); ; {
		k, v, ok := m.next()
		if !ok {
			return path
		}
		path = appendUnquoted(path[:0], k)
		path = walkValue(path, len(path), v, fn)
	}
}

func walkValue(path []byte, top int, v []byte, fn func([]byte, int, []byte)) []byte {
	switch v[0] {
	case '{':
		n := len(path)
		for m := newMembers(v); ; {
			k, val, ok := m.next()
			if !ok {
				return path[:n]
			}
			path = appendUnquoted(append(path[:n], '/'), k)
			path = walkValue(path, top, val, fn)
		}
	case '[':
		n := len(path)
		i := 0
		for e := newElements(v); ; i++ {
			val, ok := e.next()
			if !ok {
				return path[:n]
			}
			path = strconv.AppendInt(append(path[:n], '/'), int64(i), 10)
			path = walkValue(path, top, val, fn)
		}
	default:
		fn(path, top, v)
		return path
	}
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
}

func newColumnSet(fields []string) *columnSet {
	s := &columnSet{seen: make(map[string]int)}
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
	return walkLeaves(rec, path, func(p []byte, top int, _ []byte) {
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
	})
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
