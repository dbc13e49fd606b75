package api

import (
	"net/http"
	"strconv"

	"github.com/actord/actord"
	"github.com/actord/actord/export"
	"github.com/actord/actord/storage"
)

// noLimit is what Apify reports in X-Apify-Pagination-Limit when the
// request gave no limit.
const noLimit = 999999999999

// datasetLabel names a dataset in export file names and feed titles: its
// name, or its ID when it has none.
func datasetLabel(ds *actord.Storage) string {
	if ds.Name != "" {
		return ds.Name
	}
	return ds.ID
}

// serveItems answers with the items of dataset ds that o selects, in o's
// format, with Apify's pagination headers. Every dataset-items route uses
// it: the dataset's own, the run-scoped and last-run ones, and
// run-sync-get-dataset-items (with status 201). label names the download
// (Apify names a run's dataset file after the actor).
//
// Parameter errors come before this is called; an error before the first
// body byte (a dataset view that does not exist, a failing column pass)
// is still a proper error response, and one after it cuts the body short.
func (s *Server) serveItems(w http.ResponseWriter, r *http.Request, status int, ds *actord.Storage, o *export.Options, label string) error {
	if err := o.ApplyView(ds.Schema); err != nil {
		return err
	}
	c, err := s.storages.Items(r.Context(), ds, storage.DatasetItemsParams{Offset: o.Offset, Limit: o.Limit, Desc: o.Desc})
	if err != nil {
		return err
	}
	defer c.Close()
	h := w.Header()
	h.Set("X-Apify-Pagination-Offset", itoa(o.Offset))
	if o.Limit == export.NoLimit {
		h.Set("X-Apify-Pagination-Limit", itoa(noLimit))
	} else {
		h.Set("X-Apify-Pagination-Limit", itoa(o.Limit))
	}
	h.Set("X-Apify-Pagination-Count", itoa(c.Count))
	h.Set("X-Apify-Pagination-Total", itoa(c.Total))
	h.Set("X-Apify-Pagination-Desc", strconv.FormatBool(o.Desc))
	h.Set("Content-Type", o.ContentType())
	if o.Attachment {
		h.Set("Content-Disposition", `attachment; filename="`+o.Filename(label, ds.CreatedAt)+`"`)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return nil
	}
	bw := &bodyWriter{w: w, status: status}
	err = export.Write(bw, o, cursor{c}, export.Dataset{ID: ds.ID, Label: label, Link: s.publicURL + "/v2/datasets/" + ds.ID + "/items?format=rss"})
	if err != nil {
		if bw.n == 0 {
			h.Del("Content-Disposition")
			return err
		}
		// The status line is out: all that is left is to cut the body short.
		s.logger.ErrorContext(r.Context(), "stream dataset items", "dataset_id", ds.ID, "format", o.Format, "err", err)
		panic(http.ErrAbortHandler)
	}
	if bw.n == 0 {
		w.WriteHeader(status)
	}
	return nil
}

// cursor adapts a storage cursor to the export package.
type cursor struct{ c *storage.ItemCursor }

func (c cursor) Next() ([]byte, error) { return c.c.Next() }
func (c cursor) Rewind() error         { return c.c.Rewind() }

// bodyWriter sends the status line with the first body byte, so an export
// that fails before writing anything can still answer with an error.
type bodyWriter struct {
	w      http.ResponseWriter
	status int
	n      int64
}

func (b *bodyWriter) Write(p []byte) (int, error) {
	if b.n == 0 && len(p) > 0 {
		b.w.WriteHeader(b.status)
	}
	n, err := b.w.Write(p)
	b.n += int64(n)
	return n, err
}
