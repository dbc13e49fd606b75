package actord

import "time"

// User is an account. Every resource belongs to exactly one user.
type User struct {
	ID        string
	Username  string
	CreatedAt time.Time
}

// StorageKind tells datasets, key-value stores and request queues apart.
// The three share one metadata shape (Storage) and differ in their contents.
type StorageKind string

const (
	KindDataset       StorageKind = "dataset"
	KindKeyValueStore StorageKind = "keyValueStore"
	KindRequestQueue  StorageKind = "requestQueue"
)

// Noun is the kind's name as Apify's error messages spell it ("Dataset was not found").
func (k StorageKind) Noun() string {
	switch k {
	case KindDataset:
		return "Dataset"
	case KindKeyValueStore:
		return "Key-value store"
	case KindRequestQueue:
		return "Request queue"
	}
	return "Storage"
}

// General access levels of a storage (Apify's generalAccess enum).
const (
	AccessAnyoneWithIDCanRead   = "ANYONE_WITH_ID_CAN_READ"
	AccessAnyoneWithNameCanRead = "ANYONE_WITH_NAME_CAN_READ"
	AccessFollowUserSetting     = "FOLLOW_USER_SETTING"
	AccessRestricted            = "RESTRICTED"
)

// ValidGeneralAccess reports whether s is one of Apify's generalAccess values.
func ValidGeneralAccess(s string) bool {
	switch s {
	case AccessAnyoneWithIDCanRead, AccessAnyoneWithNameCanRead, AccessFollowUserSetting, AccessRestricted:
		return true
	}
	return false
}

// Storage is the metadata of a dataset, key-value store or request queue.
// Counters that apply to one kind only are zero for the others.
type Storage struct {
	ID            string
	Kind          StorageKind
	UserID        string
	Username      string // owner's username, filled on reads
	Name          string // "" for unnamed storages
	GeneralAccess string
	ActID         string
	ActRunID      string
	CreatedAt     time.Time
	ModifiedAt    time.Time
	AccessedAt    time.Time

	// Datasets.
	ItemCount int64
	// Schema is a dataset's schema (raw JSON: fields and views), nil when
	// it has none. Actors bring it with their dataset schema.
	Schema []byte
	// Datasets and key-value stores: bytes of stored item/record data.
	StorageBytes int64
	// Request queues.
	TotalRequestCount   int64
	HandledRequestCount int64
	HadMultipleClients  bool
}

// PendingRequestCount is the number of requests not handled yet.
func (s *Storage) PendingRequestCount() int64 { return s.TotalRequestCount - s.HandledRequestCount }

// Record is a key-value store record: raw bytes and the Content-Type they
// were stored with.
type Record struct {
	StoreID     string
	Key         string
	ContentType string
	Value       []byte
}

// RecordKey describes one key of a key-value store listing.
type RecordKey struct {
	Key  string
	Size int64
}

// Request is one request of a request queue. JSON is the stored request
// object exactly as it is returned to clients: it starts with "id" and holds
// no null members. The other fields are what the server itself needs.
type Request struct {
	ID          string
	UniqueKey   string
	URL         string
	Method      string
	RetryCount  int64
	HandledAt   *time.Time
	LockExpires *time.Time // set while the request is locked
	JSON        []byte
}

// Timestamp formats t as Apify does: ISO-8601 in UTC with milliseconds.
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
