package api

import (
	"net/http"

	"github.com/actord/actord/export"
	"github.com/actord/actord/platform"
)

func (s *Server) handleDatasetItemsGet() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		o, err := export.ParseOptions(r.URL.Query())
		if err != nil {
			return err
		}
		ds, err := s.resolve(r, datasets, platform.Read)
		if err != nil {
			return err
		}
		return s.serveItems(w, r, http.StatusOK, ds, o, datasetLabel(ds))
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
