package export

import (
	"fmt"
	"io"
	"iter"
)

// Cursor is a window of raw dataset items (compact JSON objects) that can be
// read twice: the tabular formats need their columns before the first row,
// so they read the window once for the columns and once for the rows,
// instead of holding items in memory. Rewind must restart the same window
// of the same snapshot.
type Cursor interface {
	// Next returns the next raw item, or io.EOF. The slice is valid until
	// the next call.
	Next() ([]byte, error)
	Rewind() error
}

// Dataset names the exported dataset for the formats that mention it.
type Dataset struct {
	ID string
	// Label is the dataset's name, or its ID when it has none.
	Label string
	// Link is the URL of the export (RSS channel link); may be empty.
	Link string
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Write streams the items of c to w in the format and shape o asks for.
// Memory does not grow with the number of items. For the tabular formats
// nothing is written to w until the column pass has read the whole window,
// so an error from that pass can still be reported as an error response.
func Write(w io.Writer, o *Options, c Cursor, ds Dataset) error {
	t := newTransformer(o)
	if o.Tabular() {
		return writeTable(w, o, c, t, ds)
	}
	next, stop := records(c, t)
	defer stop()
	if o.BOM {
		if _, err := w.Write(utf8BOM); err != nil {
			return err
		}
	}
	switch o.Format {
	case JSON:
		return WriteJSON(w, next)
	case JSONL:
		return WriteJSONL(w, next)
	case XML:
		return writeXML(w, next, o.XMLRoot, o.XMLRow)
	case RSS:
		return writeRSS(w, next, rssChannel{Title: feedTitle(o, ds), Description: feedDescription(o, ds), Link: ds.Link})
	}
	return fmt.Errorf("export: unknown format %q", o.Format)
}

// feedTitle and feedDescription are the RSS channel's title and
// description: Apify's documented defaults, unless feedTitle or
// feedDescription is given.
func feedTitle(o *Options, ds Dataset) string {
	if o.FeedTitle != "" {
		return o.FeedTitle
	}
	return "Dataset " + ds.Label
}

func feedDescription(o *Options, ds Dataset) string {
	if o.FeedDescription != "" {
		return o.FeedDescription
	}
	return `Items in dataset with id "` + ds.ID + `".`
}

// records returns the transformed records of c one at a time. Without
// unwind an item gives at most one record and is pulled directly; with
// unwind one item can give any number of records, which are generated one
// by one on a coroutine instead of being buffered.
func records(c Cursor, t *transformer) (next Next, stop func()) {
	if len(t.unwind) == 0 {
		var got []byte
		emit := func(rec []byte) error { got = rec; return nil }
		return func() ([]byte, error) {
			for {
				item, err := c.Next()
				if err != nil {
					return nil, err
				}
				got = nil
				if err := t.apply(item, emit); err != nil {
					return nil, err
				}
				if got != nil {
					return got, nil
				}
			}
		}, func() {}
	}
	pull, stop := iter.Pull2(recordSeq(c, t))
	return func() ([]byte, error) {
		rec, err, ok := pull()
		if !ok {
			return nil, io.EOF
		}
		return rec, err
	}, stop
}

// recordSeq yields every record of every item of c, then stops; a read
// error is yielded once.
func recordSeq(c Cursor, t *transformer) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		stopped := errStopped{}
		emit := func(rec []byte) error {
			if !yield(rec, nil) {
				return stopped
			}
			return nil
		}
		if err := eachRecord(c, t, emit); err != nil && err != error(stopped) {
			yield(nil, err)
		}
	}
}

type errStopped struct{}

func (errStopped) Error() string { return "stopped" }

// eachRecord calls fn with every record of every item of c.
func eachRecord(c Cursor, t *transformer, fn func([]byte) error) error {
	for {
		item, err := c.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := t.apply(item, fn); err != nil {
			return err
		}
	}
}

// writeTable writes csv, html or xlsx: a first pass over the window finds
// the columns, a second writes the rows.
func writeTable(w io.Writer, o *Options, c Cursor, t *transformer, ds Dataset) error {
	fields := columnFields(o)
	set := newColumnSet(fields)
	var path []byte
	if err := eachRecord(c, t, func(rec []byte) error {
		path = set.add(rec, path)
		return nil
	}); err != nil {
		return fmt.Errorf("column pass: %w", err)
	}
	columns := set.columns(fields, o.Unwind)
	if err := c.Rewind(); err != nil {
		return fmt.Errorf("rewind items for the row pass: %w", err)
	}
	if o.BOM && o.Format != XLSX {
		if _, err := w.Write(utf8BOM); err != nil {
			return err
		}
	}
	var tw tableWriter
	switch o.Format {
	case CSV:
		tw = newCSVWriter(w, o.Delimiter, o.SkipHeaderRow)
	case HTML:
		tw = newHTMLWriter(w, "Dataset "+ds.Label)
	case XLSX:
		tw = newXLSXWriter(w)
	}
	if len(columns) == 0 {
		// Nothing to tabulate (no items, or only empty ones): an empty
		// table, never a header of zero columns or blank rows.
		return tw.Close()
	}
	if err := tw.Header(columns); err != nil {
		return err
	}
	row := newRowFiller(columns)
	if err := eachRecord(c, t, func(rec []byte) error {
		return tw.Row(row.fill(rec))
	}); err != nil {
		return err
	}
	return tw.Close()
}

// rowFiller turns records into the cells of a table's columns.
type rowFiller struct {
	index map[string]int
	cells []Cell
	known leafCache
	path  []byte
}

func newRowFiller(columns []string) *rowFiller {
	f := &rowFiller{index: make(map[string]int, len(columns)), cells: make([]Cell, len(columns))}
	for i, name := range columns {
		f.index[name] = i
	}
	return f
}

// fill returns the cells of rec, valid until the next call.
func (f *rowFiller) fill(rec []byte) []Cell {
	clear(f.cells)
	f.known.restart()
	f.path = walkLeaves(rec, f.path, f.setCell)
	return f.cells
}

func (f *rowFiller) setCell(p []byte, _ int, v []byte) {
	i := -1
	if f.known.hit(p) {
		i = f.known.val()
	} else {
		if j, ok := f.index[string(p)]; ok {
			i = j
		}
		f.known.set(p, i)
	}
	if i >= 0 {
		f.cells[i] = cellOf(v)
	}
}

// columnFields is the field list that orders the columns: the output names
// of fields (after outputFields), without the omitted ones.
func columnFields(o *Options) []string {
	var out []string
	for i, f := range o.Fields {
		if contains(o.Omit, f) {
			continue
		}
		if len(o.OutputFields) > 0 {
			f = o.OutputFields[i]
		}
		out = append(out, f)
	}
	return out
}

// cellOf types a raw JSON leaf value.
func cellOf(v []byte) Cell {
	switch v[0] {
	case '"':
		return Cell{Kind: CellString, Text: unquote(v)}
	case 'n':
		return Cell{}
	case 't', 'f':
		return Cell{Kind: CellBool, Text: v}
	}
	return Cell{Kind: CellNumber, Text: v}
}
