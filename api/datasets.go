package api

import (
	"net/http"
	"strconv"

	"github.com/actord/actord"
	"github.com/actord/actord/export"
	"github.com/actord/actord/platform"
	"github.com/actord/actord/storage"
)

// noLimit is what Apify reports in X-Apify-Pagination-Limit when the
// request gave no limit.
const noLimit = 999999999999

// itemParamsNotYet are dataset-item parameters of Apify's API whose
// transforms actord does not implement yet; they are refused rather than
// silently ignored.
var itemParamsNotYet = []string{"fields", "outputFields", "omit", "unwind", "flatten", "clean", "skipEmpty",
	"skipHidden", "simplified", "skipFailedPages", "view", "xmlRoot", "xmlRow", "skipHeaderRow", "feedTitle", "feedDescription"}

func (s *Server) handleDatasetItemsGet() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r)
		offset := q.int("offset", 0, 1<<53)
		limit := q.int("limit", -1, 1<<53)
		desc := q.bool("desc", false)
		format := q.str("format")
		if format == "" {
			format = "json"
		}
		if q.err != nil {
			return q.err
		}
		if format != "json" && format != "jsonl" {
			return actord.Errorf(actord.ErrInvalidParameter, "Parameter \"format\" must be json or jsonl (other formats are not supported yet).")
		}
		for _, name := range itemParamsNotYet {
			if q.has(name) {
				return actord.Errorf(actord.ErrInvalidParameter, "Parameter %q is not supported yet.", name)
			}
		}
		ds, err := s.resolve(r, datasets, platform.Read)
		if err != nil {
			return err
		}
		c, err := s.storages.Items(r.Context(), ds, storage.DatasetItemsParams{Offset: offset, Limit: limit, Desc: desc})
		if err != nil {
			return err
		}
		defer c.Close()
		h := w.Header()
		h.Set("X-Apify-Pagination-Offset", itoa(offset))
		h.Set("X-Apify-Pagination-Limit", itoa(limit))
		if limit < 0 {
			h.Set("X-Apify-Pagination-Limit", itoa(noLimit))
		}
		h.Set("X-Apify-Pagination-Count", itoa(c.Count))
		h.Set("X-Apify-Pagination-Total", itoa(c.Total))
		h.Set("X-Apify-Pagination-Desc", strconv.FormatBool(desc))
		if format == "jsonl" {
			h.Set("Content-Type", "application/jsonl; charset=utf-8")
		} else {
			h.Set("Content-Type", "application/json; charset=utf-8")
		}
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return nil
		}
		write := export.WriteJSON
		if format == "jsonl" {
			write = export.WriteJSONL
		}
		if err := write(w, c.Next); err != nil {
			// The status line is out: all that is left is to cut the body short.
			s.logger.ErrorContext(r.Context(), "stream dataset items", "dataset_id", ds.ID, "err", err)
			panic(http.ErrAbortHandler)
		}
		return nil
	}
}

func (s *Server) handleDatasetItemsPush() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ds, err := s.resolve(r, datasets, platform.Write)
		if err != nil {
			return err
		}
		body, err := readBody(r, MaxBodyBytes)
		if err != nil {
			return err
		}
		if _, err := s.storages.PushItems(r.Context(), ds, body); err != nil {
			return err
		}
		w.Header().Set("Location", s.publicURL+"/v2/datasets/"+ds.ID+"/items")
		writeJSON(w, http.StatusCreated, struct{}{})
		return nil
	}
}

func (s *Server) handleDatasetStatistics() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := s.resolve(r, datasets, platform.Read); err != nil {
			return err
		}
		// Field statistics exist only for datasets whose schema declares
		// fields; actord has no dataset schemas yet.
		writeData(w, http.StatusOK, map[string]any{"fieldStatistics": nil})
		return nil
	}
}
