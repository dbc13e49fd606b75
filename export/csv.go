package export

import (
	"bufio"
	"bytes"
	"io"
)

// csvWriter writes CSV exactly as Apify does (verified against real
// exports): the header and every non-empty value are double-quoted —
// numbers and booleans included —, a null or missing value is an empty
// unquoted field, a quote inside a value is doubled, a line break inside a
// value is kept as is, and every record, the last one too, ends with CRLF.
// encoding/csv cannot quote every field, so this is written by hand.
type csvWriter struct {
	w          *bufio.Writer
	delim      []byte
	skipHeader bool
}

func newCSVWriter(w io.Writer, delimiter string, skipHeader bool) *csvWriter {
	return &csvWriter{w: bufio.NewWriterSize(w, 64<<10), delim: []byte(delimiter), skipHeader: skipHeader}
}

func (c *csvWriter) Header(columns []string) error {
	if c.skipHeader {
		return nil
	}
	for i, name := range columns {
		if i > 0 {
			c.w.Write(c.delim)
		}
		c.quoted([]byte(name))
	}
	_, err := c.w.WriteString("\r\n")
	return err
}

func (c *csvWriter) Row(cells []Cell) error {
	for i, cell := range cells {
		if i > 0 {
			c.w.Write(c.delim)
		}
		if cell.Kind != CellEmpty {
			c.quoted(cell.Text)
		}
	}
	_, err := c.w.WriteString("\r\n")
	return err
}

func (c *csvWriter) quoted(s []byte) {
	c.w.WriteByte('"')
	for {
		i := bytes.IndexByte(s, '"')
		if i < 0 {
			break
		}
		c.w.Write(s[:i+1])
		c.w.WriteByte('"')
		s = s[i+1:]
	}
	c.w.Write(s)
	c.w.WriteByte('"')
}

func (c *csvWriter) Close() error { return c.w.Flush() }
