package platform

import (
	"context"
	"errors"
	"fmt"

	"github.com/actord/actord"
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
	n, err := s.store.DatasetItemsAppend(ctx, &storage.DatasetItemsAppendParams{DatasetID: ds.ID, Items: items, Now: s.now()})
	if err != nil {
		return 0, notFoundAs(err, "Dataset")
	}
	return n, nil
}

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
