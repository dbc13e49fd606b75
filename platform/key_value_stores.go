package platform

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"regexp"

	"github.com/actord/actord"
	"github.com/actord/actord/storage"
)

var recordKeyRE = regexp.MustCompile(`^[a-zA-Z0-9!\-_.'()]{1,256}$`)

// ValidRecordKey checks a key-value store record key against Apify's rule.
func ValidRecordKey(key string) error {
	if !recordKeyRE.MatchString(key) {
		return actord.Errorf(actord.ErrInvalidRecordKey, "The key %q is not valid: a record key is 1 to 256 characters of a-z, A-Z, 0-9 and !-_.'()", key)
	}
	return nil
}

// PutRecord stores a record's bytes with their Content-Type.
func (s *Storages) PutRecord(ctx context.Context, st *actord.Storage, r *actord.Record) error {
	if err := ValidRecordKey(r.Key); err != nil {
		return err
	}
	r.StoreID = st.ID
	if err := s.store.RecordPut(ctx, r, s.now()); err != nil {
		return fmt.Errorf("put record %s: %w", r.Key, notFoundAs(err, "Key-value store"))
	}
	return nil
}

// GetRecord returns a record with its value.
func (s *Storages) GetRecord(ctx context.Context, st *actord.Storage, key string) (*actord.Record, error) {
	if err := ValidRecordKey(key); err != nil {
		return nil, err
	}
	r, err := s.store.RecordGet(ctx, st.ID, key)
	return r, notFoundAs(err, "Record")
}

// RecordInfo returns a record's size and Content-Type.
func (s *Storages) RecordInfo(ctx context.Context, st *actord.Storage, key string) (int64, string, error) {
	if err := ValidRecordKey(key); err != nil {
		return 0, "", err
	}
	size, ct, err := s.store.RecordSize(ctx, st.ID, key)
	return size, ct, notFoundAs(err, "Record")
}

// DeleteRecord removes a record; deleting a missing record is not an error
// (the SDK's setValue(key, null) relies on that).
func (s *Storages) DeleteRecord(ctx context.Context, st *actord.Storage, key string) error {
	if err := ValidRecordKey(key); err != nil {
		return err
	}
	err := s.store.RecordDelete(ctx, st.ID, key, s.now())
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}

// Keys lists a page of record keys.
func (s *Storages) Keys(ctx context.Context, st *actord.Storage, p storage.RecordKeysParams) (*storage.RecordKeyList, error) {
	p.StoreID = st.ID
	return s.store.RecordKeys(ctx, &p)
}

// Records yields all records of a store whose key starts with prefix.
func (s *Storages) Records(ctx context.Context, st *actord.Storage, prefix string) iter.Seq2[*actord.Record, error] {
	return s.store.RecordIter(ctx, st.ID, prefix)
}
