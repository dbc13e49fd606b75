package main

import (
	"bytes"
	"io"
	"time"
)

// counter is the client's sink for one export body: it reads the body
// through one buffer, counts bytes and, where that is cheap, items, and
// keeps nothing else.
//
//   - json: format=json prints items like JSON.stringify(item, null, 2), so
//     each (non-empty) item ends with a "}" at the start of a line; no other
//     line of it starts with "}" (nested lines are indented, and strings
//     cannot hold a raw newline). items = count of "\n}".
//   - jsonl: items = newlines + 1 (no trailing newline).
//   - csv: rows = newlines, minus the header, plus 1 if the last line has no
//     newline. Right for our items, which have no newlines in values.
//   - other formats: bytes only.
type counter struct {
	format    string
	bytes     int64
	newlines  int64 // "\n" (jsonl, csv) or "\n}" (json)
	first     byte
	last      byte
	firstByte time.Duration // time to first byte, from start
}

// consume reads r to the end into buf. start is when the request was sent.
func (c *counter) consume(r io.Reader, buf []byte, start time.Time) error {
	for {
		n, err := r.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if c.bytes == 0 {
				c.first = chunk[0]
				c.firstByte = time.Since(start)
			}
			switch c.format {
			case "json":
				if c.last == '\n' && chunk[0] == '}' {
					c.newlines++
				}
				c.newlines += int64(bytes.Count(chunk, []byte("\n}")))
			case "jsonl", "csv":
				c.newlines += int64(bytes.Count(chunk, []byte{'\n'}))
			}
			c.last = chunk[n-1]
			c.bytes += int64(n)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// items returns the number of items (rows) the body held, or -1 if the
// format is not counted.
func (c *counter) items() int64 {
	if c.bytes == 0 {
		return 0
	}
	switch c.format {
	case "json":
		return c.newlines
	case "jsonl":
		return c.newlines + 1
	case "csv":
		n := c.newlines - 1
		if c.last != '\n' {
			n++
		}
		return n
	}
	return -1
}
