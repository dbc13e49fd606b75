package export

import (
	"bufio"
	"fmt"
	"io"
	"unicode/utf8"
)

// htmlWriter writes format=html: a complete HTML5 page holding one table.
// Apify documents only the table (<table><tr><th>foo</th>…</tr><tr><td>foo
// </td>…</tr></table>, no <thead>/<tbody>); the page around it and the
// whitespace are ours (unverified against real output):
//
//	<!DOCTYPE html>
//	<html>
//	<head>
//	<meta charset="utf-8">
//	<title>TITLE</title>
//	</head>
//	<body>
//	<table>
//	<tr><th>foo</th><th>bar</th></tr>
//	<tr><td>x</td><td></td></tr>
//	</table>
//	</body>
//	</html>
//
// with a line end after </html>: one <tr> per line, the header row always
// written, an empty cell (null or missing) as <td></td>. Text is escaped by
// htmlEscape. Rows are streamed through a bufio.Writer.
type htmlWriter struct {
	bw      *bufio.Writer
	title   string
	started bool
}

var _ tableWriter = (*htmlWriter)(nil)

// newHTMLWriter returns a writer of an HTML page titled title.
func newHTMLWriter(w io.Writer, title string) *htmlWriter {
	return &htmlWriter{bw: bufio.NewWriterSize(w, 64<<10), title: title}
}

func (h *htmlWriter) start() {
	if h.started {
		return
	}
	h.started = true
	h.bw.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>")
	htmlEscape(h.bw, []byte(h.title))
	h.bw.WriteString("</title>\n</head>\n<body>\n<table>\n")
}

// Header writes the start of the page and the header row.
func (h *htmlWriter) Header(columns []string) error {
	h.start()
	h.bw.WriteString("<tr>")
	for _, c := range columns {
		h.bw.WriteString("<th>")
		htmlEscape(h.bw, []byte(c))
		h.bw.WriteString("</th>")
	}
	if _, err := h.bw.WriteString("</tr>\n"); err != nil {
		return fmt.Errorf("export html: %w", err)
	}
	return nil
}

// Row writes one table row.
func (h *htmlWriter) Row(cells []Cell) error {
	h.start()
	h.bw.WriteString("<tr>")
	for _, c := range cells {
		h.bw.WriteString("<td>")
		if c.Kind != CellEmpty {
			htmlEscape(h.bw, c.Text)
		}
		h.bw.WriteString("</td>")
	}
	// bufio.Writer errors are sticky: the last write reports any earlier one.
	if _, err := h.bw.WriteString("</tr>\n"); err != nil {
		return fmt.Errorf("export html: %w", err)
	}
	return nil
}

// Close ends the page (writing its start too if Header was never called)
// and flushes it.
func (h *htmlWriter) Close() error {
	h.start()
	h.bw.WriteString("</table>\n</body>\n</html>\n")
	if err := h.bw.Flush(); err != nil {
		return fmt.Errorf("export html: %w", err)
	}
	return nil
}

// htmlEscape writes text as HTML element content: & < > " ' become &amp;
// &lt; &gt; &#34; &#39; (as html.EscapeString writes them) and \r becomes
// &#13; (a raw \r would be read back as \n). A browser cannot hold NUL in
// text, so NUL is written as U+FFFD, as is every byte of invalid UTF-8;
// everything else is written as is.
func htmlEscape(w *bufio.Writer, text []byte) {
	last := 0
	for i := 0; i < len(text); {
		var esc string
		size := 1
		switch c := text[i]; c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '\r':
			esc = "&#13;"
		case 0:
			esc = "\uFFFD"
		default:
			if c < utf8.RuneSelf {
				i++
				continue
			}
			var r rune
			if r, size = utf8.DecodeRune(text[i:]); r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			esc = "\uFFFD"
		}
		w.Write(text[last:i])
		w.WriteString(esc)
		i += size
		last = i
	}
	w.Write(text[last:])
}
