package api

import (
	"archive/zip"
	"net/http"
	"strconv"

	"github.com/actord/actord"
	"github.com/actord/actord/platform"
	"github.com/actord/actord/storage"
)

func (s *Server) handleRecordKeys() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r)
		limit := q.int("limit", 1000, 1<<53)
		if limit == 0 || limit > 1000 {
			limit = 1000
		}
		start := q.str("exclusiveStartKey")
		if q.has("collection") {
			return actord.Errorf(actord.ErrInvalidParameter, "Parameter \"collection\" needs a key-value store schema, which this store does not have.")
		}
		if q.err != nil {
			return q.err
		}
		st, err := s.resolve(r, keyValueStores, platform.Read)
		if err != nil {
			return err
		}
		list, err := s.storages.Keys(r.Context(), st, storage.RecordKeysParams{ExclusiveStartKey: start, Prefix: q.str("prefix"), Limit: limit})
		if err != nil {
			return err
		}
		type keyItem struct {
			Key             string `json:"key"`
			Size            int64  `json:"size"`
			RecordPublicURL string `json:"recordPublicUrl"`
		}
		items := make([]keyItem, len(list.Items))
		for i, k := range list.Items {
			items[i] = keyItem{k.Key, k.Size, s.publicURL + "/v2/key-value-stores/" + st.ID + "/records/" + k.Key}
		}
		var next *string
		if list.IsTruncated && len(items) > 0 {
			next = &items[len(items)-1].Key
		}
		writeData(w, http.StatusOK, struct {
			Items                 []keyItem `json:"items"`
			Count                 int       `json:"count"`
			Limit                 int64     `json:"limit"`
			ExclusiveStartKey     *string   `json:"exclusiveStartKey"`
			IsTruncated           bool      `json:"isTruncated"`
			NextExclusiveStartKey *string   `json:"nextExclusiveStartKey"`
		}{items, len(items), limit, nullable(start), list.IsTruncated, next})
		return nil
	}
}

func (s *Server) handleRecordsZip() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r)
		if q.has("collection") {
			return actord.Errorf(actord.ErrInvalidParameter, "Parameter \"collection\" needs a key-value store schema, which this store does not have.")
		}
		st, err := s.resolve(r, keyValueStores, platform.Read)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Disposition", `attachment; filename="`+st.ID+`.zip"`)
		zw := zip.NewWriter(w)
		for rec, err := range s.storages.Records(r.Context(), st, q.str("prefix")) {
			if err == nil {
				var f interface{ Write([]byte) (int, error) }
				if f, err = zw.Create(rec.Key); err == nil {
					_, err = f.Write(rec.Value)
				}
			}
			if err != nil {
				s.logger.ErrorContext(r.Context(), "stream records zip", "store_id", st.ID, "err", err)
				panic(http.ErrAbortHandler)
			}
		}
		return zw.Close()
	}
}

func (s *Server) handleRecordGet() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r)
		attachment := q.bool("attachment", false)
		if q.err != nil {
			return q.err
		}
		st, err := s.resolve(r, keyValueStores, platform.Read)
		if err != nil {
			return err
		}
		key := r.PathValue("recordKey")
		if r.Method == http.MethodHead {
			size, ct, err := s.storages.RecordInfo(r.Context(), st, key)
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
			w.WriteHeader(http.StatusOK)
			return nil
		}
		rec, err := s.storages.GetRecord(r.Context(), st, key)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", rec.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(rec.Value)))
		if attachment {
			w.Header().Set("Content-Disposition", `attachment; filename="`+key+`"`)
		}
		w.WriteHeader(http.StatusOK)
		w.Write(rec.Value)
		return nil
	}
}

func (s *Server) handleRecordPut() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.resolve(r, keyValueStores, platform.Write)
		if err != nil {
			return err
		}
		key := r.PathValue("recordKey")
		if err := platform.ValidRecordKey(key); err != nil {
			return err
		}
		body, err := readBody(r, MaxBodyBytes)
		if err != nil {
			return err
		}
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			ct = "application/octet-stream"
		}
		if err := s.storages.PutRecord(r.Context(), st, &actord.Record{Key: key, ContentType: ct, Value: body}); err != nil {
			return err
		}
		w.Header().Set("Location", s.publicURL+"/v2/key-value-stores/"+st.ID+"/records/"+key)
		writeJSON(w, http.StatusCreated, struct{}{})
		return nil
	}
}

func (s *Server) handleRecordDelete() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.resolve(r, keyValueStores, platform.Write)
		if err != nil {
			return err
		}
		if err := s.storages.DeleteRecord(r.Context(), st, r.PathValue("recordKey")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
