// Package storage defines the one interface every storage driver (SQLite
// now, PostgreSQL later) implements, with its parameter structs and error
// sentinels. Nothing driver-specific leaks out of the driver packages.
package storage

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/actord/actord"
)

var (
	// ErrNotFound is returned when a looked-up row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a write would break a uniqueness rule
	// (a storage or user name that is taken).
	ErrConflict = errors.New("conflict")
)

// Store is the persistence seam. Every method takes a context and returns
// root domain types; multi-row work is atomic inside the driver.
type Store interface {
	Close() error

	UserInsert(ctx context.Context, u *actord.User) error
	UserGet(ctx context.Context, id string) (*actord.User, error)
	UserGetByName(ctx context.Context, username string) (*actord.User, error)
	UserCount(ctx context.Context) (int64, error)
	// TokenInsert stores the hash of an API token for a user.
	TokenInsert(ctx context.Context, userID string, hash []byte, createdAt time.Time) error
	// UserGetByTokenHash finds the user owning a token hash.
	UserGetByTokenHash(ctx context.Context, hash []byte) (*actord.User, error)

	StorageInsert(ctx context.Context, s *actord.Storage) error
	StorageGet(ctx context.Context, kind actord.StorageKind, id string) (*actord.Storage, error)
	StorageGetByName(ctx context.Context, kind actord.StorageKind, userID, name string) (*actord.Storage, error)
	StorageList(ctx context.Context, p *StorageListParams) (*StorageList, error)
	StorageUpdate(ctx context.Context, p *StorageUpdateParams) (*actord.Storage, error)
	// StorageDelete removes a storage and all its contents.
	StorageDelete(ctx context.Context, kind actord.StorageKind, id string) error

	// DatasetItemsAppend appends items (each one compact JSON object, no
	// newline inside) atomically and returns the dataset's new item count.
	DatasetItemsAppend(ctx context.Context, p *DatasetItemsAppendParams) (int64, error)
	// DatasetItems reads a window of a dataset from one consistent snapshot.
	// The returned Total is the item count of that snapshot; Items yields the
	// raw items of the window in order, one at a time, so memory does not
	// grow with the dataset. Close must be called.
	DatasetItems(ctx context.Context, p *DatasetItemsParams) (*ItemCursor, error)

	RecordPut(ctx context.Context, r *actord.Record, now time.Time) error
	RecordGet(ctx context.Context, storeID, key string) (*actord.Record, error)
	// RecordSize returns the record's size and content type without its value.
	RecordSize(ctx context.Context, storeID, key string) (int64, string, error)
	RecordDelete(ctx context.Context, storeID, key string, now time.Time) error
	RecordKeys(ctx context.Context, p *RecordKeysParams) (*RecordKeyList, error)
	// RecordIter yields the store's records in key order (for ZIP export).
	RecordIter(ctx context.Context, storeID, prefix string) iter.Seq2[*actord.Record, error]

	// RequestsAdd adds requests atomically. A request whose uniqueKey is
	// present already is not changed; its result says so.
	RequestsAdd(ctx context.Context, p *RequestsAddParams) ([]RequestAddResult, error)
	RequestGet(ctx context.Context, queueID, id string) (*actord.Request, error)
	// RequestUpdate replaces a request's data (and handled state); it fails
	// with ErrNotFound when the request does not exist.
	RequestUpdate(ctx context.Context, p *RequestUpdateParams) (*RequestAddResult, error)
	RequestsDelete(ctx context.Context, p *RequestsDeleteParams) ([]string, error)
	RequestsList(ctx context.Context, p *RequestsListParams) ([]*actord.Request, error)
	// QueueHead lists pending, unlocked requests in queue order.
	QueueHead(ctx context.Context, p *QueueHeadParams) (*QueueHead, error)
	// QueueHeadLock locks up to Limit pending, unlocked requests for the
	// client atomically: two callers never get the same request.
	QueueHeadLock(ctx context.Context, p *QueueHeadParams) (*QueueHead, error)
	// RequestLockProlong extends the client's lock; ErrConflict when the
	// request is locked by another client or not locked.
	RequestLockProlong(ctx context.Context, p *RequestLockParams) (time.Time, error)
	RequestLockDelete(ctx context.Context, p *RequestLockParams) error
	// QueueUnlock releases every lock a client holds and returns their number.
	QueueUnlock(ctx context.Context, queueID, clientKey string, now time.Time) (int64, error)

	// RunStart stores a run that starts (RUNNING) and the hash of its own
	// token, which authenticates as the run's owner until RunFinish or
	// RunTokensDelete, atomically.
	RunStart(ctx context.Context, r *actord.Run, tokenHash []byte, now time.Time) error
	RunTokensDelete(ctx context.Context, runID string) error

	// ActorInsert fails with ErrConflict when the owner has an actor of
	// that name.
	ActorInsert(ctx context.Context, a *actord.Actor) error
	// ActorGet and ActorGetByName read an actor; without versions its
	// Versions are nil (a run start needs none of their source files).
	ActorGet(ctx context.Context, id string, versions bool) (*actord.Actor, error)
	ActorGetByName(ctx context.Context, userID, name string, versions bool) (*actord.Actor, error)
	// ActorList lists actors without their versions.
	ActorList(ctx context.Context, p *ListParams) ([]*actord.Actor, int64, error)
	// ActorUpdate replaces what clients edit of an actor (ErrConflict on
	// a name clash): not its tagged builds or counters, which change only
	// through ActorTagBuild and ActorCountJob, atomically.
	ActorUpdate(ctx context.Context, a *actord.Actor) error
	ActorTagBuild(ctx context.Context, id, tag string, tb actord.TaggedBuild) error
	// ActorCountJob counts one more build, or run started at at.
	ActorCountJob(ctx context.Context, id string, run bool, at time.Time) error
	ActorDelete(ctx context.Context, id string) error

	// BuildInsert stores a new build and gives it the next build number
	// of its version ("MAJOR.MINOR.N").
	BuildInsert(ctx context.Context, b *actord.Build) error
	BuildGet(ctx context.Context, id string) (*actord.Build, error)
	BuildList(ctx context.Context, p *ListParams) ([]*actord.Build, int64, error)
	BuildUpdate(ctx context.Context, b *actord.Build) error

	RunInsert(ctx context.Context, r *actord.Run) error
	// RunCreate stores a new run with its default storages and input
	// record (nil: none), and counts it on its actor (and task, when it
	// has one), in one transaction.
	RunCreate(ctx context.Context, r *actord.Run, storages []*actord.Storage, input *actord.Record) error
	// RunFinish stores a run's end and deletes its tokens, atomically.
	RunFinish(ctx context.Context, r *actord.Run) error
	RunGet(ctx context.Context, id string) (*actord.Run, error)
	RunList(ctx context.Context, p *ListParams) ([]*actord.Run, int64, error)
	RunUpdate(ctx context.Context, r *actord.Run) error
	// RunsWithStatus lists runs in any of the statuses, oldest first.
	RunsWithStatus(ctx context.Context, statuses ...string) ([]*actord.Run, error)
	// RunByIdempotencyKey returns the ID of the user's run started with
	// key at or after since (RunCreate records the key of a run whose
	// Private.IdempotencyKey is set), or ErrNotFound.
	RunByIdempotencyKey(ctx context.Context, userID, key string, since time.Time) (string, error)

	// Actor tasks. A task's name is unique per owner: TaskInsert and
	// TaskUpdate fail with ErrConflict on a clash. Its run counter
	// (Stats.TotalRuns) is counted by RunCreate, in the same transaction
	// as the run, when the run has an ActorTaskID; deleting its actor
	// deletes the task.
	TaskInsert(ctx context.Context, t *actord.Task) error
	TaskGet(ctx context.Context, id string) (*actord.Task, error)
	TaskGetByName(ctx context.Context, userID, name string) (*actord.Task, error)
	// TaskList lists one user's tasks (p.UserID) by creation time.
	TaskList(ctx context.Context, p *ListParams) ([]*actord.Task, int64, error)
	// TaskUpdate replaces what clients edit of a task (everything but its
	// counter).
	TaskUpdate(ctx context.Context, t *actord.Task) error
	TaskDelete(ctx context.Context, id string) error

	// Webhooks and their dispatches.
	//
	// WebhookInsert fails with ErrConflict when the owner has a webhook
	// with the same idempotency key.
	WebhookInsert(ctx context.Context, w *actord.Webhook) error
	// WebhookGet and WebhookGetByIdempotencyKey return a webhook with its
	// stats and last dispatch.
	WebhookGet(ctx context.Context, id string) (*actord.Webhook, error)
	WebhookGetByIdempotencyKey(ctx context.Context, userID, key string) (*actord.Webhook, error)
	WebhookList(ctx context.Context, p *WebhookListParams) ([]*actord.Webhook, int64, error)
	// WebhookUpdate replaces what clients edit of a webhook, not its stats
	// or last dispatch.
	WebhookUpdate(ctx context.Context, w *actord.Webhook) error
	// WebhookDelete removes a webhook and its dispatches.
	WebhookDelete(ctx context.Context, id string) error
	// WebhookDispatchInsert stores a new dispatch and counts it as its
	// webhook's last dispatch, atomically.
	WebhookDispatchInsert(ctx context.Context, d *actord.WebhookDispatch) error
	WebhookDispatchGet(ctx context.Context, id string) (*actord.WebhookDispatch, error)
	WebhookDispatchList(ctx context.Context, p *WebhookDispatchListParams) ([]*actord.WebhookDispatch, int64, error)
	// WebhookDispatchUpdate stores a dispatch's calls and status, and its
	// webhook's last dispatch when it is the newest one, atomically.
	WebhookDispatchUpdate(ctx context.Context, d *actord.WebhookDispatch) error
	// WebhookDispatchesDue lists ACTIVE dispatches whose next attempt is
	// at or before the given time, the earliest first.
	WebhookDispatchesDue(ctx context.Context, before time.Time) ([]*actord.WebhookDispatch, error)
}

// WebhookListParams selects a page of a user's webhooks, oldest first
// unless Desc. ActID, TaskID and RunID narrow it to the webhooks whose
// condition names that actor, task or (ad hoc) run. Limit <= 0 means no
// limit.
type WebhookListParams struct {
	UserID string
	ActID  string
	TaskID string
	RunID  string
	Offset int64
	Limit  int64
	Desc   bool
}

// WebhookDispatchListParams selects a page of a user's dispatches (of one
// webhook when WebhookID is set), oldest first unless Desc.
type WebhookDispatchListParams struct {
	UserID    string
	WebhookID string
	Offset    int64
	Limit     int64
	Desc      bool
}

// IdempotencyKeyInUse is RunCreate's error when the run's idempotency key
// already names another run of the user within actord.IdempotencyWindow;
// nothing was created.
type IdempotencyKeyInUse struct{ RunID string }

func (e *IdempotencyKeyInUse) Error() string {
	return "idempotency key in use by run " + e.RunID
}

// ListParams selects a page of a user's actors, tasks, builds or runs,
// oldest first unless Desc. ActID and Status narrow builds and runs, TaskID
// runs; Limit <= 0 means no limit.
type ListParams struct {
	UserID string
	ActID  string
	TaskID string
	Status string
	Offset int64
	Limit  int64
	Desc   bool
}

// StorageListParams selects storages of one kind and one owner.
type StorageListParams struct {
	Kind    actord.StorageKind
	UserID  string
	Unnamed bool // include unnamed storages
	Offset  int64
	Limit   int64
	Desc    bool
}

// StorageList is one page of storages and the total that matched.
type StorageList struct {
	Total int64
	Items []*actord.Storage
}

// StorageUpdateParams changes a storage's name and/or general access; nil
// fields are left as they are. An empty Name makes the storage unnamed.
type StorageUpdateParams struct {
	Kind          actord.StorageKind
	ID            string
	Name          *string
	GeneralAccess *string
	Now           time.Time
}

// DatasetItemsAppendParams appends raw items to a dataset.
type DatasetItemsAppendParams struct {
	DatasetID string
	Items     [][]byte
	Now       time.Time
}

// DatasetItemsParams selects a window of a dataset: Offset items are skipped
// from the start (or, with Desc, from the end), then at most Limit are read
// (Limit < 0: no limit).
type DatasetItemsParams struct {
	DatasetID string
	Offset    int64
	Limit     int64
	Desc      bool
}

// ItemCursor streams a window of dataset items.
type ItemCursor struct {
	// Total is the dataset's item count in the snapshot being read.
	Total int64
	// Count is the number of items the window holds.
	Count int64
	// Next returns the next raw item, or nil and io.EOF at the end. The
	// slice is valid until the next call.
	Next func() ([]byte, error)
	// Rewind restarts the window from the same snapshot, for a second pass.
	Rewind func() error
	// Close releases the snapshot.
	Close func() error
}

// RecordKeysParams pages through a key-value store's keys in UTF-8 order.
type RecordKeysParams struct {
	StoreID           string
	ExclusiveStartKey string
	Prefix            string
	Limit             int64
}

// RecordKeyList is one page of keys.
type RecordKeyList struct {
	Items       []actord.RecordKey
	IsTruncated bool
}

// RequestsAddParams adds requests to a queue; Forefront puts them at the head.
type RequestsAddParams struct {
	QueueID   string
	ClientKey string
	Forefront bool
	Requests  []*actord.Request
	Now       time.Time
}

// RequestAddResult tells what adding (or updating) one request did.
type RequestAddResult struct {
	RequestID         string
	UniqueKey         string
	WasAlreadyPresent bool
	WasAlreadyHandled bool
}

// RequestUpdateParams replaces a stored request.
type RequestUpdateParams struct {
	QueueID   string
	ClientKey string
	Forefront bool
	Request   *actord.Request
	Now       time.Time
}

// RequestsDeleteParams deletes requests by ID.
type RequestsDeleteParams struct {
	QueueID   string
	ClientKey string
	IDs       []string
	Now       time.Time
}

// RequestsListParams pages through all requests of a queue by ID.
type RequestsListParams struct {
	QueueID       string
	ExclusiveFrom string // list requests with IDs after this one
	Limit         int64
	Filter        RequestFilter
	Now           time.Time
}

// RequestFilter narrows a request listing; both false means all requests.
type RequestFilter struct {
	Locked  bool
	Pending bool
}

// QueueHeadParams reads or locks the head of a queue.
type QueueHeadParams struct {
	QueueID   string
	ClientKey string
	Limit     int64
	LockSecs  int64 // QueueHeadLock only
	Now       time.Time
}

// QueueHead is a page of the queue's head.
type QueueHead struct {
	Items                  []*actord.Request
	QueueModifiedAt        time.Time
	HadMultipleClients     bool
	QueueHasLockedRequests bool
}

// RequestLockParams prolongs or deletes one request's lock.
type RequestLockParams struct {
	QueueID   string
	RequestID string
	ClientKey string
	LockSecs  int64
	Forefront bool
	Now       time.Time
}
