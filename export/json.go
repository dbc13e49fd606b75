// Package export turns a stream of raw dataset items into the bytes of an
// output format. It is independent of HTTP and of the storage driver.
package export

import (
	"bufio"
	"io"
)

// Next returns the next raw item (compact JSON) or io.EOF.
type Next func() ([]byte, error)

// WriteJSON writes items the way Apify's format=json does:
// "[" + items.map(i => JSON.stringify(i, null, 2)).join(",\n") + "]".
func WriteJSON(w io.Writer, next Next) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteByte('[')
	for i := 0; ; i++ {
		item, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString(",\n")
		}
		indent(bw, item)
	}
	bw.WriteByte(']')
	return bw.Flush()
}

// WriteJSONL writes one compact item per line, lines joined by "\n" with no
// trailing newline (as real Apify exports are).
func WriteJSONL(w io.Writer, next Next) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	for i := 0; ; i++ {
		item, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte('\n')
		}
		bw.Write(item)
	}
	return bw.Flush()
}

// indent writes compact, valid JSON v re-indented like
// JSON.stringify(v, null, 2): two spaces per level, ": " between a key and
// its value, empty objects and arrays as {} and []. Strings and numbers are
// copied byte for byte.
func indent(w *bufio.Writer, v []byte) {
	depth := 0
	newline := func() {
		w.WriteByte('\n')
		for i := 0; i < depth; i++ {
			w.WriteString("  ")
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '"':
			j := i + 1
			for ; j < len(v); j++ {
				if v[j] == '\\' {
					j++
				} else if v[j] == '"' {
					break
				}
			}
			w.Write(v[i : j+1])
			i = j
		case '{', '[':
			if i+1 < len(v) && (v[i+1] == '}' || v[i+1] == ']') {
				w.WriteByte(c)
				w.WriteByte(v[i+1])
				i++
				continue
			}
			w.WriteByte(c)
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			w.WriteByte(c)
		case ',':
			w.WriteByte(',')
			newline()
		case ':':
			w.WriteString(": ")
		default:
			w.WriteByte(c)
		}
	}
}
