package main

import (
	"errors"
	"fmt"
	"io"
)

// scanArray reads a JSON array of objects from r and counts its elements
// without ever holding more than one read buffer (plus, only for items the
// capture predicate selects, that one item) in memory. It is a small
// string-aware brace counter, much cheaper than a full JSON decoder, so the
// client steals as little CPU as possible from the server it measures.
//
// capture(n) is asked for every item n (0-based position in this response);
// when it returns true, onItem is called with that item's raw bytes.
func scanArray(r io.Reader, buf []byte, capture func(n int) bool, onItem func(n int, raw []byte) error) (count int, bytesRead int64, err error) {
	var (
		started   bool // saw the opening '['
		finished  bool // saw the closing ']'
		depth     int  // 1 = inside the top-level array
		inStr     bool
		esc       bool
		capturing bool
		item      []byte
	)
	for {
		n, rerr := r.Read(buf)
		bytesRead += int64(n)
		chunk := buf[:n]
		itemStart := -1 // start of the captured item within this chunk
		if capturing {
			itemStart = 0
		}
		for i := 0; i < len(chunk); i++ {
			c := chunk[i]
			if inStr {
				switch {
				case esc:
					esc = false
				case c == '\\':
					esc = true
				case c == '"':
					inStr = false
				}
				continue
			}
			switch c {
			case ' ', '\t', '\r', '\n':
			case '"':
				if depth < 2 {
					return count, bytesRead, fmt.Errorf("array element %d is not an object", count)
				}
				inStr = true
			case '[', '{':
				if !started {
					if c != '[' {
						return count, bytesRead, errors.New("response is not a JSON array")
					}
					started = true
					depth = 1
					continue
				}
				if finished {
					return count, bytesRead, errors.New("data after the closing ]")
				}
				if depth == 1 {
					if c != '{' {
						return count, bytesRead, fmt.Errorf("array element %d is not an object", count)
					}
					if capture != nil && capture(count) {
						capturing = true
						itemStart = i
						item = item[:0]
					}
				}
				depth++
			case ']', '}':
				if !started || finished {
					return count, bytesRead, errors.New("unbalanced JSON")
				}
				depth--
				if depth == 1 && c == '}' {
					if capturing {
						item = append(item, chunk[itemStart:i+1]...)
						if err := onItem(count, item); err != nil {
							return count, bytesRead, err
						}
						capturing = false
						itemStart = -1
					}
					count++
				} else if depth == 0 {
					if c != ']' {
						return count, bytesRead, errors.New("unbalanced JSON")
					}
					finished = true
				}
			default:
				if depth < 2 && c != ',' {
					return count, bytesRead, fmt.Errorf("unexpected %q at top level", c)
				}
			}
		}
		if capturing && itemStart >= 0 {
			item = append(item, chunk[itemStart:]...)
		}
		if rerr == io.EOF {
			if !finished {
				return count, bytesRead, fmt.Errorf("truncated response after %d items (%d bytes)", count, bytesRead)
			}
			return count, bytesRead, nil
		}
		if rerr != nil {
			return count, bytesRead, rerr
		}
	}
}
