package platform

import (
	"context"
	"errors"
	"fmt"

	"github.com/actord/actord"
	"github.com/actord/actord/actorjson"
	"github.com/actord/actord/jsonitem"
	"github.com/actord/actord/storage"
)

// PushItems appends the items of a push body (one JSON object or an array
// of objects) to a dataset, all or nothing, and returns the new item count.
func (s *Storages) PushItems(ctx context.Context, ds *actord.Storage, body []byte) (int64, error) {
	items, err := jsonitem.SplitItems(body)
	if err != nil {
		var se *jsonitem.SyntaxError
		if errors.As(err, &se) {
			return 0, actord.Errorf(actord.ErrInvalidRequest, "The request body is not valid JSON: %v", se.Err)
		}
		return 0, actord.Errorf(actord.ErrInvalidRequest, "Dataset items must be JSON objects: %v", err)
	}
	if err := s.validateItems(ds, items); err != nil {
		return 0, err
	}
	n, err := s.store.DatasetItemsAppend(ctx, &storage.DatasetItemsAppendParams{DatasetID: ds.ID, Items: items, Now: s.now()})
	if err != nil {
		return 0, notFoundAs(err, "Dataset")
	}
	s.appended.fire(ds.ID)
	return n, nil
}

// Appended returns a channel closed when items are next pushed to dataset
// id (by a push that starts after this call).
func (s *Storages) Appended(id string) <-chan struct{} { return s.appended.channel(id) }

// Items opens a window of a dataset's items (Limit < 0: no limit). The
// caller must Close the cursor.
func (s *Storages) Items(ctx context.Context, ds *actord.Storage, p storage.DatasetItemsParams) (*storage.ItemCursor, error) {
	p.DatasetID = ds.ID
	c, err := s.store.DatasetItems(ctx, &p)
	if err != nil {
		return nil, fmt.Errorf("read items of dataset %s: %w", ds.ID, notFoundAs(err, "Dataset"))
	}
	return c, nil
}

// validateItems checks pushed items against the dataset schema's fields
// (an actor's dataset schema): one invalid item rejects the whole push
// with 400 schema-validation-error.
func (s *Storages) validateItems(ds *actord.Storage, items [][]byte) error {
	if len(ds.Schema) == 0 {
		return nil
	}
	key := string(ds.Schema)
	s.mu.Lock()
	v, ok := s.validators[key]
	s.mu.Unlock()
	if !ok {
		var err error
		if v, err = actorjson.CompileDatasetSchema(ds.Schema); err != nil {
			return fmt.Errorf("dataset schema of %s: %w", ds.ID, err)
		}
		s.mu.Lock()
		if len(s.validators) >= 256 { // schemas are few; keep the cache bounded anyway
			clear(s.validators)
		}
		s.validators[key] = v
		s.mu.Unlock()
	}
	return v.Validate(items)
}
