// Package export turns a stream of raw dataset items into the bytes of an
// output format. It is independent of HTTP and of the storage driver.
package export

import (
	"bufio"
	"bytes"
	"io"
)

// Next returns the next raw item (compact JSON) or io.EOF.
type Next func() ([]byte, error)

// WriteJSON writes items the way Apify's format=json does:
// "[" + items.map(i => JSON.stringify(i, null, 2)).join(",\n") + "]".
func WriteJSON(w io.Writer, next Next) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteByte('[')
	var buf []byte
	for i := 0; ; i++ {
		item, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, ",\n"...)
		}
		buf = appendIndent(buf, item)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
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
		if _, err := bw.Write(item); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendIndent appends compact, valid JSON v re-indented like
// JSON.stringify(v, null, 2): two spaces per level, ": " between a key and
// its value, empty objects and arrays as {} and []. Strings and numbers are
// copied byte for byte. It is hand-written because it runs once per
// exported item: strings are skipped with bytes.IndexByte and copied whole.
func appendIndent(dst, v []byte) []byte {
	depth := 0
	newline := func(dst []byte) []byte {
		dst = append(dst, '\n')
		for i := 0; i < depth; i++ {
			dst = append(dst, ' ', ' ')
		}
		return dst
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '"':
			j := i + 1
			for {
				k := bytes.IndexByte(v[j:], '"')
				if k < 0 {
					j = len(v) - 1
					break
				}
				j += k
				// The quote is escaped when an odd number of backslashes
				// precede it.
				n := 0
				for n < j-i-1 && v[j-1-n] == '\\' {
					n++
				}
				if n%2 == 0 {
					break
				}
				j++
			}
			dst = append(dst, v[i:j+1]...)
			i = j
		case '{', '[':
			if i+1 < len(v) && (v[i+1] == '}' || v[i+1] == ']') {
				dst = append(dst, c, v[i+1])
				i++
				continue
			}
			dst = append(dst, c)
			depth++
			dst = newline(dst)
		case '}', ']':
			depth--
			dst = newline(dst)
			dst = append(dst, c)
		case ',':
			dst = append(dst, ',')
			dst = newline(dst)
		case ':':
			dst = append(dst, ':', ' ')
		default:
			j := i + 1
			for j < len(v) && v[j] != ',' && v[j] != '}' && v[j] != ']' {
				j++
			}
			dst = append(dst, v[i:j]...)
			i = j - 1
		}
	}
	return dst
}
