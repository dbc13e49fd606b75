package api

import (
	"net/http"

	"github.com/actord/actord"
	"github.com/actord/actord/platform"
	"github.com/actord/actord/storage"
)

// storageKind describes one of the three storage collections for the
// handlers they share (list, get-or-create, get, update, delete).
type storageKind struct {
	kind   actord.StorageKind
	path   string // "/v2/datasets"
	render func(s *Server, st *actord.Storage, inList bool) any
}

var (
	datasets       = storageKind{actord.KindDataset, "/v2/datasets", (*Server).datasetJSON}
	keyValueStores = storageKind{actord.KindKeyValueStore, "/v2/key-value-stores", (*Server).keyValueStoreJSON}
	requestQueues  = storageKind{actord.KindRequestQueue, "/v2/request-queues", (*Server).requestQueueJSON}
)

// resolve finds the storage named by the {storageId} path segment that the
// caller may access. Writes need a token.
func (s *Server) resolve(r *http.Request, k storageKind, access platform.Access) (*actord.Storage, error) {
	if access == platform.Write {
		if _, err := requireCaller(r); err != nil {
			return nil, err
		}
	}
	return s.storages.Resolve(r.Context(), caller(r), k.kind, r.PathValue("storageId"), access)
}

func (s *Server) handleStorageList(k storageKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		q := newQuery(r)
		p := q.page(1000)
		unnamed := q.bool("unnamed", false)
		if q.err != nil {
			return q.err
		}
		list, err := s.storages.List(r.Context(), &storage.StorageListParams{Kind: k.kind, UserID: u.ID, Unnamed: unnamed, Offset: p.Offset, Limit: p.Limit, Desc: p.Desc})
		if err != nil {
			return err
		}
		items := make([]any, len(list.Items))
		for i, st := range list.Items {
			items[i] = k.render(s, st, true)
		}
		writeData(w, http.StatusOK, struct {
			pageOf[any]
			Unnamed bool `json:"unnamed"`
		}{newPage(list.Total, p, items), unnamed})
		return nil
	}
}

func (s *Server) handleStorageGetOrCreate(k storageKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		// Clients send no body here (or an empty form body); a JSON body
		// may carry the name as well.
		var body struct {
			Name *string `json:"name"`
		}
		if err := decodeJSONObject(r, &body); err != nil {
			return err
		}
		name := r.URL.Query().Get("name")
		if name == "" && body.Name != nil {
			name = *body.Name
		}
		st, created, err := s.storages.GetOrCreate(r.Context(), u, k.kind, name)
		if err != nil {
			return err
		}
		if created {
			s.writeCreated(w, k.path+"/"+st.ID, k.render(s, st, false))
		} else {
			writeData(w, http.StatusOK, k.render(s, st, false))
		}
		return nil
	}
}

func (s *Server) handleStorageGet(k storageKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.resolve(r, k, platform.Read)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, k.render(s, st, false))
		return nil
	}
}

func (s *Server) handleStorageUpdate(k storageKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.resolve(r, k, platform.Write)
		if err != nil {
			return err
		}
		var body struct {
			Name          *string `json:"name"`
			GeneralAccess *string `json:"generalAccess"`
		}
		if err := decodeJSONObject(r, &body); err != nil {
			return err
		}
		st, err = s.storages.Update(r.Context(), st, platform.UpdateParams{Name: body.Name, GeneralAccess: body.GeneralAccess})
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, k.render(s, st, false))
		return nil
	}
}

func (s *Server) handleStorageDelete(k storageKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.resolve(r, k, platform.Write)
		if err != nil {
			return err
		}
		if err := s.storages.Delete(r.Context(), st); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// storageCommon holds the members every storage object has.
type storageCommon struct {
	ID            string  `json:"id"`
	Name          *string `json:"name"`
	UserID        string  `json:"userId"`
	Username      string  `json:"username"`
	CreatedAt     string  `json:"createdAt"`
	ModifiedAt    string  `json:"modifiedAt"`
	AccessedAt    string  `json:"accessedAt"`
	ActID         *string `json:"actId"`
	ActRunID      *string `json:"actRunId"`
	GeneralAccess string  `json:"generalAccess"`
}

func common(st *actord.Storage) storageCommon {
	return storageCommon{
		ID: st.ID, Name: nullable(st.Name), UserID: st.UserID, Username: st.Username,
		CreatedAt: actord.Timestamp(st.CreatedAt), ModifiedAt: actord.Timestamp(st.ModifiedAt), AccessedAt: actord.Timestamp(st.AccessedAt),
		ActID: nullable(st.ActID), ActRunID: nullable(st.ActRunID), GeneralAccess: st.GeneralAccess,
	}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type storageStats struct {
	ReadCount     int64  `json:"readCount"`
	WriteCount    int64  `json:"writeCount"`
	StorageBytes  *int64 `json:"storageBytes,omitempty"`
	InflatedBytes *int64 `json:"inflatedBytes,omitempty"`
}

// sizeStats reports storage bytes as Apify does: storageBytes on a single
// storage, inflatedBytes in lists.
func sizeStats(st *actord.Storage, inList bool) storageStats {
	n := st.StorageBytes
	if inList {
		return storageStats{InflatedBytes: &n}
	}
	return storageStats{StorageBytes: &n}
}

func (s *Server) datasetJSON(st *actord.Storage, inList bool) any {
	return struct {
		storageCommon
		ItemCount      int64        `json:"itemCount"`
		CleanItemCount int64        `json:"cleanItemCount"`
		ConsoleURL     string       `json:"consoleUrl"`
		ItemsPublicURL string       `json:"itemsPublicUrl"`
		Stats          storageStats `json:"stats"`
	}{common(st), st.ItemCount, st.ItemCount, s.publicURL + "/v2/datasets/" + st.ID,
		s.publicURL + "/v2/datasets/" + st.ID + "/items", sizeStats(st, inList)}
}

func (s *Server) keyValueStoreJSON(st *actord.Storage, inList bool) any {
	base := s.publicURL + "/v2/key-value-stores/" + st.ID
	return struct {
		storageCommon
		ConsoleURL       string       `json:"consoleUrl"`
		KeysPublicURL    string       `json:"keysPublicUrl"`
		RecordsPublicURL string       `json:"recordsPublicUrl"`
		Stats            storageStats `json:"stats"`
	}{common(st), base, base + "/keys", base + "/records", sizeStats(st, inList)}
}

func (s *Server) requestQueueJSON(st *actord.Storage, inList bool) any {
	return struct {
		storageCommon
		TotalRequestCount   int64        `json:"totalRequestCount"`
		HandledRequestCount int64        `json:"handledRequestCount"`
		PendingRequestCount int64        `json:"pendingRequestCount"`
		HadMultipleClients  bool         `json:"hadMultipleClients"`
		ConsoleURL          string       `json:"consoleUrl"`
		Stats               storageStats `json:"stats"`
	}{common(st), st.TotalRequestCount, st.HandledRequestCount, st.PendingRequestCount(), st.HadMultipleClients,
		s.publicURL + "/v2/request-queues/" + st.ID, sizeStats(st, inList)}
}
