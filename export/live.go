package export

import (
	"fmt"
	"io"
)

// Live reports whether f can be written live (WriteLive): formats whose
// output is a sequence of independent records.
func Live(f Format) bool { return f == JSONL || f == CSV }

// WriteLive writes the records of c as c yields them, for a dataset that
// is still being written (run-sync-get-dataset-items with stream=1): c's
// Next may block until the next item exists, and returns io.EOF when no
// more will. Only JSONL and CSV (see Live), in ascending order.
//
// Nothing is buffered here: the BOM, a CSV header and each record go to w
// in one Write each, so w decides when bytes reach the client (the caller
// flushes before Next blocks).
//
// A CSV header cannot wait for the last item, so its columns are the
// output names of fields when the request gives them, and otherwise those
// of the first record (its flattened leaves, in Apify's column order);
// values of later records outside those columns are not written. Without
// records there is no header, as in a batch export.
func WriteLive(w io.Writer, o *Options, c Cursor) error {
	if !Live(o.Format) {
		return fmt.Errorf("export: format %q cannot be written live", o.Format)
	}
	t := newTransformer(o)
	next, stop := records(c, t)
	defer stop()
	if o.BOM {
		if _, err := w.Write(utf8BOM); err != nil {
			return err
		}
	}
	if o.Format == JSONL {
		for i := 0; ; i++ {
			rec, err := next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			line := rec
			if i > 0 { // JSONL as Apify writes it: no newline after the last line
				line = append(append(make([]byte, 0, len(rec)+1), '\n'), rec...)
			}
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
	}
	cw := newCSVWriter(w, o.Delimiter, o.SkipHeaderRow)
	var row *rowFiller
	empty := 0 // records before the first with columns: blank rows
	for {
		rec, err := next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if row == nil {
			fields := columnFields(o)
			set := newColumnSet(fields)
			if len(fields) == 0 {
				set.add(rec, nil)
			}
			columns := set.columns(fields, o.Unwind)
			if len(columns) == 0 {
				empty++
				continue
			}
			row = newRowFiller(columns)
			if err := cw.Header(columns); err != nil {
				return err
			}
			for ; empty > 0; empty-- {
				if err := cw.Row(make([]Cell, len(columns))); err != nil {
					return err
				}
			}
		}
		if err := cw.Row(row.fill(rec)); err != nil {
			return err
		}
		if err := cw.w.Flush(); err != nil {
			return err
		}
	}
}
