package platform

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/actord/actord"
	"github.com/actord/actord/actorjson"
	"github.com/actord/actord/storage"
)

// Storages manages datasets, key-value stores and request queues: creation,
// name resolution and access control. Contents are handled by Datasets,
// Records and Queues, which resolve storages through it.
type Storages struct {
	store storage.Store
	now   func() time.Time

	mu         sync.Mutex
	validators map[string]*actorjson.DatasetValidator // by dataset schema

	appended signals // by dataset ID
}

// NewStorages returns the storage service.
func NewStorages(store storage.Store, now func() time.Time) *Storages {
	return &Storages{store: store, now: now, validators: map[string]*actorjson.DatasetValidator{}}
}

// Access is what a caller wants to do with a storage.
type Access int

const (
	Read Access = iota
	Write
)

// storageNameRE: Apify storage names are up to 63 characters of letters,
// digits and '-', not starting or ending with '-'.
var storageNameRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

func validName(name string) error {
	if !storageNameRE.MatchString(name) {
		return actord.Errorf(actord.ErrInvalidValue, "Storage name %q is not valid: use up to 63 letters, digits and '-' (not at the start or end).", name)
	}
	return nil
}

// GetOrCreate returns the caller's storage of that name, creating it when
// there is none (created reports which). An empty name creates a new
// unnamed storage.
func (s *Storages) GetOrCreate(ctx context.Context, owner *actord.User, kind actord.StorageKind, name string) (st *actord.Storage, created bool, err error) {
	if name != "" {
		if err := validName(name); err != nil {
			return nil, false, err
		}
		st, err := s.store.StorageGetByName(ctx, kind, owner.ID, name)
		if err == nil {
			return st, false, nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return nil, false, fmt.Errorf("get %s %s: %w", kind, name, err)
		}
	}
	now := s.now()
	st = &actord.Storage{
		ID: actord.NewID(), Kind: kind, UserID: owner.ID, Username: owner.Username, Name: name,
		GeneralAccess: actord.AccessFollowUserSetting, CreatedAt: now, ModifiedAt: now, AccessedAt: now,
	}
	if err := s.store.StorageInsert(ctx, st); err != nil {
		if errors.Is(err, storage.ErrConflict) && name != "" {
			// Lost a race with another get-or-create of the same name.
			st, err := s.store.StorageGetByName(ctx, kind, owner.ID, name)
			return st, false, err
		}
		return nil, false, fmt.Errorf("create %s: %w", kind, err)
	}
	return st, true, nil
}

// Resolve finds the storage a path segment names — an ID, "~name",
// "username~name", or a plain name of the caller's — and checks that the
// caller may access it. Anything the caller may not see is "not found",
// so other users' storages are never revealed.
func (s *Storages) Resolve(ctx context.Context, caller *actord.User, kind actord.StorageKind, segment string, access Access) (*actord.Storage, error) {
	notFound := actord.NotFound(kind.Noun())
	ref := actord.ParseRef(segment)
	var st *actord.Storage
	var err error
	byName := ref.IsName()
	switch {
	case byName:
		st, err = s.byName(ctx, caller, kind, ref)
	default:
		st, err = s.store.StorageGet(ctx, kind, ref.ID)
		if errors.Is(err, storage.ErrNotFound) && caller != nil {
			// Apify SDKs open a named storage by its bare name first.
			st, err = s.store.StorageGetByName(ctx, kind, caller.ID, ref.ID)
			byName = true
		}
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("resolve %s %s: %w", kind, segment, err)
	}
	if caller != nil && st.UserID == caller.ID {
		return st, nil
	}
	if access == Read && publiclyReadable(st, byName) {
		return st, nil
	}
	return nil, notFound
}

func (s *Storages) byName(ctx context.Context, caller *actord.User, kind actord.StorageKind, ref actord.NameRef) (*actord.Storage, error) {
	ownerID := ""
	switch {
	case ref.Username == "" || ref.Username == "me":
		if caller == nil {
			return nil, storage.ErrNotFound
		}
		ownerID = caller.ID
	case caller != nil && ref.Username == caller.Username:
		ownerID = caller.ID
	default:
		u, err := s.store.UserGetByName(ctx, ref.Username)
		if err != nil {
			return nil, err
		}
		ownerID = u.ID
	}
	return s.store.StorageGetByName(ctx, kind, ownerID, ref.Name)
}

// publiclyReadable applies the storage's general access: by default
// (FOLLOW_USER_SETTING, with actord's user setting being restricted) only
// the owner can read it.
func publiclyReadable(st *actord.Storage, byName bool) bool {
	switch st.GeneralAccess {
	case actord.AccessAnyoneWithNameCanRead:
		return true
	case actord.AccessAnyoneWithIDCanRead:
		return !byName
	}
	return false
}

// List returns a page of the owner's storages of one kind.
func (s *Storages) List(ctx context.Context, p *storage.StorageListParams) (*storage.StorageList, error) {
	list, err := s.store.StorageList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", p.Kind, err)
	}
	return list, nil
}

// UpdateParams are the changes of a storage update; nil leaves a field as is.
type UpdateParams struct {
	Name          *string
	GeneralAccess *string
}

// Update renames a storage and/or changes its general access.
func (s *Storages) Update(ctx context.Context, st *actord.Storage, p UpdateParams) (*actord.Storage, error) {
	if p.Name != nil && *p.Name != "" {
		if err := validName(*p.Name); err != nil {
			return nil, err
		}
	}
	if p.GeneralAccess != nil && !actord.ValidGeneralAccess(*p.GeneralAccess) {
		return nil, actord.Errorf(actord.ErrInvalidValue, "generalAccess must be one of ANYONE_WITH_ID_CAN_READ, ANYONE_WITH_NAME_CAN_READ, FOLLOW_USER_SETTING, RESTRICTED.")
	}
	out, err := s.store.StorageUpdate(ctx, &storage.StorageUpdateParams{Kind: st.Kind, ID: st.ID, Name: p.Name, GeneralAccess: p.GeneralAccess, Now: s.now()})
	if errors.Is(err, storage.ErrConflict) {
		return nil, actord.Errorf(actord.ErrNameNotUnique, "Record with the given name already exists.")
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil, actord.NotFound(st.Kind.Noun())
	}
	return out, err
}

// Delete removes a storage with its contents.
func (s *Storages) Delete(ctx context.Context, st *actord.Storage) error {
	err := s.store.StorageDelete(ctx, st.Kind, st.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return actord.NotFound(st.Kind.Noun())
	}
	return err
}

// notFoundAs turns storage.ErrNotFound into Apify's 404 for what.
func notFoundAs(err error, what string) error {
	if errors.Is(err, storage.ErrNotFound) {
		return actord.NotFound(what)
	}
	return err
}
