package platform

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/jsonitem"
	"github.com/actord/actord/storage"
)

// MaxBatchRequests is how many requests one batch add or delete may carry.
const MaxBatchRequests = 25

// ValidClientKey checks a request-queue client key (at most 32 characters).
func ValidClientKey(key string) error {
	if len(key) > 32 {
		return actord.Errorf(actord.ErrInvalidClientKey, "clientKey must be at most 32 characters long.")
	}
	return nil
}

// httpMethods are the request methods Apify's request queues accept.
var httpMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true,
	"CONNECT": true, "OPTIONS": true, "TRACE": true, "PATCH": true}

// parseRequest reads one request object and checks that its id, when
// given, is the one its uniqueKey derives.
func parseRequest(raw []byte) (*actord.Request, error) {
	pr, err := jsonitem.ParseRequest(raw)
	if err != nil {
		var se *jsonitem.SyntaxError
		if errors.As(err, &se) {
			return nil, actord.Errorf(actord.ErrInvalidRequest, "The request body is not valid JSON: %v", se.Err)
		}
		if errors.Is(err, jsonitem.ErrNotObject) {
			return nil, actord.Errorf(actord.ErrInvalidRequest, "A request must be a JSON object: %v", err)
		}
		return nil, actord.Errorf(actord.ErrInvalidValue, "Invalid request: %v", err)
	}
	if !httpMethods[pr.Method] {
		return nil, actord.Errorf(actord.ErrInvalidValue, "request.method must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH, got %q.", pr.Method)
	}
	id := actord.RequestIDFromUniqueKey(pr.UniqueKey)
	if pr.ID != "" && pr.ID != id {
		return nil, actord.Errorf(actord.ErrRequestIDInvalid, "Request ID does not correspond to uniqueKey")
	}
	r := &actord.Request{ID: id, UniqueKey: pr.UniqueKey, URL: pr.URL, Method: pr.Method, RetryCount: pr.RetryCount, JSON: pr.JSON(id)}
	if pr.HandledAt != "" {
		t, err := time.Parse(time.RFC3339Nano, pr.HandledAt)
		if err != nil {
			return nil, actord.Errorf(actord.ErrInvalidValue, "request.handledAt must be an ISO 8601 date, got %q.", pr.HandledAt)
		}
		r.HandledAt = &t
	}
	return r, nil
}

// AddRequest adds one request (a JSON object) to a queue.
func (s *Storages) AddRequest(ctx context.Context, q *actord.Storage, clientKey string, forefront bool, raw []byte) (*storage.RequestAddResult, error) {
	r, err := parseRequest(raw)
	if err != nil {
		return nil, err
	}
	res, err := s.addRequests(ctx, q, clientKey, forefront, []*actord.Request{r})
	if err != nil {
		return nil, err
	}
	return &res[0], nil
}

// AddRequests adds a batch of raw request objects. The batch is atomic:
// either every request is processed or the call fails.
func (s *Storages) AddRequests(ctx context.Context, q *actord.Storage, clientKey string, forefront bool, raws [][]byte) ([]storage.RequestAddResult, error) {
	if len(raws) > MaxBatchRequests {
		return nil, actord.Errorf(actord.ErrInvalidValue, "A batch may hold at most %d requests, got %d.", MaxBatchRequests, len(raws))
	}
	reqs := make([]*actord.Request, len(raws))
	for i, raw := range raws {
		r, err := parseRequest(raw)
		if err != nil {
			return nil, err
		}
		reqs[i] = r
	}
	return s.addRequests(ctx, q, clientKey, forefront, reqs)
}

func (s *Storages) addRequests(ctx context.Context, q *actord.Storage, clientKey string, forefront bool, reqs []*actord.Request) ([]storage.RequestAddResult, error) {
	if err := ValidClientKey(clientKey); err != nil {
		return nil, err
	}
	res, err := s.store.RequestsAdd(ctx, &storage.RequestsAddParams{QueueID: q.ID, ClientKey: clientKey, Forefront: forefront, Requests: reqs, Now: s.now()})
	if err != nil {
		return nil, fmt.Errorf("add requests to queue %s: %w", q.ID, notFoundAs(err, "Request queue"))
	}
	return res, nil
}

// GetRequest returns one request.
func (s *Storages) GetRequest(ctx context.Context, q *actord.Storage, id string) (*actord.Request, error) {
	r, err := s.store.RequestGet(ctx, q.ID, id)
	return r, notFoundAs(err, "Request")
}

// UpdateRequest replaces the request with the given ID; the body's
// uniqueKey must derive that ID.
func (s *Storages) UpdateRequest(ctx context.Context, q *actord.Storage, id, clientKey string, forefront bool, raw []byte) (*storage.RequestAddResult, error) {
	if err := ValidClientKey(clientKey); err != nil {
		return nil, err
	}
	r, err := parseRequest(raw)
	if err != nil {
		return nil, err
	}
	if r.ID != id {
		return nil, actord.Errorf(actord.ErrRequestIDInvalid, "Request ID does not correspond to uniqueKey")
	}
	res, err := s.store.RequestUpdate(ctx, &storage.RequestUpdateParams{QueueID: q.ID, ClientKey: clientKey, Forefront: forefront, Request: r, Now: s.now()})
	return res, notFoundAs(err, "Request")
}

// DeleteRequests deletes requests by ID and returns the IDs that existed.
func (s *Storages) DeleteRequests(ctx context.Context, q *actord.Storage, clientKey string, ids []string) ([]string, error) {
	if err := ValidClientKey(clientKey); err != nil {
		return nil, err
	}
	if len(ids) > MaxBatchRequests {
		return nil, actord.Errorf(actord.ErrInvalidValue, "A batch may hold at most %d requests, got %d.", MaxBatchRequests, len(ids))
	}
	deleted, err := s.store.RequestsDelete(ctx, &storage.RequestsDeleteParams{QueueID: q.ID, ClientKey: clientKey, IDs: ids, Now: s.now()})
	return deleted, notFoundAs(err, "Request queue")
}

// ListRequests pages through a queue's requests in ID order.
func (s *Storages) ListRequests(ctx context.Context, q *actord.Storage, p storage.RequestsListParams) ([]*actord.Request, error) {
	p.QueueID, p.Now = q.ID, s.now()
	return s.store.RequestsList(ctx, &p)
}

// Head lists the first pending, unlocked requests.
func (s *Storages) Head(ctx context.Context, q *actord.Storage, clientKey string, limit int64) (*storage.QueueHead, error) {
	if err := ValidClientKey(clientKey); err != nil {
		return nil, err
	}
	h, err := s.store.QueueHead(ctx, &storage.QueueHeadParams{QueueID: q.ID, ClientKey: clientKey, Limit: limit, Now: s.now()})
	return h, notFoundAs(err, "Request queue")
}

// HeadLock locks and returns the first pending, unlocked requests.
func (s *Storages) HeadLock(ctx context.Context, q *actord.Storage, clientKey string, limit, lockSecs int64) (*storage.QueueHead, error) {
	if err := ValidClientKey(clientKey); err != nil {
		return nil, err
	}
	h, err := s.store.QueueHeadLock(ctx, &storage.QueueHeadParams{QueueID: q.ID, ClientKey: clientKey, Limit: limit, LockSecs: lockSecs, Now: s.now()})
	return h, notFoundAs(err, "Request queue")
}

// ProlongLock extends the caller's lock on a request.
func (s *Storages) ProlongLock(ctx context.Context, q *actord.Storage, id, clientKey string, lockSecs int64) (time.Time, error) {
	if err := ValidClientKey(clientKey); err != nil {
		return time.Time{}, err
	}
	t, err := s.store.RequestLockProlong(ctx, &storage.RequestLockParams{QueueID: q.ID, RequestID: id, ClientKey: clientKey, LockSecs: lockSecs, Now: s.now()})
	return t, lockError(err)
}

// DeleteLock releases the caller's lock on a request.
func (s *Storages) DeleteLock(ctx context.Context, q *actord.Storage, id, clientKey string, forefront bool) error {
	if err := ValidClientKey(clientKey); err != nil {
		return err
	}
	return lockError(s.store.RequestLockDelete(ctx, &storage.RequestLockParams{QueueID: q.ID, RequestID: id, ClientKey: clientKey, Forefront: forefront, Now: s.now()}))
}

func lockError(err error) error {
	if errors.Is(err, storage.ErrConflict) {
		return actord.Errorf(actord.ErrRequestHandledOrLocked, "The request is locked by another client.")
	}
	return notFoundAs(err, "Request")
}

// Unlock releases every lock the client holds.
func (s *Storages) Unlock(ctx context.Context, q *actord.Storage, clientKey string) (int64, error) {
	if err := ValidClientKey(clientKey); err != nil {
		return 0, err
	}
	n, err := s.store.QueueUnlock(ctx, q.ID, clientKey, s.now())
	return n, notFoundAs(err, "Request queue")
}
