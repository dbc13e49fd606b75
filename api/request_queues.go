package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/actord/actord"
	"github.com/actord/actord/jsonitem"
	"github.com/actord/actord/platform"
	"github.com/actord/actord/storage"
)

// queueCall holds what every request-queue request handler reads first.
type queueCall struct {
	queue     *actord.Storage
	q         *query
	clientKey string
}

// queueRequest resolves the queue and reads clientKey; further query
// errors are checked by the handler through c.q.err.
func (s *Server) queueRequest(r *http.Request, access platform.Access) (*queueCall, error) {
	q := newQuery(r)
	c := &queueCall{q: q, clientKey: q.str("clientKey")}
	if err := platform.ValidClientKey(c.clientKey); err != nil {
		return nil, err
	}
	var err error
	c.queue, err = s.resolve(r, requestQueues, access)
	return c, err
}

type addResult struct {
	RequestID         string `json:"requestId"`
	WasAlreadyPresent bool   `json:"wasAlreadyPresent"`
	WasAlreadyHandled bool   `json:"wasAlreadyHandled"`
}

func toAddResult(r *storage.RequestAddResult) addResult {
	return addResult{r.RequestID, r.WasAlreadyPresent, r.WasAlreadyHandled}
}

func (s *Server) handleRequestAdd() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Write)
		if err != nil {
			return err
		}
		forefront := c.q.bool("forefront", false)
		if c.q.err != nil {
			return c.q.err
		}
		body, err := readRequiredJSON(r)
		if err != nil {
			return err
		}
		res, err := s.storages.AddRequest(r.Context(), c.queue, c.clientKey, forefront, body)
		if err != nil {
			return err
		}
		s.writeCreated(w, "/v2/request-queues/"+c.queue.ID+"/requests/"+res.RequestID, toAddResult(res))
		return nil
	}
}

// readRequiredJSON reads a JSON body that must be present.
func readRequiredJSON(r *http.Request) ([]byte, error) {
	body, err := readJSONBody(r)
	if err != nil {
		return nil, err
	}
	if body == nil {
		return nil, actord.Errorf(actord.ErrInvalidRequest, "The request body must not be empty.")
	}
	return body, nil
}

// readJSONArray reads a body that must be a JSON array of objects.
func readJSONArray(r *http.Request) ([][]byte, error) {
	body, err := readRequiredJSON(r)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); t[0] != '[' {
		return nil, actord.Errorf(actord.ErrInvalidRequest, "The request body must be a JSON array.")
	}
	items, err := jsonitem.SplitItems(body)
	if err != nil {
		return nil, actord.Errorf(actord.ErrInvalidRequest, "The request body must be a JSON array of objects: %v", err)
	}
	return items, nil
}

func (s *Server) handleRequestsBatchAdd() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Write)
		if err != nil {
			return err
		}
		forefront := c.q.bool("forefront", false)
		if c.q.err != nil {
			return c.q.err
		}
		raws, err := readJSONArray(r)
		if err != nil {
			return err
		}
		res, err := s.storages.AddRequests(r.Context(), c.queue, c.clientKey, forefront, raws)
		if err != nil {
			return err
		}
		type processed struct {
			addResult
			UniqueKey string `json:"uniqueKey"`
		}
		out := make([]processed, len(res))
		for i := range res {
			out[i] = processed{toAddResult(&res[i]), res[i].UniqueKey}
		}
		writeData(w, http.StatusCreated, map[string]any{"processedRequests": out, "unprocessedRequests": []any{}})
		return nil
	}
}

func (s *Server) handleRequestsBatchDelete() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Write)
		if err != nil {
			return err
		}
		raws, err := readJSONArray(r)
		if err != nil {
			return err
		}
		type ref struct {
			ID        string `json:"id,omitempty"`
			UniqueKey string `json:"uniqueKey,omitempty"`
		}
		refs := make([]ref, len(raws))
		ids := make([]string, len(raws))
		for i, raw := range raws {
			if err := json.Unmarshal(raw, &refs[i]); err != nil || (refs[i].ID == "" && refs[i].UniqueKey == "") {
				return actord.Errorf(actord.ErrInvalidValue, "Each request to delete must have a string \"id\" or \"uniqueKey\".")
			}
			ids[i] = refs[i].ID
			if ids[i] == "" {
				ids[i] = actord.RequestIDFromUniqueKey(refs[i].UniqueKey)
			}
		}
		if _, err := s.storages.DeleteRequests(r.Context(), c.queue, c.clientKey, ids); err != nil {
			return err
		}
		// Deleting a request that is not there leaves it not there: every
		// entry counts as processed.
		writeData(w, http.StatusOK, map[string]any{"processedRequests": refs, "unprocessedRequests": []any{}})
		return nil
	}
}

func (s *Server) handleRequestsUnlock() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Write)
		if err != nil {
			return err
		}
		n, err := s.storages.Unlock(r.Context(), c.queue, c.clientKey)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, map[string]int64{"unlockedCount": n})
		return nil
	}
}

func (s *Server) handleRequestGet() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Read)
		if err != nil {
			return err
		}
		req, err := s.storages.GetRequest(r.Context(), c.queue, r.PathValue("requestId"))
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, rawJSON(req.JSON))
		return nil
	}
}

func (s *Server) handleRequestUpdate() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Write)
		if err != nil {
			return err
		}
		forefront := c.q.bool("forefront", false)
		if c.q.err != nil {
			return c.q.err
		}
		body, err := readRequiredJSON(r)
		if err != nil {
			return err
		}
		res, err := s.storages.UpdateRequest(r.Context(), c.queue, r.PathValue("requestId"), c.clientKey, forefront, body)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, toAddResult(res))
		return nil
	}
}

func (s *Server) handleRequestDelete() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Write)
		if err != nil {
			return err
		}
		if _, err := s.storages.DeleteRequests(r.Context(), c.queue, c.clientKey, []string{r.PathValue("requestId")}); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// lockSecs reads the required lockSecs parameter.
func lockSecs(q *query) (int64, error) {
	if !q.has("lockSecs") {
		return 0, actord.Errorf(actord.ErrInvalidParameter, "Parameter \"lockSecs\" is required.")
	}
	n := q.int("lockSecs", 0, 1<<31)
	if q.err != nil {
		return 0, q.err
	}
	return n, nil
}

func (s *Server) handleRequestLockProlong() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Write)
		if err != nil {
			return err
		}
		c.q.bool("forefront", false)
		secs, err := lockSecs(c.q)
		if err != nil {
			return err
		}
		t, err := s.storages.ProlongLock(r.Context(), c.queue, r.PathValue("requestId"), c.clientKey, secs)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, map[string]string{"lockExpiresAt": actord.Timestamp(t)})
		return nil
	}
}

func (s *Server) handleRequestLockDelete() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Write)
		if err != nil {
			return err
		}
		forefront := c.q.bool("forefront", false)
		if c.q.err != nil {
			return c.q.err
		}
		if err := s.storages.DeleteLock(r.Context(), c.queue, r.PathValue("requestId"), c.clientKey, forefront); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) handleRequestsList() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Read)
		if err != nil {
			return err
		}
		limit := c.q.int("limit", 10000, 1<<53)
		if limit == 0 || limit > 10000 {
			limit = 10000
		}
		cursor := c.q.str("cursor")
		startID := c.q.str("exclusiveStartId")
		var filter storage.RequestFilter
		for _, f := range splitList(c.q.str("filter")) {
			switch f {
			case "locked":
				filter.Locked = true
			case "pending":
				filter.Pending = true
			default:
				return actord.Errorf(actord.ErrInvalidParameter, "Parameter \"filter\" must be a list of locked and pending.")
			}
		}
		if c.q.err != nil {
			return c.q.err
		}
		if startID != "" && (filter.Locked || filter.Pending) {
			return actord.Errorf(actord.ErrInvalidParameter, "Parameter \"filter\" cannot be combined with \"exclusiveStartId\".")
		}
		from := cursor
		if from == "" {
			from = startID
		}
		reqs, err := s.storages.ListRequests(r.Context(), c.queue, storage.RequestsListParams{ExclusiveFrom: from, Limit: limit, Filter: filter})
		if err != nil {
			return err
		}
		items := make([]json.RawMessage, len(reqs))
		for i, req := range reqs {
			items[i] = rawJSON(req.JSON)
		}
		out := struct {
			Items            []json.RawMessage `json:"items"`
			Limit            int64             `json:"limit"`
			ExclusiveStartID string            `json:"exclusiveStartId,omitempty"`
			Cursor           string            `json:"cursor,omitempty"`
			NextCursor       string            `json:"nextCursor,omitempty"`
		}{Items: items, Limit: limit, ExclusiveStartID: startID, Cursor: cursor}
		if int64(len(reqs)) == limit {
			out.NextCursor = reqs[len(reqs)-1].ID
		}
		writeData(w, http.StatusOK, out)
		return nil
	}
}

type headItem struct {
	ID            string `json:"id"`
	UniqueKey     string `json:"uniqueKey"`
	URL           string `json:"url"`
	Method        string `json:"method"`
	RetryCount    int64  `json:"retryCount"`
	LockExpiresAt string `json:"lockExpiresAt,omitempty"`
}

func headItems(reqs []*actord.Request) []headItem {
	out := make([]headItem, len(reqs))
	for i, r := range reqs {
		out[i] = headItem{ID: r.ID, UniqueKey: r.UniqueKey, URL: r.URL, Method: r.Method, RetryCount: r.RetryCount}
		if r.LockExpires != nil {
			out[i].LockExpiresAt = actord.Timestamp(*r.LockExpires)
		}
	}
	return out
}

func (s *Server) handleQueueHead() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Read)
		if err != nil {
			return err
		}
		limit := c.q.int("limit", 100, 1<<53)
		limit = min(max(limit, 1), 1000)
		if c.q.err != nil {
			return c.q.err
		}
		h, err := s.storages.Head(r.Context(), c.queue, c.clientKey, limit)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, map[string]any{
			"limit": limit, "queueModifiedAt": actord.Timestamp(h.QueueModifiedAt),
			"hadMultipleClients": h.HadMultipleClients, "items": headItems(h.Items),
		})
		return nil
	}
}

func (s *Server) handleQueueHeadLock() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.queueRequest(r, platform.Write)
		if err != nil {
			return err
		}
		limit := c.q.int("limit", 25, 1<<53)
		limit = min(max(limit, 1), 25)
		secs, err := lockSecs(c.q)
		if err != nil {
			return err
		}
		h, err := s.storages.HeadLock(r.Context(), c.queue, c.clientKey, limit, secs)
		if err != nil {
			return err
		}
		writeData(w, http.StatusCreated, map[string]any{
			"limit": limit, "queueModifiedAt": actord.Timestamp(h.QueueModifiedAt),
			"queueHasLockedRequests": h.QueueHasLockedRequests, "clientKey": c.clientKey,
			"hadMultipleClients": h.HadMultipleClients, "lockSecs": secs, "items": headItems(h.Items),
		})
		return nil
	}
}
